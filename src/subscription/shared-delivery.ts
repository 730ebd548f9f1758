// A shared subscription's delivery engine (mode "shared"): one per (subscription, topic), hosted by a
// SubscriptionPartition object named sharedDeliveryName. It leases records from the share group's share-partitions
// (src/share/, through their acquire and acknowledge RPCs, as any poller does), delivers each lease as a batch to the
// target with up to maxConcurrency batches in flight at once, unordered, and acknowledges every record on its own from
// the target's answer (shared-acks.ts). It keeps no delivery state of its own: leases, delivery counts, the limit and
// the dead-letter topic are the share group's, persisted there, so an eviction mid-batch loses nothing (the leases run
// out and the records are leased again, delivery count + 1). Like an ordered subscription it is driven by its
// partitions' wake-up on append and by alarms (a lease's or a delayed release's end, the watchdog while delivering),
// never by polling: caught up, it waits on every partition of the topic and keeps no alarm, so idle it costs nothing.
import type { Clock } from "../clock";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { SHARED_PUMP_SLICE_MS, SUBSCRIPTION_COMMIT_INTERVAL_MS, SUBSCRIPTION_FAILOVER_RECHECK_MS } from "../limits";
import { replicaClient, sharedDeliveryName, sharePartitionStub } from "../names";
import { callPartition, topicMetadata } from "../service/metadata";
import { callSharePartition } from "../service/share-groups";
import type { AckOutcome, AcquiredRecord, AcquireResult, PartitionAck } from "../share-protocol";
import type { SharedDeliveryStatus } from "../subscription-protocol";
import type { DeliveryAlarm } from "./delivery-alarm";
import { sharedAcks } from "./shared-acks";
import type { SubscriptionPartitionRecord } from "./partition-record";
import { failed, type DeliveryOutcome } from "./targets/delivery-target";
import { targetFor } from "./targets/target-for";

/** What the engine needs of the object hosting it. */
export interface SharedHost {
  record(): SubscriptionPartitionRecord | undefined;
  /** The fault switch: whether this delivery is to fail before reaching the target. */
  injectFailure(): boolean;
}

export class SharedDelivery {
  private readonly inFlight = new Set<Promise<void>>();
  /** Partitions to ask for records now (they may have some); the others wait for an append or a due time. */
  private readonly active = new Set<number>();
  /** Per partition, from its last acquire: the offset an append must reach to give new records (-1: window full),
   *  and when a lease or a delayed release ends there (null: none). */
  private readonly waits = new Map<number, number>();
  private readonly due = new Map<number, number | null>();
  private pokeAll = false;
  /** Set while the pump waits for a batch to finish: a poke ends the wait early, so a free slot is filled now. */
  private interrupt: (() => void) | undefined;
  private rotation = 0;
  private delivered = 0;
  private released = 0;
  private lastDeliveryMs: number | null = null;
  private lastError: string | null = null;
  /** The share group is gone: nothing to lease until it is created again (then a resume or a wake-up starts over). */
  private stopped: string | null = null;

  constructor(
    private readonly env: Env,
    private readonly clock: Clock,
    private readonly alarms: DeliveryAlarm,
    private readonly host: SharedHost,
  ) {}

  /** Something may have changed (an append, an alarm, a resume): every partition is asked again. */
  poke(): void {
    this.pokeAll = true;
    this.interrupt?.();
  }

  status(r: SubscriptionPartitionRecord): SharedDeliveryStatus {
    const status = this.stopped !== null ? "stopped" : r.paused ? "paused" : this.inFlight.size > 0 ? "delivering" : "waiting";
    return {
      topic: r.topic,
      status,
      inFlightBatches: this.inFlight.size,
      deliveredRecords: this.delivered,
      releasedRecords: this.released,
      lastDeliveryMs: this.lastDeliveryMs,
      lastError: this.stopped ?? this.lastError,
    };
  }

