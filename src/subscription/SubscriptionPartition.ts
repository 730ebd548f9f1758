// SubscriptionPartition: one Durable Object per (subscription, topic partition), the delivery engine. It reads its
// partition from the group's committed offset, delivers batches to the subscription's target in offset order, commits
// the group's offset as deliveries succeed, retries failed records by alarm (never overtaken by later ones), and sends
// records that exhaust their retries to the dead-letter topic. It is driven by its partition's wake-up on append
// (partition/durable-watches.ts) and by its own alarm, never by polling: caught up, it registers a wait with the
// partition and keeps no alarm, so an idle subscription costs nothing. While delivering it keeps a watchdog alarm, so
// an eviction mid-delivery resumes from the last commit (at least once, never a skipped record). Progress is the
// partition's committed offset, kept in this object (local-offset.ts: it is the only writer) at most every
// SUBSCRIPTION_COMMIT_INTERVAL_MS while records flow, reported to the group's coordinator only when it asks or the
// subscription pauses. A shared subscription's object (one per topic) hosts the engine of shared-delivery.ts instead.
import { DurableObject } from "cloudflare:workers";
import { Clock } from "../clock";
import type { Env } from "../env";
import { ok, type Result } from "../errors";
import { SUBSCRIPTION_COMMIT_INTERVAL_MS, SUBSCRIPTION_FAILOVER_RECHECK_MS, SUBSCRIPTION_READ_AHEAD_BYTES, SUBSCRIPTION_READ_AHEAD_RECORDS } from "../limits";
import type { DeliveredRecord, DeliveryObjectStatus } from "../subscription-protocol";
import type { DeliveryOutcome } from "./targets/delivery-target";
import { Usage, type UsageCounts } from "../usage";
import { DeliveryAlarm } from "./delivery-alarm";
import { afterAttempt, failuresOf, partitionStatus } from "./delivery-state";
import { PartitionCommits, type LocalCommit } from "./local-offset";
import { PartitionIo, type Page } from "./partition-io";
import { SharedDelivery } from "./shared-delivery";
import { splitBatches } from "./waves";
import { targetFor } from "./targets/target-for";
import type { SubscriptionPartitionInit, SubscriptionPartitionRecord } from "./partition-record";

const TABLE = "CREATE TABLE IF NOT EXISTS subscription_partition (id INTEGER PRIMARY KEY CHECK (id = 0), data TEXT NOT NULL)";

