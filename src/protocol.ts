// Plain data that crosses Durable Object RPC between the router and the objects. Types only: a leaf.
import type { PackedTails } from "./log/batch";
import type { Encoding } from "./log/record";
import type { TopicConfig } from "./log/topic-config";
import type { ProducerIdentity } from "./log/producer-state";

/** A topic as the controller knows it. `version` bumps on every change a partition must see (config, partition count). */
export interface TopicMetadata {
  name: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  config: TopicConfig;
  version: number;
  createdMs: number;
}

/** Which partition a request is for, and the metadata version the caller routed it with. */
export interface PartitionRef {
  topic: string;
  topicId: string;
  partition: number;
  version: number;
}

export interface AppendRequest {
  encoding: Encoding;
  /** CreateTime per record (ms). Replaced by the append time when the topic uses LogAppendTime. */
  timestamps: Float64Array;
  /** Each record's stored JSON after its offset and timestamp (see log/record.ts), packed as UTF-8 (log/batch.ts). */
  tails: PackedTails;
  /** Some record has a null key: refused on compacted topics. */
  hasNullKey: boolean;
  /** Set for an idempotent producer's batch: deduplicated and sequence-checked (kafka-semantics §3.2). */
  producer?: ProducerIdentity;
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
}

export interface ReadResult {
  /** The whole fetch response as UTF-8 JSON: {records, nextOffset, highWatermark, logStartOffset}. */
  body: Uint8Array;
  recordCount: number;
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

export type OffsetSpec = "earliest" | "latest" | { timestamp: number };

export interface ListedOffset {
  offset: number;
  timestamp: number;
}

export interface PartitionDescription {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  highWatermark: number;
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
}
