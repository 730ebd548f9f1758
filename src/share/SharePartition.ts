// SharePartition: one Durable Object per share-partition (share group, topic id, partition), KIP-932's SharePartition
// with its own persister. It leases records of its partition to any number of pollers (share-state.ts is the state
// machine), persists every acquisition and acknowledgement before answering (share-store.ts), reads the partition
// through its leader as any consumer does (share-io.ts), and writes dead letters with its own idempotent producer
// (share-dead-letters.ts). It keeps an alarm only while something is outstanding: a lease or a delayed release to
// end, or a dead letter to write; an idle share-partition keeps none and costs nothing. Calls run one at a time (a
// chain), so an acquisition's log read and its state change are one step, and two pollers can never be handed the
// same record.
import { DurableObject } from "cloudflare:workers";
import { Clock } from "../clock";
import type { Env } from "../env";
import { errorBody, fail, KafkaError, ok, type Result } from "../errors";
import type { Encoding } from "../log/record";
import { MAX_SHARE_LEASE_MS, SHARE_DEAD_LETTER_RETRY_MS } from "../limits";
import type { OffsetSpec } from "../protocol";
import type { AckOutcome, AcquireResult, PartitionAck, ShareGroupConfig, SharePartitionStatus } from "../share-protocol";
import { Usage, type UsageCounts } from "../usage";
import { ShareIo, type LogRecord } from "./share-io";
import { ReadAhead } from "./share-read-ahead";
import { ShareStore, type ShareMeta } from "./share-store";
import { RoomWaiters } from "./share-waiters";
import { writeDeadLetters } from "./share-dead-letters";
import {
  acknowledge,
  acquire,
  applyLogStart,
  counts,
  emptyState,
  expireLocks,
  leaseId,
  nextDueMs,
  planAcquire,
  type Done,
  type ShareRules,
  type ShareState,
} from "./share-state";

/** Who calls, for which group incarnation and config (the router's cached copy of the coordinator's). */
export interface ShareCall {
  group: string;
  topic: string;
  topicId: string;
  partition: number;
  generation: number;
  /** The config's version (StoredShareGroup.configVersion): the newer of the call's and this object's wins. */
  configVersion: number;
  config: ShareGroupConfig;
}

