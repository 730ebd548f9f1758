// The HTTP API's bodies as the client sees them (docs/api.md), declared here because the client may import only
// the pure leaves (DESIGN §4), never the server's service or object modules. Types only; the record shapes the
// leaves already define (records, headers, encodings, lag) are theirs, re-exported for the package's users.
import type { ErrorBody } from "../errors";
import type { FetchedRecord } from "../log/batch";
import type { DescribedGroup, GroupSummary as GroupSummaryShape, MemberDescription } from "../log/group-description";
import type { GroupOffsets, PartitionLag, TopicLag } from "../log/group-lag";
import type { Encoding, Header, ProducedRecord } from "../log/record";
import type { AcknowledgeType, AcquiredRecord, ShareGroupConfig, SharePartitionStatus } from "../share-protocol";

/** 1 and "all" (-1) wait for the durable write; 0 answers once the request is validated (no offsets, no errors). */
export type Acks = 0 | 1 | -1 | "all";

export interface TopicSummary {
  name: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  /** Every topic config as a string, defaults included. */
  config: Record<string, string>;
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  logStartOffset: number;
  highWatermark: number;
  logEndOffset: number;
  /** The first offset of the oldest open transaction, else the high watermark. */
  lastStableOffset?: number;
  openTransactions?: number;
  /** Bytes of the whole log, local and tiered. */
  bytes: number;
  /** Local batch rows. */
  batches: number;
  localBytes: number;
  tieredBytes: number;
  /** Local segments, the active one included. */
  localSegments: number;
  tieredSegments: number;
}

export interface TopicDescription extends TopicSummary {
  /** Every config's default: the values of `config` that differ from it were set (absent from servers before it existed). */
  configDefaults?: Record<string, string>;
  partitions: PartitionInfo[];
}

export interface CreateTopicRequest {
  name: string;
  partitions?: number;
  replicationFactor?: number;
  config?: Record<string, string | number | boolean>;
}

/** A config value, or null to reset it to its default. */
export type ConfigChanges = Record<string, string | number | boolean | null>;

/** A record on the wire: keys, values and header values in the request's encoding. */
export type WireRecord = ProducedRecord;

export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

/** A transactional produce's identity: the producer's and its transaction's (sequences restart at 0 per transaction). */
export interface TransactionIdentity extends ProducerIdentity {
  transactionalId: string;
}

export interface ProduceRequest {
  records: WireRecord[];
  acks?: Acks;
  encoding?: Encoding;
  producer?: ProducerIdentity;
  transaction?: TransactionIdentity;
}

export type ProduceResult = { partition: number; offset: number; timestamp: number } | { partition: number; error: ErrorBody };

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

/** Kafka's isolation.level: read_committed reads below the last stable offset and never an aborted record. */
export type IsolationLevel = "read_uncommitted" | "read_committed";

export interface FetchParams {
  offset?: number;
  maxRecords?: number;
  maxBytes?: number;
  maxWaitMs?: number;
  encoding?: Encoding;
  /** Default "read_uncommitted", as Kafka. */
  isolation?: IsolationLevel;
}

export interface FetchResponse {
  records: FetchedRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
  /** The first offset of the partition's oldest open transaction, else the high watermark. */
  lastStableOffset?: number;
}

/** ListOffsets: "earliest", "latest", or a timestamp in ms (the first offset whose timestamp is at least it). */
export type OffsetSpec = "earliest" | "latest" | number;

