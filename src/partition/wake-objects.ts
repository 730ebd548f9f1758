// Waking the objects that wait for this partition's next append (durable-watches.ts): each whose wait the high
// watermark passed is called (after the turn's writes are durable: the output gate holds the calls) and its wait
// forgotten; a failed call keeps it, and the alarm tries again.
import type { Env } from "../env";
import { REPLICA_RETRY_BACKOFF_MS } from "../limits";
import { subscriptionPartitionStub } from "../names";
import type { AlarmSchedule } from "./alarm-schedule";
import type { LocalLog } from "./local-log";

export async function wakeObjects(log: LocalLog, env: Env, alarms: AlarmSchedule, highWatermark: number): Promise<void> {
  const due = log.watches.due(highWatermark);
  await Promise.all(
    due.map(async ({ watcher, after }) => {
      try {
        await subscriptionPartitionStub(env, watcher).wake();
        log.watches.remove(watcher, after);
      } catch (error) {
        console.error(`waking ${watcher} failed (the alarm tries again): ${String(error)}`);
        log.watches.failed = true;
        await alarms.atMost(Date.now() + REPLICA_RETRY_BACKOFF_MS);
      }
    }),
  );
}
