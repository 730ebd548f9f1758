// PartitionLog: the Durable Object that owns one topic-partition. It assigns offsets, stores batches, serves
// reads (parking long-polls on an in-memory waiter list woken by appends) and answers ListOffsets. It learns its
// topic's metadata from the controller on first use and whenever a caller routed with a newer metadata version;
// a caller with an older version is told its metadata is stale. Public methods are the RPC surface and return
// Result<T>; operating errors never throw across RPC.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { checkSequence, recordBatch } from "../log/producer-state";
import { isCompacted } from "../log/topic-config";
import { MAINTENANCE_CONTINUE_MS, MAX_FETCH_WAITERS_PER_PARTITION, MAX_LOCAL_PARTITION_BYTES, PARTITION_MAINTENANCE_INTERVAL_MS } from "../limits";
import { controllerStub } from "../names";
import type {
  AppendRequest,
  AppendResult,
  ListedOffset,
  OffsetSpec,
  PartitionDescription,
  PartitionRef,
  ReadRequest,
  ReadResult,
  TopicMetadata,
} from "../protocol";
import { LocalLog, type LogState } from "./local-log";
import { runMaintenance } from "./maintenance";
import { TieredLog } from "./tiered-log";
import { ReadAccumulator } from "../log/batch-reader";
import { parseRecords } from "../log/batch";
import { Usage, type UsageCounts } from "../usage";

