// Log compaction of one stored batch, pure (kafka-semantics §4): a record survives if it is the latest offset of
// its key within the cleaned range, and, if it is a tombstone, while its delete horizon has not passed. Offsets
// never change: the batch keeps its base and last offsets, and its kept records carry their own (gaps stay).
// Transactions (Kafka's cleaner rule): the caller cleans below the last stable offset only, so no record of an open
// transaction is here; a record of an aborted transaction (in `aborted`, the partition's aborted ranges) is removed
// and never counts as its key's latest value, so a committed value is never dropped for an aborted one. Markers
// (control rows: no records) are never touched here; the caller keeps them (docs/transactions.md).
import { parseRecords, recordRange } from "./batch";

export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  appendTimeMs: number;
  records: Uint8Array;
  positions: Uint32Array;
  /** offset - baseOffset of each record; undefined when contiguous. */
  offsets: Uint32Array | undefined;
}

export interface CompactedBatch {
  records: Uint8Array;
  positions: Uint32Array;
  offsets: Uint32Array;
  recordCount: number;
  maxTimestamp: number;
}

/** Aborted offset ranges [first, last], in offset order and disjoint (PartitionTxns.abortedBetween). */
export type AbortedRanges = readonly (readonly [number, number])[];

/** Whether `offset` lies in one of the aborted ranges (binary search). */
export function isAborted(aborted: AbortedRanges, offset: number): boolean {
  let lo = 0;
  let hi = aborted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last] = aborted[mid]!;
    if (offset < first) hi = mid - 1;
    else if (offset > last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Adds each record's key to `latest` (key -> its largest offset); aborted records are no key's latest value. */
export function indexKeys(batch: StoredBatch, latest: Map<string, number>, aborted: AbortedRanges = []): void {
  for (const r of parseRecords(batch.records)) {
    if (r.key === null) continue; // compacted topics refuse null keys; older data may hold some: kept as is
    if (isAborted(aborted, r.offset)) continue;
    const seen = latest.get(r.key);
    if (seen === undefined || r.offset > seen) latest.set(r.key, r.offset);
  }
}

/**
 * The batch with superseded records, aborted records and expired tombstones removed, or undefined when nothing
 * changes. A tombstone is removed once delete.retention.ms has passed since its batch was appended.
 */
export function compactBatch(batch: StoredBatch, latest: ReadonlyMap<string, number>, nowMs: number, deleteRetentionMs: number, aborted: AbortedRanges = []): CompactedBatch | undefined {
  const records = parseRecords(batch.records);
  const keep: number[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (isAborted(aborted, r.offset)) continue; // no reader needs it: read_committed skips it, Kafka's cleaner drops it
    if (r.key === null) {
      keep.push(i);
      continue;
    }
    const newest = latest.get(r.key);
    if (newest !== undefined && newest > r.offset) continue;
    if (r.value === null && nowMs - batch.appendTimeMs > deleteRetentionMs) continue;
    keep.push(i);
  }
  if (keep.length === records.length) return undefined;
  let size = Math.max(0, keep.length - 1);
  const ranges = keep.map((i) => recordRange(batch.positions, batch.records.length, i, i));
  for (const [s, e] of ranges) size += e - s;
  const out = new Uint8Array(size);
  const positions = new Uint32Array(keep.length);
  const offsets = new Uint32Array(keep.length);
  let pos = 0;
  let maxTimestamp = -1;
  keep.forEach((i, k) => {
    if (k > 0) out[pos++] = 0x2c;
    const [s, e] = ranges[k]!;
    positions[k] = pos;
    out.set(batch.records.subarray(s, e), pos);
    pos += e - s;
    offsets[k] = records[i]!.offset - batch.baseOffset;
    if (records[i]!.timestamp > maxTimestamp) maxTimestamp = records[i]!.timestamp;
  });
  return { records: out, positions, offsets, recordCount: keep.length, maxTimestamp };
}
