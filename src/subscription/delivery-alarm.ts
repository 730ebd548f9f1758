// A subscription partition's one alarm, and what it is for: a watchdog while delivering (an eviction mid-delivery
// resumes within it), a retry's or a partial batch's due time, a replicated topic's recheck, or none at all when the
// object waits on its partition's wake-up. The time set is kept in memory so that resetting the watchdog on every
// wave costs no storage write unless it is due soon.
import type { Clock } from "../clock";
import { SUBSCRIPTION_WATCHDOG_MS } from "../limits";

export class DeliveryAlarm {
  /** The alarm set (real time), as far as this instance knows; undefined: none. */
  private atMs: number | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly clock: Clock,
  ) {}

  /** Sets the alarm for `atMs` (the injected clock) unless one is set sooner. */
  async at(atMs: number): Promise<void> {
    const real = this.clock.toReal(atMs);
    if (this.atMs !== undefined && this.atMs <= real) return;
    await this.set(real);
  }

  /** Keeps a watchdog alarm SUBSCRIPTION_WATCHDOG_MS ahead; rewritten only when the one set is less than half that away. */
  async watchdog(): Promise<void> {
    if (this.atMs !== undefined && this.atMs > Date.now() + SUBSCRIPTION_WATCHDOG_MS / 2) return;
    await this.set(this.clock.toReal(this.clock.now() + SUBSCRIPTION_WATCHDOG_MS));
  }

  /** Replaces whatever alarm is set (the watchdog, sooner) with one at `atMs` (the injected clock). */
  async restUntil(atMs: number): Promise<void> {
    await this.set(this.clock.toReal(atMs));
  }

  async clear(): Promise<void> {
    if (this.atMs === undefined) return;
    this.atMs = undefined;
    await this.storage.deleteAlarm();
  }

  /** The alarm fired, or storage was deleted: none is set any more. */
  forget(): void {
    this.atMs = undefined;
  }

  private async set(real: number): Promise<void> {
    this.atMs = real;
    await this.storage.setAlarm(real);
  }
}
