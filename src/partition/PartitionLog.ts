// PartitionLog: the Durable Object that holds one replica of a topic-partition. Every replica is this one class in
// one of two roles, chosen by the controller's leadership record: the leader assigns offsets, stores batches, serves
// reads (parking long-polls on an in-memory waiter list woken when the high watermark moves), answers ListOffsets and
// pushes its batches to the followers (replication.ts); a follower takes its leader's batches (replicate) and refuses
// everything else with NOT_LEADER_OR_FOLLOWER. It learns its topic's metadata from the controller on first use,
// whenever a caller routed with a newer metadata version or leader epoch, and, with replicas, once per start before it
// acts as leader (a restarted leader may have been replaced meanwhile). Public methods are the RPC surface and return
// Result<T>; operating errors never throw across RPC.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { checkSequence, recordBatch } from "../log/producer-state";
import { isCompacted } from "../log/topic-config";
import {
  ACKS_ALL_TIMEOUT_MS,
  MAINTENANCE_CONTINUE_MS,
  MAX_COALESCED_APPEND_BYTES,
  MAX_COALESCED_APPEND_RECORDS,
  MAX_FETCH_WAITERS_PER_PARTITION,
  MAX_LOCAL_PARTITION_BYTES,
  PARTITION_MAINTENANCE_INTERVAL_MS,
  REPLICA_LAG_TIME_MAX_MS,
  REPLICA_RETRY_BACKOFF_MS,
} from "../limits";
import { controllerStub, partitionLogStub } from "../names";
import type {
  AppendRequest,
  AppendResult,
  ListedOffset,
  OffsetSpec,
  PartitionDescription,
  PartitionRef,
  ReadRequest,
  ReadResult,
  ReplicaStatus,
  ReplicatedBatch,
  ReplicateRequest,
  ReplicateResponse,
  TopicMetadata,
} from "../protocol";
import { LocalLog, type LogState, type ReplicaRole } from "./local-log";
import { Replicator, type ReplicationHost } from "./replication";
import { runMaintenance } from "./maintenance";
import { TieredLog } from "./tiered-log";
import { ReadAccumulator } from "../log/batch-reader";
import { parseRecords } from "../log/batch";
import { mergeAppends, splitResult, takeGroup } from "./merge-appends";
import { Usage, type UsageCounts } from "../usage";