  /** Delivers until nothing is leasable on any partition and no batch is in flight (or paused, or removed); then
   *  waits on the partitions and sets the alarm for the next lease or delay to end. */
  async pump(): Promise<void> {
    this.stopped = null;
    const sliceEndMs = Date.now() + SHARED_PUMP_SLICE_MS;
    for (;;) {
      let r = this.host.record();
      if (r === undefined || r.paused) return;
      const meta = await topicMetadata(this.env, r.topic);
      if (meta.topicId !== r.topicId) return this.alarms.clear(); // the topic was deleted (and maybe created again)
      const partitions = meta.partitionCount;
      await this.alarms.watchdog();
      for (let p = 0; p < partitions; p++) this.active.add(p);
      this.pokeAll = false;
      let failedAcquire = false;
      for (;;) {
        if (this.pokeAll) {
          this.pokeAll = false;
          for (let p = 0; p < partitions; p++) this.active.add(p);
        }
        const now = this.host.record();
        if (now === undefined || now.paused || this.stopped !== null) break;
        r = now; // a new config (PATCH) applies from the next batch
        const max = r.config.maxConcurrency ?? 1;
        if (Date.now() > sliceEndMs) break;
        if (this.inFlight.size < max && this.active.size > 0) {
          await this.alarms.watchdog(); // rewritten only when half run out: records may flow for long
          const p = this.pick(partitions);
          const got = await this.acquire(r, p);
          if (got === undefined) {
            this.active.delete(p);
            failedAcquire = true;
            continue;
          }
          this.waits.set(p, got.waitOffset);
          this.due.set(p, got.nextDueMs);
          // Fewer than a batch: the partition has nothing more to lease now (asked again when this batch is done).
          if (got.records.length < r.config.maxBatchSize) this.active.delete(p);
          if (got.records.length > 0) this.launch(r, p, got.records);
          continue;
        }
        if (this.inFlight.size === 0) break;
        await new Promise<void>((resolve) => {
          this.interrupt = resolve;
          void Promise.race(this.inFlight).then(() => resolve());
        });
        this.interrupt = undefined;
      }
      // Paused or removed: the batches in flight finish (pause answers once they are acknowledged).
      await Promise.all(this.inFlight);
      r = this.host.record();
      if (r === undefined || r.paused) return;
      if (this.stopped !== null) return this.alarms.clear();
      // One invocation delivers for a bounded time; an alarm now goes on in a new one (its own CPU and time limits).
      if (Date.now() > sliceEndMs) return this.alarms.restUntil(this.clock.now());
      if (this.pokeAll) continue;
      const rest = await this.waitOnPartitions(r, partitions);
      if (rest === "ready") continue;
      let dueMs: number | null = null;
      for (const d of this.due.values()) if (d !== null) dueMs = dueMs === null ? d : Math.min(dueMs, d);
      // A share-partition that could not be asked is asked again soon (as an ordered subscription's failed read).
      if (failedAcquire) dueMs = Math.min(dueMs ?? Infinity, this.clock.now() + SUBSCRIPTION_COMMIT_INTERVAL_MS * 5);
      if (rest === "replicated") dueMs = Math.min(dueMs ?? Infinity, this.clock.now() + SUBSCRIPTION_FAILOVER_RECHECK_MS);
      return dueMs === null ? this.alarms.clear() : this.alarms.restUntil(dueMs);
    }
  }

  /** The next partition to ask, round the active ones from a rotating start, so no partition starves the others. */
  private pick(partitions: number): number {
    for (let i = 0; i < partitions; i++) {
      const p = (this.rotation + i) % partitions;
      if (this.active.has(p)) {
        this.rotation = p + 1;
        return p;
      }
    }
    return [...this.active][0]!;
  }

