// Segment decisions (Kafka's retention rules) and the R2 segment object codec, pure.
import { describe, expect, it } from "vitest";
import { cleaningPlan, maintenanceDue, retentionCount, shouldRoll, tieringCount, type SealedSegment } from "../../src/log/segment-plan";
import { decodeFrame, decodeIndex, encodeIndex, encodeSegmentObject, inflate } from "../../src/log/segment-object";
import { ReadAccumulator } from "../../src/log/batch-reader";
import { buildBatch, packTails } from "../../src/log/batch";
import { defaultTopicConfig } from "../../src/log/topic-config";
import { MAX_LOCAL_PARTITION_BYTES, MAX_SEGMENT_BYTES } from "../../src/limits";

const cfg = (overrides: Record<string, string> = {}) => ({ ...defaultTopicConfig(), ...overrides });
const seg = (base: number, last: number, size: number, maxTs: number, location: "local" | "remote" = "local", cleanedThrough = -1): SealedSegment => ({ baseOffset: base, lastOffset: last, sizeBytes: size, maxTimestamp: maxTs, location, cleanedThrough });
const active = (bytes: number, createdMs = 0) => ({ baseOffset: 0, bytes, batches: bytes > 0 ? 1 : 0, maxTimestamp: 0, createdMs });

describe("shouldRoll", () => {
  it("rolls at segment.bytes and segment.ms, never an empty segment", () => {
    expect(shouldRoll(active(900), cfg({ "segment.bytes": "1000" }), 0, 100)).toBe(false); // at the limit
    expect(shouldRoll(active(900), cfg({ "segment.bytes": "1000" }), 0, 101)).toBe(true); // over
    expect(shouldRoll(active(1), cfg({ "segment.ms": "100" }), 99, 0)).toBe(false);
    expect(shouldRoll(active(1), cfg({ "segment.ms": "100" }), 100, 0)).toBe(true);
    expect(shouldRoll(active(0), cfg({ "segment.bytes": "14" }), 1e12, 1e9)).toBe(false);
  });
  it("caps segment.bytes at MAX_SEGMENT_BYTES (a segment must fit an isolate's memory)", () => {
    const huge = cfg({ "segment.bytes": String(2 ** 30) });
    expect(shouldRoll(active(MAX_SEGMENT_BYTES - 10), huge, 0, 10)).toBe(false);
    expect(shouldRoll(active(MAX_SEGMENT_BYTES - 10), huge, 0, 11)).toBe(true);
  });
});

