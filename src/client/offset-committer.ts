// Commits a consumer's offsets with at most one commit request in flight: offsets asked for while one is out are
// merged (the newest offset per partition wins) into the next request. Each caller's promise settles when a
// request carrying its offsets has. Fencing answers are handled here: a stale epoch waits for the member's next
// heartbeat and retries; partitions the member no longer owns are dropped (their next owner commits them).
import { backoffMs, sleep, type BackoffConfig } from "./backoff";
import { EdgelogError, isErrorType, isRetriable } from "./edgelog-error";
import type { Transport } from "./transport";
import type { OffsetCommit, TopicPartitions } from "./wire";

export interface CommitterContext {
  transport: Transport;
  groupId: string;
  backoff: BackoffConfig;
  /** The member's current id and epoch; undefined when it is not in the group. */
  member(): { memberId: string; memberEpoch: number } | undefined;
  onCommitted(offsets: OffsetCommit[]): void;
}

/** Attempts of one commit request (stale epochs and retriable failures) before it gives up. */
const MAX_COMMIT_ATTEMPTS = 10;

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

export class OffsetCommitter {
  private pending = new Map<string, OffsetCommit>();
  private waiters: Waiter[] = [];
  private running: Promise<void> | undefined;

  constructor(private readonly ctx: CommitterContext) {}

  commit(offsets: OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return Promise.resolve();
    for (const o of offsets) this.pending.set(`${o.topic}\u0000${o.partition}`, o);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.running ??= this.run().finally(() => (this.running = undefined));
    return done;
  }

  private async run(): Promise<void> {
    while (this.pending.size > 0) {
      const offsets = [...this.pending.values()];
      const waiters = this.waiters;
      this.pending = new Map();
      this.waiters = [];
      try {
        await this.send(offsets);
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    }
  }

  private async send(offsets: OffsetCommit[]): Promise<void> {
    for (let attempt = 0; offsets.length > 0; attempt++) {
      const member = this.ctx.member();
      if (member === undefined) throw new EdgelogError("UNKNOWN_MEMBER_ID", `cannot commit to group '${this.ctx.groupId}': this consumer is not a member now`);
      try {
        await this.ctx.transport.commitOffsets(this.ctx.groupId, { ...member, offsets });
        this.ctx.onCommitted(offsets);
        return;
      } catch (error) {
        if (isErrorType(error, "PARTITION_NOT_ASSIGNED")) {
          const notOwned = (error.details?.notOwned ?? []) as TopicPartitions[];
          const lost = new Set(notOwned.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}\u0000${p}`)));
          offsets = offsets.filter((o) => !lost.has(`${o.topic}\u0000${o.partition}`));
          if (lost.size > 0) continue;
        }
        // A heartbeat moved the member to a new epoch while this commit was out: retry with the new epoch.
        const again = isErrorType(error, "STALE_MEMBER_EPOCH") || isRetriable(error);
        if (!again || attempt + 1 >= MAX_COMMIT_ATTEMPTS) throw error;
        await sleep(backoffMs(attempt, this.ctx.backoff, (error as EdgelogError).retryAfterMs ?? 0));
      }
    }
  }
}
