// Kafka's segment decisions (kafka-semantics §4), pure: when the active segment rolls, which sealed segments
// retention deletes, which move to R2, and how far compaction may clean. All retention is whole-segment and walks
// from the oldest segment, stopping at the first that does not qualify; the active segment is never deleted,
// tiered or compacted. Time comes in as nowMs.
import { isCompacted, type TopicConfig } from "./topic-config";
import { MAX_SEGMENT_BYTES } from "../limits";

export interface SealedSegment {
  baseOffset: number;
  lastOffset: number;
  sizeBytes: number;
  /** Largest record timestamp in the segment (Kafka's retention clock). */
  maxTimestamp: number;
  location: "local" | "remote";
  cleanedThrough: number;
}

export interface ActiveSegment {
  baseOffset: number;
  bytes: number;
  batches: number;
  maxTimestamp: number;
  createdMs: number;
}

const num = (config: TopicConfig, name: string) => Number(config[name]);

/** Roll before appending `incomingBytes` if the active segment would pass segment.bytes, or is segment.ms old. */
export function shouldRoll(active: ActiveSegment, config: TopicConfig, nowMs: number, incomingBytes: number): boolean {
  if (active.batches === 0) return false;
  const maxBytes = Math.min(num(config, "segment.bytes"), MAX_SEGMENT_BYTES);
  return active.bytes + incomingBytes > maxBytes || nowMs - active.createdMs >= num(config, "segment.ms");
}

function deletes(config: TopicConfig): boolean {
  return (config["cleanup.policy"] ?? "delete").split(",").includes("delete");
}

/** Whether the oldest-first walk takes a segment: by age (its newest record older than `ms`), or by size (the rest
 *  still holds `bytes`), or while the total is over `capBytes`. A negative bound is off. */
interface WalkBounds {
  ms: number;
  bytes: number;
  capBytes: number;
}

/** How many of the oldest segments the walk takes: it stops at the first that no bound takes (Kafka's rule). */
function walkCount(segments: readonly SealedSegment[], activeBytes: number, bounds: WalkBounds, nowMs: number): number {
  let total = activeBytes;
  for (const s of segments) total += s.sizeBytes;
  let n = 0;
  for (const s of segments) {
    const byTime = bounds.ms >= 0 && nowMs - s.maxTimestamp > bounds.ms;
    const bySize = bounds.bytes >= 0 && total - s.sizeBytes >= bounds.bytes;
    const byCap = bounds.capBytes >= 0 && total > bounds.capBytes;
    if (!byTime && !bySize && !byCap) break;
    total -= s.sizeBytes;
    n++;
  }
  return n;
}

/** retention.ms and retention.bytes, when the topic deletes (else nothing). */
function retentionBounds(config: TopicConfig): WalkBounds | undefined {
  return deletes(config) ? { ms: num(config, "retention.ms"), bytes: num(config, "retention.bytes"), capBytes: -1 } : undefined;
}

/** local.retention.ms / local.retention.bytes (-2: the retention.* value) and the deployment's local cap; compacted
 *  topics stay local (as in Kafka, which does not tier compacted topics). */
function tieringBounds(config: TopicConfig, maxLocalBytes: number): WalkBounds | undefined {
  if (isCompacted(config)) return undefined;
  const ms = num(config, "local.retention.ms") === -2 ? num(config, "retention.ms") : num(config, "local.retention.ms");
  const bytes = num(config, "local.retention.bytes") === -2 ? num(config, "retention.bytes") : num(config, "local.retention.bytes");
  return { ms, bytes, capBytes: maxLocalBytes };
}

/**
 * How many of the oldest sealed segments retention deletes: retention.ms by each segment's largest timestamp, and
 * retention.bytes per partition (delete while the log stays at or above the bound without the segment).
 */
export function retentionCount(sealed: readonly SealedSegment[], activeBytes: number, config: TopicConfig, nowMs: number): number {
  const bounds = retentionBounds(config);
  return bounds === undefined ? 0 : walkCount(sealed, activeBytes, bounds, nowMs);
}

/**
 * How many of the oldest local sealed segments move to R2: beyond local.retention.ms / local.retention.bytes, or while
 * local data exceeds the deployment's bound on local bytes.
 */
export function tieringCount(localSealed: readonly SealedSegment[], activeBytes: number, config: TopicConfig, nowMs: number, maxLocalBytes: number): number {
  const bounds = tieringBounds(config, maxLocalBytes);
  return bounds === undefined ? 0 : walkCount(localSealed, activeBytes, bounds, nowMs);
}

