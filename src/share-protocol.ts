// Share groups' plain data (Kafka's KIP-932, "queue mode"): what crosses HTTP, Workers RPC and the TypeScript client.
// A share group's members take records from the same partitions; each record is leased to one of them at a time and
// acknowledged on its own. Types only: a leaf the client may import.
import type { ErrorBody } from "./errors";

/** A share group's config: Kafka's group configs (share.*, errors.deadletterqueue.*) in edgelog's camelCase. */
export interface ShareGroupConfig {
  /** share.record.lock.duration.ms: how long an acquired record stays leased (1000..3600000, default 30000). */
  lockDurationMs: number;
  /** share.delivery.count.limit: deliveries before a record is archived or dead-lettered (2..10, default 5). */
  deliveryCountLimit: number;
  /** share.partition.max.record.locks: the in-flight window per share-partition (100..10000, default 2000). */
  maxRecordLocks: number;
  /** share.auto.offset.reset: where a share-partition starts the first time it is polled (default "latest"). */
  autoOffsetReset: "earliest" | "latest" | { timestamp: number };
  /** share.isolation.level: read_committed acquires only committed transactional records, below the LSO. */
  isolation: "read_uncommitted" | "read_committed";
  /** errors.deadletterqueue.topic.name: where rejected and over-the-limit records go (null: archived, dropped). */
  deadLetterTopic: string | null;
  /** errors.deadletterqueue.copy.record.enable: the dead letter carries the record's key, value and headers (else
   *  only the __dlq.errors.* headers, Kafka's default). */
  deadLetterCopyRecord: boolean;
  /** share.session.timeout.ms: a member (optional membership, KIP-932) with no heartbeat for this long is removed. */
  sessionTimeoutMs: number;
  /** share.heartbeat.interval.ms: how often members should heartbeat (below sessionTimeoutMs). */
  heartbeatIntervalMs: number;
}

/** What the group's coordinator stores: the config and the incarnation (a group deleted and created again gets a
 *  higher generation, so share-partitions of the old one start over). */
export interface StoredShareGroup {
  config: ShareGroupConfig;
  generation: number;
  /** Bumped by every config change (PUT or PATCH) of this generation: share-partitions and routers keep the newest
   *  (absent in groups stored before it: 0). */
  configVersion?: number;
  createdMs: number;
  /** Every share-partition polled so far (describe, reset and delete reach them through this list). */
  partitions: { topic: string; topicId: string; partition: number }[];
}

export type AcknowledgeType = "accept" | "release" | "reject" | "renew";

/** One acknowledgement as a share-partition receives it (the router parsed the leaseId). */
export interface PartitionAck {
  offset: number;
  acquisitionId: number;
  type: AcknowledgeType;
  /** release only: the record becomes available again this much later. */
  delayMs?: number;
  /** reject only: written to the dead letter's __dlq.errors.message header. */
  reason?: string;
}

/** One record acquired by a poll. */
export interface AcquiredRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string }[];
  deliveryCount: number;
  /** The lease: `<topic>:<partition>:<offset>:<acquisitionId>`. Acknowledge with it. */
  leaseId: string;
  /** When the lease ends (ms since the epoch) unless renewed. */
  lockExpiresAt: number;
}

/** A share-partition's answer to an acquire. */
export interface AcquireResult {
  records: AcquiredRecord[];
  /** An append at or past this offset may give new records (the long-poll waits on it). */
  waitOffset: number;
  /** When a lease ends or a delayed release becomes available (a long-poll looks again then); null: none. */
  nextDueMs: number | null;
  /** The outcomes of the acknowledgements that rode on the acquire, in order. */
  acknowledgements?: AckOutcome[];
}

/** One acknowledgement's outcome. */
export type AckOutcome = { ok: true; lockExpiresAt?: number } | { ok: false; error: ErrorBody };

/** A share-partition as describe shows it. */
export interface SharePartitionStatus {
  topic: string;
  partition: number;
  /** Share-partition start offset: every offset below it is done (acknowledged or archived). */
  startOffset: number;
  /** The first offset never fetched (Kafka's SPEO + 1). */
  endOffset: number;
  highWatermark: number;
  /** Records not yet done: highWatermark - startOffset, less those done inside the window. */
  lag: number;
  inFlight: { available: number; acquired: number; archiving: number };
  acknowledged: number;
  archived: number;
  deadLettered: number;
  /** Records on their way to the dead-letter topic (ARCHIVING). */
  deadLettersPending: number;
}
