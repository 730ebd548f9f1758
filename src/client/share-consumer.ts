// The share consumer (Kafka's KafkaShareConsumer, KIP-932; docs/share-groups.md): any number of them take records
// from the same partitions through a share group, each record leased to one at a time. run({ eachRecord }) polls,
// runs the handler on each record (up to `concurrency` at once) and acknowledges it: accept when it returns, release
// when it throws a retriable error (another try, maybe on another consumer), reject otherwise. Acknowledgements ride
// on the next poll (Kafka's ShareFetch); a record whose handler runs long has its lease renewed at half its time;
// stop() waits for the handlers, then acknowledges what they finished and releases what was never handed over.
import { backoffMs, sleep, DEFAULT_BACKOFF } from "./backoff";
import { EdgelogError, isRetriable } from "./edgelog-error";
import { ShareMember } from "./share-member";
import type { Transport } from "./transport";
import type { AcknowledgeType, AcquiredRecord, Encoding, ShareAcknowledgement, ShareAcknowledgementResult } from "./wire";

/** A record leased by a share group's poll: the record, its delivery count and its lease. */
export type ShareRecord = AcquiredRecord;

export interface ShareConsumerConfig {
  groupId: string;
  /** Records per poll (strict, 1 to 10000). Default 100. */
  maxRecords?: number;
  /** A poll with nothing to acquire waits this long for an append (0 to 30000). Also bounds stop(). Default 1000. */
  maxWaitMs?: number;
  /** Handlers running at once. Default 1. */
  concurrency?: number;
  encoding?: Encoding;
  /**
   * "implicit" (default): a handler that returns accepts its record, one that throws releases or rejects it.
   * "explicit": the handler (or anything later) calls acknowledge(record, type); until then the record stays leased
   * (renewed), and polls take only as many new records as maxRecords leaves room for. A throw before it still releases
   * or rejects. Kafka's share.acknowledgement.mode.
   */
  acknowledgementMode?: "implicit" | "explicit";
  /** Which thrown errors release the record for another try; the rest reject it. Default: an EdgelogError that is
   *  retriable, or any error with `retriable: true` (mark your own errors so). */
  isRetriable?: (error: unknown) => boolean;
  /** A released record is available again after this long. Default 0. */
  releaseDelayMs?: number;
  /** Renew a lease this far into its time (0.1 to 0.9). Default 0.5. */
  renewAt?: number;
  /** Retries of a poll or an acknowledgement after a retriable failure before run() fails. Default 5. */
  retries?: number;
  /** Every acknowledgement's outcome once edgelog answered (Kafka's AcknowledgementCommitCallback); `error` when it
   *  was refused, e.g. INVALID_RECORD_STATE because the lease ended and the record went to someone else. */
  onAcknowledgements?: (outcomes: ShareAcknowledgementOutcome[]) => void;
  /**
   * Join the share group as a member (KIP-932's ShareGroupHeartbeat, share-member.ts): heartbeat, and poll only the
   * share-partitions the group assigns to this consumer; leave on stop(). Default false: a member's poll costs a call to
   * the group's coordinator besides its share-partitions, and a member that vanishes keeps its share-partitions until
   * its session ends (45 s by default), so records there wait for it. Membership pays when topics have many partitions
   * and there are many consumers: each poll then asks a few share-partitions instead of all of them.
   */
  membership?: boolean;
}

export interface ShareAcknowledgementOutcome {
  record: ShareRecord;
  type: AcknowledgeType;
  error?: EdgelogError;
}

export interface ShareRunConfig {
  topics?: string[];
  eachRecord: (record: ShareRecord) => Promise<void> | void;
}

interface Held {
  record: ShareRecord;
  /** Its own renewal timer (after a renewal), or none while its poll's batch timer stands for it. */
  timer: ReturnType<typeof setTimeout> | undefined;
  batch: RenewBatch | undefined;
  handed: boolean;
}

/** One renewal timer for a poll's records (they share about one lease end): a timer per record cost the consumer
 *  a timer's creation, cancellation and garbage per record, which showed in the bench's profile. */
