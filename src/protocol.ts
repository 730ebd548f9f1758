// Plain data that crosses Durable Object RPC between the router and the objects. Types only: a leaf.
import type { PackedTails } from "./log/batch";
import type { Encoding } from "./log/record";
import type { TopicConfig } from "./log/topic-config";
import type { ProducerIdentity } from "./log/producer-state";
import type { EpochEntry } from "./log/leader-epochs";
import type { PartitionCounts } from "./partition/partition-counters";

export type { EpochEntry };

/** A topic as the controller knows it. `version` bumps on every change a partition must see (config, partition
 *  count, a new leader). */
export interface TopicMetadata {
  name: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  /** Location hints for replica i: placement[i % placement.length]; empty: no hint (Cloudflare places objects). */
  placement: string[];
  config: TopicConfig;
  version: number;
  createdMs: number;
  /** The schema registry generation this topic's validation must have seen (controller/schema-changes.ts; absent: 0):
   *  a router re-reads what it cached from the registry before that generation. */
  schemaGeneration?: number;
  /** Per partition, when replicationFactor > 1 (absent: replica 0 leads at epoch 0 with ISR [0]). */
  leadership?: PartitionLeadership[];
}

/** Who leads a partition, in which leader epoch, and which replicas are in sync (the controller's record). */
export interface PartitionLeadership {
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

/** A replica's id and what it knows of its partition's leadership. */
export interface ReplicaRole {
  replicaId: number;
  replicationFactor: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
  /** The topic's location hints (follower i's object is created with placement[i % length]). */
  placement: string[];
}

/** Which partition replica a request is for, and the metadata version and leader epoch the caller routed it with. */
export interface PartitionRef {
  topic: string;
  topicId: string;
  partition: number;
  version: number;
  /** The replica addressed (0 .. replicationFactor - 1); the router addresses the leader. */
  replica: number;
  /** The leader epoch the caller believes current (Kafka's CurrentLeaderEpoch): older -> FENCED_LEADER_EPOCH. */
  leaderEpoch: number;
  /** The replica's location hint (honoured when the object is first created). */
  locationHint?: string;
}

export interface AppendRequest {
  /** 1 (default): answer after the leader's write; -1: after every in-sync replica has it; 0: nobody waits. */
  acks?: 0 | 1 | -1;
  encoding: Encoding;
  /** CreateTime per record (ms). Replaced by the append time when the topic uses LogAppendTime. */
  timestamps: Float64Array;
  /** Each record's stored JSON after its offset and timestamp (see log/record.ts), packed as UTF-8 (log/batch.ts). */
  tails: PackedTails;
  /** Some record has a null key: refused on compacted topics. */
  hasNullKey: boolean;
  /** Set for an idempotent producer's batch: deduplicated and sequence-checked (kafka-semantics §3.2). */
  producer?: ProducerIdentity;
  /** Set (with producer) for a transactional batch: the partition joins the transaction, verified with its coordinator. */
  transactionalId?: string;
}

export interface AppendResult {
  baseOffset: number;
  /** The broker time stamped on every record under LogAppendTime, else -1 (Kafka's ProduceResponse field). */
  logAppendTimeMs: number;
  /** The batch repeated one already appended by the same producer: nothing was written; these are the original offsets. */
  duplicate: boolean;
  /** For a duplicate: the stored records' timestamps, so the answer repeats the original one exactly. */
  timestamps?: number[];
}

export interface ReadRequest {
  /** Defaults to logStartOffset. */
  offset?: number;
  maxRecords: number;
  maxBytes: number;
  maxWaitMs: number;
  encoding: Encoding;
  /** read_uncommitted (the default, as Kafka's): up to the high watermark. read_committed: below the last stable
   *  offset, without aborted transactions' records. Control records are never returned. */
  isolation?: IsolationLevel;
  /** "binary": the answer's body is log/record-frame.ts's layout instead of JSON (plain fetches only: SSE and
   *  WebSocket tails send JSON). */
  format?: "binary";
}

export type IsolationLevel = "read_uncommitted" | "read_committed";

export interface ReadResult {
  /** The whole fetch response as UTF-8 JSON: {records, nextOffset, highWatermark, logStartOffset}; or with the
   *  request's format "binary", the record frame (log/record-frame.ts). */
  body: Uint8Array;
  recordCount: number;
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
  /** With read_committed: the last stable offset the read stopped at. */
  lastStableOffset?: number;
}

export type OffsetSpec = "earliest" | "latest" | { timestamp: number };

export interface ListedOffset {
  offset: number;
  timestamp: number;
}

export interface PartitionDescription {
  /** This replica's traffic counters since it started (only when describe is asked for them: GET /metrics). */
  counters?: PartitionCounts;
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  /** The leader's knowledge of each follower's log end offset (-1: not yet known); absent with one replica. */
  replicaLogEndOffsets?: Record<string, number>;
  logStartOffset: number;
  highWatermark: number;
  /** The first offset of the oldest open transaction, else the high watermark (read_committed reads below it). */
  lastStableOffset: number;
  /** Transactions open on this partition. */
  openTransactions: number;
  logEndOffset: number;
  /** Bytes of the whole log, local and tiered. */
  bytes: number;
  /** Local batch rows. */
  batches: number;
  localBytes: number;
  tieredBytes: number;
  /** Bytes the tiered segments take in R2 (compressed). */
  tieredStoredBytes: number;
  /** Local segments, the active one included. */
  localSegments: number;
  /** The partition object's whole SQLite database on disk (bounded by tiering; the platform's limit is 10 GB). */
  databaseBytes: number;
  tieredSegments: number;
  /** Long-polls and SSE tails parked on this partition, plus its WebSocket tails: readers waiting for its next append
   *  (outside its billed time). */
  waitingReaders: number;
}

/** A transaction marker as partitions and group coordinators receive it: the ending transaction's identity. */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  commit: boolean;
}

