// Subscriptions' plain data: what crosses HTTP, Workers RPC and the TypeScript client. A subscription is a named
// consumer group whose only member is edgelog itself: it delivers every record of its topics, in offset order per
// partition, to one target (a Worker through a service binding, a webhook, or an R2 archive), and commits the group's
// offsets as deliveries succeed. Types and pure helpers only: a leaf the client may import.

/** Where a subscription delivers. */
export type SubscriptionTarget = ServiceTarget | WebhookTarget | ArchiveTarget;

/** A Worker bound to edgelog by a service binding (edgelog's wrangler.toml): edgelog calls `binding[method](batch)`. */
export interface ServiceTarget {
  type: "service";
  binding: string;
  /** The RPC method called with each DeliveryBatch (default "deliver"). */
  method: string;
  /** A call not answered within this is a failed delivery (retried). */
  timeoutMs: number;
}

/** An HTTPS endpoint: POST of the DeliveryBatch as JSON, signed per Standard Webhooks; any 2xx acknowledges. */
export interface WebhookTarget {
  type: "webhook";
  url: string;
  /** `whsec_` + base64 of the key. Shown once, when the subscription is created (generated when not given). */
  secret?: string;
  timeoutMs: number;
}

/** Objects in an R2 bucket bound to edgelog, one per batch, named by topic, partition and offset range. */
export interface ArchiveTarget {
  type: "r2";
  /** The R2 bucket binding (default "ARCHIVE"). */
  binding: string;
  /** Key prefix; objects are `<prefix><topic>/<partition>/<first offset>-<last offset>.ndjson` (offsets 20 digits). */
  prefix: string;
  format: "ndjson";
  /** An object holds at most this many bytes of records (the batch byte bound for this target). */
  maxObjectBytes: number;
  /** A partial object waits at most this long for more records (the batch wait for this target). */
  maxObjectAgeMs: number;
}

/** Where a new subscription starts in partitions its group has no committed offset for. */
export type StartAt = "earliest" | "latest" | { timestamp: number };

export interface SubscriptionConfig {
  name: string;
  topics: string[];
  target: SubscriptionTarget;
  startAt: StartAt;
  /** Records per delivery (1..MAX_SUBSCRIPTION_BATCH_SIZE). */
  maxBatchSize: number;
  /** Bytes of record JSON per delivery. */
  maxBatchBytes: number;
  /** How long a partial batch may wait for more records (0: deliver at once). */
  maxBatchWaitMs: number;
  /** Deliveries of a batch after the first before its failed records go to the dead-letter topic (or the partition
   *  stops). */
  maxRetries: number;
  /** The first retry's delay; each next one doubles it, with jitter, up to MAX_SUBSCRIPTION_RETRY_DELAY_MS. */
  retryDelayMs: number;
  deadLetterTopic: string | null;
  /** Batches of one partition delivered at once; 1 keeps them in order. */
  maxInFlightPerPartition: number;
  /** How keys, values and header values are delivered: UTF-8 text, or base64 bytes. */
  encoding: "text" | "base64";
  /** Kafka's isolation.level for the subscription's reads: read_committed delivers only committed transactional
   *  records (up to the last stable offset), never aborted ones. Absent (subscriptions created before transactions):
   *  read_uncommitted. */
  isolation?: "read_uncommitted" | "read_committed";
  /** "ordered" (absent: subscriptions created before shared mode): per partition in offset order, offsets committed
   *  to the subscription's group. "shared": records leased from the share group `shareGroup` (KIP-932), delivered
   *  unordered, up to maxConcurrency batches at once per topic, each record acknowledged on its own; the share
   *  group's lease, delivery count limit and dead-letter topic do the retrying and dead-lettering. */
  mode?: SubscriptionMode;
  /** Shared mode: the share group records are leased from (it must exist; its config rules leases and limits). */
  shareGroup?: string;
  /** Shared mode: batches of one topic delivered at once (Cloudflare Queues' max_concurrency). */
  maxConcurrency?: number;
}