export class PartitionLog extends DurableObject<Env> {
  private readonly log: LocalLog;
  /** Long-polls parked until the next append (or their timeout). */
  private readonly waiters = new Set<() => void>();
  /** One metadata refresh at a time; concurrent requests share it. */
  private refreshing: Promise<Result<LogState>> | undefined;
  /** Set once the topic is deleted: no write may follow the drop in this instance. */
  private dropped = false;
  private readonly tiered: TieredLog;
  /** When the maintenance alarm is set for (this instance's knowledge); undefined: unknown or none. */
  private alarmAt: number | undefined;
  private clockOffsetMs = 0;
  /** What this object consumed of the billed items (src/usage.ts). */
  private readonly meter = new Usage();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = new LocalLog(this.meter.sql(ctx.storage.sql));
    this.tiered = new TieredLog(this.meter.bucket(env.SEGMENTS));
  }

  async append(ref: PartitionRef, request: AppendRequest): Promise<Result<AppendResult>> {
    this.meter.request();
    const checked = await this.checkRef(ref);
    if (!checked.ok) return checked;
    const config = checked.value.config;
    if (request.hasNullKey && isCompacted(config)) {
      return fail("INVALID_RECORD", "Compacted topic cannot accept message without key", { topic: ref.topic, partition: ref.partition });
    }
    const now = this.now();
    const logAppendTime = config["message.timestamp.type"] === "LogAppendTime";
    const producer = request.producer;
    const entry = producer ? this.log.producerEntry(producer.producerId) : undefined;
    if (producer) {
      const check = checkSequence(entry, producer, request.tails.ends.length, now);
      if (check.kind === "duplicate") {
        const { baseOffset, lastOffset, logAppendTimeMs } = check.batch;
        return ok({ baseOffset, logAppendTimeMs, duplicate: true, timestamps: this.log.timestampsOf(baseOffset, lastOffset) });
      }
      if (check.kind === "error") return fail(check.type, check.message, check.details);
    }
    const timestamps = logAppendTime ? new Float64Array(request.timestamps.length).fill(now) : request.timestamps;
    const logAppendTimeMs = logAppendTime ? now : -1;
    // No await from here to the return: the batch and the producer's state commit together.
    const baseOffset = this.log.append(request.encoding, timestamps, request.tails, now);
    if (producer) this.log.saveProducerEntry(producer.producerId, recordBatch(entry, producer, request.tails.ends.length, baseOffset, logAppendTimeMs, now));
    this.wakeWaiters();
    await this.ensureAlarm();
    return ok({ baseOffset, logAppendTimeMs, duplicate: false });
  }

  async read(ref: PartitionRef, request: ReadRequest): Promise<Result<ReadResult>> {
    this.meter.request();
    const checked = await this.checkRef(ref);
    if (!checked.ok) return checked;
    let state = checked.value;
    const offset = request.offset ?? state.logStartOffset;
    if (offset < state.logStartOffset || offset > state.highWatermark) {
      return fail("OFFSET_OUT_OF_RANGE", `offset ${offset} is outside [logStartOffset ${state.logStartOffset}, highWatermark ${state.highWatermark}]`, {
        offset,
        logStartOffset: state.logStartOffset,
        highWatermark: state.highWatermark,
      });
    }
    let slice = await this.readFrom(offset, request);
    if (slice.recordCount === 0 && request.maxWaitMs > 0 && this.waiters.size < MAX_FETCH_WAITERS_PER_PARTITION) {
      await this.waitForAppend(request.maxWaitMs);
      if (this.dropped) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${ref.topic}' was deleted`, { topic: ref.topic });
      state = this.log.current!;
      // Retention or DeleteRecords may have moved the log start past the offset while we waited.
      if (offset < state.logStartOffset) {
        return fail("OFFSET_OUT_OF_RANGE", `offset ${offset} is below logStartOffset ${state.logStartOffset}`, { offset, logStartOffset: state.logStartOffset, highWatermark: state.highWatermark });
      }
      slice = await this.readFrom(offset, request);
    }
    state = this.log.current!;
    return ok({
      body: this.log.responseBody(slice),
      recordCount: slice.recordCount,
      nextOffset: slice.nextOffset,
      highWatermark: state.highWatermark,
      logStartOffset: state.logStartOffset,
    });
  }

  async listOffsets(ref: PartitionRef, spec: OffsetSpec): Promise<Result<ListedOffset>> {
    this.meter.request();
    const checked = await this.checkRef(ref);
    if (!checked.ok) return checked;
    const state = checked.value;
    if (spec === "earliest") return ok({ offset: state.logStartOffset, timestamp: -1 });
    if (spec === "latest") return ok({ offset: state.highWatermark, timestamp: -1 });
    // Tiered segments first (they are the log's prefix): the first whose running maximum timestamp reaches T.
    const localStart = this.log.localStartOffset();
    for (const seg of this.log.segments()) {
      if (seg.location !== "remote" || seg.maxTimestampSoFar < spec.timestamp) continue;
      for (const batch of await this.tiered.batches(seg)) {
        for (const r of parseRecords(batch.records)) {
          if (r.offset >= state.logStartOffset && r.timestamp >= spec.timestamp) return ok({ offset: r.offset, timestamp: r.timestamp });
        }
      }
    }
    // Kafka answers -1/-1 when no record has a timestamp >= T.
    return ok(this.log.offsetForTimestamp(spec.timestamp, Math.max(localStart, state.logStartOffset)) ?? { offset: -1, timestamp: -1 });
  }

  /**
   * Kafka's DeleteRecords: moves logStartOffset to beforeOffset (at most the high watermark). Whole segments and
   * batches below it are deleted (their R2 objects too); a fetch below it is then OFFSET_OUT_OF_RANGE.
   */
  async deleteRecords(ref: PartitionRef, beforeOffset: number): Promise<Result<{ logStartOffset: number }>> {
    this.meter.request();
    const checked = await this.checkRef(ref);
    if (!checked.ok) return checked;
    const s = checked.value;
    if (beforeOffset > s.highWatermark) {
      return fail("OFFSET_OUT_OF_RANGE", `beforeOffset ${beforeOffset} is past the high watermark ${s.highWatermark}`, { beforeOffset, logStartOffset: s.logStartOffset, highWatermark: s.highWatermark });
    }
    const keys = this.log.deleteRecordsBefore(beforeOffset);
    await this.deleteObjects(keys);
    return ok({ logStartOffset: this.log.current!.logStartOffset });
  }

  /** Runs the background work: retention, tiering, compaction (maintenance.ts). One alarm multiplexes them all. */
  override async alarm(): Promise<void> {
    this.meter.request();
    this.alarmAt = undefined;
    if (this.log.current === undefined || this.dropped) return;
    const more = await runMaintenance(this.log, this.tiered, () => this.now(), { maxLocalBytes: this.numberVar(this.env.MAX_LOCAL_PARTITION_BYTES, MAX_LOCAL_PARTITION_BYTES) });
    // Periodic while the partition holds data (time-based retention and segment.ms need a clock); sooner if a
    // bounded step left work.
    await this.scheduleAlarm(more ? MAINTENANCE_CONTINUE_MS : this.maintenanceIntervalMs());
  }

  private async readFrom(offset: number, request: ReadRequest): Promise<ReadAccumulator> {
    const state = this.log.current!;
    const acc = new ReadAccumulator(offset, state.highWatermark, request.maxRecords, request.maxBytes, request.encoding);
    if (offset < this.log.localStartOffset()) {
      // Tiered prefix: read R2 segments in order until the answer is full or local data starts.
      for (const seg of this.log.segments()) {
        if (acc.done) break;
        if (seg.location !== "remote" || seg.lastOffset < acc.nextOffset) continue;
        await this.tiered.read(seg, acc, request.maxBytes);
      }
    }
    this.log.readLocal(acc, request.maxRecords);
    return acc;
  }

  async describe(ref: PartitionRef): Promise<Result<PartitionDescription>> {
    this.meter.request();
    const checked = await this.checkRef(ref);
    if (!checked.ok) return checked;
    const s = checked.value;
    const segments = this.log.segments();
    const remote = segments.filter((x) => x.location === "remote");
    const remoteBytes = remote.reduce((n, x) => n + x.sizeBytes, 0);
    // Until replication exists the partition object is the only replica (id 0), its own leader and ISR.
    return ok({
      partition: s.partition,
      leader: 0,
      leaderEpoch: 0,
      replicas: [0],
      isr: [0],
      logStartOffset: s.logStartOffset,
      highWatermark: s.highWatermark,
      logEndOffset: s.logEndOffset,
      bytes: s.sizeBytes,
      batches: s.batchCount,
      localBytes: s.sizeBytes - remoteBytes,
      tieredBytes: remoteBytes,
      tieredStoredBytes: remote.reduce((n, x) => n + x.storedBytes, 0),
      localSegments: segments.length - remote.length + 1,
      databaseBytes: this.ctx.storage.sql.databaseSize,
      tieredSegments: remote.length,
    });
  }

  /** Billed items this instance consumed (not counted as a request itself). */
  usage(): UsageCounts {
    return this.meter.snapshot();
  }

  /** The controller tells an existing partition its topic changed; a partition never used stays untouched. */
  async metadataChanged(version: number): Promise<void> {
    this.meter.request();
    const state = this.log.current;
    if (state === undefined || version <= state.metadataVersion) return;
    await this.refresh(state.topic, state.topicId, state.partition);
  }

  /** The topic was deleted: remove its R2 objects, then everything this object stored. Idempotent; a failure throws
   *  (the controller retries). */
  async drop(): Promise<void> {
    this.meter.request();
    this.dropped = true;
    this.wakeWaiters();
    await this.tiered.delete(this.log.allR2Keys());
    await this.ctx.storage.deleteAll();
  }

  private async deleteObjects(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.tiered.delete(keys);
      this.log.clearGarbage(keys);
    } catch (error) {
      // They stay queued in r2_garbage; the alarm retries.
      console.error(`deleting tiered segments failed (retried by the alarm): ${String(error)}`);
    }
  }

  /** Makes sure the maintenance alarm is set once the partition holds data. */
  private async ensureAlarm(): Promise<void> {
    if (this.alarmAt !== undefined) return;
    const existing = await this.ctx.storage.getAlarm();
    if (existing !== null) {
      this.alarmAt = existing;
      return;
    }
    await this.scheduleAlarm(this.maintenanceIntervalMs());
  }

  private async scheduleAlarm(inMs: number): Promise<void> {
    this.alarmAt = Date.now() + inMs;
    await this.ctx.storage.setAlarm(this.alarmAt);
  }

  private maintenanceIntervalMs(): number {
    return this.numberVar(this.env.PARTITION_MAINTENANCE_INTERVAL_MS, PARTITION_MAINTENANCE_INTERVAL_MS);
  }

  private numberVar(value: string | undefined, fallback: number): number {
    const n = value === undefined ? NaN : Number(value);
    return Number.isFinite(n) && n > 0 ? n : fallback;
  }

  /** Tests shift this object's clock through clockOffsetMs (retention and segment.ms age), never by sleeping. */
  private now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /**
   * Checks the caller's routing against what this partition knows. Fast path (same version): no await, no I/O.
   * A newer version, or a partition that never learned its topic, asks the controller.
   */
  private async checkRef(ref: PartitionRef): Promise<Result<LogState>> {
    if (this.dropped) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${ref.topic}' was deleted`, { topic: ref.topic });
    const state = this.log.current;
    if (state !== undefined && state.topicId !== ref.topicId) {
      return fail("UNKNOWN_TOPIC_ID", `partition object belongs to topic id ${state.topicId}, not ${ref.topicId}`);
    }
    if (state !== undefined && ref.version === state.metadataVersion) return ok(state);
    if (state !== undefined && ref.version < state.metadataVersion) {
      return fail("STALE_METADATA", `topic '${ref.topic}' changed (metadata version ${state.metadataVersion}, request routed with ${ref.version})`, {
        version: state.metadataVersion,
      });
    }
    const refreshed = await this.refresh(ref.topic, ref.topicId, ref.partition);
    if (!refreshed.ok) return refreshed;
    if (this.dropped) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${ref.topic}' was deleted`, { topic: ref.topic });
    if (ref.version < refreshed.value.metadataVersion) {
      return fail("STALE_METADATA", `topic '${ref.topic}' changed (metadata version ${refreshed.value.metadataVersion}, request routed with ${ref.version})`, {
        version: refreshed.value.metadataVersion,
      });
    }
    return refreshed;
  }

  private refresh(topic: string, topicId: string, partition: number): Promise<Result<LogState>> {
    this.refreshing ??= (async (): Promise<Result<LogState>> => {
      try {
        const meta = (await controllerStub(this.env).getTopicById(topicId)) as Result<TopicMetadata>;
        if (!meta.ok) return meta;
        if (partition >= meta.value.partitionCount) {
          return fail<LogState>("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' has ${meta.value.partitionCount} partitions, there is no partition ${partition}`);
        }
        if (this.dropped) return fail<LogState>("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' was deleted`);
        const current = this.log.current;
        if (current !== undefined && current.metadataVersion >= meta.value.version) return ok(current);
        return ok(this.log.adopt({ topic: meta.value.name, topicId, partition, version: meta.value.version, config: meta.value.config }, this.now()));
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing!;
  }

  private waitForAppend(maxWaitMs: number): Promise<void> {
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

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
