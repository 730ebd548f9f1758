// GroupCoordinator: one Durable Object per consumer group. Members are records here, identified by id and epoch,
// never sessions pinned to a process: any router can serve any member. It runs the KIP-848 state machine
// (group-state.ts), persists what each call changed in the same turn, expires members from its alarm, keeps
// committed offsets (offsets-store.ts), and re-reads its subscribed topics' metadata from the controller when the
// controller says one changed (topicsChanged). The same object is a subscription's home (subscription-home.ts) or a share group's (share-home.ts, and its
// optional membership in share-members.ts): one group id is one kind of group. Public methods are the RPC surface and
// return Result<T>.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { Clock } from "../clock";
import { DEFAULT_LAG_STOPPED_AFTER_MS } from "../limits";
import { settings } from "../settings";
import { controllerStub } from "../names";
import type { CommittedOffset, GroupDescription, GroupStateName, GroupSummary, GroupType, OffsetCommit } from "../log/group-description";
import { SubscriptionHome, type StoredSubscription } from "./subscription-home";
import { ShareHome, type ShareHomeRequest } from "./share-home";
import { sessionConfig, ShareMembers, type ShareMembershipRequest } from "./share-members";
import type { StoredShareGroup } from "../share-protocol";
import type { DeliveryObjectStatus, SubscriptionConfig } from "../subscription-protocol";
import { tpKey } from "./assignment";
import { GroupState, groupNotFound as notFound, nonEmptyGroup as nonEmpty, type HeartbeatRequest, type HeartbeatResponse } from "./group-state";
import { groupSettings, loadGroup, persistGroup, registerGroup } from "./group-store";
import { GROUP_SCHEMA } from "./schema";
import { Usage, type UsageCounts } from "../usage";
import { TxnOffsets } from "./txn-offsets";
import { OffsetsStore } from "./offsets-store";
import { GroupCounters, type GroupCounts } from "./group-counters";
import { loggerFor } from "../log/structured-log";
import { CoordinatorAlarm } from "./coordinator-alarm";
import { TopicReads } from "./topic-reads";

