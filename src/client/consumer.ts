// The group consumer: subscribe(), then run() with eachRecord or eachBatch. It joins the group (GroupMember),
// consumes exactly the partitions the coordinator assigns (one PartitionFetcher each), commits what it processed
// (OffsetCommitter), and on revocation stops fetching the partition, waits for its processing, commits, and only
// then reports it released. Delivery is at-least-once: an offset is committed only after its record was processed.
// Every failure reaches run(): subscribed topics must exist (or appear within unknownTopicTimeoutMs), retriable
// errors are retried within bounds (`retries` for a join or a lookup, a session for heartbeats and fetches).
import { DEFAULT_CONSUMER_MAX_WAIT_MS, DEFAULT_FETCH_MAX_BYTES, DEFAULT_REBALANCE_TIMEOUT_MS, DEFAULT_SESSION_TIMEOUT_MS, MAX_FETCH_MAX_RECORDS } from "../limits";
import { awaitTopics } from "./await-topics";
import { DEFAULT_BACKOFF, retry, type BackoffConfig } from "./backoff";
import { asConsumed } from "./consumed-record";
import type { ConsumerConfig, PartitionPosition, RunConfig } from "./consumer-config";
import { withDeadLetter } from "./dead-letter";
import { EdgelogError } from "./edgelog-error";
import { GroupMember } from "./group-member";
import { OffsetCommitter } from "./offset-committer";
import { PartitionFetcher } from "./partition-fetcher";
import { Producer } from "./producer";
import { Slots } from "./slots";
import type { Transport } from "./transport";
import type { FetchedRecord } from "../log/batch";
import type { ConsumerGroupMetadata } from "./transaction";
import type { OffsetCommit, TopicPartitions } from "./wire";

export type { ConsumerConfig, PartitionPosition, RunConfig } from "./consumer-config";

/** As the admin's: about 2.5 s of backoff at the default 100 ms doubling to 1 s, then the error is the caller's. */
const DEFAULT_RETRIES = 5;
/** Long enough for a topic that a script started beside the consumer creates, short enough to report a typo. */
const DEFAULT_UNKNOWN_TOPIC_TIMEOUT_MS = 10_000;

export class Consumer {
  private readonly config: Required<Omit<ConsumerConfig, "assignor" | "memberId">> & Pick<ConsumerConfig, "assignor">;
  private readonly memberId: string;
  private readonly backoff: BackoffConfig;
  private readonly fetchers = new Map<string, PartitionFetcher>();
  private readonly paused = new Set<string>();
  private readonly pendingSeeks = new Map<string, number>();
  private readonly committer: OffsetCommitter;
  private topics: string[] = [];
  private member: GroupMember | undefined;
  private handler: ((fetcher: PartitionFetcher, records: FetchedRecord[], highWatermark: number, generation: number) => Promise<void>) | undefined;
  private deadLetterProducer: Producer | undefined;
  private slots: Slots | undefined;
  private stopSignal: AbortController | undefined;
  private heartbeats: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private closing = false;
  private failure: unknown;
  private settleRun: { resolve(): void; reject(error: unknown): void } | undefined;

  constructor(
    private readonly transport: Transport,
    config: ConsumerConfig,
  ) {
    this.config = {
      groupId: config.groupId,
      autoOffsetReset: config.autoOffsetReset ?? "latest",
      autoCommit: config.autoCommit ?? true,
      sessionTimeoutMs: config.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: config.rebalanceTimeoutMs ?? DEFAULT_REBALANCE_TIMEOUT_MS,
      assignor: config.assignor,
      maxWaitMs: config.maxWaitMs ?? DEFAULT_CONSUMER_MAX_WAIT_MS,
      maxRecords: config.maxRecords ?? MAX_FETCH_MAX_RECORDS,
      maxBytes: config.maxBytes ?? DEFAULT_FETCH_MAX_BYTES,
      prefetch: config.prefetch ?? false,
      encoding: config.encoding ?? "text",
      isolationLevel: config.isolationLevel ?? "read_uncommitted",
      partitionsConsumedConcurrently: Math.max(1, config.partitionsConsumedConcurrently ?? 1),
      retryBackoffMs: config.retryBackoffMs ?? DEFAULT_BACKOFF.retryBackoffMs,
      retryBackoffMaxMs: config.retryBackoffMaxMs ?? DEFAULT_BACKOFF.retryBackoffMaxMs,
      retries: config.retries ?? DEFAULT_RETRIES,
      unknownTopicTimeoutMs: config.unknownTopicTimeoutMs ?? DEFAULT_UNKNOWN_TOPIC_TIMEOUT_MS,
    };
    this.memberId = config.memberId ?? crypto.randomUUID();
    this.backoff = { retryBackoffMs: this.config.retryBackoffMs, retryBackoffMaxMs: this.config.retryBackoffMaxMs };
    this.committer = new OffsetCommitter({
      transport,
      groupId: this.config.groupId,
      backoff: this.backoff,
      member: () => this.member?.identity(),
      onCommitted: (offsets) => {
        for (const o of offsets) {
          const fetcher = this.fetchers.get(key(o.topic, o.partition));
          if (fetcher) fetcher.committed = o.offset;
        }
      },
    });
  }