/**
 * When the partition's background work next falls due, so its alarm is set then and never on a fixed interval:
 * `atMs` is the earliest time something time-based is due (nowMs when something is due already; undefined when
 * nothing time-based can fall due), `sizeBytesDue` the whole log's size at which retention or tiering by bytes falls
 * due (appends grow the log; Infinity: never before the next roll). Segment time is each segment's newest record, as
 * in retentionCount; a roll changes the sealed segments, after which this is computed again.
 */
export function maintenanceDue(
  sealed: readonly SealedSegment[],
  active: ActiveSegment,
  sizeBytes: number,
  config: TopicConfig,
  nowMs: number,
  maxLocalBytes: number,
): { atMs: number | undefined; sizeBytesDue: number } {
  const local = sealed.filter((s) => s.location === "local");
  const localBytes = local.reduce((n, s) => n + s.sizeBytes, active.bytes);
  const notLocal = sizeBytes - localBytes;
  let atMs: number | undefined;
  const at = (t: number) => (atMs = atMs === undefined ? t : Math.min(atMs, t));
  let sizeBytesDue = Infinity;
  if (active.batches > 0 && num(config, "segment.ms") >= 0) at(active.createdMs + num(config, "segment.ms"));
  const walks: [WalkBounds | undefined, readonly SealedSegment[], number][] = [
    [retentionBounds(config), sealed, 0],
    [tieringBounds(config, maxLocalBytes), local, notLocal],
  ];
  for (const [bounds, segments, outside] of walks) {
    if (bounds === undefined) continue;
    if (walkCount(segments, active.bytes, bounds, nowMs) > 0) at(nowMs);
    const oldest = segments[0];
    if (oldest === undefined) continue; // the active segment is never deleted or tiered: nothing until a roll
    if (bounds.ms >= 0) at(oldest.maxTimestamp + bounds.ms + 1);
    // Sizes of what the walk counts grow only with the active segment, as the whole log's size does.
    if (bounds.bytes >= 0) sizeBytesDue = Math.min(sizeBytesDue, outside + bounds.bytes + oldest.sizeBytes);
    if (bounds.capBytes >= 0) sizeBytesDue = Math.min(sizeBytesDue, outside + bounds.capBytes + 1);
  }
  if (isCompacted(config)) {
    if (cleaningPlan(local, config, nowMs, Number.MAX_SAFE_INTEGER) !== undefined) at(nowMs);
    else {
      // A dirty segment becomes cleanable once min.compaction.lag.ms has passed over its newest record.
      const lag = num(config, "min.compaction.lag.ms");
      const cleaned = Math.max(-1, ...local.map((s) => s.cleanedThrough));
      for (const s of local) if (s.lastOffset >= cleaned && s.maxTimestamp + lag > nowMs) at(s.maxTimestamp + lag);
    }
  }
  return { atMs, sizeBytesDue };
}

export interface CleaningPlan {
  /** Offsets [start, end) of local sealed segments compaction may rewrite this pass. */
  end: number;
  /** Where the dirty part (not yet cleaned against) starts. */
  firstDirty: number;
}

/**
 * Whether compaction should run, and over what: sealed local segments up to the first one younger than
 * min.compaction.lag.ms, when the dirty share of them reaches min.cleanable.dirty.ratio. The pass is bounded to
 * `maxBytes` of segments (any prefix is safe to clean: a record is dropped only for a later one of its key).
 */
export function cleaningPlan(localSealed: readonly SealedSegment[], config: TopicConfig, nowMs: number, maxBytes: number): CleaningPlan | undefined {
  if (!isCompacted(config) || localSealed.length === 0) return undefined;
  const lag = num(config, "min.compaction.lag.ms");
  const firstDirty = Math.max(-1, ...localSealed.map((s) => s.cleanedThrough));
  let end = localSealed[0]!.baseOffset;
  let budget = 0;
  let clean = 0;
  let dirty = 0;
  for (const s of localSealed) {
    if (s.maxTimestamp > nowMs - lag) break;
    if (budget + s.sizeBytes > maxBytes && budget > 0) break;
    budget += s.sizeBytes;
    end = s.lastOffset + 1;
    if (s.lastOffset < firstDirty) clean += s.sizeBytes;
    else dirty += s.sizeBytes;
  }
  if (dirty === 0) return undefined;
  if (dirty / (clean + dirty) < num(config, "min.cleanable.dirty.ratio")) return undefined;
  return { end, firstDirty: Math.max(firstDirty, localSealed[0]!.baseOffset) };
}