export class SubscriptionPartition extends DurableObject<Env> {
  /** Tests move it forward (retry delays, batch waits) instead of sleeping. */
  readonly clock = new Clock();
  private readonly meter = new Usage();
  private readonly sql: SqlStorage;
  private record: SubscriptionPartitionRecord | undefined;
  /** The next offset to deliver, once known (the committed offset, then past each acknowledged batch). Memory only. */
  private cursor: number | undefined;
  private readonly commits: PartitionCommits;
  /** When the first record of a partial batch was seen (it may wait maxBatchWaitMs for more). */
  private partialSinceMs: number | undefined;
  private inFlight: { fromOffset: number; toOffset: number; attempt: number } | null = null;
  private delivered = 0;
  /** When a delivery last acknowledged records (in memory, like `delivered`; GET /metrics' last delivery). */
  private lastDeliveryMs: number | null = null;
  private pumping: Promise<void> | undefined;
  private again = false;
  private readonly alarms: DeliveryAlarm;
  /** The fault switch (test and development only, service/replicas.ts): deliveries still to fail before the target. */
  private injectedFailures = 0;
  private sharedEngine: SharedDelivery | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.alarms = new DeliveryAlarm(ctx.storage, this.clock);
    this.sql = this.meter.sql(ctx.storage.sql);
    this.sql.exec(TABLE);
    this.commits = new PartitionCommits(this.sql, env);
    const row = this.sql.exec<{ data: string }>("SELECT data FROM subscription_partition WHERE id = 0").toArray()[0];
    this.record = row ? (JSON.parse(row.data) as SubscriptionPartitionRecord) : undefined;
  }

  /** The coordinator starts (or restarts with a new config or generation) this partition's deliveries. */
  async start(init: SubscriptionPartitionInit): Promise<void> {
    this.meter.request();
    const prev = this.record;
    const reset = prev === undefined || prev.generation !== init.generation || prev.topicId !== init.topicId;
    this.save({
      ...init,
      retrying: reset ? null : prev.retrying,
      stopped: reset ? null : prev.stopped,
      deadLettered: prev?.deadLettered ?? 0,
    });
    if (reset) this.forgetPosition();
    if (init.paused) return;
    if (this.shared() !== undefined) return this.kick(); // leases start where the share group is: no position here
    // "latest" (or a timestamp) means from now: pinned before the subscription's creation is answered, so a record
    // produced after that answer is never skipped.
    await this.position(new PartitionIo(this.env, this.record!));
    this.kick();
  }

  /**
   * Where delivery is: the cursor, else the group's committed offset, else the subscription's startAt, which is then
   * committed at once: an object evicted before its first delivery must not resolve "latest" again, past records
   * that arrived meanwhile (for an idle partition, the very records whose append woke it).
   */
  private async position(io: PartitionIo): Promise<number> {
    if (this.cursor !== undefined) return this.cursor;
    const here = this.commits.known(this.record);
    if (here !== undefined) return (this.cursor = this.commits.committed = here);
    const start = await io.startOffset();
    this.cursor = start.offset;
    this.commits.committed = start.committed ? start.offset : undefined;
    if (!start.committed) await this.commitAt(start.offset);
    return start.offset;
  }

  /** Stops deliveries within one batch: answers once the batch in flight is done and its offsets committed. */
  async pause(generation: number): Promise<void> {
    this.meter.request();
    if (this.record === undefined) return;
    // Drained under the generation it delivered in; a newer one means the coordinator reset the offsets while this
    // object missed a pause: what it holds is void (its report would be refused, its commit would undo the reset).
    const reset = generation !== this.record.generation;
    this.save({ ...this.record, paused: true });
    await this.pumping;
    if (reset) {
      if (this.record !== undefined) this.save({ ...this.record, generation });
      this.forgetPosition();
    } else {
      await this.commit(true);
      // A reset needs a pause first: the coordinator has every partition's offset before it moves them.
      const r = this.record;
      if (r !== undefined) await this.commits.report(r, () => this.save({ ...r, paused: true }));
    }
    await this.alarms.clear();
  }

  /** The offset committed here (for the coordinator's describe, lag and metrics: SubscriptionHome.collectOffsets). */
  committedOffset(): LocalCommit | null {
    this.meter.request();
    const r = this.record;
    const offset = this.commits.known(r);
    return r === undefined || offset === undefined || r.partition < 0 ? null : { generation: r.generation, topicId: r.topicId, offset };
  }

  /** Resumes: a stopped partition tries its stuck records again; after a reset it starts from the committed offset. */
  async resume(generation: number): Promise<void> {
    this.meter.request();
    if (this.record === undefined) return;
    const reset = generation !== this.record.generation;
    this.save({ ...this.record, paused: false, generation, stopped: null, retrying: reset ? null : this.record.retrying && { ...this.record.retrying, attempt: 0, nextAttemptMs: 0 } });
    this.forgetPosition();
    this.kick();
  }

  /** The partition's high watermark passed the offset this object waited on. */
  wake(): Result<{ known: boolean }> {
    this.meter.request();
    if (this.record === undefined) return ok({ known: false }); // deleted: the partition forgets the wait
    this.kick();
    return ok({ known: true });
  }

  /** The subscription is deleted: stop, and drop everything this object stored. */
  async remove(): Promise<void> {
    this.meter.request();
    if (this.record !== undefined) this.record = { ...this.record, paused: true };
    await this.pumping;
    this.record = undefined;
    await this.ctx.storage.deleteAll();
    this.commits.dropped();
    this.alarms.forget();
  }

  status(): DeliveryObjectStatus | undefined {
    this.meter.request();
    const r = this.record;
    if (r === undefined) return undefined;
    if (this.shared() !== undefined) return this.shared()!.status(r);
    return partitionStatus(r, { committed: this.commits.known(r) ?? null, inFlight: this.inFlight, delivered: this.delivered, lastDeliveryMs: this.lastDeliveryMs });
  }

  /** The fault switch: the next `count` deliveries fail as a failed upload or call would (false: no such partition). */
  injectFailures(count: number): boolean {
    this.meter.request();
    if (this.record === undefined) return false;
    this.injectedFailures = count;
    return true;
  }

  usage(): UsageCounts {
    return this.meter.snapshot();
  }

  /** The watchdog (a delivery cut short by an eviction), a retry falling due, or a partial batch's wait ending. */
  override async alarm(): Promise<void> {
    this.meter.request();
    this.alarms.forget();
    this.kick();
    await this.pumping;
  }

  /** The shared-mode engine, when this object is a shared subscription's (its config says so). */
  private shared(): SharedDelivery | undefined {
    if (this.record?.config.mode !== "shared") return undefined;
    return (this.sharedEngine ??= new SharedDelivery(this.env, this.clock, this.alarms, { record: () => this.record, injectFailure: () => this.injectedFailures > 0 && this.injectedFailures-- > 0 }));
  }

  private kick(): void {
    this.sharedEngine?.poke();
    if (this.pumping !== undefined) {
      this.again = true;
      return;
    }
    // The object is active (billed for duration) while it delivers, not only during the call that kicked it.
    this.meter.busy();
    this.pumping = (async () => {
      try {
        do {
          this.again = false;
          await (this.shared()?.pump() ?? this.pump());
        } while (this.again);
      } catch (error) {
        // A read, a commit or the dead-letter produce failed (the target's failures are outcomes, not throws): the
        // watchdog alarm tries again.
        console.error(`subscription ${this.record?.subscription} ${this.record?.topic}/${this.record?.partition}: ${error instanceof Error ? error.message : String(error)}`);
        await this.alarms.at(this.clock.now() + SUBSCRIPTION_COMMIT_INTERVAL_MS * 5).catch(() => {}); // an object being reset cannot
      } finally {
        this.pumping = undefined;
        this.inFlight = null;
        this.meter.end();
      }
    })();
    // The request that kicked the pump (a wake-up, the coordinator's start) answers at once: without this, its I/O
    // context ends with it, and the pump's calls and timers in flight would never settle.
    this.ctx.waitUntil(this.pumping);
  }

  /** Delivers until caught up, paused, stopped, or waiting for a retry or a partial batch. */
  private async pump(): Promise<void> {
    for (;;) {
      const r = this.record;
      if (r === undefined || r.paused || r.stopped !== null) return;
      const io = new PartitionIo(this.env, r);
      const now = this.clock.now();
      await this.alarms.watchdog();
      if (r.retrying !== null) {
        if (now < r.retrying.nextAttemptMs) return this.alarms.at(r.retrying.nextAttemptMs);
        const records = await io.readOffsets(r.retrying.offsets);
        // Records that retention removed meanwhile are gone: they count as delivered, as Kafka's consumer skips them.
        await this.attempt(io, { fromOffset: r.retrying.fromOffset, toOffset: r.retrying.toOffset }, records, r.retrying.attempt + 1);
        continue;
      }
      const cursor = await this.position(io);
      const archive = r.config.target.type === "r2";
      const waveRecords = r.config.maxBatchSize * r.config.maxInFlightPerPartition;
      const waveBytes = r.config.maxBatchBytes * r.config.maxInFlightPerPartition;
      // Other targets read whole waves ahead (deliverWaves); an archive reads one wave, its object, at a time.
      const page = archive
        ? await io.read(cursor, waveRecords, waveBytes)
        : await io.read(cursor, Math.max(waveRecords, Math.floor(SUBSCRIPTION_READ_AHEAD_RECORDS / waveRecords) * waveRecords), Math.max(waveBytes, SUBSCRIPTION_READ_AHEAD_BYTES));
      this.cursor = page.fromOffset; // retention may have moved the log start past it
      if (page.records.length === 0) {
        this.cursor = page.nextOffset;
        this.partialSinceMs = undefined;
        await this.commit(true);
        // Caught up: wait on the partition (and keep no alarm). If records landed meanwhile, go on.
        // (a record at the cursor makes the high watermark pass it). Under read_committed an open transaction can
        // hold the read below the high watermark: then wait for the next append (its marker, or anything after).
        const wait = await io.waitFor(Math.max(this.cursor, page.highWatermark));
        if (wait.ready) continue;
        // Unreplicated: the partition's wake-up is the only trigger, and no alarm is kept. Replicated: the wait is
        // on today's leader, so look again later in case a failover moves it.
        return wait.replicated ? this.alarms.restUntil(this.clock.now() + SUBSCRIPTION_FAILOVER_RECHECK_MS) : this.alarms.clear();
      }
      // A partial batch (everything there is, and less than a batch) may wait for more.
      if (page.records.length < r.config.maxBatchSize && page.nextOffset >= page.highWatermark && r.config.maxBatchWaitMs > 0) {
        this.partialSinceMs ??= now;
        const until = this.partialSinceMs + r.config.maxBatchWaitMs;
        // Wait for a full batch, or for the batch wait to end.
        if (now < until) {
          if ((await io.waitFor(this.cursor + r.config.maxBatchSize - 1)).ready) continue;
          return this.alarms.at(until);
        }
      }
      this.partialSinceMs = undefined;
      if (!archive) {
        await this.deliverWaves(io, r, page);
        continue;
      }
      const wave = { fromOffset: this.cursor, toOffset: page.nextOffset - 1 };
      // An archive object is named by its offset range: record the range before the upload, so a retry after an
      // eviction uploads the same range under the same name (exactly once per range).
      this.save({ ...r, retrying: { ...wave, offsets: page.records.map((x) => x.offset), attempt: 0, nextAttemptMs: 0, lastError: "" } });
      await this.attempt(io, wave, page.records, 1);
    }
  }

  /**
   * Delivers what one read returned, wave after wave (maxInFlightPerPartition batches each), a wave only once the one
   * before it is done, exactly as if each wave had been read on its own. Stops at a wave not done (its retry, dead
   * letters or stop are the pump's next step; the rest of the read is read again later), when the object changed
   * meanwhile (a pause, a restart, a removal: the pump looks again), and before a partial batch at the end of the log
   * that may wait maxBatchWaitMs for more (the pump reads it again and decides).
   */
  private async deliverWaves(io: PartitionIo, r: SubscriptionPartitionRecord, page: Page): Promise<void> {
    const inFlight = r.config.maxInFlightPerPartition;
    const batches = splitBatches(page.records, r.config.maxBatchSize, r.config.maxBatchBytes);
    let from = page.fromOffset;
    for (let i = 0; i < batches.length; i += inFlight) {
      if (this.record !== r || this.cursor !== from) return;
      const last = i + inFlight >= batches.length;
      const records = batches.slice(i, i + inFlight).flat();
      if (last && i > 0 && records.length < r.config.maxBatchSize && page.nextOffset >= page.highWatermark && r.config.maxBatchWaitMs > 0) return;
      // The last wave covers the read up to its nextOffset (offsets without records, as after compaction, included).
      const wave = { fromOffset: from, toOffset: last ? page.nextOffset - 1 : records[records.length - 1]!.offset };
      await this.attempt(io, wave, records, 1);
      from = wave.toOffset + 1;
    }
  }

  /**
   * One attempt at records of the wave [fromOffset, toOffset]: delivered in batches (at most maxInFlightPerPartition
   * at once), then, by what was left unacknowledged, done (the cursor moves past the wave), retried later,
   * dead-lettered, or stopped.
   */
  private async attempt(io: PartitionIo, wave: { fromOffset: number; toOffset: number }, records: DeliveredRecord[], attempt: number): Promise<void> {
    const r = this.record!;
    const target = targetFor(this.env, r.config.target);
    // An archive's object is the whole range (one at a time); other targets get batches of maxBatchSize/maxBatchBytes.
    const batches = r.config.target.type === "r2" ? [records] : splitBatches(records, r.config.maxBatchSize, r.config.maxBatchBytes);
    const outcomes: DeliveryOutcome[] = [];
    this.inFlight = { fromOffset: wave.fromOffset, toOffset: wave.toOffset, attempt };
    try {
      for (let i = 0; i < batches.length; i += r.config.maxInFlightPerPartition) {
        const group = batches.slice(i, i + r.config.maxInFlightPerPartition);
        outcomes.push(
          ...(await Promise.all(
            group.map((batch) => {
              if (this.injectedFailures > 0 && this.injectedFailures-- > 0) return { kind: "failed" as const, error: "injected failure (fault switch)" };
              return target.deliver({ subscription: r.subscription, topic: r.topic, partition: r.partition, attempt, records: batch });
            }),
          )),
        );
      }
    } finally {
      this.inFlight = null;
    }
    const failures = failuresOf(batches.map((b) => b.map((x) => x.offset)), outcomes);
    this.delivered += records.length - failures.offsets.length;
    if (records.length > failures.offsets.length) this.lastDeliveryMs = this.clock.now();
    const next = afterAttempt(wave, attempt, failures, r.config, this.clock.now(), Math.random());
    // The record may have changed during the delivery (a pause; a removal): go on from what it is now.
    const now = this.record;
    if (now === undefined) return;
    if (next.kind === "done") {
      if (now.retrying !== null) this.save({ ...now, retrying: null });
      this.cursor = wave.toOffset + 1;
      return this.commit(false);
    }
    if (next.kind === "deadLetter") {
      const failed = new Set(next.retrying.offsets);
      await io.deadLetter(r.config.deadLetterTopic!, records.filter((x) => failed.has(x.offset)), attempt, next.retrying.lastError);
      this.save({ ...this.record!, retrying: null, deadLettered: this.record!.deadLettered + failed.size });
      this.cursor = wave.toOffset + 1;
      return this.commit(false);
    }
    if (next.kind === "stop") {
      const why = `stopped after ${attempt} deliveries: ${next.retrying.lastError} (no deadLetterTopic: resume to try again, or pause, reset the offsets past it, and resume)`;
      this.save({ ...now, retrying: next.retrying, stopped: why });
      await this.commitAt(next.retrying.offsets[0]!);
      return this.alarms.clear();
    }
    this.save({ ...now, retrying: next.retrying });
    // Everything before the first record to retry is done: commit it now (a retry may wait long).
    await this.commitAt(next.retrying.offsets[0]!);
  }

  /** Commits the cursor when due (forced: caught up or pausing); throttled while records flow. */
  private async commit(force: boolean): Promise<void> {
    if (this.cursor === undefined) return;
    if (!force && !this.commits.due(this.clock.now())) return;
    await this.commitAt(this.cursor);
  }

  /** Commits here: durable before the pump goes on, so a restart resumes from it (at least once). */
  private async commitAt(offset: number): Promise<void> {
    if (this.record !== undefined) this.commits.commit(this.record, offset, this.clock.now());
  }

  private forgetPosition(): void {
    this.cursor = undefined;
    this.commits.forget();
    this.partialSinceMs = undefined;
  }

  private save(record: SubscriptionPartitionRecord): void {
    // remove() deletes the table with everything else; a subscription created again under the same name starts here.
    if (this.record === undefined) this.sql.exec(TABLE);
    this.record = record;
    this.sql.exec("INSERT OR REPLACE INTO subscription_partition (id, data) VALUES (0, ?)", JSON.stringify(record));
  }
}
