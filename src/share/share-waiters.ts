// Polls waiting for room in a full share-partition window (SharePartition.waitForRoom), oldest first. Each waits at
// most its maxWaitMs; wakeOne() answers the oldest with true, a wait that runs out answers false.
export class RoomWaiters {
  private readonly waiting = new Set<() => void>();

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

  wakeOne(): void {
    const [first] = this.waiting;
    first?.();
  }
}
