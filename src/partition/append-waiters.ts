// Long-polls parked in the partition object until the next append (or their timeout), woken by an in-memory list.
import { MAX_FETCH_WAITERS_PER_PARTITION } from "../limits";

export class AppendWaiters {
  private readonly waiters = new Set<() => void>();

  /** Whether another long-poll may park (beyond the bound a fetch answers at once, empty). */
  get hasRoom(): boolean {
    return this.waiters.size < MAX_FETCH_WAITERS_PER_PARTITION;
  }

  get size(): number {
    return this.waiters.size;
  }

  wait(maxWaitMs: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, maxWaitMs);
      this.waiters.add(wake);
    });
  }

  wake(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