/** A batch as the leader ships it to a follower: the stored row, byte for byte. */
export interface ReplicatedBatch {
  baseOffset: number;
  lastOffset: number;
  recordCount: number;
  maxTimestamp: number;
  appendTimeMs: number;
  encoding: Encoding;
  records: Uint8Array;
  positions: Uint32Array;
  /** After compaction: each kept record's offset - baseOffset. */
  offsets?: Uint32Array;
  /** Set on the last row of an idempotent producer's append, so followers keep the same producer state. */
  producer?: ReplicatedProducerBatch;
}

export interface ReplicatedProducerBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** The append's first offset (an append may span several rows). */
  baseOffset: number;
  logAppendTimeMs: number;
  /** A transactional append (its transaction opens or goes on here). */
  transactional?: boolean;
  /** A transaction marker (an empty control row): the transaction of (producerId, producerEpoch) ends. */
  control?: "commit" | "abort";
}


/** Leader -> follower: Kafka's replica fetch turned into a push. */
export interface ReplicateRequest {
  ref: PartitionRef;
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  logStartOffset: number;
  /** Set when the leader found where the follower's log diverges: remove everything from this offset on first. With
   *  `reset`, the follower's log is emptied and restarts at this offset (it was behind the leader's log start). */
  truncateTo?: number;
  reset?: boolean;
  /** Contiguous batches starting at the follower's log end (after any truncation). Empty: a probe or heartbeat. */
  batches: ReplicatedBatch[];
  /** The leader's epoch entries covering the batches (the follower's cache follows the leader's). */
  epochs: EpochEntry[];
}

export interface ReplicateResponse {
  logStartOffset: number;
  logEndOffset: number;
  /** The follower's epoch cache, so the leader can find a divergence (only when the request asked with no batches). */
  epochs: EpochEntry[];
}

/** What the controller's election probe learns from a replica. */
export interface ReplicaStatus {
  logEndOffset: number;
  leaderEpoch: number;
}