export type SubscriptionMode = "ordered" | "shared";

/** running: delivering; paused: by request, deliveries stop within one batch; a partition may also be stopped on a
 *  poison batch without a dead-letter topic (its describe entry says why). */
export type SubscriptionState = "running" | "paused";

export interface DeliveredRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string }[];
  /** Shared mode: how many times this record has been delivered, this one included (the share group's count). */
  deliveryCount?: number;
}

/** What a target receives: one partition's records in offset order. `attempt` is 1 for the first delivery. */
export interface DeliveryBatch {
  subscription: string;
  topic: string;
  partition: number;
  attempt: number;
  records: DeliveredRecord[];
}

/**
 * What a consumer answers to a delivery (a service binding's return value, or a webhook's 2xx JSON body; nothing, or
 * anything else, acknowledges every record):
 * - `{ retryAll: { delayMs? } }`: nothing acknowledged, deliver the batch again;
 * - `{ retry: [{ offset, delayMs? }] }`: those records again, every other one acknowledged;
 * - `{ ackUpTo: offset }`: the records up to that offset acknowledged, the rest delivered again.
 */
export interface DeliveryResponse {
  ackAll?: boolean;
  retryAll?: { delayMs?: number };
  retry?: { offset: number; delayMs?: number }[];
  ackUpTo?: number;
}

/** One partition of a subscription, as GET /v1/subscriptions/{name} describes it. */
export interface SubscriptionPartitionStatus {
  topic: string;
  partition: number;
  /** The group's committed offset: the next record to deliver after a restart. */
  committedOffset: number | null;
  highWatermark: number;
  lag: number | null;
  /** "delivering", "waiting" (caught up, or a partial batch waiting for more), "retrying", "stopped", "paused". */
  status: "delivering" | "waiting" | "retrying" | "stopped" | "paused";
  /** The batch being delivered or retried: its first and last offset, and the attempt it is at. */
  inFlight: { fromOffset: number; toOffset: number; attempt: number } | null;
  nextAttemptMs: number | null;
  lastError: string | null;
  deliveredRecords: number;
  /** When a delivery last had records acknowledged (since the partition's object started; null: none yet). */
  lastDeliveryMs: number | null;
  deadLetteredRecords: number;
}

/** A shared subscription's delivery object, one per topic, as describe shows it. */
export interface SharedDeliveryStatus {
  topic: string;
  /** "delivering" (batches in flight), "waiting" (nothing to lease: waiting for an append or a lease's end),
   *  "paused", or "stopped" (the share group is gone: lastError says so). */
  status: "delivering" | "waiting" | "paused" | "stopped";
  /** Batches being delivered now (at most maxConcurrency). */
  inFlightBatches: number;
  /** Records the target acknowledged (accepted in the share group), released for another delivery, since the
   *  object started (memory only, like deliveredRecords). */
  deliveredRecords: number;
  releasedRecords: number;
  lastDeliveryMs: number | null;
  lastError: string | null;
}

/** What the group's coordinator answers for one delivery object: a partition's (ordered) or a topic's (shared). */
export type DeliveryObjectStatus = SubscriptionPartitionStatus | SharedDeliveryStatus;

export interface SubscriptionDescription {
  name: string;
  state: SubscriptionState;
  /** "ordered" or "shared" (config.mode, absent in configs from before shared mode, is "ordered"). */
  mode: SubscriptionMode;
  config: SubscriptionConfig;
  createdMs: number;
  /** Ordered mode: per partition. Shared mode: empty (the share group's describe, below, has the partitions). */
  partitions: SubscriptionPartitionStatus[];
  /** Shared mode: per topic, its delivery object. */
  topics?: SharedDeliveryStatus[];
  /** Shared mode: the share group's own describe (per share-partition: SPSO, in-flight counts by state, lag, dead
   *  letters). */
  shareGroup?: unknown;
  totalLag: number;
}
