// The partition's log in its SQLite storage: appends batches, serves reads by offset and time, and keeps the
// offsets' invariant: logStartOffset <= highWatermark <= logEndOffset, batches contiguous and increasing.
// Without replicas every append is committed at once, so the high watermark equals the log end offset.
import { assert } from "../errors";
import { buildBatch, ENCODING_BY_CODE, ENCODING_CODE, joinJson, MAX_STAMP_BYTES, parseRecords, recordRange, transcodeRecords, type PackedTails } from "../log/batch";
import type { ProducerEntry } from "../log/producer-state";
import type { Encoding } from "../log/record";
import type { TopicConfig } from "../log/topic-config";
import { TARGET_BATCH_ROW_BYTES } from "../limits";
import { PARTITION_SCHEMA, PARTITION_SCHEMA_VERSION } from "./schema";

export interface LogState {
  topic: string;
  topicId: string;
  partition: number;
  metadataVersion: number;
  config: TopicConfig;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  sizeBytes: number;
  batchCount: number;
  maxTimestampSoFar: number;
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
}

interface BatchRow extends Record<string, SqlStorageValue> {
  last_offset: number;
  base_offset: number;
  encoding: number;
  records: ArrayBuffer;
  positions: ArrayBuffer;
}

export interface ReadSlice {
  pieces: Uint8Array[];
  recordCount: number;
  nextOffset: number;
}

export class LocalLog {
  private state: LogState | undefined;
  /** Whether this object's tables exist; made by the first write, so reads of an unused partition store nothing. */
  private persisted = false;
  /** Whether partition_state has its row (appends then update it narrowly). */
  private stateRowWritten = false;

  constructor(private readonly sql: SqlStorage) {
    // Tables are made on first adopt(), not here: describing or reading a partition never written (or one whose
    // topic was deleted) must not leave storage behind.
    const exists = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'partition_state'").toArray().length > 0;
    if (!exists) return;
    this.persisted = true;
    const row = sql.exec<StateRow>("SELECT * FROM partition_state WHERE id = 0").toArray()[0];
    if (row !== undefined) {
      this.state = fromRow(row);
      this.stateRowWritten = true;
    }
  }

  /** Undefined until the partition has learned its topic from the controller. */
  get current(): LogState | undefined {
    return this.state;
  }

  /** Records the topic metadata (first use, or a newer version). Offsets are untouched. */
  adopt(meta: { topic: string; topicId: string; partition: number; version: number; config: TopicConfig }): LogState {
    const prev = this.state;
    const next: LogState = prev
      ? { ...prev, metadataVersion: meta.version, config: meta.config }
      : {
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
        };
    if (this.persisted) this.writeState(next);
    else this.state = next; // written with the first append
    return next;
  }

