// The segments table (sealed segments, local or tiered to R2) and the R2 bookkeeping beside it: uploads in flight and
// objects waiting to be deleted. Segments are contiguous offset ranges keyed by their base offset, so the segment
// holding an offset is a primary-key seek; a tiered segment's frame index (a blob) is loaded only for the segment a
// read needs, never with the list.
import type { SealedSegment } from "../log/segment-plan";
import type { ReplicatedProducerBatch } from "../protocol";
import type { PartitionTables } from "./log-state";

export interface SegmentRow extends SealedSegment {
  batchCount: number;
  maxTimestampSoFar: number;
  createdMs: number;
  r2Key: string | null;
  storedBytes: number;
}

/** A tiered segment with what a read of it needs: its object's key and frame index. */
export interface TieredSegment extends SegmentRow {
  r2Key: string;
  batchIndex: ArrayBuffer;
}

const SEGMENT_COLUMNS = "base_offset, last_offset, size_bytes, batch_count, max_timestamp, max_timestamp_so_far, created_ms, location, r2_key, stored_bytes, cleaned_through";

function toSegment(r: Record<string, SqlStorageValue>): SegmentRow {
  return {
    baseOffset: r.base_offset as number,
    lastOffset: r.last_offset as number,
    sizeBytes: r.size_bytes as number,
    batchCount: r.batch_count as number,
    maxTimestamp: r.max_timestamp as number,
    maxTimestampSoFar: r.max_timestamp_so_far as number,
    createdMs: r.created_ms as number,
    location: r.location as "local" | "remote",
    r2Key: r.r2_key as string | null,
    storedBytes: r.stored_bytes as number,
    cleanedThrough: r.cleaned_through as number,
  };
}

