// Everyone waiting for this partition's log to move: acks=all produces (until the high watermark passes their
// records), readers parked outside the object (src/watch.ts), and objects that asked to be woken (durable watches,
// called through wakeObjects). One place decides who is told when the high watermark, the ISR or the role changes.
import type { Env } from "../env";
import { fail, type Result } from "../errors";
import type { AlarmSchedule } from "./alarm-schedule";
import { CommitWaiters } from "./commit-waiters";
import type { LocalLog, LogState } from "./local-log";
import { commitOutcome } from "./replication-host";
import { wakeObjects } from "./wake-objects";
import { Watchers } from "../watchers";

export interface WaitersHost {
  /** Functions: the object replaces its log and schedule when it restarts from storage. */
  log(): LocalLog;
  alarms(): AlarmSchedule;
  readonly env: Env;
  acksAllTimeoutMs(): number;
  /** Whether this replica can still see followers confirm (not faulted or dropped, and leading). */
  canCommit(): boolean;
  /** Work that outlives the request that caused it (ctx.waitUntil). */
  waitUntil(work: Promise<unknown>): void;
  /** The high watermark may have moved: clients' WebSocket tails look again (tails.ts). */
  moved?(): void;
}

export class LogWaiters {
  /** Readers parked until the next append, outside this object's billed time (src/watch.ts). */
  readonly watchers: Watchers;
  private readonly commits = new CommitWaiters();

  constructor(
    ctx: DurableObjectState,
    private readonly host: WaitersHost,
  ) {
    this.watchers = new Watchers(ctx);
  }

  /** Waits until the high watermark reaches `offset` (acks=all, and a replicated marker). */
  waitForCommit(offset: number, minIsr: number): Promise<Result<void>> {
    const timeoutMs = this.host.acksAllTimeoutMs();
    return this.commits.wait(
      () => commitOutcome(this.host.log(), offset, minIsr, this.host.canCommit()),
      timeoutMs,
      () => fail("REQUEST_TIMED_OUT", `the in-sync replicas did not confirm offset ${offset - 1} within ${timeoutMs} ms; the records may still be committed`, { ambiguous: true }),
    );
  }

  /**
   * An object (a subscription partition that caught up) asks to be woken when the high watermark passes `after`:
   * ready at once if it already has, else the wait is kept (durable-watches.ts) until it does. Waits live on the leader
   * only: with replicas, the watcher also looks again now and then (a new leader after a failover does not know it).
   */
  watchFor(state: LogState, watcher: string, after: number): { ready: boolean; replicated: boolean } {
    const replicated = state.replication.replicationFactor > 1;
    if (state.highWatermark > after) return { ready: true, replicated };
    this.host.log().watches.add(watcher, after);
    return { ready: false, replicated };
  }

  /** The high watermark, the ISR or the role changed: acks=all waiters and long-polls look again. */
  changed(): void {
    this.commits.changed();
    this.wake();
  }

  /** The high watermark may have moved: readers parked below it wake, and objects waiting past it are called. */
  wake(): void {
    const log = this.host.log();
    const s = log.current;
    if (s === undefined) return;
    this.watchers.wake(s.highWatermark);
    this.host.moved?.();
    // waitUntil: the calls outlive the request that appended (its I/O context would end with its answer).
    if (log.watches.size > 0) this.host.waitUntil(wakeObjects(log, this.host.env, this.host.alarms(), s.highWatermark));
  }
}
