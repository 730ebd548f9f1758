// The partition's tail cache (src/partition/tail-cache.ts): its byte bound (PARTITION_TAIL_CACHE_BYTES at and over the
// limit), what it answers and when it declines (a read before it, or a cache that does not reach the log end), and the
// drops that keep it equal to SQLite. The property test (test/property/tail-cache.property.test.ts) checks whole runs.
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { buildBatch, joinJson, packTails } from "../../src/log/batch";
import { ReadAccumulator } from "../../src/log/batch-reader";
import { MAX_PARTITION_TAIL_CACHE_BYTES, PARTITION_TAIL_CACHE_BYTES } from "../../src/limits";
import { TailCache } from "../../src/partition/tail-cache";
import type { ReplicatedBatch } from "../../src/protocol";
import { settings } from "../../src/settings";

/** A batch of `n` records at `base`, each value `v<offset>`. */
function batch(base: number, n: number): ReplicatedBatch {
  const tails = packTails(Array.from({ length: n }, (_, i) => `"key":null,"value":"v${base + i}","headers":[]}`));
  const built = buildBatch(base, Array.from({ length: n }, () => 1), tails, 0, n);
  return { baseOffset: base, lastOffset: base + n - 1, recordCount: n, maxTimestamp: 1, appendTimeMs: 1, encoding: "text", records: built.bytes, positions: built.positions };
}

/** What the bound counts for a batch (its bytes, its positions, and a fixed 256 for the object). */
const cost = (b: ReplicatedBatch) => b.records.length + b.positions.byteLength + 256;

function read(cache: TailCache, offset: number, logEnd: number, maxRecords = 100): { served: boolean; offsets: number[]; nextOffset: number } {
  const acc = new ReadAccumulator(offset, logEnd, maxRecords, 1_000_000, "text");
  const served = cache.readInto(acc, logEnd);
  const records = JSON.parse(new TextDecoder().decode(joinJson("[", acc.pieces, "]"))) as { offset: number }[];
  return { served, offsets: records.map((r) => r.offset), nextOffset: acc.nextOffset };
}

describe("tail cache bound", () => {
  it("holds batches whose cost is exactly the bound; one byte less evicts the oldest", () => {
    const a = batch(0, 3);
    const b = batch(3, 3);
    const atLimit = new TailCache(cost(a) + cost(b));
    atLimit.push(a);
    atLimit.push(b);
    expect(atLimit.length).toBe(2);
    expect(atLimit.size).toBe(cost(a) + cost(b));
    const overLimit = new TailCache(cost(a) + cost(b) - 1);
    overLimit.push(a);
    overLimit.push(b);
    expect(overLimit.length).toBe(1);
    expect(read(overLimit, 0, 6).served).toBe(false); // offset 0 fell out: SQLite answers it
    expect(read(overLimit, 3, 6)).toEqual({ served: true, offsets: [3, 4, 5], nextOffset: 6 });
  });

  it("a batch larger than the bound is not kept, and 0 keeps nothing", () => {
    const big = batch(0, 50);
    const small = new TailCache(cost(big) - 1);
    small.push(big);
    expect(small.length).toBe(0);
    const off = new TailCache(0);
    off.push(batch(0, 1));
    expect(off.length).toBe(0);
    expect(read(off, 0, 1).served).toBe(false);
  });

  it("PARTITION_TAIL_CACHE_BYTES: default, at its limit, over it refused", () => {
    expect(settings({} as unknown as Env).partitionTailCacheBytes).toBe(PARTITION_TAIL_CACHE_BYTES);
    expect(settings({ PARTITION_TAIL_CACHE_BYTES: String(MAX_PARTITION_TAIL_CACHE_BYTES) } as unknown as Env).partitionTailCacheBytes).toBe(MAX_PARTITION_TAIL_CACHE_BYTES);
    expect(settings({ PARTITION_TAIL_CACHE_BYTES: "0" } as unknown as Env).partitionTailCacheBytes).toBe(0);
    expect(() => settings({ PARTITION_TAIL_CACHE_BYTES: String(MAX_PARTITION_TAIL_CACHE_BYTES + 1) } as unknown as Env)).toThrow(
      `deployment variable PARTITION_TAIL_CACHE_BYTES must be at most ${MAX_PARTITION_TAIL_CACHE_BYTES}, got ${MAX_PARTITION_TAIL_CACHE_BYTES + 1}`,
    );
  });

  it("many small batches evict one by one and stay in order", () => {
    const cache = new TailCache(10 * cost(batch(0, 1)) + 50);
    for (let i = 0; i < 1000; i++) cache.push(batch(i, 1));
    expect(cache.length).toBe(10);
    expect(read(cache, 990, 1000)).toEqual({ served: true, offsets: [990, 991, 992, 993, 994, 995, 996, 997, 998, 999], nextOffset: 1000 });
    expect(read(cache, 989, 1000).served).toBe(false);
  });
});

describe("tail cache reads", () => {
  it("answers from inside a batch, within maxRecords, and at the log end with nothing", () => {
    const cache = new TailCache(1 << 20);
    cache.push(batch(10, 5));
    cache.push(batch(15, 5));
    expect(read(cache, 12, 20, 4)).toEqual({ served: true, offsets: [12, 13, 14, 15], nextOffset: 16 });
    expect(read(cache, 20, 20)).toEqual({ served: true, offsets: [], nextOffset: 20 });
  });

  it("declines when it does not reach the log end (a batch stored without it)", () => {
    const cache = new TailCache(1 << 20);
    cache.push(batch(0, 5));
    expect(read(cache, 2, 8).served).toBe(false);
  });

  it("a gap restarts it; dropBelow and dropFrom cut exactly; a straddled cut empties it", () => {
    const cache = new TailCache(1 << 20);
    cache.push(batch(0, 5));
    cache.push(batch(7, 3)); // a gap: 5 and 6 are not here
    expect(cache.length).toBe(1);
    expect(read(cache, 0, 10).served).toBe(false);
    cache.push(batch(10, 5));
    cache.push(batch(15, 5));
    cache.dropBelow(10); // the batch ending at 9 was rewritten
    expect(read(cache, 9, 20).served).toBe(false);
    expect(read(cache, 10, 20).offsets).toHaveLength(10);
    cache.dropFrom(15); // truncated at a boundary
    expect(read(cache, 10, 15)).toEqual({ served: true, offsets: [10, 11, 12, 13, 14], nextOffset: 15 });
    cache.dropFrom(12); // inside a batch: nothing left to trust
    expect(cache.length).toBe(0);
    expect(cache.size).toBe(0);
  });

  it("from() serves a follower's push: at least one batch, then up to maxBytes", () => {
    const cache = new TailCache(1 << 20);
    const a = batch(0, 5);
    cache.push(a);
    cache.push(batch(5, 5));
    expect(cache.from(0, 1)!.map((b) => b.baseOffset)).toEqual([0]);
    expect(cache.from(3, 1 << 20)!.map((b) => b.baseOffset)).toEqual([0, 5]);
    expect(cache.from(7, a.records.length)!.map((b) => b.baseOffset)).toEqual([5]);
  });
});
