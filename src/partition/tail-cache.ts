// The newest batches of a partition, kept in memory as they are stored, so that a consumer reading at the tail (almost
// every consumer: groups, subscriptions, live tails) is served without a SQLite read, as Kafka relies on the page cache
// for the same, and a leader pushes what it has just appended instead of reading back the rows it wrote. Bounded by
// bytes (PARTITION_TAIL_CACHE_BYTES): the oldest fall out first. It holds a contiguous run ending at the log end; what
// removes or rewrites local batches drops the cached batches it touched (a prefix: retention, DeleteRecords, tiering,
// compaction) or the suffix it cut (truncation), so what is left still matches SQLite exactly.
import type { ReadAccumulator } from "../log/batch-reader";
import type { ReplicatedBatch } from "../protocol";

/** What a cached batch costs beyond its bytes (the object, its typed-array views): counted so that many small batches
 *  (single-record produces) cannot hold far more memory than the bound says. */
const BATCH_OVERHEAD_BYTES = 256;

const costOf = (b: ReplicatedBatch) => b.records.length + b.positions.byteLength + (b.offsets?.byteLength ?? 0) + BATCH_OVERHEAD_BYTES;

export class TailCache {
  /** batches[head..] are live; the dead prefix is cut off now and then rather than shifted per eviction. */
  private batches: ReplicatedBatch[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Bytes held, as the bound counts them. */
  get size(): number {
    return this.bytes;
  }

  /** Batches held. */
  get length(): number {
    return this.batches.length - this.head;
  }

  /** Appends the batch just stored at the log end; a gap (a follower taking a compacted leader's batches) restarts it. */
  push(b: ReplicatedBatch): void {
    if (this.maxBytes === 0) return;
    const last = this.last();
    if (last !== undefined && last.lastOffset + 1 !== b.baseOffset) this.clear();
    const { baseOffset, lastOffset, recordCount, maxTimestamp, appendTimeMs, encoding, records, positions, offsets, producer } = b;
    this.batches.push({ baseOffset, lastOffset, recordCount, maxTimestamp, appendTimeMs, encoding, records, positions, ...(offsets ? { offsets } : {}), ...(producer ? { producer } : {}) });
    this.bytes += costOf(b);
    while (this.bytes > this.maxBytes && this.head < this.batches.length) this.bytes -= costOf(this.batches[this.head++]!);
    this.compactHead();
  }

  /** Batches from `offset` on, up to about maxBytes (at least one); undefined when the cache does not reach back there. */
  from(offset: number, maxBytes: number): ReplicatedBatch[] | undefined {
    const i = this.indexOf(offset);
    if (i === undefined) return undefined;
    const out: ReplicatedBatch[] = [];
    let bytes = 0;
    for (let j = i; j < this.batches.length; j++) {
      const b = this.batches[j]!;
      if (out.length > 0 && bytes + b.records.length > maxBytes) break;
      out.push(b);
      bytes += b.records.length;
    }
    return out;
  }

  /**
   * A read from acc.nextOffset served from memory, when the cache holds that offset and reaches `logEnd` (so nothing
   * past it is missing); false, having added nothing, when the read must go to SQLite.
   */
  readInto(acc: ReadAccumulator, logEnd: number): boolean {
    const last = this.last();
    if (last === undefined || last.lastOffset + 1 !== logEnd) return false;
    if (acc.done || acc.nextOffset >= logEnd) return true;
    const i = this.indexOf(acc.nextOffset);
    if (i === undefined) return false;
    for (let j = i; j < this.batches.length && !acc.done; j++) acc.add(this.batches[j]!);
    return true;
  }

  /** Drops the batches wholly below `offset` (they were deleted, tiered or rewritten in SQLite). */
  dropBelow(offset: number): void {
    while (this.head < this.batches.length && this.batches[this.head]!.lastOffset < offset) this.bytes -= costOf(this.batches[this.head++]!);
    this.compactHead();
  }

  /** Drops the batches at or after `offset` (truncation); a batch straddling it empties the cache. */
  dropFrom(offset: number): void {
    while (this.length > 0 && this.batches.at(-1)!.lastOffset >= offset) {
      const b = this.batches.pop()!;
      this.bytes -= costOf(b);
      if (b.baseOffset < offset) return this.clear();
    }
  }

  clear(): void {
    this.batches = [];
    this.head = 0;
    this.bytes = 0;
  }

  private last(): ReplicatedBatch | undefined {
    return this.length > 0 ? this.batches.at(-1) : undefined;
  }

  /** Index of the first batch with lastOffset >= offset (binary search), or undefined when offset is before the cache. */
  private indexOf(offset: number): number | undefined {
    if (this.length === 0 || offset < this.batches[this.head]!.baseOffset) return undefined;
    let lo = this.head;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compactHead(): void {
    if (this.head === this.batches.length) this.clear();
    else if (this.head > 64 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
  }
}
