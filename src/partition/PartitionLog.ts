// PartitionLog: the Durable Object that holds one replica of a topic-partition. Every replica is this one class in
// one of two roles, chosen by the controller's leadership record (partition-role.ts): the leader assigns offsets,
// stores batches (group-commit.ts for plain appends), serves reads (read-path.ts), answers ListOffsets and pushes its
// batches to the followers (replication.ts); a follower takes its leader's batches (replicate) and refuses everything
// else with NOT_LEADER_OR_FOLLOWER. Public methods are the RPC surface and return Result<T>; operating errors never
// throw across RPC, and neither does the fault switch (unavailable.ts).
import { DurableObject } from "cloudflare:workers";
import { Clock } from "../clock";
import type { Env } from "../env";
import { errorBody, fail, ok, type Result } from "../errors";
import type {
  AppendRequest,
  AppendResult,
  ListedOffset,
  IsolationLevel,
  OffsetSpec,
  PartitionDescription,
  PartitionRef,
  ReadRequest,
  ReadResult,
  ReplicaStatus,
  ReplicateRequest,
  ReplicateResponse,
  TxnMarker,
} from "../protocol";
import { settings, type Settings } from "../settings";
import { UNAVAILABLE, UNAVAILABLE_MESSAGE, type Unavailable } from "../unavailable";
import type { ReadAccumulator } from "../log/batch-reader";
import { Usage, type UsageCounts } from "../usage";
import { AlarmSchedule } from "./alarm-schedule";
import { GroupCommit } from "./group-commit";
import { LocalLog, type LogState } from "./local-log";
import { deleteTieredObjects, runAlarm } from "./partition-alarm";
import { refuseAppend, type PartitionRole } from "./partition-role";
import { offsetForTime, readInRange, responseBody } from "./read-path";
import { newPartitionRole } from "./replication-host";
import { LogWaiters } from "./log-waiters";
import { takeReplicated } from "./follower";
import { TieredLog } from "./tiered-log";
import { newTails, serveSocketRequest } from "./socket-requests";
import type { Tails } from "../tails";
import { TAIL_TAG } from "../tail";
import { verifyTxnWrite, writeMarker } from "./txn-append";
import { appendAlone, type AloneParts } from "./append-alone";
import { describePartition } from "./describe-partition";
import { partitionCounters, type PartitionCounters } from "./partition-counters";
import { loggerFor } from "../log/structured-log";