export interface ListedOffset {
  offset: number;
  timestamp: number;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface HeartbeatRequest {
  memberId?: string;
  memberEpoch: number;
  subscribedTopics?: string[];
  ownedPartitions?: TopicPartitions[];
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  assignor?: "uniform" | "range";
}

export interface HeartbeatResponse {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicPartitions[];
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: number;
  metadata?: string;
}

export interface CommitRequest {
  memberId?: string;
  memberEpoch?: number;
  offsets: OffsetCommit[];
}

export type ResetTo = "earliest" | "latest" | { timestamp: number } | { offset: number };

export interface ResetOffsetsRequest {
  topic: string;
  to: ResetTo;
  partitions?: number[];
}

export interface ResetOffsetsResult {
  topic: string;
  partitions: { partition: number; offset: number }[];
}

/** sendOffsetsToTransaction: the group's offsets commit with the transaction, fenced by the member's id and epoch. */
export interface TransactionOffsetsRequest extends ProducerIdAndEpoch {
  groupId: string;
  memberId?: string;
  memberEpoch?: number;
  offsets: OffsetCommit[];
}

/** Kafka's transaction states (the coordinator's). */
export type TransactionState = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort";

/** Commit or abort's answer: the identity for the next transaction (the epoch is bumped after each) and the state reached. */
export interface EndedTransaction extends ProducerIdAndEpoch {
  state: TransactionState;
}

export interface TransactionDescription {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: TransactionState;
  timeoutMs: number;
  startedMs: number;
  lastUpdateMs: number;
  partitions: { topic: string; partition: number }[];
  groups: string[];
  pendingMarkers: number;
}

// The group shapes are the server's own (log/group-description.ts): one definition for both sides.
export type GroupSummary = GroupSummaryShape;
export type GroupMember = MemberDescription;
export type GroupDescription = DescribedGroup;

export type { Encoding, FetchedRecord, GroupOffsets, Header, PartitionLag, TopicLag };

// Share groups (KIP-932 queue mode, docs/share-groups.md). What a share group is and what a poll acquires are
// src/share-protocol.ts's (a leaf); here are the requests and answers of the routes.

/** PUT (fields left out take their defaults) and PATCH (fields left out keep their values; deadLetterTopic: null removes it). */
export type ShareGroupConfigRequest = Partial<ShareGroupConfig>;

/** GET /v1/share-groups/{group}: the config and every share-partition polled so far. */
export interface ShareGroupDescription {
  groupId: string;
  config: ShareGroupConfig;
  createdMs: number;
  /** Members that joined by heartbeat (membership is optional: empty when every poller polls by topic). */
  members: ShareMemberDescription[];
  partitions: SharePartitionStatus[];
  totalLag: number;
}

export interface ShareMemberDescription {
  memberId: string;
  memberEpoch: number;
  subscribedTopicNames: string[];
  assignment: { topicPartitions: { topic: string; partitions: number[] }[] };
  joinedMs: number;
  lastHeartbeatMs: number;
}

/** One acknowledgement: a lease from a poll and what to do with its record. */
export interface ShareAcknowledgement {
  leaseId: string;
  type: AcknowledgeType;
  /** release only: the record becomes available again this much later (0 to 43200000). */
  delayMs?: number;
  /** reject only: written to the dead letter's __dlq.errors.message header (at most 1000 characters). */
  reason?: string;
}

/** One acknowledgement's result, in request order; `lockExpiresAt` answers a renew. */
export type ShareAcknowledgementResult = { leaseId: string; ok: true; lockExpiresAt?: number } | { leaseId: string; error: ErrorBody };

/** KIP-932's ShareGroupHeartbeat: memberEpoch 0 joins (with subscribedTopicNames), -1 leaves. */
export interface ShareHeartbeatRequest {
  memberId?: string;
  memberEpoch: number;
  subscribedTopicNames?: string[];
}

export interface ShareHeartbeatResponse {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: { topic: string; partitions: number[] }[] };
}

export interface SharePollRequest {
  /** Every partition of these; with memberId, narrows the member's assignment (may be empty). */
  topics: string[];
  /** A member's poll asks only the share-partitions assigned to it. */
  memberId?: string;
  memberEpoch?: number;
  /** Strict: never more records than this (1 to 10000, default 500). */
  maxRecords?: number;
  /** With nothing to acquire, wait this long for an append or a lease's end (0 to 30000, default 0). */
  maxWaitMs?: number;
  encoding?: Encoding;
  /** Applied before acquiring (Kafka's ShareFetch carries them too). */
  acknowledgements?: ShareAcknowledgement[];
}

export interface SharePollResponse {
  records: AcquiredRecord[];
  /** One result per acknowledgement the poll carried (absent when it carried none). */
  acknowledgements?: ShareAcknowledgementResult[];
}

export interface ShareResetRequest {
  topic: string;
  to: ResetTo;
}

export type { AcknowledgeType, AcquiredRecord, ShareGroupConfig, SharePartitionStatus };
