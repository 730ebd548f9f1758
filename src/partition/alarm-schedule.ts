// The partition's one alarm, set for when its background work next falls due (log/segment-plan.ts maintenanceDue),
// never on a fixed interval: an idle partition with nothing due has no alarm and costs nothing. Setting an alarm bills
// a row written, so it is set only when it must move earlier; an alarm that fires early finds nothing to do and sets
// the next due time. After an append only two things can have moved the due time: a roll (the sealed segments changed:
// computed again, one query) or the log's growth past a byte bound; a first batch in the active segment starts its
// segment.ms clock. Nothing here runs a query per append.
import type { Clock } from "../clock";
import { maintenanceDue } from "../log/segment-plan";
import { MAX_ALARM_HORIZON_MS, REPLICA_RETRY_BACKOFF_MS } from "../limits";
import type { LocalLog, LogState } from "./local-log";

/** The largest time a Date holds (ECMAScript: 8.64e15 ms after the epoch). */
const MAX_DATE_MS = 8.64e15;

export interface ScheduleHost {
  readonly log: LocalLog;
  readonly clock: Clock;
  maxLocalBytes(): number;
  /** Blocked work (records due for cleanup but not yet committed by the replicas) is tried again this much later. */
  retryMs(): number;
  /** Whether followers are behind or out of sync (retried after a backoff). */
  followersNeedAttention(): boolean;
}

export class AlarmSchedule {
  /** When the alarm is set for (real time), as far as this instance knows; undefined: none. */
  private atMs: number | undefined;
  /** Whether atMs is known (a new instance asks storage once). */
  private known = false;
  /** When maintenance next falls due, while known. */
  private due: { atMs: number | undefined; sizeBytesDue: number } | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly host: ScheduleHost,
  ) {}

  /**
   * Keeps the alarm set for when maintenance next falls due after an append that started from `before`, or after any
   * other change (`before` undefined: computed again). `afterRun`: the alarm just ran, so whatever is still due now is
   * blocked, and failed R2 deletes and lagging followers are retried after a backoff.
   */
  async keepDue(before: LogState | undefined, afterRun = false): Promise<void> {
    const log = this.host.log;
    const s = log.current!;
    const now = this.host.clock.now();
    if (this.due === undefined || before === undefined || before.active.baseOffset !== s.active.baseOffset) {
      this.due = maintenanceDue(log.segments.list(), s.active, s.sizeBytes, s.config, now, this.host.maxLocalBytes());
    } else if (before.active.batches === 0 && s.active.batches > 0) {
      const rollAt = s.active.createdMs + Number(s.config["segment.ms"]);
      this.due = { ...this.due, atMs: this.due.atMs === undefined ? rollAt : Math.min(this.due.atMs, rollAt) };
    }
    let at = s.sizeBytes >= this.due.sizeBytesDue ? now : this.due.atMs;
    if (afterRun) {
      if (at !== undefined && at <= now) at = now + this.host.retryMs();
      if (log.segments.garbage().length > 0 || this.host.followersNeedAttention()) at = Math.min(at ?? Infinity, now + REPLICA_RETRY_BACKOFF_MS);
    }
    // Due past the last date a clock can show (segment.ms or a lag of Long.MAX_VALUE) is never; due in years is looked
    // at again after a year rather than set for then.
    if (at !== undefined && at <= MAX_DATE_MS) await this.atMost(this.host.clock.toReal(Math.min(at, now + MAX_ALARM_HORIZON_MS)));
  }

  /** Makes sure the alarm fires at `realMs` (real time) or earlier. */
  async atMost(realMs: number): Promise<void> {
    if (!this.known) {
      this.atMs = (await this.storage.getAlarm()) ?? undefined;
      this.known = true;
    }
    if (this.atMs !== undefined && this.atMs <= realMs) return;
    this.atMs = realMs;
    await this.storage.setAlarm(realMs);
  }

  /** The alarm just fired: none is set until the handler sets the next. */
  fired(): void {
    this.atMs = undefined;
    this.known = true;
    this.due = undefined;
  }

  /** Storage was emptied (the topic was dropped): the alarm went with it. */
  cleared(): void {
    this.atMs = undefined;
    this.known = true;
  }

  /** Something other than an append changed the log or its config: compute the due time again next time. */
  invalidate(): void {
    this.due = undefined;
  }

  /** This instance restarts from storage (the fault switch): ask storage again. */
  forget(): void {
    this.known = false;
    this.due = undefined;
  }
}
