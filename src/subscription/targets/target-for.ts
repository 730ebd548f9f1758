// The DeliveryTarget for a subscription's target: the one place the engine turns configuration into a target.
import type { SubscriptionTarget } from "../../subscription-protocol";
import type { DeliveryTarget } from "./delivery-target";
import { archiveTarget } from "./archive-target";
import { serviceTarget } from "./service-target";
import { type WebhookTargetOptions, webhookTarget } from "./webhook-target";

export function targetFor(env: object, target: SubscriptionTarget, options: WebhookTargetOptions = {}): DeliveryTarget {
  switch (target.type) {
    case "service":
      return serviceTarget(env, target);
    case "webhook":
      return webhookTarget(target, options);
    case "r2":
      return archiveTarget(env, target);
  }
}
