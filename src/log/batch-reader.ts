// Assembling a fetch answer from stored batches, local or from R2 alike: starts at the first record at or after the
// requested offset (a compacted batch has gaps: a removed offset reads as the next surviving record), stops at the
// high watermark, maxRecords, or maxBytes of record JSON (but always returns a first record however large, like
// Kafka). nextOffset moves past a batch's trailing gap, so a consumer never re-reads it. An empty batch (a transaction
// marker) and a batch inside an aborted range (read_committed; ranges cover whole batches) add nothing but move
// nextOffset past them. Pure.
import { recordRange, transcodeIndexed } from "./batch";
import type { Encoding } from "./record";
import type { FramePiece } from "./record-frame";

export interface ReadBatch {
  baseOffset: number;
  lastOffset: number;
  encoding: Encoding;
  records: Uint8Array;
  positions: Uint32Array;
  /** offset - baseOffset per record; undefined when contiguous. */
  offsets?: Uint32Array | undefined;
}

export class ReadAccumulator {
  readonly pieces: Uint8Array[] = [];
  /** The pieces with where their records start, for the binary answer (log/record-frame.ts). */
  readonly framePieces: FramePiece[] = [];
  recordCount = 0;
  bytes = 0;
  done = false;

  constructor(
    public nextOffset: number,
    private readonly end: number,
    private readonly maxRecords: number,
    private readonly maxBytes: number,
    private readonly encoding: Encoding,
    /** Sorted, disjoint [first, last] offset ranges of aborted transactions' batches, skipped whole. */
    private readonly aborted: readonly (readonly [number, number])[] = [],
  ) {
    if (nextOffset >= end) this.done = true;
  }

  add(batch: ReadBatch): void {
    if (this.done) return;
    const n = batch.positions.length;
    const offsetAt = (i: number) => batch.baseOffset + (batch.offsets ? batch.offsets[i]! : i);
    if (batch.baseOffset >= this.end) {
      this.done = true;
      return;
    }
    if (this.aborted.length > 0 && inRanges(this.aborted, batch.baseOffset)) {
      if (batch.lastOffset + 1 > this.nextOffset) this.nextOffset = Math.min(batch.lastOffset + 1, this.end);
      return;
    }
    // First record at or after nextOffset (binary search: offsets increase within a batch).
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (offsetAt(mid) < this.nextOffset) lo = mid + 1;
      else hi = mid;
    }
    const first = lo;
    if (first >= n) {
      // Everything here is before the position (or the batch is empty): skip to after it.
      if (batch.lastOffset + 1 > this.nextOffset) this.nextOffset = Math.min(batch.lastOffset + 1, this.end);
      return;
    }
    let last = Math.min(n - 1, first + (this.maxRecords - this.recordCount) - 1);
    while (last >= first && offsetAt(last) >= this.end) last--;
    if (last < first) {
      this.done = true;
      return;
    }
    let [start, stop] = recordRange(batch.positions, batch.records.length, first, last);
    while (last > first && this.bytes + (stop - start) > this.maxBytes) {
      last--;
      stop = batch.positions[last + 1]! - 1;
    }
    if (this.recordCount > 0 && this.bytes + (stop - start) > this.maxBytes) {
      this.done = true;
      return;
    }
    if (batch.encoding === this.encoding) {
      const bytes = batch.records.subarray(start, stop);
      this.pieces.push(bytes);
      this.framePieces.push({ bytes, positions: batch.positions, first, count: last - first + 1 });
    } else {
      const { bytes, positions } = transcodeIndexed(batch.records.subarray(start, stop), batch.encoding, this.encoding);
      this.pieces.push(bytes);
      this.framePieces.push({ bytes, positions, first: 0, count: positions.length });
    }
    this.bytes += stop - start;
    this.recordCount += last - first + 1;
    const wholeBatch = last === n - 1 && batch.lastOffset + 1 <= this.end;
    this.nextOffset = wholeBatch ? batch.lastOffset + 1 : offsetAt(last) + 1;
    if (this.recordCount >= this.maxRecords || this.bytes >= this.maxBytes || !wholeBatch) this.done = true;
  }
}

/** Whether `offset` lies in one of the sorted, disjoint ranges (binary search). */
export function inRanges(ranges: readonly (readonly [number, number])[], offset: number): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const [first, last] = ranges[mid]!;
    if (offset < first) hi = mid - 1;
    else if (offset > last) lo = mid + 1;
    else return true;
  }
  return false;
}