  /** Topics to consume; call before run(). */
  subscribe(subscription: { topics: string[] }): void {
    if (this.member) throw new Error("subscribe() before run(): the subscription is fixed while running");
    this.topics = [...new Set([...this.topics, ...subscription.topics])];
  }

  /**
   * Joins the group and consumes until stop(). Resolves when stop() has finished (offsets committed, group left);
   * rejects with the error that stopped it (a handler's, or one no retry can fix), after the same clean-up.
   */
  run(run: RunConfig): Promise<void> {
    if (this.member) return Promise.reject(new Error("the consumer is already running (a consumer runs once)"));
    if (this.topics.length === 0) return Promise.reject(new Error("subscribe() to at least one topic first"));
    this.handler = this.makeHandler(run);
    this.slots = new Slots(this.config.partitionsConsumedConcurrently);
    this.stopSignal = new AbortController();
    const member = (this.member = new GroupMember(
      this.transport,
      {
        groupId: this.config.groupId,
        memberId: this.memberId,
        subscribedTopics: this.topics,
        sessionTimeoutMs: this.config.sessionTimeoutMs,
        rebalanceTimeoutMs: this.config.rebalanceTimeoutMs,
        assignor: this.config.assignor,
        backoff: this.backoff,
        retries: this.config.retries,
      },
      {
        owned: () => this.owned(),
        assigned: (assignment) => this.reconcile(assignment),
        lost: () => this.dropAll(),
        fatal: (error) => this.fail(error),
      },
    ));
    const done = new Promise<void>((resolve, reject) => (this.settleRun = { resolve, reject }));
    const signal = this.stopSignal.signal;
    // The topics are checked before joining, so a misspelt one leaves no trace in the group.
    const { retries, unknownTopicTimeoutMs } = this.config;
    this.heartbeats = awaitTopics(this.transport, this.topics, { retries, backoff: this.backoff, unknownTopicTimeoutMs }, signal).then(
      () => member.run(signal),
      (error: unknown) => this.fail(error),
    );
    return done;
  }

  /**
   * Stops fetching, waits for the handlers under way, commits what was processed (autoCommit), leaves the group.
   * From inside a handler call it without awaiting it: it waits for that handler to return.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Stops fetching these partitions (all of a topic when `partitions` is omitted) until resume(); they stay owned. */
  pause(topics: { topic: string; partitions?: number[] }[]): void {
    for (const t of topics) for (const k of keysOf(t)) this.paused.add(k);
    for (const fetcher of this.fetchers.values()) fetcher.pauseChanged();
  }

  resume(topics: { topic: string; partitions?: number[] }[]): void {
    for (const t of topics) for (const k of keysOf(t)) this.paused.delete(k);
    for (const fetcher of this.fetchers.values()) fetcher.pauseChanged();
  }

  /** The next fetch of this partition starts at `offset`; before the partition is assigned, it is where it will start. */
  seek(target: { topic: string; partition: number; offset: number }): void {
    if (!Number.isSafeInteger(target.offset) || target.offset < 0) throw new RangeError(`seek offset must be an integer >= 0, got ${target.offset}`);
    const fetcher = this.fetchers.get(key(target.topic, target.partition));
    if (fetcher && !fetcher.stopped) fetcher.seek(target.offset);
    else this.pendingSeeks.set(key(target.topic, target.partition), target.offset);
  }