  /**
   * Caught up everywhere: asks each partition to wake this object when an append reaches the offset its
   * share-partition reads next. "ready": one already has (go on); "replicated": a wait lives on today's leader only,
   * so look again later in case a failover moves it.
   */
  private async waitOnPartitions(r: SubscriptionPartitionRecord, partitions: number): Promise<"ready" | "replicated" | "waiting"> {
    const name = sharedDeliveryName(r.subscription, r.topicId);
    let replicated = false;
    for (let p = 0; p < partitions; p++) {
      const after = this.waits.get(p) ?? -1;
      if (after < 0) continue; // its window is full: the next lease's end (due) frees it
      const wait = await callPartition(this.env, r.topic, p, (ref) => replicaClient(this.env, ref).watchFor(ref, name, after));
      if (wait.ready) {
        this.active.add(p);
        return "ready";
      }
      replicated ||= wait.replicated;
    }
    return replicated ? "replicated" : "waiting";
  }

  private async acquire(r: SubscriptionPartitionRecord, p: number): Promise<AcquireResult | undefined> {
    const group = r.config.shareGroup!;
    try {
      return await callSharePartition<AcquireResult>(this.env, group, r.topic, r.topicId, p, (c) => sharePartitionStub(this.env, group, r.topicId, p).acquire(c, r.config.maxBatchSize, r.config.encoding));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.lastError = `acquire from ${r.topic}/${p}: ${message}`;
      if (error instanceof KafkaError && error.body.type === "GROUP_ID_NOT_FOUND") this.stopped = `share group '${group}' does not exist: create it (PUT /v1/share-groups/${group}), then resume`;
      return undefined;
    }
  }

  private launch(r: SubscriptionPartitionRecord, p: number, records: AcquiredRecord[]): void {
    const run: Promise<void> = this.deliver(r, p, records)
      .catch((error: unknown) => {
        this.lastError = error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        this.inFlight.delete(run);
        this.active.add(p); // released records, or more that arrived meanwhile
      });
    this.inFlight.add(run);
  }

  /** One batch: delivered, then every record acknowledged by the target's answer. Never lost: a batch not
   *  acknowledged (an eviction, an unreachable share-partition) is leased again when its leases end. */
  private async deliver(r: SubscriptionPartitionRecord, p: number, acquired: AcquiredRecord[]): Promise<void> {
    const records = acquired.map((a) => ({ offset: a.offset, timestamp: a.timestamp, key: a.key, value: a.value, headers: a.headers, deliveryCount: a.deliveryCount }));
    // A batch's attempt is its most delivered record's delivery count (1: every record's first delivery).
    const attempt = Math.max(...acquired.map((a) => a.deliveryCount));
    const outcome: DeliveryOutcome = this.host.injectFailure()
      ? failed("injected failure (fault switch)")
      : await targetFor(this.env, r.config.target).deliver({ subscription: r.subscription, topic: r.topic, partition: p, attempt, records });
    if (outcome.kind === "failed") this.lastError = outcome.error;
    const plan = sharedAcks(acquired, outcome, r.config.retryDelayMs, Math.random());
    await this.acknowledge(r, p, plan.acks);
    this.released += plan.released;
    this.delivered += acquired.length - plan.released;
    if (acquired.length > plan.released) this.lastDeliveryMs = this.clock.now();
  }

  /**
   * A share-partition applies a request's acknowledgements all or nothing: when a lease ran out while the target was
   * slow (that record is leased again: the share group's rule), the others come back "not applied" and are sent
   * again on their own.
   */
  private async acknowledge(r: SubscriptionPartitionRecord, p: number, acks: PartitionAck[]): Promise<void> {
    const group = r.config.shareGroup!;
    const send = (items: PartitionAck[]) => callSharePartition<AckOutcome[]>(this.env, group, r.topic, r.topicId, p, (c) => sharePartitionStub(this.env, group, r.topicId, p).acknowledge(c, items));
    const outcomes = await send(acks);
    const refused = outcomes.filter((o) => !o.ok && o.error.details?.notApplied !== true).length;
    if (refused === 0) return;
    this.lastError = `${refused} acknowledgement(s) on ${r.topic}/${p} refused: their leases ended while the target was delivering (they are delivered again)`;
    const again = acks.filter((_, i) => {
      const o = outcomes[i]!;
      return !o.ok && o.error.details?.notApplied === true;
    });
    if (again.length > 0) await send(again);
  }
}
