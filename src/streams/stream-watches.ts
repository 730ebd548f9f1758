// Subscriptions waiting for a Durable Stream's next append (its topic's partition 0), as a partition's durable watches
// (src/partition/durable-watches.ts): each wait is a row, so it survives the object's eviction; an append past it
// calls the waiting object's wake() and forgets the row; a failed call keeps it for the alarm to try again.
import type { Env } from "../env";
import { REPLICA_RETRY_BACKOFF_MS } from "../limits";
import { subscriptionPartitionStub } from "../names";

export class StreamWatches {
  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS ds_watches (watcher TEXT PRIMARY KEY, after INTEGER NOT NULL)");
  }

  add(watcher: string, after: number): void {
    this.sql.exec("INSERT OR REPLACE INTO ds_watches (watcher, after) VALUES (?, ?)", watcher, after);
  }

  /** Wakes every watcher whose offset the tail passed; `later` keeps the object alive for the calls. */
  wake(tail: number, later: (work: Promise<unknown>) => void, storage?: DurableObjectStorage): void {
    const due = this.sql.exec<{ watcher: string; after: number }>("SELECT watcher, after FROM ds_watches WHERE after < ?", tail).toArray();
    if (due.length === 0) return;
    later(
      Promise.all(
        due.map(async ({ watcher, after }) => {
          try {
            await subscriptionPartitionStub(this.env, watcher).wake();
            this.sql.exec("DELETE FROM ds_watches WHERE watcher = ? AND after = ?", watcher, after);
          } catch (error) {
            console.error(`waking ${watcher} failed (the alarm tries again): ${String(error)}`);
            await storage?.setAlarm(Date.now() + REPLICA_RETRY_BACKOFF_MS);
          }
        }),
      ),
    );
  }

  /** The alarm: calls again the watchers a failed wake left. */
  async retry(tail: number | undefined): Promise<void> {
    if (tail === undefined) return;
    const pending: Promise<unknown>[] = [];
    this.wake(tail, (work) => pending.push(work));
    await Promise.all(pending);
  }

  clear(): void {
    this.sql.exec("DELETE FROM ds_watches");
  }
}
