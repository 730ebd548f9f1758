// Token buckets for per-token quotas, in one router isolate (Kafka enforces quotas per broker the same way: each
// enforcer sees its own share of the traffic). A bucket holds up to one second of its rate; a request that finds it
// in debt is refused with the time until it is back above zero. Pure: time is passed in.

export class TokenBucket {
  private level: number;
  private updatedMs: number;

  constructor(
    private readonly ratePerSecond: number,
    nowMs: number,
  ) {
    this.level = ratePerSecond;
    this.updatedMs = nowMs;
  }

  private refill(nowMs: number): void {
    const elapsed = Math.max(0, nowMs - this.updatedMs);
    this.level = Math.min(this.ratePerSecond, this.level + (elapsed / 1000) * this.ratePerSecond);
    this.updatedMs = nowMs;
  }

  /** Milliseconds until the bucket is out of debt; 0 when a request may go ahead. */
  waitMs(nowMs: number): number {
    this.refill(nowMs);
    return this.level >= 0 ? 0 : Math.ceil((-this.level / this.ratePerSecond) * 1000);
  }

  /** Takes `amount` (may go into debt: a large request is admitted once, then the next ones wait). */
  take(amount: number, nowMs: number): void {
    this.refill(nowMs);
    this.level -= amount;
  }
}