  /**
   * Appends records as one or more batch rows (split near TARGET_BATCH_ROW_BYTES) in one implicit transaction:
   * no await between the writes, so they commit together and the output gate holds the ack until durable.
   */
  append(encoding: Encoding, timestamps: ArrayLike<number>, tails: PackedTails, appendTimeMs: number): number {
    const state = this.state;
    assert(state !== undefined, "append before the partition knows its topic");
    const count = tails.ends.length;
    assert(count > 0 && count === timestamps.length, "append needs one timestamp per record");
    this.ensureTables();
    const baseOffset = state.logEndOffset;
    let offset = baseOffset;
    let maxSoFar = state.maxTimestampSoFar;
    let sizeBytes = state.sizeBytes;
    let batchCount = state.batchCount;
    let from = 0;
    while (from < count) {
      // Choose the run of records for this row: at least one, then as many as fit the target row size
      // (a tail's bytes plus what stamping adds).
      let to = from + 1;
      const rowStart = from === 0 ? 0 : tails.ends[from - 1]!;
      while (to < count && tails.ends[to]! - rowStart + (to + 1 - from) * MAX_STAMP_BYTES <= TARGET_BATCH_ROW_BYTES) to++;
      const batch = buildBatch(offset, timestamps, tails, from, to);
      if (batch.maxTimestamp > maxSoFar) maxSoFar = batch.maxTimestamp;
      const lastOffset = offset + (to - from) - 1;
      this.sql.exec(
        `INSERT INTO batches (last_offset, base_offset, record_count, max_timestamp, max_timestamp_so_far, append_time, encoding, size_bytes, records, positions)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        lastOffset, offset, to - from, batch.maxTimestamp, maxSoFar, appendTimeMs, ENCODING_CODE[encoding], batch.bytes.length,
        batch.bytes, new Uint8Array(batch.positions.buffer),
      );
      sizeBytes += batch.bytes.length;
      batchCount++;
      offset = lastOffset + 1;
      from = to;
    }
    const next = { ...state, logEndOffset: offset, highWatermark: offset, sizeBytes, batchCount, maxTimestampSoFar: maxSoFar };
    assert(next.logStartOffset <= next.highWatermark && next.highWatermark <= next.logEndOffset, "offsets out of order after append");
    assert(next.logEndOffset === baseOffset + count, "offsets not contiguous after append");
    if (!this.stateRowWritten) {
      // The first append of a partition writes its whole state row (adopt() kept it in memory until now).
      this.writeState(next);
      return baseOffset;
    }
    // Only the offsets and totals change on append: a narrow UPDATE, not the whole row with its config JSON.
    const updated = this.sql.exec(
      "UPDATE partition_state SET log_end_offset = ?, high_watermark = ?, size_bytes = ?, batch_count = ?, max_timestamp_so_far = ? WHERE id = 0",
      next.logEndOffset, next.highWatermark, next.sizeBytes, next.batchCount, next.maxTimestampSoFar,
    );
    assert(updated.rowsWritten === 1, "partition_state row missing at append");
    this.state = next;
    return baseOffset;
  }

  /**
   * Reads committed records from `offset` (logStartOffset <= offset <= highWatermark, checked by the caller):
   * at most maxRecords, and at most maxBytes of record JSON unless the first record alone is larger (like Kafka,
   * so one big record cannot stall a consumer). The cursor is consumed before any await.
   */
  read(offset: number, maxRecords: number, maxBytes: number, encoding: Encoding): ReadSlice {
    const state = this.state!;
    const end = state.highWatermark;
    const pieces: Uint8Array[] = [];
    let recordCount = 0;
    let bytes = 0;
    let nextOffset = offset;
    if (offset >= end) return { pieces, recordCount, nextOffset };
    const cursor = this.sql.exec<BatchRow>(
      "SELECT last_offset, base_offset, encoding, records, positions FROM batches WHERE last_offset >= ? ORDER BY last_offset LIMIT ?",
      offset, maxRecords,
    );
    for (const row of cursor) {
      if (row.base_offset >= end) break;
      const records = new Uint8Array(row.records);
      const positions = new Uint32Array(row.positions);
      const first = Math.max(0, nextOffset - row.base_offset);
      let last = Math.min(positions.length - 1, end - 1 - row.base_offset, first + (maxRecords - recordCount) - 1);
      // Trim the tail to the byte budget; always keep one record if nothing was taken yet.
      let [start, stop] = recordRange(positions, records.length, first, last);
      while (last > first && bytes + (stop - start) > maxBytes) {
        last--;
        stop = positions[last + 1]! - 1;
      }
      if (recordCount > 0 && bytes + (stop - start) > maxBytes) break;
      const slice = records.subarray(start, stop);
      pieces.push(transcodeRecords(slice, ENCODING_BY_CODE[row.encoding]!, encoding));
      bytes += stop - start;
      recordCount += last - first + 1;
      nextOffset = row.base_offset + last + 1;
      if (recordCount >= maxRecords || bytes >= maxBytes || last < positions.length - 1) break;
    }
    return { pieces, recordCount, nextOffset };
  }

  /** An idempotent producer's state in this partition, if any. */
  producerEntry(producerId: number): ProducerEntry | undefined {
    if (!this.persisted) return undefined;
    const row = this.sql.exec<{ data: string }>("SELECT data FROM producer_state WHERE producer_id = ?", producerId).toArray()[0];
    return row ? (JSON.parse(row.data) as ProducerEntry) : undefined;
  }

  /** Written in the same turn as the append it describes, so both commit together. */
  saveProducerEntry(producerId: number, entry: ProducerEntry): void {
    this.sql.exec("INSERT OR REPLACE INTO producer_state (producer_id, data) VALUES (?, ?)", producerId, JSON.stringify(entry));
  }

  /** CreateTime or LogAppendTime of records [first, last], read back (a duplicate produce answers with these). */
  timestampsOf(first: number, last: number): number[] {
    const out: number[] = [];
    const rows = this.sql.exec<BatchRow>("SELECT last_offset, base_offset, encoding, records, positions FROM batches WHERE last_offset >= ? AND base_offset <= ? ORDER BY last_offset", first, last).toArray();
    for (const row of rows) {
      for (const r of parseRecords(new Uint8Array(row.records))) if (r.offset >= first && r.offset <= last) out.push(r.timestamp);
    }
    return out;
  }

  /** The fetch response body: the contract's {records, nextOffset, highWatermark, logStartOffset}. */
  responseBody(slice: ReadSlice): Uint8Array {
    const state = this.state!;
    return joinJson('{"records":[', slice.pieces, `],"nextOffset":${slice.nextOffset},"highWatermark":${state.highWatermark},"logStartOffset":${state.logStartOffset}}`);
  }

  /**
   * Kafka's ListOffsets by time: the first offset (in offset order, at or above logStartOffset, below the high
   * watermark) whose timestamp >= T, or undefined. Binary search over batches by their running maximum timestamp,
   * then a scan of the one batch found.
   */
  offsetForTimestamp(timestampMs: number): { offset: number; timestamp: number } | undefined {
    const state = this.state!;
    const probe = (offset: number) =>
      this.sql
        .exec<{ last_offset: number; max_timestamp_so_far: number }>(
          "SELECT last_offset, max_timestamp_so_far FROM batches WHERE last_offset >= ? ORDER BY last_offset LIMIT 1",
          offset,
        )
        .toArray()[0];
    let lo = state.logStartOffset;
    let hi = state.highWatermark - 1;
    if (hi < lo) return undefined;
    const lastBatch = probe(hi);
    if (lastBatch === undefined || lastBatch.max_timestamp_so_far < timestampMs) return undefined;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const row = probe(mid)!;
      if (row.max_timestamp_so_far >= timestampMs) hi = Math.min(mid, row.last_offset);
      else lo = row.last_offset + 1;
    }
    const row = this.sql.exec<BatchRow>("SELECT last_offset, base_offset, encoding, records, positions FROM batches WHERE last_offset >= ? ORDER BY last_offset LIMIT 1", lo).toArray()[0]!;
    for (const record of parseRecords(new Uint8Array(row.records))) {
      if (record.offset >= state.logStartOffset && record.offset < state.highWatermark && record.timestamp >= timestampMs) {
        return { offset: record.offset, timestamp: record.timestamp };
      }
    }
    return undefined;
  }

  private ensureTables(): void {
    if (this.persisted) return;
    this.sql.exec(PARTITION_SCHEMA);
    this.sql.exec("INSERT INTO schema_version (version) VALUES (?)", PARTITION_SCHEMA_VERSION);
    this.persisted = true;
  }

  private writeState(s: LogState): void {
    this.ensureTables();
    this.sql.exec(
      `INSERT OR REPLACE INTO partition_state (id, topic, topic_id, partition, metadata_version, config, log_start_offset, log_end_offset, high_watermark, size_bytes, batch_count, max_timestamp_so_far)
       VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.topic, s.topicId, s.partition, s.metadataVersion, JSON.stringify(s.config), s.logStartOffset, s.logEndOffset, s.highWatermark, s.sizeBytes, s.batchCount, s.maxTimestampSoFar,
    );
    this.stateRowWritten = true;
    this.state = s;
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
  };
}