  /** Commits the given offsets (the next offsets to read), or else everything processed so far. */
  async commitOffsets(offsets?: OffsetCommit[]): Promise<void> {
    await this.committer.commit(offsets ?? this.processedOffsets([...this.fetchers.values()]));
  }

  /**
   * The group, member id and member epoch now: pass the consumer to a transaction's sendOffsets({consumer}) so its
   * offsets are fenced like its commits (KIP-447). memberEpoch is 0 while it is not a member.
   */
  groupMetadata(): ConsumerGroupMetadata {
    return { groupId: this.config.groupId, memberId: this.memberId, memberEpoch: this.member?.memberEpoch ?? 0 };
  }

  /** The partitions this consumer owns now and how far it got in each. */
  assignment(): PartitionPosition[] {
    return [...this.fetchers.values()]
      .map((f) => ({ topic: f.topic, partition: f.partition, position: f.position, committed: f.committed, highWatermark: f.highWatermark, lastStableOffset: f.lastStableOffset, paused: this.isPaused(f) }))
      .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  }

  private makeHandler(run: RunConfig): NonNullable<Consumer["handler"]> {
    if (run.eachBatch) {
      const eachBatch = run.eachBatch;
      return async (fetcher, records, highWatermark, generation) => {
        const { topic, partition } = fetcher;
        await eachBatch({ topic, partition, highWatermark, records: records.map((r) => asConsumed(r, topic, partition)) });
        fetcher.markProcessed(records.at(-1)!.offset + 1, generation);
      };
    }
    let eachRecord = run.eachRecord;
    if (run.deadLetter) {
      this.deadLetterProducer = new Producer(this.transport, { lingerMs: 0 });
      eachRecord = withDeadLetter(eachRecord, { producer: this.deadLetterProducer, transport: this.transport, encoding: this.config.encoding }, run.deadLetter);
    }
    return async (fetcher, records, _highWatermark, generation) => {
      for (const record of records) {
        // Checked between records: a pause, seek or stop takes effect before the next one.
        if (fetcher.stopped || generation !== fetcher.generation || this.isPaused(fetcher)) return;
        await eachRecord(asConsumed(record, fetcher.topic, fetcher.partition));
        fetcher.markProcessed(record.offset + 1, generation);
      }
    };
  }

  private async process(fetcher: PartitionFetcher, records: FetchedRecord[], highWatermark: number, generation: number): Promise<void> {
    const release = await this.slots!.acquire();
    try {
      if (fetcher.stopped || generation !== fetcher.generation) return;
      await this.handler!(fetcher, records, highWatermark, generation);
    } catch (error) {
      this.fail(error);
      fetcher.stopped = true;
      return;
    } finally {
      release();
    }
    if (this.config.autoCommit) this.committer.commit(this.processedOffsets([fetcher])).catch(() => undefined); // the next commit carries it
  }

  private reconcile(assignment: TopicPartitions[]): void {
    if (this.closing) return; // leaving: the group takes everything back at once
    const target = new Set(assignment.flatMap((tp) => tp.partitions.map((p) => key(tp.topic, p))));
    for (const fetcher of this.fetchers.values()) {
      if (!target.has(fetcher.key) && !fetcher.stopped) void this.revoke(fetcher);
    }
    const added: PartitionFetcher[] = [];
    for (const tp of assignment) {
      for (const p of tp.partitions) {
        if (this.fetchers.has(key(tp.topic, p))) continue; // owned, or still being revoked: re-added once released
        const fetcher = new PartitionFetcher(tp.topic, p, {
          transport: this.transport,
          fetch: {
            maxRecords: this.config.maxRecords,
            maxBytes: this.config.maxBytes,
            maxWaitMs: this.config.maxWaitMs,
            encoding: this.config.encoding,
            ...(this.config.isolationLevel === "read_committed" ? { isolation: "read_committed" as const } : {}),
          },
          prefetch: this.config.prefetch,
          backoff: this.backoff,
          retryTimeoutMs: this.config.sessionTimeoutMs,
          isPaused: (f) => this.isPaused(f),
          resetPosition: (f) => this.resetPosition(f),
          process: (f, records, hw, generation) => this.process(f, records, hw, generation),
          fatal: (error) => this.fail(error),
        });
        this.fetchers.set(fetcher.key, fetcher);
        added.push(fetcher);
      }
    }
    if (added.length > 0) this.startFetchers(added);
  }

