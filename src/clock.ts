// An object's clock: real time plus an offset that tests move forward (retention, session timeouts, segment age)
// instead of sleeping. Alarms run on the real clock, so a due time on this clock converts back before setAlarm.
export class Clock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Moves this clock forward (tests, through runInDurableObject). */
  advance(ms: number): void {
    this.offsetMs += ms;
  }

  /** The real time at which this clock reads `ms`. */
  toReal(ms: number): number {
    return ms - this.offsetMs;
  }
}
