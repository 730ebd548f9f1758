// The leader's side of replication (kafka-semantics §5), Kafka's follower fetch turned into a push: after each append
// the leader sends its new batches to every follower, stamped with its leader epoch, and learns each follower's log
// end from the answer. A follower is first probed: the leader compares leader-epoch caches to find where the
// follower's log diverges, and the first push truncates it there (KIP-101). The high watermark is the smallest log
// end over the in-sync replicas; the ISR shrinks when a follower is unreachable or has not caught up for
// replica.lag.time.max.ms, and grows when it has caught up, each change committed by the controller first (Kafka's
// AlterPartition) and applied here only once committed. A follower that answers FENCED_LEADER_EPOCH means a newer
// leader exists: this one stops at once.
import type { Result } from "../errors";
import { divergenceOffset, epochsCovering, type EpochEntry } from "../log/leader-epochs";
import { nextHighWatermark } from "../log/high-watermark";
import { REPLICA_PUSH_MAX_BYTES, REPLICA_RETRY_BACKOFF_MS } from "../limits";
import type { ReplicatedBatch, ReplicateRequest, ReplicateResponse } from "../protocol";
import type { LocalLog, ReplicaRole } from "./local-log";

export interface ReplicationHost {
  readonly log: LocalLog;
  now(): number;
  lagTimeMaxMs(): number;
  /** Batches from `offset` on (local, or from R2 for a follower far behind), about maxBytes. */
  batchesFrom(offset: number, maxBytes: number): Promise<ReplicatedBatch[]>;
  /** Calls follower `replica`; throws when it is unreachable. */
  push(replica: number, request: Omit<ReplicateRequest, "ref">): Promise<Result<ReplicateResponse>>;
  /** Asks the controller to commit a new ISR at this leader epoch; answers the committed role. */
  alterIsr(isr: number[]): Promise<Result<ReplicaRole>>;
  /** The high watermark moved, or the ISR changed: acks=all waiters and long-polls re-check. */
  changed(): void;
  /** A follower knows a newer leader epoch: re-read the metadata (this replica steps down). */
  fenced(): void;
}

interface Follower {
  id: number;
  /** The follower's log end as last confirmed; undefined until probed in this leadership. */
  logEndOffset: number | undefined;
  /** Set by a probe: the next push first truncates the follower here (or, with reset, empties it). */
  truncateTo: number | undefined;
  reset: boolean;
  lastCaughtUpMs: number;
  /** No push before this time after a failure (the alarm may still try). */
  retryAtMs: number;
  unreachable: boolean;
  running: Promise<void> | undefined;
  again: boolean;
}

export class Replicator {
  private readonly followers = new Map<number, Follower>();
  /** ISR changes are sent to the controller one at a time. */
  private isrChange: Promise<void> = Promise.resolve();
  private readonly joining = new Set<number>();
  private stopped = false;
  /** The log end when this leadership began: a follower joins the ISR only once it holds it (Kafka's rule). */
  private readonly epochStartOffset: number;

  constructor(private readonly host: ReplicationHost) {
    const s = host.log.current!;
    this.epochStartOffset = s.logEndOffset;
    const now = host.now();
    for (let id = 0; id < s.replication.replicationFactor; id++) {
      if (id === s.replication.replicaId) continue;
      this.followers.set(id, { id, logEndOffset: undefined, truncateTo: undefined, reset: false, lastCaughtUpMs: now, retryAtMs: 0, unreachable: false, running: undefined, again: false });
    }
  }

  get role(): ReplicaRole {
    return this.host.log.current!.replication;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Pushes to every follower with something to receive; `force` ignores the retry backoff (the alarm). */
  kick(force = false): void {
    if (this.stopped) return;
    this.checkLag();
    // With every in-sync follower caught up, or none left beside the leader, the append is committed now: no push
    // answer may come to move the high watermark (a follower out of the ISR and backing off sends none).
    this.updateHighWatermark();
    for (const f of this.followers.values()) this.run(f, force);
  }

  /** Waits until no push and no ISR change is in flight (the alarm, so its work is done when it returns). */
  async settle(): Promise<void> {
    for (;;) {
      const running = [...this.followers.values()].map((f) => f.running).filter((p) => p !== undefined);
      const isr = this.isrChange;
      await Promise.all([...running, isr]);
      if ([...this.followers.values()].every((f) => f.running === undefined) && isr === this.isrChange) return;
    }
  }

  /** Whether some follower is out of sync or behind (the alarm then comes back soon). */
  needsAttention(): boolean {
    const s = this.host.log.current!;
    for (const f of this.followers.values()) {
      if (!this.role.isr.includes(f.id) || f.logEndOffset === undefined || f.logEndOffset < s.logEndOffset) return true;
    }
    return false;
  }

  /** Each follower's log end as the leader knows it (-1: not yet known), for describe. */
  followerEndOffsets(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const f of this.followers.values()) out[String(f.id)] = f.logEndOffset ?? -1;
    return out;
  }

