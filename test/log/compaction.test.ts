// Compaction of one stored batch (log/compaction.ts), pure: the latest value per key survives, tombstones expire
// after delete.retention.ms, and records of aborted transactions are removed and never count as a key's latest value.
import { describe, expect, it } from "vitest";
import { buildBatch, packTails, parseRecords } from "../../src/log/batch";
import { compactBatch, indexKeys, isAborted, type StoredBatch } from "../../src/log/compaction";

/** A stored batch at `baseOffset` of [key, value] records (value null: a tombstone), appended at `appendTimeMs`. */
function batchOf(baseOffset: number, records: [string | null, string | null][], appendTimeMs = 0): StoredBatch {
  const tails = packTails(records.map(([key, value]) => `"key":${JSON.stringify(key)},"value":${JSON.stringify(value)},"headers":[]}`));
  const built = buildBatch(baseOffset, records.map(() => 1), tails, 0, records.length);
  return { baseOffset, lastOffset: baseOffset + records.length - 1, appendTimeMs, records: built.bytes, positions: built.positions, offsets: undefined };
}

const survivors = (batch: StoredBatch, latest: Map<string, number>, aborted: [number, number][] = [], nowMs = 0, retentionMs = 1000) => {
  const out = compactBatch(batch, latest, nowMs, retentionMs, aborted);
  return out === undefined ? parseRecords(batch.records).map((r) => r.offset) : parseRecords(out.records).map((r) => r.offset);
};

describe("isAborted", () => {
  it("finds an offset in sorted disjoint ranges, and nothing outside them", () => {
    const ranges: [number, number][] = [
      [2, 3],
      [7, 7],
      [10, 20],
    ];
    const inside = (o: number) => o === 2 || o === 3 || o === 7 || (o >= 10 && o <= 20);
    for (let o = 0; o < 25; o++) expect(isAborted(ranges, o), `offset ${o}`).toBe(inside(o));
    expect(isAborted([], 0)).toBe(false);
  });
});

describe("compactBatch", () => {
  it("keeps the latest offset of each key and drops superseded ones; offsets never change", () => {
    const b = batchOf(10, [["a", "1"], ["b", "1"], ["a", "2"]]);
    const latest = new Map<string, number>();
    indexKeys(b, latest);
    expect(latest).toEqual(new Map([["a", 12], ["b", 11]]));
    const out = compactBatch(b, latest, 0, 1000)!;
    expect(parseRecords(out.records).map((r) => [r.offset, r.key, r.value])).toEqual([
      [11, "b", "1"],
      [12, "a", "2"],
    ]);
    expect(Array.from(out.offsets)).toEqual([1, 2]);
    expect(out.recordCount).toBe(2);
  });

  it("answers undefined when nothing changes (a marker's empty row included)", () => {
    const b = batchOf(0, [["a", "1"], ["b", "1"]]);
    const latest = new Map<string, number>();
    indexKeys(b, latest);
    expect(compactBatch(b, latest, 0, 1000)).toBeUndefined();
    const marker: StoredBatch = { baseOffset: 5, lastOffset: 5, appendTimeMs: 0, records: new Uint8Array(0), positions: new Uint32Array(0), offsets: undefined };
    indexKeys(marker, latest, [[5, 5]]);
    expect(compactBatch(marker, latest, 10_000, 0, [[5, 5]])).toBeUndefined();
  });

  it("removes a tombstone only once delete.retention.ms has passed since its append", () => {
    const b = batchOf(0, [["a", null]], 100);
    const latest = new Map([["a", 0]]);
    expect(survivors(b, latest, [], 1100, 1000)).toEqual([0]);
    expect(survivors(b, latest, [], 1101, 1000)).toEqual([]);
  });

  it("a committed value is not superseded by a later aborted one, and the aborted record is removed", () => {
    // offset 0: a=v1 (committed), 1: a=v2 (aborted), 2: b=x (aborted), 3: a marker would sit here.
    const committed = batchOf(0, [["a", "v1"]]);
    const abortedBatch = batchOf(1, [["a", "v2"], ["b", "x"]]);
    const aborted: [number, number][] = [[1, 2]];
    const latest = new Map<string, number>();
    indexKeys(committed, latest, aborted);
    indexKeys(abortedBatch, latest, aborted);
    expect(latest).toEqual(new Map([["a", 0]]));
    expect(survivors(committed, latest, aborted)).toEqual([0]);
    const out = compactBatch(abortedBatch, latest, 0, 1000, aborted)!;
    expect(out.recordCount).toBe(0);
    // Without the aborted ranges (the old behaviour) the committed value would have gone.
    const naive = new Map<string, number>();
    indexKeys(committed, naive);
    indexKeys(abortedBatch, naive);
    expect(survivors(committed, naive)).toEqual([]);
  });

  it("an aborted tombstone or null-key record is removed too, and a later committed value still supersedes", () => {
    const b = batchOf(0, [["a", "v1"], ["a", null], [null, "n"], ["a", "v3"]]);
    const aborted: [number, number][] = [[1, 2]];
    const latest = new Map<string, number>();
    indexKeys(b, latest, aborted);
    expect(latest.get("a")).toBe(3);
    expect(survivors(b, latest, aborted)).toEqual([3]);
  });
});
