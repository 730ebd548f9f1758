// Polls waiting for room in a full share-partition window (SharePartition.waitForRoom), oldest first. Each waits at
// most its maxWaitMs; wake() answers the oldest with true when something can be acquired, a wait that runs out
// answers false. A wake-up must not be lost: a woken poll may no longer be waiting here (it parked on every full
// window of its topics and another woke it first, or it is gone), and the polls behind it would then sleep with room
// free until their maxWaitMs. So a wake-up not claimed by an acquire within WAKE_UNCLAIMED_MS wakes the next.

/** How long a poll woken for room has to come and acquire before the next waiting poll is woken. */
const WAKE_UNCLAIMED_MS = 25;

export class RoomWaiters {
  private readonly waiting = new Set<() => void>();
  /** Set after a wake-up, until an acquire claims it. */
  private unclaimed: ReturnType<typeof setTimeout> | undefined;

  get size(): number {
    return this.waiting.size;
  }

  wait(maxWaitMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waiting.delete(wake);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiting.delete(wake);
        resolve(false);
      }, Math.max(0, maxWaitMs));
      this.waiting.add(wake);
    });
  }

  /** Wakes the longest-waiting poll if `canGive()`. One at a time: an acknowledgement frees about one poll's worth,
   *  and waking every waiter would send them all to acquire for it (a herd that showed in the bench with 16
   *  consumers); the woken poll's acquire wakes the next while room is left. */
  wake(canGive: () => boolean): void {
    if (this.waiting.size === 0 || !canGive()) return;
    const [first] = this.waiting;
    first!();
    clearTimeout(this.unclaimed);
    this.unclaimed = setTimeout(() => {
      this.unclaimed = undefined;
      this.wake(canGive);
    }, WAKE_UNCLAIMED_MS);
  }

  /** An acquire came: the last wake-up was taken (that acquire wakes the next while room is left). */
  claimed(): void {
    clearTimeout(this.unclaimed);
    this.unclaimed = undefined;
  }
}