export class SharePartition extends DurableObject<Env> {
  /** Tests move it forward (leases, delays) instead of sleeping. */
  readonly clock = new Clock();
  private readonly meter = new Usage();
  private readonly store: ShareStore;
  private readonly ahead = new ReadAhead();
  /** Polls waiting for room in a full window (waitForRoom). */
  private readonly roomWaiters = new RoomWaiters();
  private meta: ShareMeta | undefined;
  private state: ShareState | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** The alarm set (real time) as far as this instance knows; null: none; undefined: unknown (a new instance). */
  private alarmAt: number | null | undefined;
  /** The last dead-letter write failed: the next try waits SHARE_DEAD_LETTER_RETRY_MS. */
  private deadLetterFailed = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new ShareStore(this.meter.sql(ctx.storage.sql));
    const loaded = this.store.load();
    this.meta = loaded?.meta;
    this.state = loaded?.state;
  }

  /**
   * A poll: leases up to maxRecords records (expired leases and due releases first, then new records). `acks` are
   * the poll's acknowledgements for this share-partition (Kafka's ShareFetch carries them): applied first, all or
   * nothing, in the same step, so the room they free goes to this poll rather than to a poll woken meanwhile (with
   * more pollers than the windows hold, a consumer whose own accepts were handed to a waiter had to wait in turn).
   */
  async acquire(call: ShareCall, maxRecords: number, encoding: Encoding, acks: PartitionAck[] = []): Promise<Result<AcquireResult>> {
    this.meter.request();
    // The log is read before the one-at-a-time section (acknowledgements and other polls do not wait behind the
    // read); what was read is checked again under it, against where the window ends then.
    const [meta0, s0] = [this.meta, this.state];
    if (meta0 !== undefined && s0 !== undefined && meta0.generation === call.generation && (acks.length > 0 || s0.nextOffset - s0.spso < meta0.config.maxRecordLocks)) {
      await this.ahead.prefetch(this.io(), s0.nextOffset, maxRecords, encoding, call.config.isolation);
    }
    return this.serial(async () => {
      this.roomWaiters.claimed();
      const ready = await this.ensure(call, true);
      if (!ready.ok) return ready;
      let acknowledgements: AckOutcome[] | undefined;
      if (acks.length > 0) {
        const out = acknowledge(this.state!, this.clock.now(), this.rules(), acks, zero());
        if (out.applied) this.save(out.done);
        acknowledgements = out.outcomes;
      }
      const [meta, s] = [this.meta!, this.state!];
      const io = this.io();
      const rules = this.rules();
      const now = this.clock.now();
      const done = zero();
      expireLocks(s, now, rules, done);
      const plan = planAcquire(s, now, rules, maxRecords);
      const byOffset = new Map<number, LogRecord>();
      const isolation = meta.config.isolation;
      let present = new Set<number>();
      let coveredUpTo = 0;
      if (plan.redeliveries.length > 0) {
        const found = await io.readOffsets(plan.redeliveries, encoding, isolation);
        for (const r of found.records) byOffset.set(r.offset, r);
        present = new Set(found.records.map((r) => r.offset));
        coveredUpTo = found.coveredUpTo;
        applyLogStart(s, found.logStartOffset, done);
      }
      let fresh: { fromOffset: number; offsets: number[]; nextOffset: number } | null = null;
      if (plan.newRecords > 0) {
        let taken = this.ahead.take(s.nextOffset, plan.newRecords, encoding, isolation);
        if (taken === undefined) {
          let page = await this.ahead.read(io, s.nextOffset, plan.newRecords, encoding, isolation);
          if (s.nextOffset < page.logStartOffset) {
            applyLogStart(s, page.logStartOffset, done);
            page = await this.ahead.read(io, s.nextOffset, plan.newRecords, encoding, isolation);
          }
          taken = this.ahead.take(s.nextOffset, plan.newRecords, encoding, isolation) ?? { fromOffset: s.nextOffset, records: page.records.slice(0, plan.newRecords), nextOffset: page.records[plan.newRecords]?.offset ?? page.nextOffset };
        }
        for (const r of taken.records) byOffset.set(r.offset, r);
        fresh = { fromOffset: taken.fromOffset, offsets: taken.records.map((r) => r.offset), nextOffset: taken.nextOffset };
      }
      const acquired = acquire(s, this.clock.now(), rules, maxRecords, { offsets: plan.redeliveries, present, coveredUpTo }, fresh, done);
      this.save(done);
      await this.schedule();
      const records = acquired.map((a) => {
        const r = byOffset.get(a.offset)!;
        return { topic: meta.topic, partition: meta.partition, offset: a.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers, deliveryCount: a.deliveryCount, leaseId: leaseId(meta.topic, meta.partition, a.offset, a.acquisitionId), lockExpiresAt: a.lockUntilMs };
      });
      const room = s.nextOffset - s.spso < rules.maxRecordLocks;
      this.wakeWaiters();
      return ok({ records, waitOffset: room ? s.nextOffset : -1, nextDueMs: nextDueMs(s, this.clock.now()), ...(acknowledgements === undefined ? {} : { acknowledgements }) });
    });
  }

  /**
   * A poll that found this window full (maxRecordLocks) waits here: the answer is true as soon as an acknowledgement
   * or a lease's end frees room or makes a record available again, false after `maxWaitMs`. No records are taken:
   * the poll acquires again. A waiter costs a timer while it waits; it never outlives maxWaitMs.
   */
  waitForRoom(call: ShareCall, maxWaitMs: number): Promise<boolean> {
    this.meter.request();
    if (this.meta === undefined || this.state === undefined || call.generation !== this.meta.generation || this.canGive()) return Promise.resolve(true);
    return this.roomWaiters.wait(maxWaitMs);
  }

  /** Acknowledgements for this share-partition: all applied, or none (each answered). */
  acknowledge(call: ShareCall, acks: PartitionAck[]): Promise<Result<AckOutcome[]>> {
    this.meter.request();
    return this.serial(async () => {
      const ready = await this.ensure(call, false);
      if (!ready.ok) return ready;
      if (this.state === undefined) {
        return ok(acks.map((a) => ({ ok: false as const, error: errorBody("INVALID_RECORD_STATE", `offset ${a.offset}: ${a.type} refused: it was never acquired`, { offset: a.offset }) })));
      }
      const out = acknowledge(this.state, this.clock.now(), this.rules(), acks, zero());
      if (out.applied) {
        this.state = out.state;
        this.save(out.done);
        this.wakeWaiters();
        await this.schedule();
      }
      return ok(out.outcomes);
    });
  }

  /** Describe: the window, in-flight counts by state, lag against the high watermark (the LSO under read_committed). */
  status(call: ShareCall): Promise<Result<SharePartitionStatus>> {
    this.meter.request();
    return this.serial(async () => {
      const ready = await this.ensure(call, false);
      if (!ready.ok) return ready;
      const meta = this.meta;
      const s = this.state ?? emptyState(0);
      const highWatermark = await new ShareIo(this.env, call).highWatermark((meta?.config ?? call.config).isolation);
      const inFlight = counts(s);
      const doneInWindow = s.nextOffset - s.spso - s.records.size;
      return ok({
        topic: call.topic,
        partition: call.partition,
        startOffset: s.spso,
        endOffset: s.nextOffset,
        highWatermark,
        lag: Math.max(0, highWatermark - s.spso - doneInWindow),
        inFlight,
        acknowledged: meta?.acknowledged ?? 0,
        archived: meta?.archived ?? 0,
        deadLettered: meta?.deadLettered ?? 0,
        deadLettersPending: inFlight.archiving,
      });
    });
  }

  /** Moves the SPSO (kafka-share-groups --reset-offsets): only while no record is leased or being dead-lettered. */
  reset(call: ShareCall, to: OffsetSpec | { offset: number }): Promise<Result<{ partition: number; offset: number }>> {
    this.meter.request();
    return this.serial(async () => {
      const ready = await this.ensure(call, true);
      if (!ready.ok) return ready;
      const s = this.state!;
      const c = counts(this.expired(s));
      if (c.acquired > 0 || c.archiving > 0) {
        return fail("NON_EMPTY_GROUP", `share group '${call.group}' has ${c.acquired} leased and ${c.archiving} dead-lettering record(s) on ${call.topic}/${call.partition}; acknowledge them or let their leases end first`, { groupId: call.group, topic: call.topic, partition: call.partition, ...c });
      }
      const io = this.io();
      let offset: number;
      if (typeof to === "object" && "offset" in to) {
        const [start, end] = [(await io.read(0, 1, "text", call.config.isolation)).logStartOffset, await io.highWatermark(call.config.isolation)];
        offset = Math.min(Math.max(to.offset, start), end);
      } else offset = await io.startOffset({ ...call.config, autoOffsetReset: to });
      this.state = emptyState(offset);
      this.state.acquisitionSeq = s.acquisitionSeq; // lease ids stay unique across resets
      this.save(zero());
      await this.schedule();
      return ok({ partition: call.partition, offset });
    });
  }

  /** The coordinator's notice of a config change (share-home.ts): later calls made with an older configVersion are
   *  answered STALE_SHARE_GROUP with this config, which the router caches. */
  configure(generation: number, configVersion: number, config: ShareGroupConfig): Promise<void> {
    this.meter.request();
    return this.serial(async () => {
      const meta = this.meta;
      if (meta === undefined || meta.generation !== generation || configVersion <= (meta.configVersion ?? 0)) return;
      this.meta = { ...meta, config, configVersion };
      this.save(zero());
      this.wakeWaiters(); // a larger maxRecordLocks makes room
      await this.schedule();
    });
  }

  /** The group is deleted: drop everything. */
  async remove(): Promise<void> {
    this.meter.request();
    await this.serial(async () => {
      await this.ctx.storage.deleteAll();
      this.store.forget();
      this.ahead.forget();
      this.meta = undefined;
      this.state = undefined;
      this.alarmAt = null;
    });
  }

  usage(): UsageCounts {
    return this.meter.snapshot();
  }

  /** Leases ending, delayed releases falling due, dead letters to write. */
  override async alarm(): Promise<void> {
    this.meter.request();
    this.alarmAt = null;
    await this.serial(async () => {
      if (this.state === undefined) return;
      const done = zero();
      expireLocks(this.state, this.clock.now(), this.rules(), done);
      this.save(done);
      this.wakeWaiters();
      await this.writeDeadLetters();
      this.wakeWaiters();
      await this.schedule();
    });
  }

  /** Loads or creates this share-partition's state for the call's group incarnation. */
  private async ensure(call: ShareCall, create: boolean): Promise<Result<void>> {
    const meta = this.meta;
    if (meta !== undefined && call.generation < meta.generation) {
      return fail("STALE_SHARE_GROUP", `share group '${call.group}' was created again since this config was read`, { generation: meta.generation });
    }
    if (meta !== undefined && call.generation === meta.generation) {
      const held = meta.configVersion ?? 0;
      if (call.configVersion < held) {
        // The router's config is older than the one the coordinator told this object: it refreshes from this answer
        // (service/share-groups.ts), without asking the coordinator, and calls again.
        return fail("STALE_SHARE_GROUP", `share group '${call.group}' changed its config (version ${held}) since this router read it`, { generation: meta.generation, configVersion: held, config: meta.config });
      }
      // A newer version from the call: this object missed the coordinator's notice.
      if (call.configVersion > held) this.meta = { ...meta, config: call.config, configVersion: call.configVersion };
      return ok(undefined);
    }
    if (!create && meta === undefined) return ok(undefined);
    // New, or the group was deleted and created again: ask the coordinator, then start per share.auto.offset.reset.
    const io = new ShareIo(this.env, call);
    const attached = await io.attach(call.generation);
    if (!attached.ok) return attached;
    // The coordinator's answer holds the newest config (a router may carry an older one).
    const newer = (attached.value.configVersion ?? 0) > call.configVersion;
    const [config, configVersion] = newer ? [attached.value.config, attached.value.configVersion ?? 0] : [call.config, call.configVersion];
    const start = await io.startOffset(config);
    this.meta = {
      group: call.group, topic: call.topic, topicId: call.topicId, partition: call.partition, generation: call.generation, config, configVersion,
      spso: start, nextOffset: start, acquisitionSeq: meta?.acquisitionSeq ?? 0, acknowledged: 0, archived: 0, deadLettered: 0, deadLetter: meta?.deadLetter ?? null,
    };
    this.state = emptyState(start);
    this.state.acquisitionSeq = meta?.acquisitionSeq ?? 0;
    this.save(zero());
    return ok(undefined);
  }

  /** Writes the records in ARCHIVING to the dead-letter topic (share-dead-letters.ts). */
  private async writeDeadLetters(): Promise<void> {
    const written = await writeDeadLetters({
      meta: () => this.meta!,
      setMeta: (meta) => (this.meta = meta),
      state: this.state!,
      io: this.io(),
      save: (done) => this.save(done),
    });
    if (written !== undefined) this.deadLetterFailed = !written;
  }

  /** One alarm: now while dead letters wait (later after a failure), else when the next lease or delay ends, else none. */
  private async schedule(): Promise<void> {
    const s = this.state;
    const now = this.clock.now();
    let due = s === undefined ? null : nextDueMs(s, now);
    if (s !== undefined && (counts(s).archiving > 0 || this.meta?.deadLetter?.pending)) {
      const at = this.deadLetterFailed ? now + SHARE_DEAD_LETTER_RETRY_MS : now;
      due = due === null ? at : Math.min(due, at);
    }
    const real = due === null ? null : this.clock.toReal(due);
    if (real === this.alarmAt) return;
    if (real === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(real);
    this.alarmAt = real;
  }

  /** Something can be acquired without an append: room in the window, or a record available (and due) again. */
  private canGive(): boolean {
    const s = this.state!;
    if (s.nextOffset - s.spso < this.meta!.config.maxRecordLocks) return true;
    const now = this.clock.now();
    return planAcquire(s, now, this.rules(), 1).redeliveries.length > 0;
  }

  /** Wakes a poll waiting for room when something can be acquired (share-waiters.ts). Acknowledgements that ride
   *  on a poll (acquire's `acks`) wake nobody before that poll has taken what it freed. */
  private wakeWaiters(): void {
    this.roomWaiters.wake(() => this.canGive());
  }

  private expired(s: ShareState): ShareState {
    const done = zero();
    expireLocks(s, this.clock.now(), this.rules(), done);
    if (done.archived > 0) this.save(done);
    return s;
  }

  private rules(): ShareRules {
    const c = this.meta!.config;
    return { lockDurationMs: c.lockDurationMs, maxLeaseMs: MAX_SHARE_LEASE_MS, deliveryCountLimit: c.deliveryCountLimit, maxRecordLocks: c.maxRecordLocks, deadLetter: c.deadLetterTopic !== null };
  }

  private io(): ShareIo {
    return new ShareIo(this.env, this.meta!);
  }

  private save(done: Done): void {
    const meta = this.meta!;
    this.meta = { ...meta, acknowledged: meta.acknowledged + done.acknowledged, archived: meta.archived + done.archived };
    this.store.save(this.meta, this.state!);
  }

  /** Runs calls one at a time (a failure of one does not stop the next). An operating error thrown inside (the
   *  partition unreachable) is answered as a Result: thrown errors lose their type across RPC. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const guarded = async (): Promise<T> => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof KafkaError) return { ok: false, error: error.body } as T;
        throw error;
      }
    };
    const next = this.chain.then(guarded, guarded);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

function zero(): Done {
  return { acknowledged: 0, archived: 0 };
}
