// The batches table: one row per record batch, keyed by its last offset, so "the first batch holding offset >= X" is a
// primary-key seek whatever the log's length. A row holds its records exactly as a fetch serves them (log/batch.ts).
// This file is the only one that writes SQL over batches; LocalLog decides what to write and keeps the state in step.
import { ENCODING_BY_CODE, ENCODING_CODE, parseRecords } from "../log/batch";
import type { ReadAccumulator, ReadBatch } from "../log/batch-reader";
import type { CompactedBatch, StoredBatch } from "../log/compaction";
import type { Encoding } from "../log/record";
import type { ReplicatedBatch, ReplicatedProducerBatch } from "../protocol";
import type { PartitionTables } from "./log-state";

interface BatchRow extends Record<string, SqlStorageValue> {
  last_offset: number;
  base_offset: number;
  encoding: number;
  append_time: number;
  size_bytes: number;
  records: ArrayBuffer;
  positions: ArrayBuffer;
  offsets: ArrayBuffer | null;
}

interface ReplicaBatchRow extends BatchRow {
  record_count: number;
  max_timestamp: number;
  producer: string | null;
}

const BATCH_COLUMNS = "last_offset, base_offset, encoding, append_time, size_bytes, records, positions, offsets";

export type LocalBatch = ReadBatch & StoredBatch & { sizeBytes: number };

/** A row to insert: what append and appendReplicated write. */
export interface NewBatchRow {
  baseOffset: number;
  lastOffset: number;
  recordCount: number;
  maxTimestamp: number;
  maxTimestampSoFar: number;
  appendTimeMs: number;
  encoding: Encoding;
  records: Uint8Array;
  positions: Uint32Array;
  offsets?: Uint32Array;
  producer?: ReplicatedProducerBatch;
}

export interface RemovedBatches {
  count: number;
  bytes: number;
}

function toReadBatch(row: BatchRow): LocalBatch {
  return {
    baseOffset: row.base_offset,
    lastOffset: row.last_offset,
    encoding: ENCODING_BY_CODE[row.encoding]!,
    appendTimeMs: row.append_time,
    records: new Uint8Array(row.records),
    positions: new Uint32Array(row.positions),
    offsets: row.offsets === null ? undefined : new Uint32Array(row.offsets),
    sizeBytes: row.size_bytes,
  };
}

