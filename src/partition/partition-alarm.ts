// The partition's alarm work, once the object knows it is up and has a log: objects whose wake-up failed are called
// again, maintenance that is due runs (retention, tiering, compaction: maintenance.ts), and a leader retries followers
// that are behind (a restarted leader first confirms its role); then the alarm is set for what falls due next. Also
// the deletion of tiered objects, whose failures stay queued for the alarm.
import type { Env } from "../env";
import { MAINTENANCE_CONTINUE_MS, REPLICA_RETRY_BACKOFF_MS } from "../limits";
import type { AlarmSchedule } from "./alarm-schedule";
import type { LocalLog } from "./local-log";
import { runMaintenance } from "./maintenance";
import type { PartitionRole } from "./partition-role";
import type { TieredLog } from "./tiered-log";
import { wakeObjects } from "./wake-objects";

export interface AlarmHost {
  log: LocalLog;
  tiered: TieredLog;
  env: Env;
  alarms: AlarmSchedule;
  role: PartitionRole;
  now(): number;
  maxLocalBytes: number;
}

export async function runAlarm(h: AlarmHost): Promise<void> {
  const { log, alarms, role } = h;
  if (log.watches.failed) {
    log.watches.failed = false;
    await wakeObjects(log, h.env, alarms, log.current!.highWatermark);
  }
  const more = await runMaintenance(log, h.tiered, h.now, { maxLocalBytes: h.maxLocalBytes });
  const s = log.current!;
  if (s.replication.replicationFactor > 1 && s.replication.leader === s.replication.replicaId) {
    if (!role.isConfirmed) await role.refresh(s.topic, s.topicId, s.partition, s.replication.replicaId);
    role.replicator?.kick(true);
    await role.replicator?.settle();
  }
  alarms.invalidate();
  if (more) await alarms.atMost(Date.now() + MAINTENANCE_CONTINUE_MS);
  else await alarms.keepDue(undefined, true);
}

/** Deletes tiered segments' R2 objects; on failure they stay queued in r2_garbage and the alarm retries. */
export async function deleteTieredObjects(log: LocalLog, tiered: TieredLog, alarms: AlarmSchedule, keys: readonly string[]): Promise<void> {
  if (keys.length === 0) return;
  try {
    await tiered.delete(keys);
    log.segments.clearGarbage(keys);
  } catch (error) {
    console.error(`deleting tiered segments failed (retried by the alarm): ${String(error)}`);
    await alarms.atMost(Date.now() + REPLICA_RETRY_BACKOFF_MS);
  }
}
