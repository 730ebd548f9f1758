// A follower taking its leader's batches (Kafka's replica fetch turned into a push). The leader's epoch must be the
// current one: an older epoch is a replaced leader (FENCED_LEADER_EPOCH, and it stops), a newer one is checked with the
// controller first. The push may first truncate this replica's divergent suffix (KIP-101) or, when this replica is
// behind the leader's log start, empty it. The answer is this replica's log end (and its epoch cache to a probe).
import { fail, ok, type Result } from "../errors";
import type { ReplicateRequest, ReplicateResponse } from "../protocol";
import type { AlarmSchedule } from "./alarm-schedule";
import type { LocalLog } from "./local-log";
import { deleted, type PartitionRole } from "./partition-role";

export interface FollowerParts {
  log: LocalLog;
  role: PartitionRole;
  alarms: AlarmSchedule;
  dropped: boolean;
  now: number;
  /** Deletes R2 objects of removed segments (queued first; a failure is retried by the alarm). */
  deleteObjects(keys: readonly string[]): Promise<void>;
}

export async function takeReplicated(p: FollowerParts, request: ReplicateRequest): Promise<Result<ReplicateResponse>> {
  const { log, role: partitionRole } = p;
  const ref = request.ref;
  let state = log.current;
  if (state !== undefined && state.topicId !== ref.topicId) return fail("UNKNOWN_TOPIC_ID", `replica belongs to topic id ${state.topicId}, not ${ref.topicId}`);
  if (p.dropped) return deleted(ref.topic);
  if (state === undefined || state.metadataVersion < ref.version || request.leaderEpoch > state.replication.leaderEpoch) {
    const refreshed = await partitionRole.refresh(ref.topic, ref.topicId, ref.partition, ref.replica);
    if (!refreshed.ok) return refreshed;
    state = refreshed.value;
  }
  const role = state.replication;
  if (request.leaderEpoch < role.leaderEpoch) {
    return fail("FENCED_LEADER_EPOCH", `leader epoch ${request.leaderEpoch} is older than ${role.leaderEpoch}: replica ${role.leader} leads now`, {
      leaderEpoch: role.leaderEpoch,
      leader: role.leader,
    });
  }
  if (request.leaderEpoch > role.leaderEpoch) {
    return fail("UNKNOWN_LEADER_EPOCH", `leader epoch ${request.leaderEpoch} is newer than the controller's ${role.leaderEpoch}`, { leaderEpoch: role.leaderEpoch });
  }
  if (role.leader !== request.leaderId || role.leader === role.replicaId) {
    return fail("NOT_LEADER_OR_FOLLOWER", `replica ${request.leaderId} does not lead epoch ${role.leaderEpoch} (replica ${role.leader} does)`, { leader: role.leader });
  }
  if (request.truncateTo !== undefined) {
    if (request.reset) await p.deleteObjects(log.resetTo(request.truncateTo, p.now));
    else log.truncateTo(request.truncateTo);
    p.alarms.invalidate();
  }
  const batches = request.batches;
  const before = log.current!;
  if (batches.length > 0) {
    const end = before.logEndOffset;
    if (batches[0]!.baseOffset < end) {
      return fail("OFFSET_OUT_OF_RANGE", `batches start at ${batches[0]!.baseOffset}, this replica's log ends at ${end}`, { logEndOffset: end });
    }
    // No await from here to the alarm: the batches, their epochs and producer state commit together.
    for (const e of request.epochs) log.addEpoch(e.epoch, Math.max(e.startOffset, batches[0]!.baseOffset));
    log.appendReplicated(batches, p.now);
  }
  const s = log.current!;
  log.setHighWatermark(Math.max(s.highWatermark, Math.min(request.highWatermark, s.logEndOffset)));
  if (request.logStartOffset > s.logStartOffset && log.current!.highWatermark > s.logStartOffset) {
    await p.deleteObjects(log.deleteRecordsBefore(Math.min(request.logStartOffset, log.current!.highWatermark)));
    p.alarms.invalidate();
  }
  if (batches.length > 0) await p.alarms.keepDue(before);
  const after = log.current!;
  const probe = batches.length === 0 && request.truncateTo === undefined;
  return ok({ logStartOffset: after.logStartOffset, logEndOffset: after.logEndOffset, epochs: probe ? [...log.epochs.entries()] : [] });
}
