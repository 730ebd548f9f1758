// What a subscription partition's delivery object (SubscriptionPartition.ts) stores and is started with: plain data,
// shared by its helpers (partition-io, local-offset, shared-delivery) and the group's coordinator (subscription-home).
import type { SubscriptionConfig } from "../subscription-protocol";
import type { Retrying } from "./delivery-state";

/** What the group's coordinator starts (or restarts) the object with. */
export interface SubscriptionPartitionInit {
  subscription: string;
  topic: string;
  topicId: string;
  partition: number;
  /** Bumped by the group's coordinator on every reset: commits of an older generation are refused. */
  generation: number;
  config: SubscriptionConfig;
  paused: boolean;
}

/** What the object stores (one row): who it is, its config and what may not be lost across an eviction. */
export interface SubscriptionPartitionRecord extends SubscriptionPartitionInit {
  /** Records being retried (their wave's later records wait). */
  retrying: Retrying | null;
  /** Set when retries ran out without a dead-letter topic: the partition waits for a resume or a reset. */
  stopped: string | null;
  deadLettered: number;
}