export class GroupCoordinator extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private group: GroupState | undefined;
  /** Tests move it forward (session timeouts) instead of sleeping. */
  readonly clock = new Clock();
  private readonly topicReads = new TopicReads(this.env, () => this.now());
  /** What this object consumed of the billed items (src/usage.ts). */
  private readonly meter = new Usage();
  /** Set when this group is a subscription's (edgelog consumes for it): its config, state and generation. */
  private readonly subscriptions: SubscriptionHome;
  /** Set when this group is a share group (KIP-932): its config and share-partitions (share-home.ts). */
  private readonly shares: ShareHome;
  /** A share group's members, when it has any (share-members.ts). */
  private readonly shareMembers: ShareMembers;
  private readonly offsets: OffsetsStore;
  /** Joins, leaves, expiries, rebalances, fenced commits for GET /metrics (group-counters.ts): in memory. */
  private readonly counters: GroupCounters;
  private readonly alarms: CoordinatorAlarm;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = this.meter.sql(ctx.storage.sql);
    this.subscriptions = new SubscriptionHome(this.sql, env);
    this.counters = new GroupCounters(Date.now(), () => this.group?.group.groupId, loggerFor(env.EDGELOG_LOG_LEVEL));
    this.shares = new ShareHome(this.sql, env);
    this.shareMembers = new ShareMembers(this.sql, env, this.clock.now());
    this.offsets = new OffsetsStore(this.sql);
    this.alarms = new CoordinatorAlarm(ctx.storage, this.clock);
    const loaded = loadGroup(this.sql, this.clock.now());
    if (loaded) {
      this.group = new GroupState(loaded.data, loaded.members, groupSettings(this.env));
      this.counters.observe(this.group.group.assignmentEpoch, this.group.group.groupEpoch, loaded.members.size);
    }
  }

  async heartbeat(groupId: string, request: HeartbeatRequest): Promise<Result<HeartbeatResponse>> {
    this.meter.request();
    const refused = this.subscriptions.refuseConsumer<never>(groupId);
    if (refused) return refused;
    const now = this.now();
    if (this.group === undefined) {
      if (request.memberEpoch !== 0) return fail("UNKNOWN_MEMBER_ID", `group ${groupId} has no member ${request.memberId}: join with memberEpoch 0`, { memberId: request.memberId });
      const created = await this.create(groupId, now);
      if (!created.ok) return created;
    }
    const group = this.group!;
    const wanted = new Set([...group.subscribedTopicNames(), ...(request.subscribedTopics ?? [])]);
    const known = Object.keys(group.group.topics);
    const due = now - group.group.metadataRefreshedMs >= settings(this.env).groupMetadataRefreshMs;
    if (due || [...wanted].some((t) => !known.includes(t) && !(request.subscribedTopics === null))) await this.refreshMetadata(groupId, [...wanted]);
    this.expireNow(); // here rather than inside heartbeat, so expiries are counted
    const result = group.heartbeat(request, this.now());
    this.counters.heartbeat(request.memberEpoch, result);
    this.persist();
    await this.scheduleAlarm();
    return result;
  }

  async commitOffsets(groupId: string, memberId: string | null, memberEpoch: number | null, offsets: OffsetCommit[]): Promise<Result<{ committed: number }>> {
    this.meter.request();
    const check = await this.validateCommit(groupId, memberId, memberEpoch, offsets);
    if (!check.ok) return check;
    this.offsets.commit(offsets, this.now());
    return ok({ committed: offsets.length });
  }

  /**
   * A transaction's offsets (TxnOffsetCommit), fenced like a commit by the member's id and epoch and its ownership
   * (KIP-447), staged until the transaction's marker (txn-offsets.ts).
   */
  async stageTxnOffsets(groupId: string, producerId: number, producerEpoch: number, memberId: string | null, memberEpoch: number | null, offsets: OffsetCommit[]): Promise<Result<{ committed: number }>> {
    this.meter.request();
    const check = await this.validateCommit(groupId, memberId, memberEpoch, offsets);
    if (!check.ok) return check;
    new TxnOffsets(this.sql).stage(producerId, producerEpoch, offsets);
    return ok({ committed: offsets.length });
  }

  /** A transaction's marker: its staged offsets become the group's committed offsets (commit) or are dropped (abort). */
  txnMarker(groupId: string, marker: { producerId: number; producerEpoch: number; commit: boolean }): Result<{ committed: number }> {
    this.meter.request();
    if (this.group === undefined) return ok({ committed: 0 });
    return ok({ committed: new TxnOffsets(this.sql).complete(marker.producerId, marker.producerEpoch, marker.commit, this.now()) });
  }

  /** Sets the group's lag-status threshold: kept with the group's state row, written only by this call. */
  alterGroup(groupId: string, config: { lagStoppedAfterMs: number }): Result<{ groupId: string; lagStoppedAfterMs: number }> {
    this.meter.request();
    if (this.group === undefined) return notFound(groupId);
    this.group.group.lagStoppedAfterMs = config.lagStoppedAfterMs;
    this.group.groupDirty = true;
    this.persist();
    return ok({ groupId, lagStoppedAfterMs: config.lagStoppedAfterMs });
  }

  async committedOffsets(groupId: string): Promise<Result<{ offsets: CommittedOffset[]; subscribedTopics: string[]; state: GroupStateName; nowMs: number; lagStoppedAfterMs: number; groupEpoch: number; assignmentEpoch: number; counters: GroupCounts }>> {
    this.meter.request();
    if (this.group === undefined) return notFound(groupId);
    // A subscription's delivery objects keep their offsets (subscription/local-offset.ts): asked now, not told per second.
    await this.subscriptions.collectOffsets(groupId, (t, id, p, o) => this.offsets.committed(t, id, p) !== o && this.offsets.reset(t, id, [{ partition: p, offset: o }], this.now()));
    if (this.group === undefined) return notFound(groupId); // deleted while the delivery objects answered
    this.expireNow();
    const g = this.group.group;
    return ok({
      offsets: this.offsets.list(),
      subscribedTopics: this.subscriptions.current?.config.topics ?? this.group.subscribedTopicNames(),
      state: this.group.state(),
      nowMs: this.now(),
      lagStoppedAfterMs: g.lagStoppedAfterMs ?? DEFAULT_LAG_STOPPED_AFTER_MS,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      counters: this.counters.snapshot(),
    });
  }

  describe(groupId: string): Result<GroupDescription> {
    this.meter.request();
    if (this.group === undefined) return notFound(groupId);
    this.expireNow();
    const g = this.group;
    return ok({
      groupId,
      type: this.type(),
      state: g.state(),
      groupEpoch: g.group.groupEpoch,
      assignmentEpoch: g.group.assignmentEpoch,
      assignor: g.group.assignor,
      members: g.describeMembers(),
      subscribedTopics: this.subscriptions.current?.config.topics ?? g.subscribedTopicNames(),
    });
  }

  summary(groupId: string): Result<GroupSummary> {
    this.meter.request();
    const share = this.shares.current;
    if (share !== undefined) {
      this.shareMembers.expire(sessionConfig(share.config), this.now());
      const members = this.shareMembers.size;
      return ok({ groupId, type: "share", state: members > 0 ? "STABLE" : "EMPTY", members });
    }
    if (this.group === undefined) return notFound(groupId);
    this.expireNow();
    return ok({ groupId, type: this.type(), state: this.group.state(), members: this.group.members.size });
  }

  /** Replaces committed offsets of one topic; only while the group has no members (kafka-consumer-groups --reset-offsets). */
  async resetOffsets(groupId: string, topic: string, topicId: string, offsets: { partition: number; offset: number }[]): Promise<Result<{ topic: string; partitions: { partition: number; offset: number }[] }>> {
    this.meter.request();
    if (this.group === undefined) {
      const created = await this.create(groupId, this.now());
      if (!created.ok) return created;
    }
    this.expireNow();
    if (this.group!.members.size > 0) return nonEmpty(groupId, this.group!.members.size);
    const subscription = this.subscriptions.current;
    if (subscription?.state === "running") {
      return fail("NON_EMPTY_GROUP", `subscription '${groupId}' is running; pause it before resetting its offsets`, { groupId, state: "running" });
    }
    // A reset starts a new generation: a commit from before it (a delivery that was in flight) cannot undo it.
    if (subscription !== undefined) this.subscriptions.bumpGeneration();
    return ok(this.offsets.reset(topic, topicId, offsets, this.now()));
  }

  /** Deletes an empty group: its offsets and its entry in the controller's registry. */
  async deleteGroup(groupId: string): Promise<Result<{ groupId: string }>> {
    this.meter.request();
    if (this.group === undefined) return notFound(groupId);
    this.expireNow();
    if (this.group.members.size > 0) return nonEmpty(groupId, this.group.members.size);
    if (this.subscriptions.current !== undefined) {
      return fail("INCONSISTENT_GROUP_PROTOCOL", `group '${groupId}' is a subscription's: delete the subscription (DELETE /v1/subscriptions/${groupId}), which stops its deliveries too`, { groupId });
    }
    await controllerStub(this.env).unregisterGroup(groupId);
    await this.ctx.storage.deleteAll();
    this.group = undefined;
    this.alarms.forget();
    return ok({ groupId });
  }

  /** A share group's config and share-partitions (share-home.ts); the id must not be a consumer group's or a subscription's. */
  async share(groupId: string, request: ShareHomeRequest): Promise<Result<StoredShareGroup>> {
    this.meter.request();
    const other = this.subscriptions.current !== undefined ? "subscription" : this.group !== undefined ? "consumer group" : undefined;
    const share = this.shares.current;
    // KIP-932: only an empty share group may be deleted.
    if (request.op === "delete" && share !== undefined) {
      this.shareMembers.expire(sessionConfig(share.config), this.now());
      if (this.shareMembers.size > 0) return nonEmpty(groupId, this.shareMembers.size);
    }
    const result = await this.shares.handle(groupId, request, this.now(), other);
    if (request.op === "delete" && result.ok) this.shareMembers.drop();
    return result;
  }

  /** A share group's optional membership (KIP-932's ShareGroupHeartbeat, a member's assignment for its poll, the
   *  members for describe and reset): share-members.ts. */
  async shareMembership(groupId: string, request: ShareMembershipRequest): Promise<Result<unknown>> {
    this.meter.request();
    const share = this.shares.current;
    if (share === undefined) return this.shares.handle(groupId, { op: "get" }, this.now(), undefined);
    const result = await this.shareMembers.handle(groupId, request, share, this.now(), settings(this.env).groupMetadataRefreshMs);
    await this.scheduleAlarm();
    return result;
  }

  /** Creates a subscription: an empty group edgelog consumes for (subscription-home.ts), then starts its partitions. */
  async createSubscription(groupId: string, config: SubscriptionConfig): Promise<Result<StoredSubscription>> {
    this.meter.request();
    if (this.subscriptions.current !== undefined) return fail("SUBSCRIPTION_ALREADY_EXISTS", `subscription '${groupId}' already exists`, { name: groupId });
    if (this.group !== undefined) {
      return fail("INCONSISTENT_GROUP_PROTOCOL", `'${groupId}' is a consumer group; a subscription needs a name of its own`, { groupId });
    }
    const created = await this.create(groupId, this.now(), config.topics);
    if (!created.ok) return created;
    this.subscriptions.create(config, this.now());
    await this.subscriptions.startPartitions(groupId);
    return ok(this.subscriptions.current!);
  }

  subscription(groupId: string): Result<StoredSubscription> {
    this.meter.request();
    return this.subscriptions.get(groupId);
  }

  /** Each partition's delivery status (starting any that has no object yet). */
  async subscriptionStatuses(groupId: string): Promise<Result<DeliveryObjectStatus[]>> {
    this.meter.request();
    return this.subscriptions.statusesOf(groupId);
  }

  async alterSubscription(groupId: string, config: SubscriptionConfig): Promise<Result<StoredSubscription>> {
    this.meter.request();
    return this.subscriptions.alterAndStart(groupId, config);
  }

  /** Pauses: answers once every partition's batch in flight is done and committed. */
  async pauseSubscription(groupId: string): Promise<Result<StoredSubscription>> {
    this.meter.request();
    return this.subscriptions.pauseOrResume(groupId, "paused");
  }

  async resumeSubscription(groupId: string): Promise<Result<StoredSubscription>> {
    this.meter.request();
    return this.subscriptions.pauseOrResume(groupId, "running");
  }

  /**
   * The controller says a topic this group reads was created, gained partitions or was deleted (controller/
   * topic-watches.ts): a subscription starts the new partitions' delivery objects; a consumer or share group re-reads
   * its topics on the next heartbeat. Coordinators re-read on this notice rather than on a timer (docs/scale.md).
   */
  async topicsChanged(groupId: string): Promise<void> {
    this.meter.request();
    if (this.subscriptions.current?.state === "running") await this.subscriptions.startPartitions(groupId);
    this.topicReads.noticed();
    if (this.group !== undefined) this.group.metadataChanged();
    this.persist();
    this.shareMembers.metadataChanged();
  }

  /** Deletes a subscription: its partitions' objects, its offsets, and its entry in the controller's registry. */
  async deleteSubscription(groupId: string): Promise<Result<{ name: string }>> {
    this.meter.request();
    const s = this.subscriptions.get(groupId);
    if (!s.ok) return s;
    await this.subscriptions.removePartitions(groupId);
    await controllerStub(this.env).unregisterGroup(groupId);
    await this.ctx.storage.deleteAll();
    this.subscriptions.forget();
    this.group = undefined;
    this.alarms.forget();
    return ok({ name: groupId });
  }

  /** A subscription partition's starting point: its committed offset, if it belongs to this incarnation of the topic. */
  subscriptionOffset(groupId: string, topic: string, topicId: string, partition: number): Result<number | null> {
    this.meter.request();
    const s = this.subscriptions.get(groupId);
    return s.ok ? ok(this.offsets.committed(topic, topicId, partition)) : s;
  }

  /** A subscription partition commits what it delivered, fenced by the subscription's generation. */
  commitSubscription(groupId: string, generation: number, topic: string, topicId: string, partition: number, offset: number): Result<void> {
    this.meter.request();
    const check = this.subscriptions.checkGeneration(groupId, generation);
    if (!check.ok) return check;
    this.offsets.reset(topic, topicId, [{ partition, offset }], this.now());
    return ok(undefined);
  }

  /** Billed items this instance consumed (not counted as a request itself); for a subscription's group, also its
   *  topics (and a shared one's share group), so GET /v1/usage can add its delivery objects without a billed call. */
  usage(): UsageCounts & { subscriptionTopics?: string[]; subscriptionShareGroup?: string } {
    const topics = this.subscriptions.current?.config.topics;
    const shareGroup = this.subscriptions.current?.config.shareGroup; // shared mode: its share-partitions are billed too
    return topics === undefined ? this.meter.snapshot() : { ...this.meter.snapshot(), subscriptionTopics: topics, ...(shareGroup === undefined ? {} : { subscriptionShareGroup: shareGroup }) };
  }

  /** Expires members (a consumer group's or a share group's) whose session or revocation ran out; reschedules for the
   *  next deadline, if any. Idempotent. */
  override async alarm(): Promise<void> {
    this.meter.request();
    this.alarms.forget();
    this.expireNow();
    const share = this.shares.current;
    if (share !== undefined) this.shareMembers.expire(sessionConfig(share.config), this.now());
    await this.scheduleAlarm();
  }

  private type(): GroupType {
    return this.subscriptions.current === undefined ? "consumer" : "subscription";
  }

  /** A commit's (or a transaction's offsets') fencing by member id, epoch and ownership; an admin commit (no member)
   *  creates the group. */
  private async validateCommit(groupId: string, memberId: string | null, memberEpoch: number | null, offsets: OffsetCommit[]): Promise<Result<void>> {
    const refused = this.subscriptions.refuseConsumer<never>(groupId);
    if (refused) return refused;
    const now = this.now();
    if (this.group === undefined) {
      if (memberId !== null) return fail("UNKNOWN_MEMBER_ID", `group ${groupId} has no member ${memberId}`, { memberId });
      const created = await this.create(groupId, now);
      if (!created.ok) return created;
    }
    this.expireNow(); // counted here; validateCommit's own expiry then finds none
    const check = this.group!.validateCommit(memberId, memberEpoch, offsets.map((o) => tpKey(o.topic, o.partition)), now);
    this.persist();
    return check.ok ? ok(undefined) : this.counters.commitRefused(check, memberId);
  }

  private expireNow(): void {
    if (this.group === undefined) return;
    const expired = this.group.expire(this.now());
    this.counters.expired(expired);
    if (expired.length > 0) this.persist();
  }

  private async create(groupId: string, now: number, subscriptionTopics?: string[]): Promise<Result<void>> {
    const registered = await registerGroup(this.env, groupId, subscriptionTopics);
    if (!registered.ok) return registered;
    if (this.group !== undefined) return ok(undefined); // another call created it while we awaited
    this.sql.exec(GROUP_SCHEMA);
    this.group = new GroupState(GroupState.empty(groupId, now), new Map(), groupSettings(this.env));
    this.group.groupDirty = true;
    this.persist();
    return ok(undefined);
  }

  /** Reads the topics' metadata; naming the group, so the controller tells it when one of them changes. */
  private refreshMetadata(groupId: string, names: string[]): Promise<void> {
    return this.topicReads.read(groupId, names, (topics, refreshedMs) => this.group?.applyMetadata(topics, refreshedMs));
  }

  private persist(): void {
    if (this.group === undefined) return;
    persistGroup(this.sql, this.group);
    this.counters.observe(this.group.group.assignmentEpoch, this.group.group.groupEpoch, this.group.members.size);
  }

  private async scheduleAlarm(): Promise<void> {
    const share = this.shares.current;
    await this.alarms.schedule([this.group?.nextDeadlineMs(), share === undefined ? undefined : this.shareMembers.nextDeadlineMs(sessionConfig(share.config))]);
  }

  private now(): number {
    return this.clock.now();
  }
}