describe("maintenanceDue: when the partition's alarm is set", () => {
  const total = (sealed: SealedSegment[], activeBytes: number) => sealed.reduce((n, s) => n + s.sizeBytes, activeBytes);
  const due = (sealed: SealedSegment[], act: ReturnType<typeof active>, config: ReturnType<typeof cfg>, now: number, maxLocal = MAX_LOCAL_PARTITION_BYTES) =>
    maintenanceDue(sealed, act, total(sealed, act.bytes), config, now, maxLocal);
  const never = cfg({ "retention.ms": "-1", "segment.ms": "9007199254740991" });

  it("nothing is due for an empty partition, or one whose config never expires anything", () => {
    expect(due([], active(0), cfg(), 5000)).toEqual({ atMs: undefined, sizeBytesDue: Infinity });
    expect(due([seg(0, 9, 100, 1000)], active(10, 0), never, 5000).atMs).toBe(9007199254740991); // the roll, never in practice
  });
  it("a non-empty active segment is due to roll at createdMs + segment.ms", () => {
    expect(due([], active(10, 7000), cfg({ "segment.ms": "1000" }), 7500).atMs).toBe(8000);
    expect(due([], active(0, 7000), cfg({ "segment.ms": "1000" }), 7500).atMs).toBe(undefined); // an empty one never rolls
  });
  it("retention.ms is due just after the oldest segment's newest record passes it; now when already past", () => {
    const sealed = [seg(0, 9, 100, 1000), seg(10, 19, 100, 2000)];
    expect(due(sealed, active(0), cfg({ "retention.ms": "500" }), 1200).atMs).toBe(1501);
    expect(due(sealed, active(0), cfg({ "retention.ms": "500" }), 1501).atMs).toBe(1501); // due now
    expect(due(sealed, active(0), cfg({ "retention.ms": "-1" }), 1200).atMs).toBe(undefined);
    const cleaned = [seg(0, 9, 100, 1000, "local", 20), seg(10, 19, 100, 2000, "local", 20)];
    expect(due(cleaned, active(0), cfg({ "retention.ms": "500", "cleanup.policy": "compact" }), 1200).atMs).toBe(undefined); // compact only
  });
  it("retention.bytes and local.retention.bytes are due when the log grows past the oldest segment plus the bound", () => {
    const sealed = [seg(0, 9, 100, 1000), seg(10, 19, 100, 2000)];
    // The log is 250 bytes: 100 + 100 sealed + 50 active. Retention deletes the oldest once the rest reaches 300.
    expect(due(sealed, active(50), cfg({ "retention.bytes": "300" }), 0)).toMatchObject({ sizeBytesDue: 400 });
    expect(due(sealed, active(50), cfg({ "retention.bytes": "150" }), 0)).toMatchObject({ atMs: 0 }); // due now
    // Tiering counts local bytes only: a tiered segment of 100 is outside the local walk.
    const tiered = [seg(0, 9, 100, 1000, "remote"), seg(10, 19, 100, 2000)];
    expect(due(tiered, active(50), cfg({ "local.retention.bytes": "200" }), 0)).toMatchObject({ sizeBytesDue: 400 });
    expect(due(tiered, active(50), cfg({ "local.retention.bytes": "200", "cleanup.policy": "compact" }), 0).sizeBytesDue).toBe(Infinity);
  });
  it("the deployment's local cap is due when local bytes pass it, only once a segment is sealed", () => {
    expect(due([], active(500), cfg(), 0, 100).sizeBytesDue).toBe(Infinity); // the active segment is never tiered
    expect(due([seg(0, 9, 100, 1000)], active(50), cfg(), 0, 200)).toMatchObject({ sizeBytesDue: 201 });
  });
  it("compaction is due now when the dirty ratio is reached, else when a dirty segment passes min.compaction.lag.ms", () => {
    const compact = (overrides: Record<string, string>) => cfg({ "cleanup.policy": "compact", "segment.ms": "9007199254740991", ...overrides });
    expect(due([seg(0, 9, 100, 1000)], active(10), compact({}), 5000).atMs).toBe(5000);
    expect(due([seg(0, 9, 100, 1000)], active(10), compact({ "min.compaction.lag.ms": "10000" }), 5000).atMs).toBe(11000);
    expect(due([seg(0, 9, 100, 1000, "local", 10)], active(10), compact({}), 5000).atMs).toBe(9007199254740991); // clean: only the roll
  });
});

describe("retention", () => {
  const sealed = [seg(0, 9, 100, 1000), seg(10, 19, 100, 2000), seg(20, 29, 100, 3000)];
  it("retention.ms by each segment's largest timestamp, oldest first, stopping at the first young one", () => {
    expect(retentionCount(sealed, 50, cfg({ "retention.ms": "1000" }), 2500)).toBe(1);
    expect(retentionCount(sealed, 50, cfg({ "retention.ms": "1000" }), 3500)).toBe(2);
    expect(retentionCount(sealed, 50, cfg({ "retention.ms": "-1" }), 1e15)).toBe(0);
  });
  it("retention.bytes deletes while the log stays at or above the bound without the segment", () => {
    expect(retentionCount(sealed, 50, cfg({ "retention.bytes": "250" }), 0)).toBe(1); // 350 -> 250
    expect(retentionCount(sealed, 50, cfg({ "retention.bytes": "251" }), 0)).toBe(0);
    expect(retentionCount(sealed, 50, cfg({ "retention.bytes": "0" }), 0)).toBe(3); // never the active one
  });
  it("compact alone never deletes; compact,delete does", () => {
    expect(retentionCount(sealed, 0, cfg({ "cleanup.policy": "compact", "retention.bytes": "0" }), 0)).toBe(0);
    expect(retentionCount(sealed, 0, cfg({ "cleanup.policy": "compact,delete", "retention.bytes": "0" }), 0)).toBe(3);
  });
});