const bytesOf = (a: Uint32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export class BatchStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly tables: PartitionTables,
  ) {}

  insert(b: NewBatchRow): void {
    this.sql.exec(
      `INSERT INTO batches (last_offset, base_offset, record_count, max_timestamp, max_timestamp_so_far, append_time, encoding, size_bytes, records, positions, offsets, producer)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      b.lastOffset, b.baseOffset, b.recordCount, b.maxTimestamp, b.maxTimestampSoFar, b.appendTimeMs, ENCODING_CODE[b.encoding], b.records.length, b.records,
      bytesOf(b.positions), b.offsets === undefined ? null : bytesOf(b.offsets), b.producer === undefined ? null : JSON.stringify(b.producer),
    );
  }

  /** Headers of the batches from `offset` on, oldest first (recovering appends the state row does not record). */
  headersFrom(offset: number) {
    if (!this.tables.exist) return [];
    return this.sql
      .exec<{ last_offset: number; base_offset: number; size_bytes: number; max_timestamp: number; max_timestamp_so_far: number }>(
        "SELECT last_offset, base_offset, size_bytes, max_timestamp, max_timestamp_so_far FROM batches WHERE last_offset >= ? ORDER BY last_offset",
        offset,
      )
      .toArray();
  }

  /** Reads batches from acc.nextOffset on into `acc`. The cursor is consumed before any await. */
  readInto(acc: ReadAccumulator, maxRecords: number): void {
    if (acc.done || !this.tables.exist) return;
    const cursor = this.sql.exec<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM batches WHERE last_offset >= ? ORDER BY last_offset LIMIT ?`, acc.nextOffset, maxRecords);
    for (const row of cursor) {
      acc.add(toReadBatch(row));
      if (acc.done) break;
    }
  }

  /** The batches holding offsets [from, to], in order. */
  inRange(from: number, to: number): LocalBatch[] {
    if (!this.tables.exist) return [];
    return this.sql.exec<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM batches WHERE last_offset >= ? AND base_offset <= ? ORDER BY last_offset`, from, to).toArray().map(toReadBatch);
  }

  /** Batches from `offset` on, as a follower stores them, up to about maxBytes (at least one). */
  replicationBatches(offset: number, maxBytes: number): ReplicatedBatch[] {
    if (!this.tables.exist) return [];
    const out: ReplicatedBatch[] = [];
    let bytes = 0;
    const cursor = this.sql.exec<ReplicaBatchRow>(`SELECT ${BATCH_COLUMNS}, record_count, max_timestamp, producer FROM batches WHERE last_offset >= ? ORDER BY last_offset`, offset);
    for (const row of cursor) {
      if (out.length > 0 && bytes + row.size_bytes > maxBytes) break;
      const b = toReadBatch(row);
      out.push({
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        recordCount: row.record_count,
        maxTimestamp: row.max_timestamp,
        appendTimeMs: row.append_time,
        encoding: b.encoding,
        records: b.records,
        positions: b.positions,
        ...(b.offsets === undefined ? {} : { offsets: b.offsets }),
        ...(row.producer === null ? {} : { producer: JSON.parse(row.producer) as ReplicatedProducerBatch }),
      });
      bytes += row.size_bytes;
    }
    return out;
  }

  /** The producer stamps of the batches ending in [from, to], by last offset (kept with a segment tiered to R2). */
  producersBetween(from: number, to: number): [number, ReplicatedProducerBatch][] {
    if (!this.tables.exist) return [];
    return this.sql
      .exec<{ last_offset: number; producer: string }>("SELECT last_offset, producer FROM batches WHERE last_offset >= ? AND last_offset <= ? AND producer IS NOT NULL ORDER BY last_offset", from, to)
      .toArray()
      .map((r) => [r.last_offset, JSON.parse(r.producer) as ReplicatedProducerBatch]);
  }

  /** The first local batch's base offset, if any. */
  firstBaseOffset(): number | undefined {
    if (!this.tables.exist) return undefined;
    return this.sql.exec<{ base_offset: number }>("SELECT base_offset FROM batches ORDER BY last_offset LIMIT 1").toArray()[0]?.base_offset;
  }

  /** Whether a batch holds both offset - 1 and offset (offset is not a batch boundary). */
  straddles(offset: number): boolean {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches WHERE base_offset < ? AND last_offset >= ?", offset, offset).one().n > 0;
  }

  /** Count, bytes and largest timestamp of the batches from `baseOffset` on. */
  statsFrom(baseOffset: number): { count: number; bytes: number; maxTimestamp: number } {
    const r = this.sql.exec<{ n: number; bytes: number | null; ts: number | null }>("SELECT count(*) AS n, sum(size_bytes) AS bytes, max(max_timestamp) AS ts FROM batches WHERE base_offset >= ?", baseOffset).one();
    return { count: r.n, bytes: r.bytes ?? 0, maxTimestamp: r.ts ?? -1 };
  }

  /** The running maximum timestamp of the newest batch, if any. */
  lastMaxTimestampSoFar(): number | undefined {
    return this.sql.exec<{ so_far: number }>("SELECT max_timestamp_so_far AS so_far FROM batches ORDER BY last_offset DESC LIMIT 1").toArray()[0]?.so_far;
  }

  /** Removes every batch starting at or after `offset`. */
  deleteFrom(offset: number): RemovedBatches {
    return this.remove("base_offset >= ?", offset);
  }

  /** Removes every batch wholly below `offset`. */
  deleteBelow(offset: number): RemovedBatches {
    return this.remove("last_offset < ?", offset);
  }

  /** Removes the batches whose last offset lies in [from, to]. */
  deleteRange(from: number, to: number): RemovedBatches {
    return this.remove("last_offset >= ? AND last_offset <= ?", from, to);
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM batches");
  }

  /** Replaces a batch by its compacted form, or removes it when nothing survived. */
  rewrite(batch: StoredBatch, compacted: CompactedBatch): void {
    if (compacted.recordCount === 0) {
      this.sql.exec("DELETE FROM batches WHERE last_offset = ?", batch.lastOffset);
      return;
    }
    this.sql.exec(
      "UPDATE batches SET records = ?, positions = ?, offsets = ?, record_count = ?, size_bytes = ?, max_timestamp = ? WHERE last_offset = ?",
      compacted.records, bytesOf(compacted.positions), bytesOf(compacted.offsets), compacted.recordCount, compacted.records.length, compacted.maxTimestamp, batch.lastOffset,
    );
  }

  /** CreateTime or LogAppendTime of records [first, last], read back (a duplicate produce answers with these). */
  timestampsOf(first: number, last: number): number[] {
    const out: number[] = [];
    for (const b of this.inRange(first, last)) {
      for (const r of parseRecords(b.records)) if (r.offset >= first && r.offset <= last) out.push(r.timestamp);
    }
    return out;
  }

  /**
   * Kafka's ListOffsets by time over local batches: the first offset in [from, end) whose timestamp >= T, or
   * undefined. Binary search over batches by their running maximum timestamp, then a scan of the batch found.
   */
  offsetForTimestamp(timestampMs: number, from: number, end: number): { offset: number; timestamp: number } | undefined {
    if (!this.tables.exist) return undefined;
    const probe = (offset: number) =>
      this.sql
        .exec<{ last_offset: number; max_timestamp_so_far: number }>("SELECT last_offset, max_timestamp_so_far FROM batches WHERE last_offset >= ? ORDER BY last_offset LIMIT 1", offset)
        .toArray()[0];
    let lo = from;
    let hi = end - 1;
    if (hi < lo) return undefined;
    const lastBatch = probe(hi);
    if (lastBatch === undefined || lastBatch.max_timestamp_so_far < timestampMs) return undefined;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const row = probe(mid);
      if (row === undefined) break;
      if (row.max_timestamp_so_far >= timestampMs) hi = Math.min(mid, row.last_offset);
      else lo = row.last_offset + 1;
    }
    for (const b of this.inRange(lo, end - 1)) {
      for (const record of parseRecords(b.records)) {
        if (record.offset >= from && record.offset < end && record.timestamp >= timestampMs) return { offset: record.offset, timestamp: record.timestamp };
      }
    }
    return undefined;
  }

  private remove(where: string, ...bindings: number[]): RemovedBatches {
    const r = this.sql.exec<{ n: number; bytes: number | null }>(`SELECT count(*) AS n, sum(size_bytes) AS bytes FROM batches WHERE ${where}`, ...bindings).one();
    if (r.n > 0) this.sql.exec(`DELETE FROM batches WHERE ${where}`, ...bindings);
    return { count: r.n, bytes: r.bytes ?? 0 };
  }
}
