// Token buckets for per-token quotas, in one router isolate (Kafka enforces quotas per broker the same way: each
// enforcer sees its own share of the traffic). A bucket holds up to one second of its rate; a request that finds it
// in debt is refused with the time until it is back above zero. Pure: time is passed in.
import type { Principal } from "./acl";

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

export type QuotaKind = "requests" | "produce" | "fetch";

/** Each kind's name in a token's quotas (and in the 429's details). */
export const QUOTA_NAME = { requests: "requestsPerSecond", produce: "produceBytesPerSecond", fetch: "fetchBytesPerSecond" } as const;

/** The buckets of one isolate: one per token, quota kind and rate (a token whose rate changed starts a fresh bucket). */
export class QuotaBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  /** Milliseconds until the principal is out of debt on this quota; 0 also when it has no such quota. */
  waitMs(principal: Principal, kind: QuotaKind, nowMs: number): number {
    return this.bucket(principal, kind, nowMs)?.waitMs(nowMs) ?? 0;
  }

  /** Charges what a request used (nothing without a quota of this kind). */
  take(principal: Principal, kind: QuotaKind, amount: number, nowMs: number): void {
    this.bucket(principal, kind, nowMs)?.take(amount, nowMs);
  }

  private bucket(principal: Principal, kind: QuotaKind, nowMs: number): TokenBucket | undefined {
    const rate = principal.quotas[QUOTA_NAME[kind]];
    if (rate === undefined) return undefined;
    const key = `${principal.name}\u0000${kind}\u0000${rate}`;
    let b = this.buckets.get(key);
    if (!b) this.buckets.set(key, (b = new TokenBucket(rate, nowMs)));
    return b;
  }
}
