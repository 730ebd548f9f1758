// The partition's state row: topic binding, offsets, sizes, the active segment and this replica's role. It is written
// whole by every change but an append (appends are recovered from the batches after the row's log end when the object
// starts, see LocalLog). Invariants: logStartOffset <= highWatermark <= logEndOffset; the active segment starts at or
// before the log end. Versions live in a table because Durable Objects do not support PRAGMA user_version.
import { assert } from "../errors";
import type { ActiveSegment } from "../log/segment-plan";
import type { TopicConfig } from "../log/topic-config";
import type { ReplicaRole } from "../protocol";
import { upgradeSchema } from "../schema-version";
import { PARTITION_MIGRATIONS, PARTITION_SCHEMA, PARTITION_SCHEMA_VERSION } from "./schema";

const SCHEMA = { version: PARTITION_SCHEMA_VERSION, ddl: PARTITION_SCHEMA, migrations: PARTITION_MIGRATIONS };

export type { ReplicaRole };

export const SOLE_REPLICA: ReplicaRole = { replicaId: 0, replicationFactor: 1, leader: 0, leaderEpoch: 0, isr: [0], placement: [] };

export interface LogState {
  topic: string;
  topicId: string;
  partition: number;
  metadataVersion: number;
  config: TopicConfig;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  /** Bytes of the whole log, local and tiered (retention.bytes counts this). */
  sizeBytes: number;
  /** Local batch rows. */
  batchCount: number;
  maxTimestampSoFar: number;
  active: ActiveSegment;
  replication: ReplicaRole;
}

interface StateRow extends Record<string, SqlStorageValue> {
  topic: string;
  topic_id: string;
  partition: number;
  metadata_version: number;
  config: string;
  log_start_offset: number;
  log_end_offset: number;
  high_watermark: number;
  size_bytes: number;
  batch_count: number;
  max_timestamp_so_far: number;
  active_base_offset: number;
  active_bytes: number;
  active_batches: number;
  active_max_timestamp: number;
  active_created_ms: number;
  replication: string | null;
}

/** The topic binding a partition adopts (first use, or a newer metadata version). */
export interface AdoptedMeta {
  topic: string;
  topicId: string;
  partition: number;
  version: number;
  config: TopicConfig;
  replication: ReplicaRole;
}

/** The state of a partition that has learned its topic and holds nothing yet. */
export function emptyState(meta: AdoptedMeta, nowMs: number): LogState {
  return {
    topic: meta.topic,
    topicId: meta.topicId,
    partition: meta.partition,
    metadataVersion: meta.version,
    config: meta.config,
    logStartOffset: 0,
    logEndOffset: 0,
    highWatermark: 0,
    sizeBytes: 0,
    batchCount: 0,
    maxTimestampSoFar: -1,
    active: { baseOffset: 0, bytes: 0, batches: 0, maxTimestamp: -1, createdMs: nowMs },
    replication: meta.replication,
  };
}

export function checkInvariants(s: LogState): void {
  assert(s.logStartOffset <= s.highWatermark && s.highWatermark <= s.logEndOffset, "offsets out of order");
  assert(s.active.baseOffset <= s.logEndOffset, "active segment starts past the log end");
}

/**
 * The state row as of its last write, brought up to date with the batches appended since (appends do not rewrite it),
 * the way Kafka recovers its log end from the log. They all lie in the active segment, which rolls at most
 * MAX_SEGMENT_BYTES: a bounded scan of row headers.
 */
export function recoverAppends(
  s: LogState,
  rows: readonly { last_offset: number; base_offset: number; size_bytes: number; max_timestamp: number; max_timestamp_so_far: number }[],
): LogState {
  if (rows.length === 0) return s;
  const active = { ...s.active };
  let next = s;
  for (const r of rows) {
    assert(r.base_offset === next.logEndOffset, "batches after the recorded log end are not contiguous");
    active.bytes += r.size_bytes;
    active.batches++;
    if (r.max_timestamp > active.maxTimestamp) active.maxTimestamp = r.max_timestamp;
    next = {
      ...next,
      logEndOffset: r.last_offset + 1,
      // With replicas, a recovered batch is committed only once followers confirm it again.
      highWatermark: next.replication.replicationFactor === 1 ? r.last_offset + 1 : next.highWatermark,
      sizeBytes: next.sizeBytes + r.size_bytes,
      batchCount: next.batchCount + 1,
      maxTimestampSoFar: Math.max(next.maxTimestampSoFar, r.max_timestamp_so_far),
    };
  }
  next = { ...next, active };
  checkInvariants(next);
  return next;
}

/**
 * The partition's tables, made on the first write rather than at start: describing or reading a partition never
 * written (or one whose topic was deleted) must leave no storage behind. Every store asks `exist` before reading.
 */
export class PartitionTables {
  exist: boolean;

  constructor(private readonly sql: SqlStorage) {
    this.exist = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'partition_state'").toArray().length > 0;
    if (this.exist) upgradeSchema(sql, SCHEMA);
  }

  ensure(): void {
    if (this.exist) return;
    upgradeSchema(this.sql, SCHEMA);
    this.exist = true;
  }


  /** The state row as last written, if any. */
  readState(): LogState | undefined {
    if (!this.exist) return undefined;
    const row = this.sql.exec<StateRow>("SELECT * FROM partition_state WHERE id = 0").toArray()[0];
    return row === undefined ? undefined : fromRow(row);
  }

  writeState(s: LogState): void {
    this.ensure();
    this.sql.exec(
      `INSERT OR REPLACE INTO partition_state (id, topic, topic_id, partition, metadata_version, config, log_start_offset, log_end_offset, high_watermark,
         size_bytes, batch_count, max_timestamp_so_far, active_base_offset, active_bytes, active_batches, active_max_timestamp, active_created_ms, replication)
       VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.topic, s.topicId, s.partition, s.metadataVersion, JSON.stringify(s.config), s.logStartOffset, s.logEndOffset, s.highWatermark, s.sizeBytes, s.batchCount,
      s.maxTimestampSoFar, s.active.baseOffset, s.active.bytes, s.active.batches, s.active.maxTimestamp, s.active.createdMs, JSON.stringify(s.replication),
    );
  }
}

function fromRow(row: StateRow): LogState {
  return {
    topic: row.topic,
    topicId: row.topic_id,
    partition: row.partition,
    metadataVersion: row.metadata_version,
    config: JSON.parse(row.config) as TopicConfig,
    logStartOffset: row.log_start_offset,
    logEndOffset: row.log_end_offset,
    highWatermark: row.high_watermark,
    sizeBytes: row.size_bytes,
    batchCount: row.batch_count,
    maxTimestampSoFar: row.max_timestamp_so_far,
    active: {
      baseOffset: row.active_base_offset,
      bytes: row.active_bytes,
      batches: row.active_batches,
      maxTimestamp: row.active_max_timestamp,
      createdMs: row.active_created_ms,
    },
    replication: row.replication === null ? SOLE_REPLICA : (JSON.parse(row.replication) as ReplicaRole),
  };
}