  /** Starting positions: a pending seek, else the group's committed offset, else auto.offset.reset (one lookup for all). */
  private startFetchers(fetchers: PartitionFetcher[]): void {
    const committed = retry(() => this.transport.groupOffsets(this.config.groupId), this.config.retries, this.backoff).then((offsets) => {
      const byKey = new Map<string, number | null>();
      for (const t of offsets.topics) for (const p of t.partitions) byKey.set(key(t.topic, p.partition), p.committedOffset);
      return byKey;
    });
    for (const fetcher of fetchers) {
      const seek = this.pendingSeeks.get(fetcher.key);
      this.pendingSeeks.delete(fetcher.key);
      fetcher.start(
        committed.then((byKey) => {
          const offset = byKey.get(fetcher.key) ?? undefined;
          fetcher.committed = offset;
          return seek ?? offset;
        }),
      );
    }
  }

  private async resetPosition(fetcher: PartitionFetcher): Promise<number> {
    const policy = this.config.autoOffsetReset;
    if (policy === "none") {
      throw new EdgelogError("NO_OFFSET_FOR_PARTITION", `group '${this.config.groupId}' has no usable committed offset for ${fetcher.topic}[${fetcher.partition}] and autoOffsetReset is "none"`);
    }
    const listed = await retry(() => this.transport.listOffsets(fetcher.topic, fetcher.partition, policy, this.config.isolationLevel), this.config.retries, this.backoff);
    return listed.offset;
  }

  /** Revocation: stop fetching, let processing finish, commit it, then release the partition (heartbeat at once). */
  private async revoke(fetcher: PartitionFetcher): Promise<void> {
    await fetcher.stop();
    if (this.config.autoCommit) {
      try {
        await this.committer.commit(this.processedOffsets([fetcher]));
      } catch {
        // Not committed (fenced meanwhile): the next owner re-reads from the last commit, at-least-once.
      }
    }
    if (this.fetchers.get(fetcher.key) === fetcher) this.fetchers.delete(fetcher.key);
    this.member?.wake();
  }

  /** Fenced or expired: another member may own these partitions already, so stop without committing. */
  private async dropAll(): Promise<void> {
    const all = [...this.fetchers.values()];
    await Promise.all(all.map((f) => f.stop()));
    for (const f of all) if (this.fetchers.get(f.key) === f) this.fetchers.delete(f.key);
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    void this.stop();
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    // Heartbeats go on while handlers finish and offsets are committed, so the member is not expired meanwhile.
    const all = [...this.fetchers.values()];
    await Promise.all(all.map((f) => f.stop()));
    if (this.config.autoCommit && this.member?.identity()) {
      try {
        await this.committer.commit(this.processedOffsets(all));
      } catch {
        // No longer a member, or unreachable: the partitions' next owner reads again from the last commit.
      }
    }
    this.stopSignal?.abort();
    await this.heartbeats;
    await this.member?.leave();
    this.fetchers.clear();
    try {
      await this.deadLetterProducer?.close();
    } catch (error) {
      this.failure ??= error;
    }
    if (this.failure === undefined) this.settleRun?.resolve();
    else this.settleRun?.reject(this.failure);
  }

  private processedOffsets(fetchers: PartitionFetcher[]): OffsetCommit[] {
    const offsets: OffsetCommit[] = [];
    for (const f of fetchers) {
      if (f.processed !== undefined && f.processed !== f.committed) offsets.push({ topic: f.topic, partition: f.partition, offset: f.processed });
    }
    return offsets;
  }

  private owned(): TopicPartitions[] {
    const byTopic = new Map<string, number[]>();
    for (const f of this.fetchers.values()) {
      const list = byTopic.get(f.topic) ?? [];
      list.push(f.partition);
      byTopic.set(f.topic, list);
    }
    return [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.sort((a, b) => a - b) }));
  }

  private isPaused(f: { topic: string; partition: number }): boolean {
    return this.paused.has(key(f.topic, f.partition)) || this.paused.has(key(f.topic, "*"));
  }
}

function key(topic: string, partition: number | "*"): string {
  return `${topic}\u0000${partition}`;
}

function keysOf(t: { topic: string; partitions?: number[] }): string[] {
  return t.partitions === undefined ? [key(t.topic, "*")] : t.partitions.map((p) => key(t.topic, p));
}
