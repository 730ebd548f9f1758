// The subscription routes' bodies as the client sends and receives them (docs/subscriptions.md). What a subscription
// is (its config, targets, description, the delivery shapes) is src/subscription-protocol.ts's; here are only the
// requests, whose fields edgelog defaults when left out, and the list and create answers. Types only.
import type {
  ArchiveTarget,
  ServiceTarget,
  SubscriptionConfig,
  SubscriptionDescription,
  SubscriptionMode,
  SubscriptionState,
  SubscriptionTarget,
  WebhookTarget,
} from "../subscription-protocol";

type Optional<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

/** A target as a request names it: edgelog fills in the rest (method "deliver", binding "ARCHIVE", the timeouts). */
export type SubscriptionTargetRequest =
  | Optional<ServiceTarget, "method" | "timeoutMs">
  | Optional<WebhookTarget, "timeoutMs">
  | Optional<ArchiveTarget, "binding" | "format" | "maxObjectBytes" | "maxObjectAgeMs">;

/** The settings PATCH may change (deadLetterTopic: null removes it). */
export type SubscriptionSettings = Pick<
  SubscriptionConfig,
  "maxBatchSize" | "maxBatchBytes" | "maxBatchWaitMs" | "maxRetries" | "retryDelayMs" | "deadLetterTopic" | "maxInFlightPerPartition" | "maxConcurrency"
>;

/** POST /v1/subscriptions: a name, its topics and a target; everything else has a default (startAt "latest"). */
export type CreateSubscriptionRequest = Pick<SubscriptionConfig, "name" | "topics"> & {
  target: SubscriptionTargetRequest;
} & Partial<Pick<SubscriptionConfig, "startAt" | "encoding" | "mode" | "shareGroup"> & SubscriptionSettings>;

/** PATCH /v1/subscriptions/{name}: any of the settings, or a new target. */
export type AlterSubscriptionRequest = Partial<SubscriptionSettings> & { target?: SubscriptionTargetRequest };

export interface CreatedSubscription {
  subscription: SubscriptionDescription;
  /** A webhook target's signing secret (`whsec_…`), in this answer only: descriptions never include it. */
  secret?: string;
}

/** One entry of GET /v1/subscriptions. */
export interface SubscriptionSummary {
  name: string;
  state: SubscriptionState;
  mode: SubscriptionMode;
  topics: string[];
  target: { type: SubscriptionTarget["type"] };
  totalLag: number;
}

export type {
  ArchiveTarget,
  DeliveredRecord,
  DeliveryBatch,
  DeliveryResponse,
  ServiceTarget,
  StartAt,
  SubscriptionConfig,
  SubscriptionDescription,
  SharedDeliveryStatus,
  SubscriptionMode,
  SubscriptionPartitionStatus,
  SubscriptionState,
  SubscriptionTarget,
  WebhookTarget,
} from "../subscription-protocol";