  /** Recomputes the high watermark from what followers confirmed. */
  updateHighWatermark(): void {
    const s = this.host.log.current!;
    const ends = new Map<number, number | undefined>();
    for (const f of this.followers.values()) ends.set(f.id, f.truncateTo === undefined ? f.logEndOffset : undefined);
    const hw = nextHighWatermark({
      current: s.highWatermark,
      leaderId: s.replication.replicaId,
      leaderEndOffset: s.logEndOffset,
      isr: s.replication.isr,
      joining: [...this.joining],
      followerEndOffsets: ends,
      minInsyncReplicas: Number(s.config["min.insync.replicas"]),
    });
    if (hw !== s.highWatermark) {
      this.host.log.setHighWatermark(hw);
      this.host.changed();
    }
  }

  private run(f: Follower, force: boolean): void {
    if (f.running !== undefined) {
      f.again = true;
      return;
    }
    if (!force && this.host.now() < f.retryAtMs) return;
    f.again = false;
    f.running = this.pump(f)
      .catch((error: unknown) => {
        // A read of our own log failed (R2): try again later.
        console.error(`pushing to replica ${f.id} failed: ${String(error)}`);
        this.backOff(f);
      })
      .finally(() => {
      f.running = undefined;
      if (f.again && !this.stopped) this.run(f, false);
    });
  }

  private async pump(f: Follower): Promise<void> {
    while (!this.stopped) {
      const s = this.host.log.current!;
      const sentAtMs = this.host.now();
      const sentEnd = s.logEndOffset;
      let request: Omit<ReplicateRequest, "ref">;
      const base = { leaderId: s.replication.replicaId, leaderEpoch: s.replication.leaderEpoch, highWatermark: s.highWatermark, logStartOffset: s.logStartOffset };
      if (f.logEndOffset === undefined) {
        request = { ...base, batches: [], epochs: [] }; // a probe: the answer carries the follower's epoch cache
      } else {
        const from = f.truncateTo ?? f.logEndOffset;
        if (from >= sentEnd && f.truncateTo === undefined && !f.unreachable) return;
        const batches = from < sentEnd ? await this.host.batchesFrom(from, REPLICA_PUSH_MAX_BYTES) : [];
        if (this.stopped) return;
        const last = batches.at(-1)?.lastOffset ?? from - 1;
        // A reset restarts the follower at our first batch (the log start may lie inside it).
        if (f.reset) f.truncateTo = batches[0]?.baseOffset ?? from;
        request = {
          ...base,
          ...(f.truncateTo === undefined ? {} : { truncateTo: f.truncateTo, ...(f.reset ? { reset: true } : {}) }),
          batches,
          epochs: batches.length === 0 ? [] : epochsCovering(this.host.log.epochs.entries(), batches[0]!.baseOffset, last),
        };
      }
      let answer: Result<ReplicateResponse>;
      try {
        answer = await this.host.push(f.id, request);
      } catch (error) {
        // Unreachable: leave the ISR now (Kafka fences a broker whose session ends) and retry after a backoff.
        console.error(`replica ${f.id} unreachable: ${String(error)}`);
        f.unreachable = true;
        f.logEndOffset = undefined;
        f.truncateTo = undefined;
        this.backOff(f);
        this.changeIsr((isr) => isr.filter((id) => id !== f.id));
        return;
      }
      if (this.stopped) return;
      if (!answer.ok) {
        if (answer.error.type === "FENCED_LEADER_EPOCH") {
          this.stopped = true;
          this.host.fenced();
          return;
        }
        // The follower has not learned this epoch yet, or its log moved under us: probe again after a backoff.
        f.logEndOffset = undefined;
        f.truncateTo = undefined;
        this.backOff(f);
        return;
      }
      f.unreachable = false;
      f.retryAtMs = 0;
      const r = answer.value;
      if (f.logEndOffset === undefined) {
        this.diverge(f, r);
        if (f.truncateTo === undefined) {
          if (r.logEndOffset >= sentEnd) f.lastCaughtUpMs = sentAtMs;
          this.updateHighWatermark();
          this.maybeJoin(f);
        }
        continue;
      }
      f.truncateTo = undefined;
      f.reset = false;
      f.logEndOffset = r.logEndOffset;
      if (r.logEndOffset >= sentEnd) f.lastCaughtUpMs = sentAtMs;
      this.updateHighWatermark();
      this.maybeJoin(f);
      if (r.logEndOffset >= this.host.log.current!.logEndOffset) return;
    }
  }