export class SegmentStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly tables: PartitionTables,
  ) {}

  /** Sealed segments, oldest first (without their frame indexes). */
  list(): SegmentRow[] {
    if (!this.tables.exist) return [];
    return this.sql.exec<Record<string, SqlStorageValue>>(`SELECT ${SEGMENT_COLUMNS} FROM segments ORDER BY base_offset`).toArray().map(toSegment);
  }

  /** The first sealed segment whose range reaches `offset` (the one holding it, else the next): two key seeks. */
  firstFrom(offset: number): SegmentRow | undefined {
    if (!this.tables.exist) return undefined;
    const holding = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE base_offset <= ? ORDER BY base_offset DESC LIMIT 1`, offset).toArray()[0];
    if (holding !== undefined && (holding.last_offset as number) >= offset) return toSegment(holding);
    const next = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT ${SEGMENT_COLUMNS} FROM segments WHERE base_offset > ? ORDER BY base_offset LIMIT 1`, offset).toArray()[0];
    return next === undefined ? undefined : toSegment(next);
  }

  /** The tiered segment a read from `offset` starts in, with its frame index; undefined when `offset` is local. */
  tieredFrom(offset: number): TieredSegment | undefined {
    const seg = this.firstFrom(offset);
    if (seg === undefined || seg.location !== "remote" || seg.r2Key === null) return undefined;
    const index = this.sql.exec<{ batch_index: ArrayBuffer | null }>("SELECT batch_index FROM segments WHERE base_offset = ?", seg.baseOffset).one().batch_index;
    return index === null ? undefined : { ...seg, r2Key: seg.r2Key, batchIndex: index };
  }

  /** A tiered segment's producer stamps by batch last offset: only follower catch-up reads them, so not tieredFrom. */
  producersOf(baseOffset: number): Map<number, ReplicatedProducerBatch> {
    const row = this.sql.exec<{ producers: string | null }>("SELECT producers FROM segments WHERE base_offset = ?", baseOffset).toArray()[0];
    return new Map(row?.producers ? (JSON.parse(row.producers) as [number, ReplicatedProducerBatch][]) : []);
  }

  /**
   * The first tiered segment whose running maximum timestamp reaches T (ListOffsets by time): a binary search over the
   * segments by base offset, since max_timestamp_so_far grows with it. O(log n) key seeks.
   */
  firstTieredReaching(timestampMs: number): TieredSegment | undefined {
    if (!this.tables.exist) return undefined;
    const remote = this.sql.exec<{ lo: number | null; hi: number | null }>("SELECT min(base_offset) AS lo, max(base_offset) AS hi FROM segments WHERE location = 'remote'").one();
    if (remote.lo === null || remote.hi === null) return undefined;
    let lo = remote.lo;
    let hi = remote.hi;
    let found: SegmentRow | undefined;
    while (lo <= hi) {
      const seg = this.firstFrom(lo + Math.floor((hi - lo) / 2));
      if (seg === undefined || seg.location !== "remote" || seg.baseOffset > hi) break;
      if (seg.maxTimestampSoFar >= timestampMs) {
        found = seg;
        hi = seg.baseOffset - 1;
      } else lo = seg.lastOffset + 1;
    }
    return found === undefined ? undefined : this.tieredFrom(found.baseOffset);
  }

  /** The newest sealed segment, if any. */
  last(): SegmentRow | undefined {
    if (!this.tables.exist) return undefined;
    const row = this.sql.exec<Record<string, SqlStorageValue>>(`SELECT ${SEGMENT_COLUMNS} FROM segments ORDER BY base_offset DESC LIMIT 1`).toArray()[0];
    return row === undefined ? undefined : toSegment(row);
  }

  insertLocal(s: { baseOffset: number; lastOffset: number; sizeBytes: number; batchCount: number; maxTimestamp: number; maxTimestampSoFar: number; createdMs: number }): void {
    this.sql.exec(
      `INSERT INTO segments (base_offset, last_offset, size_bytes, batch_count, max_timestamp, max_timestamp_so_far, created_ms, location)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'local')`,
      s.baseOffset, s.lastOffset, s.sizeBytes, s.batchCount, s.maxTimestamp, s.maxTimestampSoFar, s.createdMs,
    );
  }

  delete(baseOffset: number): void {
    this.sql.exec("DELETE FROM segments WHERE base_offset = ?", baseOffset);
  }

  /** Removes the local segments starting at or after `offset` (truncation: only uncommitted, local data lies there). */
  deleteLocalFrom(offset: number): void {
    this.sql.exec("DELETE FROM segments WHERE base_offset >= ? AND location = 'local'", offset);
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM segments");
  }

  /** After a successful PUT: the segment is tiered, its object and frame index recorded, its upload no longer pending. */
  markTiered(baseOffset: number, r2Key: string, storedBytes: number, batchIndex: Uint8Array, producers: readonly [number, ReplicatedProducerBatch][]): void {
    const stamps = producers.length === 0 ? null : JSON.stringify(producers);
    this.sql.exec("UPDATE segments SET location = 'remote', r2_key = ?, stored_bytes = ?, batch_index = ?, producers = ? WHERE base_offset = ?", r2Key, storedBytes, batchIndex, stamps, baseOffset);
    this.sql.exec("DELETE FROM pending_uploads WHERE r2_key = ?", r2Key);
  }

  /** A compaction rewrite changed a segment's size (and maybe removed one of its batches). */
  resize(baseOffset: number, deltaBytes: number, removedBatches: number): void {
    this.sql.exec("UPDATE segments SET size_bytes = size_bytes + ?, batch_count = batch_count - ? WHERE base_offset = ?", deltaBytes, removedBatches, baseOffset);
  }

  markCleaned(segmentBases: readonly number[], through: number): void {
    for (const base of segmentBases) this.sql.exec("UPDATE segments SET cleaned_through = ? WHERE base_offset = ?", through, base);
  }

  addPendingUpload(r2Key: string, segmentBase: number): void {
    this.sql.exec("INSERT OR REPLACE INTO pending_uploads (r2_key, segment_base) VALUES (?, ?)", r2Key, segmentBase);
  }

  /** Queues an R2 object for deletion (a failed delete is retried by the alarm, never forgotten). */
  queueGarbage(r2Key: string): void {
    this.sql.exec("INSERT OR IGNORE INTO r2_garbage (r2_key) VALUES (?)", r2Key);
  }

  /** Objects to delete: those of deleted segments, and of uploads interrupted before their index was written. */
  garbage(): string[] {
    if (!this.tables.exist) return [];
    return this.sql.exec<{ r2_key: string }>("SELECT r2_key FROM r2_garbage UNION SELECT r2_key FROM pending_uploads").toArray().map((r) => r.r2_key);
  }

  /** Forgets R2 keys whose objects were deleted (and interrupted uploads whose objects are gone). */
  clearGarbage(keys: readonly string[]): void {
    for (const key of keys) {
      this.sql.exec("DELETE FROM r2_garbage WHERE r2_key = ?", key);
      this.sql.exec("DELETE FROM pending_uploads WHERE r2_key = ?", key);
    }
  }

  /** Every R2 object this partition refers to (for dropping the topic). */
  allR2Keys(): string[] {
    if (!this.tables.exist) return [];
    const remote = this.sql.exec<{ r2_key: string }>("SELECT r2_key FROM segments WHERE r2_key IS NOT NULL").toArray().map((r) => r.r2_key);
    return [...new Set([...remote, ...this.garbage()])];
  }
}