interface RenewBatch {
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Records of the batch still held and not yet renewed on their own; the timer is cleared at 0. */
  live: number;
  helds: Held[];
}

interface Pending {
  ack: ShareAcknowledgement;
  record: ShareRecord;
}

/** True for errors a retry may fix: a retriable EdgelogError, or any object marked `retriable: true`. */
export function isRetriableShareError(error: unknown): boolean {
  return isRetriable(error) || (typeof error === "object" && error !== null && (error as { retriable?: unknown }).retriable === true);
}

export class ShareConsumer {
  private readonly config: Required<Omit<ShareConsumerConfig, "encoding" | "onAcknowledgements">> & Pick<ShareConsumerConfig, "encoding" | "onAcknowledgements">;
  /** Set with `membership: true`. */
  private member: ShareMember | undefined;
  private topics: string[] = [];
  private readonly held = new Map<string, Held>();
  private pending: Pending[] = [];
  private stopSignal: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private capacityWaiter: (() => void) | undefined;
  private renewFlush: ReturnType<typeof setTimeout> | undefined;
  private renewQueue: Held[] = [];

  constructor(
    private readonly transport: Transport,
    config: ShareConsumerConfig,
  ) {
    this.config = {
      groupId: config.groupId,
      maxRecords: config.maxRecords ?? 100,
      maxWaitMs: config.maxWaitMs ?? 1_000,
      concurrency: Math.max(1, config.concurrency ?? 1),
      acknowledgementMode: config.acknowledgementMode ?? "implicit",
      isRetriable: config.isRetriable ?? isRetriableShareError,
      releaseDelayMs: config.releaseDelayMs ?? 0,
      renewAt: Math.min(0.9, Math.max(0.1, config.renewAt ?? 0.5)),
      retries: config.retries ?? 5,
      encoding: config.encoding,
      onAcknowledgements: config.onAcknowledgements,
      membership: config.membership ?? false,
    };
  }

  get groupId(): string {
    return this.config.groupId;
  }

  subscribe({ topics }: { topics: string[] }): void {
    if (topics.length === 0) throw new TypeError("subscribe({ topics }): name at least one topic");
    this.topics = [...new Set([...this.topics, ...topics])];
  }

  /** Records leased and not yet acknowledged. */
  get inFlight(): number {
    return this.held.size;
  }

  /**
   * Polls and handles records until stop(). Resolves when stop() has finished (handlers done, acknowledgements sent,
   * unhandled records released); rejects with the error that stopped it (a poll no retry fixed), after the same.
   */
  run(run: ShareRunConfig): Promise<void> {
    if (this.running) throw new Error("run() is already running: one run per share consumer");
    if (run.topics) this.subscribe({ topics: run.topics });
    if (this.topics.length === 0) throw new TypeError("subscribe({ topics }) before run()");
    this.stopSignal = new AbortController();
    if (this.config.membership) this.member = new ShareMember(this.transport, this.config.groupId, () => this.topics, this.config.retries);
    this.running = this.loop(run.eachRecord, this.stopSignal.signal).finally(async () => {
      await this.drain();
      await this.member?.leave();
    });
    return this.running;
  }

  /** Stops polling, lets the running handlers finish, sends their acknowledgements and releases the rest. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopSignal?.abort();
      this.capacityWaiter?.();
      await this.running?.catch(() => undefined);
      if (!this.running) await this.drain();
    })();
    return this.stopping;
  }

  /**
   * Explicit acknowledgement (any mode): `accept`, `release` (with `delayMs`), `reject` (with `reason`) or `renew`.
   * The acknowledgement rides on the next poll, or is sent by stop(); `renew` is sent at once.
   */
  acknowledge(record: ShareRecord, type: AcknowledgeType, options: { delayMs?: number; reason?: string } = {}): void {
    const held = this.held.get(record.leaseId);
    if (held === undefined) throw new Error(`acknowledge(${record.leaseId}): not held by this consumer (acknowledged already, or never polled by it)`);
    if (type === "renew") {
      this.queueRenew(held);
      return;
    }
    this.settle(held, type, options);
  }