export class PartitionLog extends DurableObject<Env> {
  /** Tests move it forward (retention, segment age) instead of sleeping. */
  readonly clock = new Clock();
  private log: LocalLog;
  private readonly tiered: TieredLog;
  private readonly settings: Settings;
  /** What this object consumed of the billed items (src/usage.ts). */
  private readonly meter = new Usage();
  /** Traffic counters for GET /metrics (partition-counters.ts): in memory, from zero at each start. */
  private counters: PartitionCounters;
  private readonly role: PartitionRole;
  private readonly groupCommit: GroupCommit;
  /** acks=all produces, parked readers and durable watches, told when the log moves (log-waiters.ts). */
  private readonly waiters: LogWaiters;
  /** Clients' WebSocket live tails (tails.ts), hibernated between appends. */
  private readonly tails: Tails;
  /** The alarm, set for when maintenance next falls due. */
  private readonly alarms: AlarmSchedule;
  /** The fault switch (test and development configurations only): while set, every call answers UNAVAILABLE. */
  private faulted = false;
  /** Set once the topic is deleted: no write may follow the drop in this instance. */
  private dropped = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.settings = settings(env);
    this.counters = partitionCounters(env.EDGELOG_COUNTERS, Date.now());
    this.waiters = new LogWaiters(ctx, {
      log: () => this.log,
      alarms: () => this.alarms,
      env,
      acksAllTimeoutMs: () => this.settings.acksAllTimeoutMs,
      canCommit: () => !this.faulted && !this.dropped && this.role.replicator !== undefined,
      waitUntil: (work) => ctx.waitUntil(work),
      moved: () => this.tails.wake(),
    });
    this.tails = newTails(ctx, { log: () => this.log, now: () => this.clock.now(), readChecked: (ref, read) => this.readChecked(ref, read), meter: this.meter });
    this.log = new LocalLog(this.meter.sql(ctx.storage.sql), this.settings.partitionTailCacheBytes);
    this.tiered = new TieredLog(this.meter.bucket(env.SEGMENTS), {
      uploaded: (bytes) => this.counters.tiered(bytes),
      failed: (key, error) => loggerFor(env.EDGELOG_LOG_LEVEL).error("tiering_failed", { key, error: String(error) }),
    });
    const self = this;
    this.alarms = new AlarmSchedule(ctx.storage, {
      get log() {
        return self.log;
      },
      clock: this.clock,
      maxLocalBytes: () => this.settings.maxLocalPartitionBytes,
      retryMs: () => this.settings.partitionMaintenanceRetryMs,
      followersNeedAttention: () => this.role.replicator?.needsAttention() ?? false,
    });
    this.role = newPartitionRole({
      get log() {
        return self.log;
      },
      get dropped() {
        return self.dropped;
      },
      get faulted() {
        return self.faulted;
      },
      get counters() {
        return self.counters;
      },
      tiered: this.tiered,
      env,
      now: () => this.clock.now(),
      lagTimeMaxMs: () => this.settings.replicaLagTimeMaxMs,
      changed: () => this.waiters.changed(),
    });
    this.groupCommit = new GroupCommit({
      get log() {
        return self.log;
      },
      now: () => this.clock.now(),
      checkAvailable: () => {
        if (this.faulted) throw new Error(UNAVAILABLE_MESSAGE);
      },
      // Routing only: what refuseAppend checks cannot change while an append waits without bumping the metadata
      // version, which the recheck already refuses (STALE_METADATA).
      recheck: (ref) => {
        const state = this.role.recheck(ref);
        return state.ok ? ok(undefined) : state;
      },
      sync: () => this.ctx.storage.sync(),
      appended: (before) => this.appended(before),
      merged: (appends) => this.counters.merged(appends),
    });
  }

  append(ref: PartitionRef, request: AppendRequest): Promise<Result<AppendResult> | Unavailable> {
    return this.serve(async () => this.counters.produced(await this.appendChecked(ref, request)));
  }

  private async appendChecked(ref: PartitionRef, request: AppendRequest): Promise<Result<AppendResult> | Unavailable> {
    const checked = await this.role.check(ref);
    if (!checked.ok) return checked;
    const waitForAll = checked.value.replication.replicationFactor > 1 && request.acks === -1;
    const refused = refuseAppend(checked.value, request, ref);
    if (!refused.ok) return refused;
    if (request.transactionalId !== undefined) {
      const verified = await verifyTxnWrite(this.log, this.env, ref, request);
      if (!verified.ok) return verified;
    }
    // A plain append that needs nobody else's confirmation goes through the group commit. An idempotent batch is
    // sequence-checked and stamped as a unit, and an acks=all one on a replicated topic waits for its own high
    // watermark: those are written alone, now.
    if (request.producer === undefined && !waitForAll) {
      return this.groupCommit.append(ref, request).catch((error: unknown) => {
        if (this.faulted) return UNAVAILABLE; // the switch went down while it queued: as if unreachable
        throw error;
      });
    }
    return appendAlone(this.aloneParts(), request, waitForAll);
  }

  /**
   * A follower takes its leader's batches. The leader's epoch must be the current one: an older epoch is a replaced
   * leader (FENCED_LEADER_EPOCH, and it stops), a newer one is checked with the controller first. The request may
   * first truncate this replica's divergent suffix. Answers this replica's log end (and its epoch cache to a probe).
   */
  replicate(request: ReplicateRequest): Promise<Result<ReplicateResponse> | Unavailable> {
    return this.serve(async () => {
      return takeReplicated(
        {
          log: this.log,
          role: this.role,
          alarms: this.alarms,
          dropped: this.dropped,
          now: this.clock.now(),
          deleteObjects: (keys) => this.deleteObjects(keys),
        },
        request,
      );
    });
  }

  /** The controller's election probe: whether this replica answers, and how far its log goes. */
  replicaStatus(): Promise<ReplicaStatus | Unavailable> {
    return this.serve(async () => {
      const s = this.log.current;
      return { logEndOffset: s?.logEndOffset ?? 0, leaderEpoch: s?.replication.leaderEpoch ?? -1 };
    });
  }

  /**
   * The fault switch (reachable only when EDGELOG_ENV is test, development or bench; see service/replicas.ts). Down:
   * every call answers as an unreachable object would, and nothing runs. Up again: the object starts afresh from its
   * storage, as one restarted by the platform would, forgetting everything it held in memory.
   */
  setFault(down: boolean): void {
    this.meter.request();
    if (down) {
      this.faulted = true;
      this.role.stopLeading();
      this.waiters.changed();
      this.waiters.watchers.closeAll("unavailable");
      this.tails.closeAll(errorBody("KAFKA_STORAGE_ERROR", "the partition is unavailable; reconnect"));
      return;
    }
    if (!this.faulted) return;
    this.faulted = false;
    this.log = new LocalLog(this.meter.sql(this.ctx.storage.sql), this.settings.partitionTailCacheBytes);
    this.counters = partitionCounters(this.env.EDGELOG_COUNTERS, Date.now());
    this.role.forget();
    this.alarms.forget();
    this.alarms.invalidate();
  }

  /** A fetch: never parks here (long-polls and tails wait outside the object, src/watch.ts): maxWaitMs is the caller's. */
  read(ref: PartitionRef, request: ReadRequest): Promise<Result<ReadResult> | Unavailable> {
    return this.serve(async () => {
      const slice = await this.readChecked(ref, request);
      this.counters.fetchRequest(slice);
      if (!slice.ok) return slice;
      const state = this.log.current!;
      return ok({
        body: responseBody(this.log, slice.value, request),
        recordCount: slice.value.recordCount,
        nextOffset: slice.value.nextOffset,
        highWatermark: state.highWatermark,
        logStartOffset: state.logStartOffset,
        ...(request.isolation === "read_committed" ? { lastStableOffset: this.log.txns.lastStableOffset(state) } : {}),
      });
    });
  }

  /** A reader that will wait for records (src/watch.ts), or a client's WebSocket tail (src/tail.ts). */
  override async fetch(request: Request): Promise<Response> {
    const readChecked = (ref: PartitionRef, read: ReadRequest) => this.readChecked(ref, read);
    return serveSocketRequest({ log: this.log, watchers: this.waiters.watchers, tails: this.tails, readChecked, serve: (work) => this.serve(work), fetched: () => this.counters.fetchRequest(undefined) }, request);
  }

  /** A tail's ack (watch sockets never speak). No close handler: a socket that goes away must not wake the object. */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (!this.ctx.getTags(ws).includes(TAIL_TAG)) return;
    await this.serve(async () => this.tails.message(ws, message));
  }

  /** An object (a subscription partition that caught up) asks to be woken past `after` (log-waiters.ts). */
  watchFor(ref: PartitionRef, watcher: string, after: number): Promise<Result<{ ready: boolean; replicated: boolean }> | Unavailable> {
    return this.serve(async () => {
      const checked = await this.role.check(ref);
      return checked.ok ? ok(this.waiters.watchFor(checked.value, watcher, after)) : checked;
    });
  }

  /** ListOffsets; `latest` is the high watermark, or under read_committed the last stable offset (Kafka's rule). */
  listOffsets(ref: PartitionRef, spec: OffsetSpec, isolation: IsolationLevel = "read_uncommitted"): Promise<Result<ListedOffset> | Unavailable> {
    return this.serve(async () => {
      const checked = await this.role.check(ref);
      if (!checked.ok) return checked;
      const state = checked.value;
      if (spec === "earliest") return ok({ offset: state.logStartOffset, timestamp: -1 });
      if (spec === "latest") return ok({ offset: isolation === "read_committed" ? this.log.txns.lastStableOffset(state) : state.highWatermark, timestamp: -1 });
      return ok(await offsetForTime(this.log, this.tiered, spec.timestamp));
    });
  }

  /** A transaction's marker from its coordinator (txn-append.ts): answers the control record's offset, or null when
   *  the transaction wrote nothing here. With replicas, answers once the marker is committed. */
  writeTxnMarker(ref: PartitionRef, marker: TxnMarker): Promise<Result<{ offset: number | null }> | Unavailable> {
    return this.serve(async () => {
      const checked = await this.role.check(ref);
      if (!checked.ok) return checked;
      return writeMarker(this.aloneParts(), checked.value, marker);
    });
  }

  /**
   * Kafka's DeleteRecords: moves logStartOffset to beforeOffset (at most the high watermark). Whole segments and
   * batches below it are deleted (their R2 objects too); a fetch below it is then OFFSET_OUT_OF_RANGE.
   */
  deleteRecords(ref: PartitionRef, beforeOffset: number): Promise<Result<{ logStartOffset: number }> | Unavailable> {
    return this.serve(async () => {
      const checked = await this.role.check(ref);
      if (!checked.ok) return checked;
      const s = checked.value;
      if (beforeOffset > s.highWatermark) {
        return fail("OFFSET_OUT_OF_RANGE", `beforeOffset ${beforeOffset} is past the high watermark ${s.highWatermark}`, { beforeOffset, logStartOffset: s.logStartOffset, highWatermark: s.highWatermark });
      }
      await this.deleteObjects(this.log.deleteRecordsBefore(beforeOffset));
      this.alarms.invalidate();
      return ok({ logStartOffset: this.log.current!.logStartOffset });
    });
  }

  /** Runs the background work that is due: retention, tiering, compaction (maintenance.ts), follower retries. */
  override async alarm(): Promise<void> {
    this.meter.request();
    this.alarms.fired();
    if (this.faulted) {
      // A dead object runs nothing; it comes back to its work when the switch is lifted.
      await this.alarms.atMost(Date.now() + this.settings.partitionMaintenanceRetryMs);
      return;
    }
    if (this.log.current === undefined || this.dropped) return;
    await runAlarm({ log: this.log, tiered: this.tiered, env: this.env, alarms: this.alarms, role: this.role, now: () => this.clock.now(), maxLocalBytes: this.settings.maxLocalPartitionBytes });
  }

  /** `counters`: with this instance's traffic counters (GET /metrics asks; describe over HTTP does not). */
  describe(ref: PartitionRef, counters = false): Promise<Result<PartitionDescription> | Unavailable> {
    return this.serve(async () => {
      const checked = await this.role.check(ref);
      if (!checked.ok) return checked;
      const d = describePartition(this.log, this.role.replicator, this.ctx.storage.sql.databaseSize, this.waiters.watchers.size + this.tails.size);
      return ok(counters ? { ...d, counters: this.counters.snapshot() } : d);
    });
  }

  /** Billed items this instance consumed (not counted as a request itself). */
  usage(): UsageCounts {
    return this.meter.snapshot();
  }

  /** The controller tells an existing partition its topic changed; a partition never used stays untouched. */
  metadataChanged(version: number): Promise<undefined | Unavailable> {
    return this.serve(async () => {
      const state = this.log.current;
      if (state === undefined || version <= state.metadataVersion) return undefined;
      // A refresh already under way may have read the controller before this version existed: refresh again until
      // the version is ours, else throw so the controller keeps the notice and retries it (it deletes it on success).
      for (let i = 0; i < 2 && this.log.current!.metadataVersion < version; i++) {
        await this.role.refresh(state.topic, state.topicId, state.partition, state.replication.replicaId);
      }
      if (this.log.current!.metadataVersion < version) throw new Error(`metadata version ${version} not taken yet (have ${this.log.current!.metadataVersion})`);
      // A new config may change what falls due when.
      this.alarms.invalidate();
      if (this.log.current!.logEndOffset > 0) await this.alarms.keepDue(undefined);
      return undefined;
    });
  }

  /** The topic was deleted: remove its R2 objects, then everything this object stored. Idempotent; a failure throws
   *  (the controller retries). */
  drop(): Promise<undefined | Unavailable> {
    return this.serve(async () => {
      this.dropped = true;
      this.role.stopLeading();
      this.waiters.changed();
      this.waiters.watchers.closeAll("topic deleted");
      this.tails.closeAll(errorBody("UNKNOWN_TOPIC_OR_PARTITION", "the topic was deleted"));
      await this.tiered.delete(this.log.segments.allR2Keys());
      await this.ctx.storage.deleteAll();
      // Forget what memory held of the dropped storage, so a second drop (the controller retries) finds nothing.
      this.log = new LocalLog(this.meter.sql(this.ctx.storage.sql), this.settings.partitionTailCacheBytes);
      this.alarms.cleared();
      return undefined;
    });
  }

  private deleteObjects(keys: readonly string[]): Promise<void> {
    return deleteTieredObjects(this.log, this.tiered, this.alarms, keys);
  }

  /** After a leader's append: followers get it, or (one replica, committed at once) readers wake; the alarm stays due. */
  private async appended(before?: LogState): Promise<void> {
    const s = this.log.current!;
    if (before !== undefined) this.counters.appended(s.logEndOffset - before.logEndOffset, s.sizeBytes - before.sizeBytes);
    if (this.log.current!.replication.replicationFactor > 1) this.role.replicator?.kick();
    else this.waiters.wake();
    await this.alarms.keepDue(before);
  }

  /** What appends written alone (and markers) need of the object. */
  private aloneParts(): AloneParts {
    return { log: this.log, now: this.clock.now(), appended: (before) => this.appended(before), waitForCommit: (offset, minIsr) => this.waiters.waitForCommit(offset, minIsr) };
  }

  /** The committed records a read asks for, after checking its routing and offset. */
  private async readChecked(ref: PartitionRef, request: ReadRequest): Promise<Result<ReadAccumulator>> {
    const checked = await this.role.check(ref);
    const slice = checked.ok ? await readInRange(this.log, this.tiered, checked.value, request) : checked;
    if (slice.ok) this.counters.fetched(slice.value.recordCount, slice.value.bytes);
    return slice;
  }

  /**
   * Every public entry point: counts the request and its active time (until it answers), and answers UNAVAILABLE
   * while the fault switch is down.
   */
  private async serve<T>(work: () => Promise<T>): Promise<T | Unavailable> {
    this.meter.begin();
    try {
      if (this.faulted) return UNAVAILABLE;
      return await work();
    } finally {
      this.meter.end();
    }
  }
}
