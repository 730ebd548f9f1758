// Burrow's lag evaluation rules from fixed commit histories: one row per status, plus the window's bounds.
import { describe, expect, it } from "vitest";
import { addCommit, groupLagStatus, partitionLagStatus, type CommitSample, type PartitionLagStatus } from "../../src/log/lag-status";
import { LAG_WINDOW_COMMITS, LAG_WINDOW_MIN_DISTANCE_MS } from "../../src/limits";

/** Commits 10 s apart from t=0: [offset, lag] pairs. */
const history = (...pairs: [number, number | null][]): CommitSample[] => pairs.map(([offset, lag], i) => ({ offset, lag, timeMs: i * 10_000 }));
const T = { stoppedAfterMs: 60_000 };

const CASES: [string, CommitSample[], number | null, number, PartitionLagStatus][] = [
  // name, window, lag now, now (ms), status
  ["no lag now", history([10, 5], [10, 5], [10, 5]), 0, 30_000, "OK"],
  ["lag unknown", history([10, 5], [10, 5]), null, 30_000, "OK"],
  ["caught up once in the window", history([10, 5], [20, 0], [20, 8]), 8, 30_000, "OK"],
  ["lag shrinking", history([10, 50], [30, 40], [60, 20]), 20, 30_000, "OK"],
  ["lag up then down", history([10, 5], [20, 9], [40, 4]), 4, 30_000, "OK"],
  ["lag growing", history([10, 5], [20, 9], [30, 12]), 12, 30_000, "WARNING"],
  ["lag flat while moving", history([10, 5], [20, 5], [30, 5]), 5, 30_000, "WARNING"],
  ["same offset, lag > 0", history([10, 5], [10, 7], [10, 9]), 9, 30_000, "STALL"],
  ["offset went back", history([10, 5], [30, 4], [20, 14]), 14, 30_000, "REWIND"],
  ["silent longer than span and threshold", history([10, 50], [30, 40], [60, 20]), 20, 20_000 + 60_001, "STOPPED"],
  ["silent longer than span, not threshold", history([10, 50], [30, 40], [60, 20]), 20, 20_000 + 59_999, "OK"],
  ["one commit, then silence", history([10, 5]), 5, 60_001, "STOPPED"],
  ["one commit, recent", history([10, 5]), 5, 1_000, "OK"],
  ["unknown lags skipped by the trend", history([10, null], [20, 9], [30, null]), 9, 30_000, "OK"],
];

describe("lag status (Burrow's rules)", () => {
  it.each(CASES)("%s", (_name, window, lagNow, nowMs, want) => {
    const last = window[window.length - 1]!.timeMs;
    expect(partitionLagStatus(window, lagNow, last, nowMs, T)).toBe(want);
  });

  it("STOPPED from the stored commit time alone (the in-memory window lost to eviction)", () => {
    expect(partitionLagStatus([], 7, 0, 60_001, T)).toBe("STOPPED");
    expect(partitionLagStatus([], 7, 0, 59_999, T)).toBe("OK");
    expect(partitionLagStatus([], 7, null, 1e9, T)).toBe("OK");
  });

  it("the window is bounded and spans real time (min distance)", () => {
    let w: CommitSample[] = [];
    for (let i = 0; i < 3 * LAG_WINDOW_COMMITS; i++) w = addCommit(w, { offset: i, lag: 1, timeMs: i * LAG_WINDOW_MIN_DISTANCE_MS });
    expect(w).toHaveLength(LAG_WINDOW_COMMITS);
    expect(w[0]!.offset).toBe(2 * LAG_WINDOW_COMMITS);
    w = addCommit(w, { offset: 999, lag: 1, timeMs: w[w.length - 1]!.timeMs + LAG_WINDOW_MIN_DISTANCE_MS - 1 });
    expect(w).toHaveLength(LAG_WINDOW_COMMITS);
    expect(w[w.length - 1]!.offset).toBe(999);
    expect(w[w.length - 2]!.offset).toBe(3 * LAG_WINDOW_COMMITS - 2);
  });

  it("a group is as bad as its worst partition", () => {
    expect(groupLagStatus([])).toBe("OK");
    expect(groupLagStatus(["OK", "WARNING"])).toBe("WARNING");
    for (const s of ["STOPPED", "STALL", "REWIND"] as const) expect(groupLagStatus(["WARNING", s, "OK"])).toBe("ERROR");
  });
});
