// Objects waiting for this partition's next append (a subscription partition that caught up): unlike a reader's
// socket (watchers.ts) an object cannot hold a connection while it sleeps, so its wait is a row here, naming the object
// and the offset the high watermark must pass. When it does, the partition calls the object's wake() and forgets the
// row; a call that fails keeps the row and is tried again from the alarm. Rows survive eviction, so no wake-up is lost;
// an object woken twice just finds nothing new. The rows are read once per instance and kept in memory.
import type { PartitionTables } from "./log-state";

export class DurableWatches {
  /** watcher object name -> the offset the high watermark must pass; undefined until read. */
  private rows: Map<string, number> | undefined;
  /** Whether a wake-up failed since the last attempt (the alarm tries again). */
  failed = false;

  constructor(
    private readonly sql: SqlStorage,
    private readonly tables: PartitionTables,
  ) {}

  private all(): Map<string, number> {
    if (this.rows === undefined) {
      this.rows = new Map();
      if (this.tables.exist) {
        for (const r of this.sql.exec<{ watcher: string; after: number }>("SELECT watcher, after FROM watches")) this.rows.set(r.watcher, r.after);
      }
    }
    return this.rows;
  }

  get size(): number {
    return this.all().size;
  }

  /** Records that `watcher` waits until the high watermark passes `after` (replacing an earlier wait of its own). */
  add(watcher: string, after: number): void {
    if (this.all().get(watcher) === after) return;
    this.tables.ensure();
    this.sql.exec("INSERT OR REPLACE INTO watches (watcher, after) VALUES (?, ?)", watcher, after);
    this.all().set(watcher, after);
  }

  /** The watchers the high watermark has passed. */
  due(highWatermark: number): { watcher: string; after: number }[] {
    const out: { watcher: string; after: number }[] = [];
    for (const [watcher, after] of this.all()) if (highWatermark > after) out.push({ watcher, after });
    return out;
  }

  /** A watcher was woken: forget its wait (unless it registered a new one meanwhile). */
  remove(watcher: string, after: number): void {
    if (this.all().get(watcher) !== after) return;
    this.sql.exec("DELETE FROM watches WHERE watcher = ? AND after = ?", watcher, after);
    this.all().delete(watcher);
  }

  /** Storage was emptied (the topic was dropped, or the log reset). */
  forget(): void {
    this.rows = undefined;
  }
}
