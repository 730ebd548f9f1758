// A coordinator's one alarm, at its earliest deadline (member sessions, rebalance timeouts, share-group sessions).
// Heartbeats only push deadlines later, so the alarm is written only when it must move earlier; with no deadline (no
// members) there is none: an idle group never wakes.
import type { Clock } from "../clock";

export class CoordinatorAlarm {
  /** The real time the alarm is set for, as far as this instance knows. */
  private atMs: number | undefined;

  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly clock: Clock,
  ) {}

  /** Sets the alarm for the earliest of `deadlines` (on the coordinator's clock), or deletes it when there is none. */
  async schedule(deadlines: readonly (number | undefined)[]): Promise<void> {
    const due = deadlines.filter((d) => d !== undefined);
    if (due.length === 0) {
      if (this.atMs !== undefined) await this.storage.deleteAlarm();
      this.atMs = undefined;
      return;
    }
    const at = this.clock.toReal(Math.min(...due)); // the alarm runs on the real clock
    if (this.atMs !== undefined && this.atMs <= at) return;
    this.atMs = at;
    await this.storage.setAlarm(at);
  }

  /** The alarm ran, or the storage that held it was deleted. */
  forget(): void {
    this.atMs = undefined;
  }
}
