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

/**
 * How many of the oldest sealed segments retention deletes: retention.ms by each segment's largest timestamp, and
 * retention.bytes per partition (delete while the log stays at or above the bound without the segment).
 */
export function retentionCount(sealed: readonly SealedSegment[], activeBytes: number, config: TopicConfig, nowMs: number): number {
  if (!deletes(config)) return 0;
  const retentionMs = num(config, "retention.ms");
  const retentionBytes = num(config, "retention.bytes");
  let total = activeBytes;
  for (const s of sealed) total += s.sizeBytes;
  let n = 0;
  for (const s of sealed) {
    const byTime = retentionMs >= 0 && nowMs - s.maxTimestamp > retentionMs;
    const bySize = retentionBytes >= 0 && total - s.sizeBytes >= retentionBytes;
    if (!byTime && !bySize) break;
    total -= s.sizeBytes;
    n++;
  }
  return n;
}

/**
 * How many of the oldest local sealed segments move to R2: beyond local.retention.ms / local.retention.bytes
 * (-2: the retention.* value), or while local data exceeds the deployment's bound on local bytes. Compacted topics
 * stay local (as in Kafka, which does not tier compacted topics).
 */
export function tieringCount(localSealed: readonly SealedSegment[], activeBytes: number, config: TopicConfig, nowMs: number, maxLocalBytes: number): number {
  if (isCompacted(config)) return 0;
  const ms = num(config, "local.retention.ms") === -2 ? num(config, "retention.ms") : num(config, "local.retention.ms");
  const bytes = num(config, "local.retention.bytes") === -2 ? num(config, "retention.bytes") : num(config, "local.retention.bytes");
  let local = activeBytes;
  for (const s of localSealed) local += s.sizeBytes;
  let n = 0;
  for (const s of localSealed) {
    const byTime = ms >= 0 && nowMs - s.maxTimestamp > ms;
    const bySize = bytes >= 0 && local - s.sizeBytes >= bytes;
    const byCap = local > maxLocalBytes;
    if (!byTime && !bySize && !byCap) break;
    local -= s.sizeBytes;
    n++;
  }
  return n;
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
