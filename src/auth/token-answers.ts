// What one router isolate knows about presented token hashes (service/token-cache.ts): each hash's record, or that it
// is unknown, with the time its shard answered. Bounded by entries: a flood of made-up tokens evicts the oldest
// answers, it never grows the isolate's memory. A leaf: no platform imports, so the bound is tested directly.
import type { TokenRecord } from "./tokens";

/** A shard's answer about one hash: its record, or null (unknown or revoked), and when the shard gave it. */
export interface TokenAnswer {
  record: TokenRecord | null;
  answeredMs: number;
}

export class TokenAnswers {
  private readonly answers = new Map<string, TokenAnswer>();

  constructor(private readonly maxEntries: number) {}

  get(sha256: string): TokenAnswer | undefined {
    return this.answers.get(sha256);
  }

  /** Keeps an answer (the newest replaces an older one); past the bound the answer kept longest goes. */
  set(sha256: string, answer: TokenAnswer): void {
    this.answers.delete(sha256);
    this.answers.set(sha256, answer);
    if (this.answers.size > this.maxEntries) this.answers.delete(this.answers.keys().next().value!);
  }

  delete(sha256: string): void {
    this.answers.delete(sha256);
  }

  clear(): void {
    this.answers.clear();
  }

  get size(): number {
    return this.answers.size;
  }
}
