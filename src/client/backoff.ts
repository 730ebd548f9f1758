// Retry timing shared by the producer, the consumer and the admin: Kafka's ExponentialBackoff (initial * 2^attempt,
// capped, with ±20% jitter so clients that failed together do not retry together), and a sleep that an
// AbortSignal can cut short.

export interface BackoffConfig {
  /** First retry's delay (Kafka's retry.backoff.ms). */
  retryBackoffMs: number;
  /** Ceiling of the delay (Kafka's retry.backoff.max.ms). */
  retryBackoffMaxMs: number;
}

export const DEFAULT_BACKOFF: BackoffConfig = { retryBackoffMs: 100, retryBackoffMaxMs: 1_000 };

const JITTER = 0.2;

/** Delay before retry number `attempt` (0-based), at least `floorMs` (a server's Retry-After). */
export function backoffMs(attempt: number, config: BackoffConfig, floorMs = 0, random: () => number = Math.random): number {
  const exponential = Math.min(config.retryBackoffMaxMs, config.retryBackoffMs * 2 ** Math.min(attempt, 30));
  const jittered = exponential * (1 - JITTER + random() * 2 * JITTER);
  return Math.max(floorMs, Math.round(jittered));
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: callers check what they are waiting for). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Runs `work`, retrying retriable failures (EdgelogError.retriable) up to `retries` times with backoff. */
export async function retry<T>(work: () => Promise<T>, retries: number, config: BackoffConfig, signal?: AbortSignal): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const retriable = typeof error === "object" && error !== null && (error as { retriable?: unknown }).retriable === true;
      if (!retriable || attempt >= retries || signal?.aborted) throw error;
      await sleep(backoffMs(attempt, config, (error as { retryAfterMs?: number }).retryAfterMs ?? 0), signal);
    }
  }
}