describe("tiering", () => {
  const local = [seg(0, 9, 100, 1000), seg(10, 19, 100, 2000)];
  it("follows local.retention.* (-2 falls back to retention.*), and the deployment's local bound", () => {
    expect(tieringCount(local, 10, cfg(), 5000, MAX_LOCAL_PARTITION_BYTES)).toBe(0);
    expect(tieringCount(local, 10, cfg({ "local.retention.bytes": "0" }), 0, MAX_LOCAL_PARTITION_BYTES)).toBe(2);
    expect(tieringCount(local, 10, cfg({ "local.retention.bytes": "110" }), 0, MAX_LOCAL_PARTITION_BYTES)).toBe(1);
    expect(tieringCount(local, 10, cfg({ "local.retention.ms": "1500" }), 3000, MAX_LOCAL_PARTITION_BYTES)).toBe(1);
    expect(tieringCount(local, 10, cfg({ "retention.ms": "1500" }), 3000, MAX_LOCAL_PARTITION_BYTES)).toBe(1);
    expect(tieringCount(local, 10, cfg(), 0, 210)).toBe(0); // at the bound
    expect(tieringCount(local, 10, cfg(), 0, 209)).toBe(1); // over it
    expect(tieringCount(local, 10, cfg({ "cleanup.policy": "compact", "local.retention.bytes": "0" }), 0, 0)).toBe(0);
  });
});

describe("cleaning plan", () => {
  const c = (o: Record<string, string> = {}) => cfg({ "cleanup.policy": "compact", ...o });
  it("cleans up to the first segment younger than min.compaction.lag.ms, when dirty enough", () => {
    const segments = [seg(0, 9, 100, 1000), seg(10, 19, 100, 5000)];
    expect(cleaningPlan(segments, c({ "min.cleanable.dirty.ratio": "0" }), 6000, 1e9)).toEqual({ end: 20, firstDirty: 0 });
    expect(cleaningPlan(segments, c({ "min.cleanable.dirty.ratio": "0", "min.compaction.lag.ms": "2000" }), 6000, 1e9)).toEqual({ end: 10, firstDirty: 0 });
    expect(cleaningPlan(segments, cfg(), 6000, 1e9)).toBeUndefined(); // not compacted
  });
  it("weighs dirty against clean bytes with min.cleanable.dirty.ratio", () => {
    const segments = [seg(0, 9, 300, 0, "local", 20), seg(10, 19, 100, 0, "local", 20), seg(20, 29, 100, 0)];
    expect(cleaningPlan(segments, c({ "min.cleanable.dirty.ratio": "0.2" }), 1, 1e9)).toEqual({ end: 30, firstDirty: 20 });
    expect(cleaningPlan(segments, c({ "min.cleanable.dirty.ratio": "0.21" }), 1, 1e9)).toBeUndefined();
  });
});

describe("segment object", () => {
  it("round-trips batches through deflated frames and a frame index, with and without offset gaps", async () => {
    const tails = packTails(['"key":"a","value":"1","headers":[]}', '"key":"b","value":"é","headers":[]}', '"key":null,"value":null,"headers":[]}']);
    const b1 = buildBatch(100, [1, 2, 3], tails, 0, 3);
    const b2 = buildBatch(103, [4], tails, 1, 2);
    const batches = [
      { baseOffset: 100, lastOffset: 102, encoding: "text" as const, records: b1.bytes, positions: b1.positions, offsets: undefined },
      { baseOffset: 103, lastOffset: 110, encoding: "base64" as const, records: b2.bytes, positions: b2.positions, offsets: new Uint32Array([5]) },
    ];
    const { body, index } = await encodeSegmentObject(batches);
    const decodedIndex = decodeIndex(encodeIndex(index));
    expect(decodedIndex).toEqual(index);
    for (const [i, entry] of decodedIndex.entries()) {
      const frame = await inflate(body.subarray(entry.frameStart, entry.frameStart + entry.frameLength));
      expect(decodeFrame(frame, entry)).toEqual(batches[i]);
    }
    // A read through a gap: offset 104 (removed) answers from 108.
    const acc = new ReadAccumulator(104, 200, 10, 10_000, "base64");
    acc.add(batches[1]!);
    expect(acc.recordCount).toBe(1);
    expect(acc.nextOffset).toBe(111);
  });
});
