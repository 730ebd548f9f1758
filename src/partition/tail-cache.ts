// The newest batches of a replicated partition, kept in memory as followers store them, so the leader pushes what it
// has just appended instead of reading back from SQLite the rows it wrote (once per follower, on the acks=all latency
// path). Bounded by bytes: the oldest fall out first. It holds a contiguous run ending at the log end; anything that
// removes or rewrites local batches clears it.
import type { ReplicatedBatch } from "../protocol";

export class TailCache {
  private batches: ReplicatedBatch[] = [];
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  push(b: ReplicatedBatch): void {
    const last = this.batches.at(-1);
    if (last !== undefined && last.lastOffset + 1 !== b.baseOffset) this.clear();
    const { baseOffset, lastOffset, recordCount, maxTimestamp, appendTimeMs, encoding, records, positions, offsets, producer } = b;
    this.batches.push({ baseOffset, lastOffset, recordCount, maxTimestamp, appendTimeMs, encoding, records, positions, ...(offsets ? { offsets } : {}), ...(producer ? { producer } : {}) });
    this.bytes += records.length;
    while (this.bytes > this.maxBytes && this.batches.length > 1) this.bytes -= this.batches.shift()!.records.length;
  }

  /** Batches from `offset` on, up to about maxBytes (at least one); undefined when the cache does not reach back there. */
  from(offset: number, maxBytes: number): ReplicatedBatch[] | undefined {
    const first = this.batches[0];
    if (first === undefined || offset < first.baseOffset) return undefined;
    const out: ReplicatedBatch[] = [];
    let bytes = 0;
    for (const b of this.batches) {
      if (b.lastOffset < offset) continue;
      if (out.length > 0 && bytes + b.records.length > maxBytes) break;
      out.push(b);
      bytes += b.records.length;
    }
    return out;
  }

  clear(): void {
    this.batches = [];
    this.bytes = 0;
  }
}