  private async loop(eachRecord: ShareRunConfig["eachRecord"], signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      const room = this.config.maxRecords - this.held.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => (this.capacityWaiter = resolve));
        this.capacityWaiter = undefined;
        continue;
      }
      const carried = this.pending;
      this.pending = [];
      let records: ShareRecord[];
      try {
        await this.member?.ensureJoined();
        const answer = await this.transport.pollShareGroup(this.config.groupId, {
          topics: this.topics,
          ...this.member?.pollFields(),
          maxRecords: room,
          maxWaitMs: this.config.maxWaitMs,
          ...(this.config.encoding === undefined ? {} : { encoding: this.config.encoding }),
          ...(carried.length === 0 ? {} : { acknowledgements: carried.map((p) => p.ack) }),
        });
        if (carried.length > 0) this.report(carried, answer.acknowledgements);
        records = answer.records;
        failures = 0;
      } catch (error) {
        // The poll may or may not have applied what it carried: send it again (a repeat is refused per item, harmless).
        this.pending = [...carried, ...this.pending];
        if (this.member !== undefined && ShareMember.isFenced(error)) {
          // The coordinator removed this member (its session ran out) or moved its epoch: join again, then poll.
          this.member.fenced();
          if (failures++ >= this.config.retries) throw error;
          continue;
        }
        if (!isRetriable(error) || failures >= this.config.retries) throw error;
        await sleep(backoffMs(failures++, DEFAULT_BACKOFF, (error as EdgelogError).retryAfterMs ?? 0), signal);
        continue;
      }
      this.holdAll(records);
      if (signal.aborted) break;
      await this.handle(records, eachRecord, signal);
    }
  }

  /** Runs the handler on each record, at most `concurrency` at once; stops handing out records once stop() begins. */
  private async handle(records: ShareRecord[], eachRecord: ShareRunConfig["eachRecord"], signal: AbortSignal): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < records.length && !signal.aborted) {
        const held = this.held.get(records[next++]!.leaseId);
        if (held === undefined) continue;
        held.handed = true;
        try {
          await eachRecord(held.record);
          if (this.config.acknowledgementMode === "implicit" && this.held.has(held.record.leaseId)) this.settle(held, "accept");
        } catch (error) {
          if (!this.held.has(held.record.leaseId)) continue;
          if (this.config.isRetriable(error)) this.settle(held, "release", this.config.releaseDelayMs > 0 ? { delayMs: this.config.releaseDelayMs } : {});
          else this.settle(held, "reject", { reason: reasonOf(error) });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.config.concurrency, records.length) }, worker));
  }

  /** Holds a poll's records, with one timer to renew those still held at `renewAt` of the earliest lease's time. */
  private holdAll(records: readonly ShareRecord[]): void {
    if (records.length === 0) return;
    const batch: RenewBatch = { timer: undefined, live: records.length, helds: [] };
    let first = Infinity;
    for (const record of records) {
      const held: Held = { record, timer: undefined, batch, handed: false };
      this.held.set(record.leaseId, held);
      batch.helds.push(held);
      if (record.lockExpiresAt < first) first = record.lockExpiresAt;
    }
    batch.timer = setTimeout(() => {
      batch.timer = undefined;
      for (const h of batch.helds) {
        if (h.batch !== batch || this.held.get(h.record.leaseId) !== h) continue;
        h.batch = undefined;
        this.queueRenew(h);
      }
    }, Math.max(0, (first - Date.now()) * this.config.renewAt));
  }

  /** The record no longer needs its batch's timer (settled, or renewed on its own). */
  private leaveBatch(held: Held): void {
    const batch = held.batch;
    if (batch === undefined) return;
    held.batch = undefined;
    if (--batch.live === 0 && batch.timer !== undefined) {
      clearTimeout(batch.timer);
      batch.timer = undefined;
    }
  }

  private settle(held: Held, type: Exclude<AcknowledgeType, "renew">, options: { delayMs?: number; reason?: string } = {}): void {
    this.leaveBatch(held);
    if (held.timer !== undefined) clearTimeout(held.timer);
    this.held.delete(held.record.leaseId);
    const ack: ShareAcknowledgement = { leaseId: held.record.leaseId, type, ...(options.delayMs === undefined ? {} : { delayMs: options.delayMs }), ...(options.reason === undefined ? {} : { reason: options.reason }) };
    this.pending.push({ ack, record: held.record });
    this.capacityWaiter?.();
  }

  private scheduleRenew(held: Held): void {
    this.leaveBatch(held);
    if (held.timer !== undefined) clearTimeout(held.timer);
    const left = held.record.lockExpiresAt - Date.now();
    held.timer = setTimeout(() => this.queueRenew(held), Math.max(0, left * this.config.renewAt));
  }

  /** Renewals due together go in one request, sent at once (they cannot wait for the next poll). */
  private queueRenew(held: Held): void {
    this.leaveBatch(held);
    this.renewQueue.push(held);
    this.renewFlush ??= setTimeout(() => {
      this.renewFlush = undefined;
      const batch = this.renewQueue.filter((h) => this.held.get(h.record.leaseId) === h);
      this.renewQueue = [];
      if (batch.length > 0) void this.renew(batch);
    }, 0);
  }

  private async renew(batch: Held[]): Promise<void> {
    let results: ShareAcknowledgementResult[];
    try {
      results = await this.send(batch.map((h) => ({ ack: { leaseId: h.record.leaseId, type: "renew" }, record: h.record })));
    } catch {
      // Unreachable for now: try again soon, while the lease may still be good.
      for (const h of batch) if (this.held.get(h.record.leaseId) === h) h.timer = setTimeout(() => this.queueRenew(h), 200);
      return;
    }
    results.forEach((result, i) => {
      const h = batch[i]!;
      if (this.held.get(h.record.leaseId) !== h) return;
      if ("ok" in result && result.lockExpiresAt !== undefined) {
        h.record = { ...h.record, lockExpiresAt: result.lockExpiresAt };
        this.scheduleRenew(h);
      }
      // Refused: the lease is gone (the record went to someone else); its handler's acknowledgement will be refused too.
    });
  }

  /** An acknowledgements request on its own; an answer where none applied still gives each item's result. */
  private async send(items: Pending[]): Promise<ShareAcknowledgementResult[]> {
    let results: ShareAcknowledgementResult[];
    try {
      results = await this.transport.acknowledgeShareGroup(this.config.groupId, items.map((p) => p.ack));
    } catch (error) {
      const listed = error instanceof EdgelogError ? (error.details?.acknowledgements as ShareAcknowledgementResult[] | undefined) : undefined;
      if (listed === undefined) throw error;
      results = listed;
    }
    this.report(items, results);
    return results;
  }

  private report(items: Pending[], results: ShareAcknowledgementResult[] | undefined): void {
    if (this.config.onAcknowledgements === undefined || results === undefined) return;
    this.config.onAcknowledgements(
      items.map((p, i) => {
        const r = results[i];
        const error = r !== undefined && "error" in r ? EdgelogError.fromBody(r.error) : undefined;
        return { record: p.record, type: p.ack.type, ...(error === undefined ? {} : { error }) };
      }),
    );
  }

  /** After the loop: every record still held is released (never handed to the handler, or, in explicit mode, never
   *  acknowledged: nobody will now), and everything pending is sent, with retries. */
  private async drain(): Promise<void> {
    if (this.renewFlush !== undefined) clearTimeout(this.renewFlush);
    this.renewFlush = undefined;
    for (const held of [...this.held.values()]) this.settle(held, "release");
    const items = this.pending;
    this.pending = [];
    for (let i = 0; i < items.length; i += 1_000) {
      const chunk = items.slice(i, i + 1_000);
      for (let attempt = 0; ; attempt++) {
        try {
          await this.send(chunk);
          break;
        } catch (error) {
          if (!isRetriable(error) || attempt >= this.config.retries) break;
          await sleep(backoffMs(attempt, DEFAULT_BACKOFF));
        }
      }
    }
  }
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 1_000);
}
