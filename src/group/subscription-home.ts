// A subscription's home in its group's coordinator: the subscription's config, state (running or paused) and
// generation (bumped by every reset of its offsets, so a commit from before the reset is refused), and the fan-out
// that starts, pauses, resumes, reconfigures and removes its partitions' delivery objects
// (src/subscription/SubscriptionPartition.ts). Each ordered delivery object keeps its partition's committed offset
// itself (subscription/local-offset.ts); the coordinator collects them into its offsets table when they are read
// (collectOffsets) and a pause reports them, so groups describe, lag and reset work on a subscription unchanged.
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { mapBounded } from "../concurrency";
import { PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { controllerStub, sharedDeliveryName, subscriptionPartitionName, subscriptionPartitionStub } from "../names";
import type { DeliveryObjectStatus, SubscriptionConfig, SubscriptionState } from "../subscription-protocol";
import type { SubscriptionPartitionInit } from "../subscription/partition-record";

export interface StoredSubscription {
  config: SubscriptionConfig;
  state: SubscriptionState;
  generation: number;
  createdMs: number;
}

export const SUBSCRIPTION_SCHEMA = "CREATE TABLE IF NOT EXISTS subscription (id INTEGER PRIMARY KEY CHECK (id = 0), data TEXT NOT NULL);";

export class SubscriptionHome {
  private stored: StoredSubscription | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {
    const table = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'subscription'").toArray().length > 0;
    const row = table ? sql.exec<{ data: string }>("SELECT data FROM subscription WHERE id = 0").toArray()[0] : undefined;
    this.stored = row ? (JSON.parse(row.data) as StoredSubscription) : undefined;
  }

  get current(): StoredSubscription | undefined {
    return this.stored;
  }

  /** The subscription, or GROUP_ID_NOT_FOUND: the guard of every subscription RPC but create. */
  get(groupId: string): Result<StoredSubscription> {
    const s = this.stored;
    return s === undefined ? fail("GROUP_ID_NOT_FOUND", `subscription '${groupId}' does not exist`, { groupId }) : ok(s);
  }

  /** Each partition's delivery status (starting any that has no object yet). */
  async statusesOf(groupId: string): Promise<Result<DeliveryObjectStatus[]>> {
    const s = this.get(groupId);
    return s.ok ? ok(await this.statuses(groupId)) : s;
  }

  async alterAndStart(groupId: string, config: SubscriptionConfig): Promise<Result<StoredSubscription>> {
    const s = this.get(groupId);
    if (!s.ok) return s;
    this.alter(config);
    await this.startPartitions(groupId);
    return ok(this.stored!);
  }

  /** Pauses (answers once every partition's batch in flight is done and committed) or resumes. */
  async pauseOrResume(groupId: string, state: SubscriptionState): Promise<Result<StoredSubscription>> {
    const s = this.get(groupId);
    if (!s.ok) return s;
    this.setState(state);
    if (state === "paused") await this.pausePartitions(groupId);
    else await this.resumePartitions(groupId);
    return ok(this.stored!);
  }

  /** Records a new subscription (the group exists, empty, with no offsets of a consumer group's). */
  create(config: SubscriptionConfig, nowMs: number): void {
    this.sql.exec(SUBSCRIPTION_SCHEMA);
    this.save({ config, state: "running", generation: 1, createdMs: nowMs });
  }

  alter(config: SubscriptionConfig): void {
    this.save({ ...this.stored!, config });
  }

  setState(state: SubscriptionState): void {
    this.save({ ...this.stored!, state });
  }

  /** Offsets were reset: commits from before are refused from now on. */
  bumpGeneration(): void {
    this.save({ ...this.stored!, generation: this.stored!.generation + 1 });
  }

  /** Whether a commit of `generation` may be written. */
  checkGeneration(groupId: string, generation: number): Result<void> {
    const s = this.stored;
    if (s === undefined) return fail("GROUP_ID_NOT_FOUND", `subscription '${groupId}' does not exist`, { groupId });
    if (generation !== s.generation) {
      return fail("FENCED_MEMBER_EPOCH", `subscription '${groupId}' moved to generation ${s.generation} (its offsets were reset): a commit of generation ${generation} is refused`, { generation: s.generation });
    }
    return ok(undefined);
  }

  /** Consumer-group RPCs on a subscription's group: edgelog is its only member. */
  refuseConsumer<T>(groupId: string): Result<T> | undefined {
    if (this.stored === undefined) return undefined;
    return fail("INCONSISTENT_GROUP_PROTOCOL", `group '${groupId}' is a subscription's: edgelog is its only member (see /v1/subscriptions/${groupId})`, { groupId });
  }

  forget(): void {
    this.stored = undefined;
  }

  /** Starts (or restarts with the current config, generation and state) every partition's delivery object. */
  async startPartitions(groupId: string): Promise<void> {
    await this.eachPartition(groupId, (init) => deliveryStub(this.env, init).start(init));
  }

  async pausePartitions(groupId: string): Promise<void> {
    const generation = this.stored!.generation;
    await this.eachPartition(groupId, (init) => deliveryStub(this.env, init).pause(generation));
  }

  async resumePartitions(groupId: string): Promise<void> {
    const generation = this.stored!.generation;
    await this.eachPartition(groupId, async (init) => {
      const stub = deliveryStub(this.env, init);
      // A partition added while paused has no object yet: start it.
      if ((await stub.status()) === undefined) await stub.start(init);
      else await stub.resume(generation);
    });
  }

  /** Writes each ordered delivery object's committed offset of the current generation through `write` (describe,
   *  lag, GET /metrics read the offsets table next). One that cannot answer keeps its last reported offset there. */
  async collectOffsets(groupId: string, write: (topic: string, topicId: string, partition: number, offset: number) => void): Promise<void> {
    const s = this.stored;
    if (s === undefined || s.config.mode === "shared") return;
    await this.eachPartition(groupId, async (init) => {
      const c = await deliveryStub(this.env, init).committedOffset().catch((error: unknown) => console.error(`subscription ${groupId} ${init.topic}/${init.partition}: offset not collected: ${String(error)}`));
      if (c && c.generation === this.stored?.generation && c.topicId === init.topicId) write(init.topic, init.topicId, init.partition, c.offset);
    });
  }

  async removePartitions(groupId: string): Promise<void> {
    await this.eachPartition(groupId, (init) => deliveryStub(this.env, init).remove());
  }

  /** Each delivery object's status, starting any that has no object yet (a topic that gained partitions). */
  async statuses(groupId: string): Promise<DeliveryObjectStatus[]> {
    const out: DeliveryObjectStatus[] = [];
    await this.eachPartition(groupId, async (init) => {
      const stub = deliveryStub(this.env, init);
      let status = (await stub.status()) as DeliveryObjectStatus | undefined;
      if (status === undefined) {
        await stub.start(init);
        status = (await stub.status()) as DeliveryObjectStatus | undefined;
      }
      if (status !== undefined) out.push(status);
    });
    const partitionOf = (x: DeliveryObjectStatus) => ("partition" in x ? x.partition : -1);
    return out.sort((a, b) => (a.topic === b.topic ? partitionOf(a) - partitionOf(b) : a.topic < b.topic ? -1 : 1));
  }

  private async eachPartition(groupId: string, task: (init: SubscriptionPartitionInit) => Promise<unknown>): Promise<void> {
    const s = this.stored!;
    const topics = (await controllerStub(this.env).topicSnapshots(s.config.topics)) as Record<string, { topicId: string; partitionCount: number }>;
    const inits: SubscriptionPartitionInit[] = [];
    for (const topic of s.config.topics) {
      const t = topics[topic];
      if (t === undefined) continue; // deleted since: nothing to deliver
      // A shared subscription has one delivery object per topic (it leases from every partition's share-partition).
      if (s.config.mode === "shared") {
        inits.push({ subscription: groupId, topic, topicId: t.topicId, partition: -1, generation: s.generation, config: s.config, paused: s.state === "paused" });
        continue;
      }
      for (let partition = 0; partition < t.partitionCount; partition++) {
        inits.push({ subscription: groupId, topic, topicId: t.topicId, partition, generation: s.generation, config: s.config, paused: s.state === "paused" });
      }
    }
    await mapBounded(inits.length, PARTITION_FANOUT_CONCURRENCY, (i) => task(inits[i]!));
  }

  private save(s: StoredSubscription): void {
    this.stored = s;
    this.sql.exec("INSERT OR REPLACE INTO subscription (id, data) VALUES (0, ?)", JSON.stringify(s));
  }
}

/** A partition's delivery object (ordered), or a topic's (shared: partition -1). */
function deliveryStub(env: Env, init: SubscriptionPartitionInit) {
  return subscriptionPartitionStub(env, init.partition < 0 ? sharedDeliveryName(init.subscription, init.topicId) : subscriptionPartitionName(init.subscription, init.topicId, init.partition));
}
