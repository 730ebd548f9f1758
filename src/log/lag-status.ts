// Burrow-style consumer lag status, from a bounded window of a partition's recent commits (offset, lag when it was
// committed, time) and its lag now. Pure: the coordinator keeps the window, the router supplies lag. Burrow's rules
// (its evaluator, "Consumer Lag Evaluation Rules"), in the order they are applied:
//   1. lag now is 0, or any commit in the window had lag 0                   -> OK (the consumer caught up)
//   2. an offset in the window is lower than the one before it               -> REWIND
//   3. the last commit is older than the window's span and the threshold     -> STOPPED (not committing, lag > 0)
//   4. every commit in the window has the same offset (2 or more commits)    -> STALL (committing, not moving)
//   5. lag never went down from one commit to the next (2 or more commits)   -> WARNING (falling behind)
//   otherwise OK. Commits without a known lag (the partition did not answer) are skipped by rules 1 and 5.
// A group's status is the worst of its partitions': STOPPED, STALL or REWIND make it ERROR, WARNING makes WARNING.
import { LAG_WINDOW_COMMITS, LAG_WINDOW_MIN_DISTANCE_MS } from "../limits";

export type PartitionLagStatus = "OK" | "WARNING" | "STOPPED" | "STALL" | "REWIND";
export type GroupLagStatus = "OK" | "WARNING" | "ERROR";

/** One commit as the window keeps it. */
export interface CommitSample {
  offset: number;
  /** highWatermark - offset when committed; null when the partition's high watermark was not known. */
  lag: number | null;
  timeMs: number;
}

export interface LagThresholds {
  /** Rule 3's floor: a partition is STOPPED only once its last commit is older than this. */
  stoppedAfterMs: number;
}

/** The window after one more commit: bounded to LAG_WINDOW_COMMITS, a commit within the min distance of the newest
 *  replacing it (Burrow's min-distance) so the window spans real time. Returns a new array. */
export function addCommit(window: readonly CommitSample[], sample: CommitSample): CommitSample[] {
  const last = window[window.length - 1];
  const kept = last !== undefined && sample.timeMs - last.timeMs < LAG_WINDOW_MIN_DISTANCE_MS ? window.slice(0, -1) : [...window];
  kept.push(sample);
  return kept.slice(-LAG_WINDOW_COMMITS);
}

/**
 * A partition's status. `lastCommitMs` is when its offset was last committed (kept in storage, so rule 3 holds after
 * the coordinator lost its in-memory window); `lagNow` the high watermark now minus the committed offset.
 */
export function partitionLagStatus(window: readonly CommitSample[], lagNow: number | null, lastCommitMs: number | null, nowMs: number, thresholds: LagThresholds): PartitionLagStatus {
  if (lagNow === 0 || lagNow === null) return "OK"; // no lag (or none known): nothing to warn about
  if (window.some((c) => c.lag === 0)) return "OK";
  for (let i = 1; i < window.length; i++) if (window[i]!.offset < window[i - 1]!.offset) return "REWIND";
  const last = lastCommitMs ?? window[window.length - 1]?.timeMs;
  if (last !== undefined) {
    const span = window.length > 0 ? window[window.length - 1]!.timeMs - window[0]!.timeMs : 0;
    if (nowMs - last > Math.max(span, thresholds.stoppedAfterMs)) return "STOPPED";
  }
  if (window.length < 2) return "OK";
  if (window.every((c) => c.offset === window[0]!.offset)) return "STALL";
  const lags = window.flatMap((c) => (c.lag === null ? [] : [c.lag]));
  if (lags.length >= 2 && lags.every((lag, i) => i === 0 || lag >= lags[i - 1]!)) return "WARNING";
  return "OK";
}

/** The worst of a group's partition statuses, as Burrow rolls them up. */
export function groupLagStatus(statuses: readonly PartitionLagStatus[]): GroupLagStatus {
  if (statuses.some((s) => s === "STOPPED" || s === "STALL" || s === "REWIND")) return "ERROR";
  return statuses.includes("WARNING") ? "WARNING" : "OK";
}