  /** No push to `f` for REPLICA_RETRY_BACKOFF_MS; then one try (a timer: an idle partition gets no append to wake it). */
  private backOff(f: Follower): void {
    f.retryAtMs = this.host.now() + REPLICA_RETRY_BACKOFF_MS;
    setTimeout(() => {
      if (!this.stopped) this.run(f, true);
    }, REPLICA_RETRY_BACKOFF_MS);
  }

  /** After a probe: where the follower's log stops agreeing with ours, or a reset when it is behind our log start. */
  private diverge(f: Follower, r: ReplicateResponse): void {
    const s = this.host.log.current!;
    const leader = { epochs: this.host.log.epochs.entries() as EpochEntry[], logEndOffset: s.logEndOffset };
    const point = divergenceOffset(leader, { epochs: r.epochs, logEndOffset: r.logEndOffset, logStartOffset: r.logStartOffset });
    if (r.logEndOffset < s.logStartOffset || point < r.logStartOffset) {
      // Nothing the follower holds is still in our log (or it starts past our log end): it starts over at our log start.
      f.truncateTo = s.logStartOffset;
      f.reset = true;
    } else {
      f.truncateTo = point < r.logEndOffset ? point : undefined;
      f.reset = false;
    }
    f.logEndOffset = f.truncateTo ?? r.logEndOffset;
  }

  private maybeJoin(f: Follower): void {
    const s = this.host.log.current!;
    if (this.role.isr.includes(f.id) || this.joining.has(f.id) || f.logEndOffset === undefined) return;
    if (f.logEndOffset < s.highWatermark || f.logEndOffset < this.epochStartOffset) return;
    this.joining.add(f.id);
    this.changeIsr((isr) => (isr.includes(f.id) ? isr : [...isr, f.id].sort((a, b) => a - b)), () => this.joining.delete(f.id));
  }

  /** Shrinks the ISR by replicas that have not caught up for replica.lag.time.max.ms. */
  private checkLag(): void {
    const now = this.host.now();
    const lagMs = this.host.lagTimeMaxMs();
    const s = this.host.log.current!;
    const lagging = [...this.followers.values()].filter(
      (f) => this.role.isr.includes(f.id) && now - f.lastCaughtUpMs > lagMs && (f.logEndOffset === undefined || f.logEndOffset < s.logEndOffset),
    );
    if (lagging.length > 0) this.changeIsr((isr) => isr.filter((id) => !lagging.some((f) => f.id === id)));
  }

  /** Commits an ISR change through the controller, then applies it here. Serialized; a no-op change sends nothing. */
  private changeIsr(change: (isr: number[]) => number[], done?: () => void): void {
    this.isrChange = this.isrChange.then(async () => {
      try {
        if (this.stopped) return;
        const current = this.role.isr;
        const next = change(current);
        if (next.length === current.length && next.every((id, i) => id === current[i])) return;
        const committed = await this.host.alterIsr(next);
        if (this.stopped) return;
        if (!committed.ok) {
          if (committed.error.type === "FENCED_LEADER_EPOCH") {
            this.stopped = true;
            this.host.fenced();
          } else console.error(`ISR change refused: ${committed.error.type} ${committed.error.message}`);
          return;
        }
        this.host.log.setReplication(committed.value);
        this.updateHighWatermark();
        this.host.changed();
      } catch (error) {
        console.error(`ISR change failed (retried on the next push or alarm): ${String(error)}`);
      } finally {
        done?.();
      }
    });
  }
}