export class PartitionLog extends DurableObject<Env> {
  private log: LocalLog;
  /** Set while this replica leads a replicated partition. */
  private replicator: Replicator | undefined;
  /** acks=all produces waiting for the high watermark; each re-checks when it moves or the ISR or role changes. */
  private readonly commitWaiters = new Set<() => void>();
  /** With replicas: whether this instance has asked the controller who leads since it started. */
  private confirmed = false;
  /** The fault switch (test and development configurations only): while set, every call fails as if unreachable. */
  private faulted = false;
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
  /** Plain appends waiting for the group commit (flushAppends), in arrival order. */
  private readonly appendQueue: QueuedAppend[] = [];
  /** The last group commit's durability, while unconfirmed: plain appends queue behind it. */
  private committing: Promise<void> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.log = new LocalLog(this.meter.sql(ctx.storage.sql));
    this.tiered = new TieredLog(this.meter.bucket(env.SEGMENTS));
  }

  async append(ref: PartitionRef, request: AppendRequest): Promise<Result<AppendResult>> {
    this.enter();
    const checked = await this.checkRef(ref);
    if (!checked.ok) return checked;
    const config = checked.value.config;
    const role = checked.value.replication;
    const replicated = role.replicationFactor > 1;
    const waitForAll = replicated && request.acks === -1;
    const refused = refuseAppend(checked.value, request, ref);
    if (!refused.ok) return refused;
    const minIsr = Number(config["min.insync.replicas"]);
    // A plain append that needs nobody else's confirmation goes through the group commit (written now, or with the
    // others that queue while an earlier write commits). An idempotent batch is sequence-checked and stamped as a
    // unit, and an acks=all one on a replicated topic waits for its own high watermark: those are written alone, now.
    if (request.producer === undefined && !waitForAll) return this.groupAppend(ref, request);
    const now = this.now();
    const logAppendTime = config["message.timestamp.type"] === "LogAppendTime";
    const producer = request.producer;
    const entry = producer ? this.log.producerEntry(producer.producerId) : undefined;
    if (producer) {
      const check = checkSequence(entry, producer, request.tails.ends.length, now);
      if (check.kind === "duplicate") {
        const { baseOffset, lastOffset, logAppendTimeMs } = check.batch;
        if (waitForAll) {
          const committed = await this.waitForCommit(lastOffset + 1, minIsr);
          if (!committed.ok) return committed;
        }
        return ok({ baseOffset, logAppendTimeMs, duplicate: true, timestamps: this.log.timestampsOf(baseOffset, lastOffset) });
      }
      if (check.kind === "error") return fail(check.type, check.message, check.details);
    }
    const timestamps = logAppendTime ? new Float64Array(request.timestamps.length).fill(now) : request.timestamps;
    const logAppendTimeMs = logAppendTime ? now : -1;
    // No await from here to the ensureAlarm: the batch, its epoch entry and the producer's state commit together.
    if (replicated) this.log.addEpoch(role.leaderEpoch, this.log.current!.logEndOffset);
    const stamp = producer ? { producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: producer.baseSequence, logAppendTimeMs } : undefined;
    const baseOffset = this.log.append(request.encoding, timestamps, request.tails, now, stamp);
    if (producer) this.log.saveProducerEntry(producer.producerId, recordBatch(entry, producer, request.tails.ends.length, baseOffset, logAppendTimeMs, now));
    if (replicated) this.replicator?.kick();
    else this.wakeWaiters();
    await this.ensureAlarm();
    if (waitForAll) {
      const committed = await this.waitForCommit(baseOffset + request.tails.ends.length, minIsr);
      if (!committed.ok) return committed;
    }
    return ok({ baseOffset, logAppendTimeMs, duplicate: false });
  }

  /**
   * Group commit for a plain append: written at once when no earlier write of this object is still committing, else
   * queued until that commit is confirmed and then written together with everything else that queued meanwhile (one
   * batch row, one commit, one output-gate wait). A lone append never waits for anything but its own commit; under
   * concurrent appends the batch grows with the commit latency, as a broker's group commit does. Each part answers
   * only once its records are durable (the output gate).
   */
  private groupAppend(ref: PartitionRef, request: AppendRequest): Promise<Result<AppendResult>> {
    return new Promise((resolve, reject) => {
      this.appendQueue.push({ ref, request, resolve, reject });
      if (this.committing === undefined) void this.flushAppends();
    });
  }

  /**
   * Writes every queued plain append: groups of the same encoding, within MAX_COALESCED_APPEND_RECORDS/BYTES, each one
   * append (offsets in arrival order), then watches the commit. Each part is checked again first, since the role, the
   * topic or its config may have changed while it waited. No await between the writes: they commit together.
   */
  private async flushAppends(): Promise<void> {
    const queue = this.appendQueue;
    const answered: { part: QueuedAppend; result: Result<AppendResult> }[] = [];
    const written: QueuedAppend[] = [];
    try {
      if (this.faulted) throw new Error("partition replica is unavailable (fault switch)");
      const now = this.now();
      while (queue.length > 0) {
        const group = takeGroup(queue, MAX_COALESCED_APPEND_RECORDS, MAX_COALESCED_APPEND_BYTES, (a, b) => a.request.encoding === b.request.encoding);
        const parts: QueuedAppend[] = [];
        for (const part of group) {
          const refused = this.recheckAppend(part);
          if (refused.ok) parts.push(part);
          else answered.push({ part, result: refused });
        }
        if (parts.length === 0) continue;
        const state = this.log.current!;
        const merged = mergeAppends(parts.map((p) => p.request));
        const count = merged.tails.ends.length;
        const logAppendTime = state.config["message.timestamp.type"] === "LogAppendTime";
        const timestamps = logAppendTime ? new Float64Array(count).fill(now) : merged.timestamps;
        const logAppendTimeMs = logAppendTime ? now : -1;
        if (state.replication.replicationFactor > 1) this.log.addEpoch(state.replication.leaderEpoch, state.logEndOffset);
        written.push(...parts);
        const baseOffset = this.log.append(merged.encoding, timestamps, merged.tails, now);
        const results = splitResult({ baseOffset, logAppendTimeMs, duplicate: false }, parts.map((p) => p.request.tails.ends.length));
        parts.forEach((part, i) => answered.push({ part, result: ok(results[i]!) }));
      }
      if (written.length > 0) {
        // Appends that arrive before this commit is confirmed queue up and go together once it is.
        // (A failed commit breaks the object, which workerd restarts; the queue is only told to move on.)
        const committing = this.ctx.storage.sync().catch(() => {}).finally(() => {
          if (this.committing === committing) this.committing = undefined;
          if (queue.length > 0 && this.committing === undefined) void this.flushAppends();
        });
        this.committing = committing;
        if (this.log.current!.replication.replicationFactor > 1) this.replicator?.kick();
        else this.wakeWaiters();
        await this.ensureAlarm();
      }
    } catch (error) {
      // Every part not refused fails as its call would have alone (an RPC exception: the router reports it as
      // ambiguous); none was answered ok.
      for (const part of [...written, ...queue.splice(0)]) part.reject(error);
      for (const { part, result } of answered) if (!result.ok) part.resolve(result);
      return;
    }
    for (const { part, result } of answered) part.resolve(result);
  }

  /** A queued append checked again at flush time, synchronously: the same refusals checkRef and append make. */
  private recheckAppend({ ref, request }: QueuedAppend): Result<void> {
    if (this.dropped) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${ref.topic}' was deleted`, { topic: ref.topic });
    const state = this.log.current;
    if (state === undefined || state.topicId !== ref.topicId) return fail("UNKNOWN_TOPIC_ID", `partition object no longer belongs to topic id ${ref.topicId}`);
    const role = checkRole(state.replication, ref);
    if (!role.ok) return role;
    if (ref.version < state.metadataVersion) {
      return fail("STALE_METADATA", `topic '${ref.topic}' changed (metadata version ${state.metadataVersion}, request routed with ${ref.version})`, {
        version: state.metadataVersion,
      });
    }
    return refuseAppend(state, request, ref);
  }

  /**
   * A follower takes its leader's batches. The leader's epoch must be the current one: an older epoch is a replaced
   * leader (FENCED_LEADER_EPOCH, and it stops), a newer one is checked with the controller first. The request may
   * first truncate this replica's divergent suffix. Answers this replica's log end (and its epoch cache to a probe).
   */
  async replicate(request: ReplicateRequest): Promise<Result<ReplicateResponse>> {
    this.enter();
    const ref = request.ref;
    let state = this.log.current;
    if (state !== undefined && state.topicId !== ref.topicId) return fail("UNKNOWN_TOPIC_ID", `replica belongs to topic id ${state.topicId}, not ${ref.topicId}`);
    if (this.dropped) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${ref.topic}' was deleted`, { topic: ref.topic });
    if (state === undefined || state.metadataVersion < ref.version || request.leaderEpoch > state.replication.leaderEpoch) {
      const refreshed = await this.refresh(ref.topic, ref.topicId, ref.partition, ref.replica);
      if (!refreshed.ok) return refreshed;
      state = refreshed.value;
    }
    const role = state.replication;
    if (request.leaderEpoch < role.leaderEpoch) {
      return fail("FENCED_LEADER_EPOCH", `leader epoch ${request.leaderEpoch} is older than ${role.leaderEpoch}: replica ${role.leader} leads now`, {
        leaderEpoch: role.leaderEpoch,
        leader: role.leader,
      });
    }
    if (request.leaderEpoch > role.leaderEpoch) {
      return fail("UNKNOWN_LEADER_EPOCH", `leader epoch ${request.leaderEpoch} is newer than the controller's ${role.leaderEpoch}`, { leaderEpoch: role.leaderEpoch });
    }
    if (role.leader !== request.leaderId || role.leader === role.replicaId) {
      return fail("NOT_LEADER_OR_FOLLOWER", `replica ${request.leaderId} does not lead epoch ${role.leaderEpoch} (replica ${role.leader} does)`, { leader: role.leader });
    }
    const now = this.now();
    if (request.truncateTo !== undefined) {
      if (request.reset) await this.deleteObjects(this.log.resetTo(request.truncateTo, now));
      else this.log.truncateTo(request.truncateTo);
    }
    const batches = request.batches;
    if (batches.length > 0) {
      const end = this.log.current!.logEndOffset;
      if (batches[0]!.baseOffset < end) {
        return fail("OFFSET_OUT_OF_RANGE", `batches start at ${batches[0]!.baseOffset}, this replica's log ends at ${end}`, { logEndOffset: end });
      }
      // No await from here to the alarm: the batches, their epochs and producer state commit together.
      for (const e of request.epochs) this.log.addEpoch(e.epoch, Math.max(e.startOffset, batches[0]!.baseOffset));
      this.log.appendReplicated(batches, now);
    }
    const s = this.log.current!;
    this.log.setHighWatermark(Math.max(s.highWatermark, Math.min(request.highWatermark, s.logEndOffset)));
    if (request.logStartOffset > s.logStartOffset && this.log.current!.highWatermark > s.logStartOffset) {
      await this.deleteObjects(this.log.deleteRecordsBefore(Math.min(request.logStartOffset, this.log.current!.highWatermark)));
    }
    if (batches.length > 0) await this.ensureAlarm();
    const after = this.log.current!;
    const probe = batches.length === 0 && request.truncateTo === undefined;
    return ok({ logStartOffset: after.logStartOffset, logEndOffset: after.logEndOffset, epochs: probe ? [...this.log.epochs()] : [] });
  }

  /** The controller's election probe: whether this replica answers, and how far its log goes. */
  replicaStatus(): ReplicaStatus {
    this.enter();
    const s = this.log.current;
    return { logEndOffset: s?.logEndOffset ?? 0, leaderEpoch: s?.replication.leaderEpoch ?? -1 };
  }

  /**
   * The fault switch (reachable only when EDGELOG_ENV is test, development or bench; see service/faults.ts). Down:
   * every call fails as an unreachable object's would, and nothing runs. Up again: the object starts afresh from its
   * storage, as one restarted by the platform would, forgetting everything it held in memory.
   */
  setFault(down: boolean): void {
    this.meter.request();
    if (down) {
      this.faulted = true;
      this.replicator?.stop();
      this.replicator = undefined;
      this.changed();
      return;
    }
    if (!this.faulted) return;
    this.faulted = false;
    this.log = new LocalLog(this.meter.sql(this.ctx.storage.sql));
    this.confirmed = false;
    this.alarmAt = undefined;
  }

  async read(ref: PartitionRef, request: ReadRequest): Promise<Result<ReadResult>> {
    this.enter();
    const checked = await this.checkRef(ref);
    if (!checked.ok) return checked;
    let state = checked.value;
    const offset = request.offset ?? state.logStartOffset;
    // Offsets between the high watermark and the log end exist but are not committed yet (with replicas, a restarted
    // or new leader learns the high watermark again from its followers): such a fetch waits, as in Kafka.
    if (offset < state.logStartOffset || offset > Math.max(state.highWatermark, state.logEndOffset)) {
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
      if (this.faulted) throw new Error("partition replica is unavailable (fault switch)");
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
    this.enter();
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
    this.enter();
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
    if (this.faulted) {
      // A dead object runs nothing; it comes back to its work when the switch is lifted.
      await this.scheduleAlarm(this.maintenanceIntervalMs());
      return;
    }
    if (this.log.current === undefined || this.dropped) return;
    const more = await runMaintenance(this.log, this.tiered, () => this.now(), { maxLocalBytes: this.numberVar(this.env.MAX_LOCAL_PARTITION_BYTES, MAX_LOCAL_PARTITION_BYTES) });
    // A leader retries followers that are behind or out of sync (a restarted leader first confirms its role).
    const s = this.log.current;
    if (s.replication.replicationFactor > 1 && s.replication.leader === s.replication.replicaId) {
      if (!this.confirmed) await this.refresh(s.topic, s.topicId, s.partition, s.replication.replicaId);
      this.replicator?.kick(true);
      await this.replicator?.settle();
    }
    const lagging = this.replicator?.needsAttention() ?? false;
    // Periodic while the partition holds data (time-based retention and segment.ms need a clock); sooner if a
    // bounded step left work, or a follower needs another push.
    await this.scheduleAlarm(more ? MAINTENANCE_CONTINUE_MS : lagging ? REPLICA_RETRY_BACKOFF_MS : this.maintenanceIntervalMs());
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
    this.enter();
    const checked = await this.checkRef(ref);
    if (!checked.ok) return checked;
    const s = checked.value;
    const segments = this.log.segments();
    const remote = segments.filter((x) => x.location === "remote");
    const remoteBytes = remote.reduce((n, x) => n + x.sizeBytes, 0);
    const role = s.replication;
    return ok({
      partition: s.partition,
      leader: role.leader,
      leaderEpoch: role.leaderEpoch,
      replicas: Array.from({ length: role.replicationFactor }, (_, i) => i),
      isr: role.isr,
      ...(this.replicator ? { replicaLogEndOffsets: this.replicator.followerEndOffsets() } : {}),
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
    this.enter();
    const state = this.log.current;
    if (state === undefined || version <= state.metadataVersion) return;
    await this.refresh(state.topic, state.topicId, state.partition, state.replication.replicaId);
  }

  /** The topic was deleted: remove its R2 objects, then everything this object stored. Idempotent; a failure throws
   *  (the controller retries). */
  async drop(): Promise<void> {
    this.enter();
    this.dropped = true;
    this.replicator?.stop();
    this.replicator = undefined;
    this.changed();
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
    let state = this.log.current;
    if (state !== undefined && state.topicId !== ref.topicId) {
      return fail("UNKNOWN_TOPIC_ID", `partition object belongs to topic id ${state.topicId}, not ${ref.topicId}`);
    }
    if (state !== undefined && state.replication.replicationFactor > 1 && (!this.confirmed || ref.leaderEpoch > state.replication.leaderEpoch)) {
      const refreshed = await this.refresh(state.topic, state.topicId, state.partition, state.replication.replicaId);
      if (!refreshed.ok) return refreshed;
      state = refreshed.value;
    }
    if (state !== undefined) {
      const role = checkRole(state.replication, ref);
      if (!role.ok) return role;
    }
    if (state !== undefined && ref.version === state.metadataVersion) return ok(state);
    if (state !== undefined && ref.version < state.metadataVersion) {
      return fail("STALE_METADATA", `topic '${ref.topic}' changed (metadata version ${state.metadataVersion}, request routed with ${ref.version})`, {
        version: state.metadataVersion,
      });
    }
    const refreshed = await this.refresh(ref.topic, ref.topicId, ref.partition, ref.replica);
    if (!refreshed.ok) return refreshed;
    if (this.dropped) return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${ref.topic}' was deleted`, { topic: ref.topic });
    const role = checkRole(refreshed.value.replication, ref);
    if (!role.ok) return role;
    if (ref.version < refreshed.value.metadataVersion) {
      return fail("STALE_METADATA", `topic '${ref.topic}' changed (metadata version ${refreshed.value.metadataVersion}, request routed with ${ref.version})`, {
        version: refreshed.value.metadataVersion,
      });
    }
    return refreshed;
  }

  private refresh(topic: string, topicId: string, partition: number, replica: number): Promise<Result<LogState>> {
    this.refreshing ??= (async (): Promise<Result<LogState>> => {
      try {
        const meta = (await controllerStub(this.env).getTopicById(topicId)) as Result<TopicMetadata>;
        if (!meta.ok) return meta;
        const m = meta.value;
        if (partition >= m.partitionCount) {
          return fail<LogState>("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' has ${m.partitionCount} partitions, there is no partition ${partition}`);
        }
        if (this.dropped) return fail<LogState>("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' was deleted`);
        this.confirmed = true;
        const current = this.log.current;
        if (current !== undefined && current.metadataVersion >= m.version) {
          this.applyRole();
          return ok(current);
        }
        const leadership = m.leadership?.[partition] ?? { leader: 0, leaderEpoch: 0, isr: [0] };
        const replication: ReplicaRole = {
          replicaId: current?.replication.replicaId ?? replica,
          replicationFactor: m.replicationFactor,
          leader: leadership.leader,
          leaderEpoch: leadership.leaderEpoch,
          isr: leadership.isr,
          placement: m.placement,
        };
        // The leader's own ISR view is newer than the controller's copy in the metadata when the epoch is unchanged.
        if (current !== undefined && current.replication.leaderEpoch === replication.leaderEpoch && current.replication.leader === replication.replicaId) {
          replication.isr = current.replication.isr;
        }
        const adopted = this.log.adopt({ topic: m.name, topicId, partition, version: m.version, config: m.config, replication }, this.now());
        this.applyRole();
        return ok(adopted);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing!;
  }

  /** Starts or stops leading after a role change: a new leader probes its followers; a replaced one stops at once. */
  private applyRole(): void {
    const s = this.log.current;
    if (s === undefined) return;
    const r = s.replication;
    const leading = r.replicationFactor > 1 && r.leader === r.replicaId && !this.faulted;
    if (leading && (this.replicator === undefined || this.replicatorEpoch !== r.leaderEpoch)) {
      this.replicator?.stop();
      this.replicator = new Replicator(this.replicationHost());
      this.replicatorEpoch = r.leaderEpoch;
      this.replicator.kick(true);
    } else if (!leading && this.replicator !== undefined) {
      this.replicator.stop();
      this.replicator = undefined;
    }
    this.changed();
  }

  private replicatorEpoch = -1;

  private replicationHost(): ReplicationHost {
    const self = this;
    return {
      get log() {
        return self.log;
      },
      now: () => this.now(),
      lagTimeMaxMs: () => this.numberVar(this.env.REPLICA_LAG_TIME_MAX_MS, REPLICA_LAG_TIME_MAX_MS),
      batchesFrom: (offset, maxBytes) => this.batchesFrom(offset, maxBytes),
      push: (replica, request) => {
        const s = this.log.current!;
        const placement = s.replication.placement;
        const hint = placement.length > 0 ? placement[replica % placement.length] : undefined;
        const ref: PartitionRef = { topic: s.topic, topicId: s.topicId, partition: s.partition, version: s.metadataVersion, replica, leaderEpoch: s.replication.leaderEpoch };
        return partitionLogStub(this.env, s.topicId, s.partition, replica, hint).replicate({ ...request, ref }) as Promise<Result<ReplicateResponse>>;
      },
      alterIsr: (isr) => {
        const s = this.log.current!;
        return controllerStub(this.env).alterPartition(s.topicId, s.partition, s.replication.replicaId, s.replication.leaderEpoch, isr) as Promise<Result<ReplicaRole>>;
      },
      changed: () => this.changed(),
      fenced: () => {
        const s = this.log.current!;
        void this.refresh(s.topic, s.topicId, s.partition, s.replication.replicaId);
      },
    };
  }

  /** Batches for a follower from `offset` on: local rows, or a tiered segment's batches for a follower far behind. */
  private async batchesFrom(offset: number, maxBytes: number): Promise<ReplicatedBatch[]> {
    if (offset >= this.log.localStartOffset()) return this.log.replicationBatches(offset, maxBytes);
    const segment = this.log.segments().find((seg) => seg.location === "remote" && seg.lastOffset >= offset);
    if (segment === undefined) return this.log.replicationBatches(offset, maxBytes);
    const out: ReplicatedBatch[] = [];
    let bytes = 0;
    for (const b of await this.tiered.batches(segment)) {
      if (b.lastOffset < offset) continue;
      if (out.length > 0 && bytes + b.records.length > maxBytes) break;
      const records = parseRecords(b.records);
      const maxTimestamp = records.reduce((m, r) => Math.max(m, r.timestamp), -1);
      out.push({
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        recordCount: b.positions.length,
        maxTimestamp,
        appendTimeMs: maxTimestamp,
        encoding: b.encoding,
        records: b.records,
        positions: b.positions,
        ...(b.offsets === undefined ? {} : { offsets: b.offsets }),
      });
      bytes += b.records.length;
    }
    return out;
  }

  /** Waits until the high watermark reaches `offset` (acks=all). */
  private waitForCommit(offset: number, minIsr: number): Promise<Result<void>> {
    const check = (): Result<void> | undefined => {
      const s = this.log.current!;
      if (s.highWatermark >= offset) return ok(undefined);
      const r = s.replication;
      if (this.faulted || this.dropped || r.leader !== r.replicaId || this.replicator === undefined) {
        return fail("NOT_LEADER_OR_FOLLOWER", `this replica stopped leading before offset ${offset - 1} was committed; the records may or may not survive`, {
          ambiguous: true,
          leader: r.leader,
          leaderEpoch: r.leaderEpoch,
        });
      }
      if (r.isr.length < minIsr) {
        return fail("NOT_ENOUGH_REPLICAS_AFTER_APPEND", `the records were written, but the ISR shrank to ${r.isr.length} (${r.isr.join(", ")}) below min.insync.replicas ${minIsr} before they were committed`, {
          ambiguous: true,
          isr: r.isr,
          minInsyncReplicas: minIsr,
        });
      }
      return undefined;
    };
    const now = check();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiter = () => {
        const result = check();
        if (result === undefined) return;
        clearTimeout(timer);
        this.commitWaiters.delete(waiter);
        resolve(result);
      };
      const timer = setTimeout(() => {
        this.commitWaiters.delete(waiter);
        resolve(fail("REQUEST_TIMED_OUT", `the in-sync replicas did not confirm offset ${offset - 1} within ${ACKS_ALL_TIMEOUT_MS} ms; the records may still be committed`, { ambiguous: true }));
      }, ACKS_ALL_TIMEOUT_MS);
      this.commitWaiters.add(waiter);
    });
  }

  /** The high watermark, the ISR or the role changed: acks=all waiters and long-polls look again. */
  private changed(): void {
    for (const waiter of [...this.commitWaiters]) waiter();
    this.wakeWaiters();
  }

  /** Every public entry point: counts the request, and fails while the fault switch is down. */
  private enter(): void {
    this.meter.request();
    if (this.faulted) throw new Error("partition replica is unavailable (fault switch)");
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

interface QueuedAppend {
  ref: PartitionRef;
  request: AppendRequest;
  resolve(result: Result<AppendResult>): void;
  reject(error: unknown): void;
}

/** What no append may do whatever its kind: null keys on a compacted topic; acks=all below min.insync.replicas. */
function refuseAppend(state: LogState, request: AppendRequest, ref: PartitionRef): Result<void> {
  if (request.hasNullKey && isCompacted(state.config)) {
    return fail("INVALID_RECORD", "Compacted topic cannot accept message without key", { topic: ref.topic, partition: ref.partition });
  }
  const role = state.replication;
  const minIsr = Number(state.config["min.insync.replicas"]);
  if (role.replicationFactor > 1 && request.acks === -1 && role.isr.length < minIsr) {
    return fail("NOT_ENOUGH_REPLICAS", `${role.isr.length} in-sync replicas (${role.isr.join(", ")}), min.insync.replicas is ${minIsr}: nothing was written`, {
      isr: role.isr,
      minInsyncReplicas: minIsr,
    });
  }
  return ok(undefined);
}

/** A client request must reach the leader of the caller's epoch (Kafka's CurrentLeaderEpoch check). */
function checkRole(role: ReplicaRole, ref: PartitionRef): Result<void> {
  if (ref.leaderEpoch < role.leaderEpoch) {
    return fail("FENCED_LEADER_EPOCH", `leader epoch ${ref.leaderEpoch} is older than the current ${role.leaderEpoch} (replica ${role.leader} leads)`, {
      leader: role.leader,
      leaderEpoch: role.leaderEpoch,
    });
  }
  if (role.leader !== role.replicaId) {
    return fail("NOT_LEADER_OR_FOLLOWER", `replica ${role.replicaId} does not lead this partition (replica ${role.leader} does, epoch ${role.leaderEpoch})`, {
      leader: role.leader,
      leaderEpoch: role.leaderEpoch,
    });
  }
  if (ref.leaderEpoch > role.leaderEpoch) {
    return fail("UNKNOWN_LEADER_EPOCH", `leader epoch ${ref.leaderEpoch} is newer than this replica knows (${role.leaderEpoch})`, { leaderEpoch: role.leaderEpoch });
  }
  return ok(undefined);
}
