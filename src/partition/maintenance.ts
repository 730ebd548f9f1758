// The partition's background work, run from its one alarm in bounded steps, each idempotent (alarms are
// at-least-once) and safe to interrupt: clean up after interrupted uploads and deleted segments, roll an aged
// active segment, apply retention, move sealed segments to R2, compact. No request waits for any of it. Only segments
// wholly below the high watermark are retained, tiered or compacted: records above it may still be truncated (a
// follower's divergent suffix), and Kafka cleans only committed data too. Compaction stops lower still, at the last
// stable offset (Kafka's cleaner never passes it): a record of an open transaction may yet be aborted, so it must not
// supersede anything; below it every transaction is decided, and aborted records are dropped (log/compaction.ts).
import { compactBatch, indexKeys } from "../log/compaction";
import { cleaningPlan, retentionCount, shouldRoll, tieringCount } from "../log/segment-plan";
import { MAX_COMPACTION_PASS_BYTES, MAX_TIERED_SEGMENTS_PER_RUN } from "../limits";
import type { LocalLog } from "./local-log";
import type { SegmentRow } from "./segment-store";
import { segmentKey, type TieredLog } from "./tiered-log";

export interface MaintenanceSettings {
  maxLocalBytes: number;
}

/** One run. Returns true when work remains that should run again soon. */
export async function runMaintenance(log: LocalLog, tiered: TieredLog, nowMs: () => number, settings: MaintenanceSettings): Promise<boolean> {
  const state = log.current;
  if (state === undefined) return false;

  // 1. Objects of deleted segments, and of uploads interrupted before their index was written: delete them.
  //    An interrupted upload's object was never indexed, so no read can see it; deleting it loses nothing.
  const garbage = log.segments.garbage();
  if (garbage.length > 0) {
    await tiered.delete(garbage);
    log.segments.clearGarbage(garbage);
  }

  // 2. Roll an active segment that is segment.ms old even when nothing is being appended.
  if (shouldRoll(log.current!.active, log.current!.config, nowMs(), 0)) log.roll(nowMs());

  // 3. Retention: whole sealed segments, oldest first.
  const config = log.current!.config;
  const committed = (segs: readonly SegmentRow[]) => segs.filter((seg) => seg.lastOffset < log.current!.highWatermark);
  const sealed = log.segments.list();
  const deleteCount = Math.min(retentionCount(sealed, log.current!.active.bytes, config, nowMs()), committed(sealed).length);
  if (deleteCount > 0) {
    const keys = log.deleteOldestSegments(deleteCount);
    if (keys.length > 0) {
      await tiered.delete(keys);
      log.segments.clearGarbage(keys);
    }
  }

  // 4. Tiering: upload, then index, then delete local rows. The key is recorded as pending before the PUT, so an
  //    eviction between the PUT and the index leaves a pending key that step 1 of the next run deletes.
  let more = false;
  const local = committed(log.segments.list()).filter((s) => s.location === "local");
  const tierCount = tieringCount(local, log.current!.active.bytes, config, nowMs(), settings.maxLocalBytes);
  for (const seg of local.slice(0, Math.min(tierCount, MAX_TIERED_SEGMENTS_PER_RUN))) {
    const s = log.current!;
    const key = segmentKey(s.topicId, s.partition, seg.baseOffset, seg.lastOffset, s.replication.replicaId);
    log.segments.addPendingUpload(key, seg.baseOffset);
    const uploaded = await tiered.upload(key, log.batches.inRange(seg.baseOffset, seg.lastOffset));
    // The segment may have been deleted (retention, DeleteRecords) or dropped while we uploaded: then the pending key
    // stays and the next run deletes the object.
    const still = log.segments.firstFrom(seg.baseOffset);
    if (still?.baseOffset !== seg.baseOffset || still.location !== "local") continue;
    log.commitTiered(seg.baseOffset, key, uploaded.storedBytes, uploaded.batchIndex);
  }
  if (tierCount > MAX_TIERED_SEGMENTS_PER_RUN) more = true;

  // 5. Compaction: latest offset per key over the cleanable range, then each batch rewritten without what is
  //    superseded or aborted; offsets never change. A bounded pass; a dirtier log runs again. Only segments wholly
  //    below the last stable offset. Markers stay (an empty row each): removing one safely would need to know that
  //    none of its transaction's records remain; they go with their segment under retention or DeleteRecords.
  const stable = log.txns.lastStableOffset(log.current!);
  const cleanable = () => log.segments.list().filter((seg) => seg.location === "local" && seg.lastOffset < stable);
  const plan = cleaningPlan(cleanable(), config, nowMs(), MAX_COMPACTION_PASS_BYTES);
  if (plan !== undefined) {
    const segments = log.segments.list().filter((s) => s.location === "local" && s.lastOffset < plan.end);
    const aborted = segments.length === 0 ? [] : log.txns.abortedBetween(segments[0]!.baseOffset, plan.end);
    const latest = new Map<string, number>();
    // One segment's batches in memory at a time.
    for (const seg of segments.filter((s) => s.lastOffset >= plan.firstDirty)) {
      for (const b of log.batches.inRange(Math.max(seg.baseOffset, plan.firstDirty), seg.lastOffset)) indexKeys(b, latest, aborted);
    }
    const deleteRetentionMs = Number(config["delete.retention.ms"]);
    for (const seg of segments) {
      for (const b of log.batches.inRange(seg.baseOffset, seg.lastOffset)) {
        const compacted = compactBatch(b, latest, nowMs(), deleteRetentionMs, aborted);
        if (compacted) log.rewriteBatch(b, compacted, seg.baseOffset);
      }
    }
    log.segments.markCleaned(segments.map((s) => s.baseOffset), plan.end);
    more ||= cleaningPlan(cleanable(), config, nowMs(), MAX_COMPACTION_PASS_BYTES) !== undefined;
  }
  return more;
}
