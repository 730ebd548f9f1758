// acks=all produces waiting for the high watermark to pass their records. Each waiter re-asks its check whenever the
// high watermark, the ISR or the role changes, and gives up after its timeout (REQUEST_TIMED_OUT: ambiguous, the
// records may still be committed).
import type { Result } from "../errors";

export class CommitWaiters {
  private readonly waiters = new Set<() => void>();

  /** Waits until `check` answers (asked now and on every change) or `timeoutMs` passes, then answers `timedOut()`. */
  wait(check: () => Result<void> | undefined, timeoutMs: number, timedOut: () => Result<void>): Promise<Result<void>> {
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiter = () => {
        const result = check();
        if (result === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        resolve(timedOut());
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** The high watermark, the ISR or the role changed. */
  changed(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
