// GroupCoordinator: one Durable Object per consumer group. Members are records here, identified by id and epoch,
// never sessions pinned to a process: any router can serve any member. It runs the KIP-848 state machine
// (group-state.ts), persists what each call changed in the same turn, expires members from its alarm, keeps
// committed offsets, and re-reads its subscribed topics' metadata from the controller every refresh interval.
// Public methods are the RPC surface and return Result<T>.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { Clock } from "../clock";
import { DEFAULT_LAG_STOPPED_AFTER_MS, DEFAULT_REBALANCE_TIMEOUT_MS, DEFAULT_SESSION_TIMEOUT_MS, MAX_MEMBERS_PER_GROUP } from "../limits";
import { settings } from "../settings";
import { controllerStub } from "../names";
import type { CommittedOffset, GroupDescription, GroupStateName, GroupSummary, GroupType, OffsetCommit } from "../log/group-description";
import { SubscriptionHome, type StoredSubscription } from "./subscription-home";
import { ShareHome, type ShareHomeRequest } from "./share-home";
import type { StoredShareGroup } from "../share-protocol";
import type { DeliveryObjectStatus, SubscriptionConfig } from "../subscription-protocol";
import { toTopicPartitions, tpKey } from "./assignment";
import { GroupState, type GroupData, type HeartbeatRequest, type HeartbeatResponse, type Member, type TopicSnapshot } from "./group-state";
import { GROUP_SCHEMA } from "./schema";
import { Usage, type UsageCounts } from "../usage";
import { TxnOffsets } from "./txn-offsets";
import { addCommit, type CommitSample } from "../log/lag-status";
import { GroupCounters, type GroupCounts } from "./group-counters";
import { loggerFor } from "../log/structured-log";

export class GroupCoordinator extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private group: GroupState | undefined;
  /** Tests move it forward (session timeouts) instead of sleeping. */
  readonly clock = new Clock();
  private refreshing: Promise<void> | undefined;
  private alarmAtMs: number | undefined;
  /** What this object consumed of the billed items (src/usage.ts). */
  private readonly meter = new Usage();
  /** Set when this group is a subscription's (edgelog consumes for it): its config, state and generation. */
  private readonly subscriptions: SubscriptionHome;
  /** Set when this group is a share group (KIP-932): its config and share-partitions (share-home.ts). */
  private readonly shares: ShareHome;
  /** Recent commits per partition (tpKey) for lag status (src/log/lag-status.ts): in memory only, so a commit writes
   *  no more rows than before; bounded to LAG_WINDOW_COMMITS per committed partition. Eviction empties it (the
   *  status then rests on the stored commit time alone until commits refill it). */
  private readonly lagWindows = new Map<string, CommitSample[]>();
  /** Joins, leaves, expiries, rebalances, fenced commits for GET /metrics (group-counters.ts): in memory. */
  private readonly counters: GroupCounters;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = this.meter.sql(ctx.storage.sql);
    this.subscriptions = new SubscriptionHome(this.sql, env);
    this.counters = new GroupCounters(Date.now(), () => this.group?.group.groupId, loggerFor(env.EDGELOG_LOG_LEVEL));
    this.shares = new ShareHome(this.sql, env);
    // Tables are made when the group is created, not here: asking about a group that does not exist (describe,
    // offsets, a stray id) must not leave storage behind.
    const exists = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'group_state'").toArray().length > 0;
    const row = exists ? this.sql.exec<{ data: string }>("SELECT data FROM group_state WHERE id = 0").toArray()[0] : undefined;
    if (row) {
      const members = new Map<string, Member>();
      // Heartbeat times are not written (a heartbeat writes nothing unless something changed): every member loaded
      // here gets a fresh session from now, as a Kafka coordinator gives them when it takes a group over.
      const now = this.clock.now();
      for (const m of this.sql.exec<{ data: string }>("SELECT data FROM members")) {
        const member = JSON.parse(m.data) as Member;
        members.set(member.memberId, { ...member, lastHeartbeatMs: now });
      }
      this.group = new GroupState(JSON.parse(row.data) as GroupData, members, this.settings());
      this.counters.observe(this.group.group.assignmentEpoch, this.group.group.groupEpoch, members.size);
    }
  }

  async heartbeat(groupId: string, request: HeartbeatRequest): Promise<Result<HeartbeatResponse>> {
    this.meter.request();
    if (this.subscriptions.current !== undefined) return subscriptionGroup(groupId);
    const now = this.now();
    if (this.group === undefined) {
      if (request.memberEpoch !== 0) return fail("UNKNOWN_MEMBER_ID", `group ${groupId} has no member ${request.memberId}: join with memberEpoch 0`, { memberId: request.memberId });
      const created = await this.create(groupId, now);
      if (!created.ok) return created;
    }
    const group = this.group!;
    const wanted = new Set([...group.subscribedTopicNames(), ...(request.subscribedTopics ?? [])]);
    const known = Object.keys(group.group.topics);
    const due = now - group.group.metadataRefreshedMs >= this.refreshIntervalMs();
    if (due || [...wanted].some((t) => !known.includes(t) && !(request.subscribedTopics === null))) await this.refreshMetadata([...wanted]);
    this.expireNow(); // here rather than inside heartbeat, so expiries are counted
    const result = group.heartbeat(request, this.now());
    this.counters.heartbeat(request.memberEpoch, result);
    this.persist();
    await this.scheduleAlarm();
    return result;
  }

  async commitOffsets(groupId: string, memberId: string | null, memberEpoch: number | null, offsets: OffsetCommit[]): Promise<Result<{ committed: number }>> {
    this.meter.request();
    if (this.subscriptions.current !== undefined) return subscriptionGroup(groupId);
    const now = this.now();
    if (this.group === undefined) {
      if (memberId !== null) return fail("UNKNOWN_MEMBER_ID", `group ${groupId} has no member ${memberId}`, { memberId });
      const created = await this.create(groupId, now);
      if (!created.ok) return created;
    }
    const group = this.group!;
    this.expireNow(); // counted here; validateCommit's own expiry then finds none
    const check = group.validateCommit(memberId, memberEpoch, offsets.map((o) => tpKey(o.topic, o.partition)), now);
    this.persist();
    if (!check.ok) return this.counters.commitRefused(check, memberId);
    for (const o of offsets) {
      this.sql.exec(
        "INSERT OR REPLACE INTO offsets (topic, partition, topic_id, committed_offset, metadata, commit_ms) VALUES (?, ?, ?, ?, ?, ?)",
        o.topic, o.partition, o.topicId, o.offset, o.metadata, now,
      );
      const key = tpKey(o.topic, o.partition);
      const lag = o.highWatermark === undefined || o.highWatermark === null ? null : Math.max(0, o.highWatermark - o.offset);
      this.lagWindows.set(key, addCommit(this.lagWindows.get(key) ?? [], { offset: o.offset, lag, timeMs: now }));
    }
    return ok({ committed: offsets.length });
  }

  /**
   * A transaction's offsets (TxnOffsetCommit), fenced like a commit by the member's id and epoch and its ownership
   * (KIP-447), staged until the transaction's marker (txn-offsets.ts).
   */
  async stageTxnOffsets(groupId: string, producerId: number, producerEpoch: number, memberId: string | null, memberEpoch: number | null, offsets: OffsetCommit[]): Promise<Result<{ committed: number }>> {
    this.meter.request();
    if (this.subscriptions.current !== undefined) return subscriptionGroup(groupId);
    const now = this.now();
    if (this.group === undefined) {
      if (memberId !== null) return fail("UNKNOWN_MEMBER_ID", `group ${groupId} has no member ${memberId}`, { memberId });
      const created = await this.create(groupId, now);
      if (!created.ok) return created;
    }
    this.expireNow();
    const check = this.group!.validateCommit(memberId, memberEpoch, offsets.map((o) => tpKey(o.topic, o.partition)), now);
    this.persist();
    if (!check.ok) return this.counters.commitRefused(check, memberId);
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

  committedOffsets(groupId: string): Result<{ offsets: CommittedOffset[]; subscribedTopics: string[]; state: GroupStateName; nowMs: number; lagStoppedAfterMs: number; groupEpoch: number; assignmentEpoch: number; counters: GroupCounts }> {
    this.meter.request();
    if (this.group === undefined) return notFound(groupId);
    this.expireNow();
    const offsets = this.sql
      .exec<{ topic: string; partition: number; topic_id: string; committed_offset: number; metadata: string; commit_ms: number }>("SELECT * FROM offsets ORDER BY topic, partition")
      .toArray()
      .map((r) => ({
        topic: r.topic,
        topicId: r.topic_id,
        partition: r.partition,
        committedOffset: r.committed_offset,
        metadata: r.metadata,
        commitMs: r.commit_ms,
        recentCommits: this.lagWindows.get(tpKey(r.topic, r.partition)) ?? [],
      }));
    const g = this.group.group;
    return ok({
      offsets,
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
    const members = [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      state: m.state,
      subscribedTopics: m.subscribedTopics,
      assignment: toTopicPartitions(m.assigned),
      pendingRevocation: toTopicPartitions(m.pendingRevocation),
      targetAssignment: toTopicPartitions(m.target),
      sessionTimeoutMs: m.sessionTimeoutMs,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      joinedMs: m.joinedMs,
      lastHeartbeatMs: m.lastHeartbeatMs,
    }));
    return ok({
      groupId,
      type: this.type(),
      state: g.state(),
      groupEpoch: g.group.groupEpoch,
      assignmentEpoch: g.group.assignmentEpoch,
      assignor: g.group.assignor,
      members,
      subscribedTopics: this.subscriptions.current?.config.topics ?? g.subscribedTopicNames(),
    });
  }

  summary(groupId: string): Result<GroupSummary> {
    this.meter.request();
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
    return this.writeReset(topic, topicId, offsets, this.now());
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
    this.alarmAtMs = undefined;
    return ok({ groupId });
  }

  /** A share group's config and share-partitions (share-home.ts); the id must not be a consumer group's or a subscription's. */
  async share(groupId: string, request: ShareHomeRequest): Promise<Result<StoredShareGroup>> {
    this.meter.request();
    const other = this.subscriptions.current !== undefined ? "subscription" : this.group !== undefined ? "consumer group" : undefined;
    return this.shares.handle(groupId, request, this.now(), other);
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
    const s = this.subscriptions.current;
    return s === undefined ? fail("GROUP_ID_NOT_FOUND", `subscription '${groupId}' does not exist`, { groupId }) : ok(s);
  }

  /** Each partition's delivery status (starting any that has no object yet). */
  async subscriptionStatuses(groupId: string): Promise<Result<DeliveryObjectStatus[]>> {
    this.meter.request();
    if (this.subscriptions.current === undefined) return this.subscription(groupId) as Result<never>;
    return ok(await this.subscriptions.statuses(groupId));
  }

  async alterSubscription(groupId: string, config: SubscriptionConfig): Promise<Result<StoredSubscription>> {
    this.meter.request();
    if (this.subscriptions.current === undefined) return this.subscription(groupId);
    this.subscriptions.alter(config);
    await this.subscriptions.startPartitions(groupId);
    return ok(this.subscriptions.current!);
  }

  /** Pauses: answers once every partition's batch in flight is done and committed. */
  async pauseSubscription(groupId: string): Promise<Result<StoredSubscription>> {
    this.meter.request();
    if (this.subscriptions.current === undefined) return this.subscription(groupId);
    this.subscriptions.setState("paused");
    await this.subscriptions.pausePartitions(groupId);
    return ok(this.subscriptions.current!);
  }

  async resumeSubscription(groupId: string): Promise<Result<StoredSubscription>> {
    this.meter.request();
    if (this.subscriptions.current === undefined) return this.subscription(groupId);
    this.subscriptions.setState("running");
    await this.subscriptions.resumePartitions(groupId);
    return ok(this.subscriptions.current!);
  }

  /** A topic of the subscription gained partitions (the controller says): start their delivery objects. */
  async subscriptionTopicsChanged(groupId: string): Promise<void> {
    this.meter.request();
    if (this.subscriptions.current?.state === "running") await this.subscriptions.startPartitions(groupId);
  }

  /** Deletes a subscription: its partitions' objects, its offsets, and its entry in the controller's registry. */
  async deleteSubscription(groupId: string): Promise<Result<{ name: string }>> {
    this.meter.request();
    if (this.subscriptions.current === undefined) return this.subscription(groupId) as Result<never>;
    await this.subscriptions.removePartitions(groupId);
    await controllerStub(this.env).unregisterGroup(groupId);
    await this.ctx.storage.deleteAll();
    this.subscriptions.forget();
    this.group = undefined;
    this.alarmAtMs = undefined;
    return ok({ name: groupId });
  }

  /** A subscription partition's starting point: its committed offset, if it belongs to this incarnation of the topic. */
  subscriptionOffset(groupId: string, topic: string, topicId: string, partition: number): Result<number | null> {
    this.meter.request();
    if (this.subscriptions.current === undefined) return this.subscription(groupId) as Result<never>;
    const row = this.sql.exec<{ committed_offset: number; topic_id: string }>("SELECT committed_offset, topic_id FROM offsets WHERE topic = ? AND partition = ?", topic, partition).toArray()[0];
    return ok(row !== undefined && row.topic_id === topicId ? row.committed_offset : null);
  }

  /** A subscription partition commits what it delivered, fenced by the subscription's generation. */
  commitSubscription(groupId: string, generation: number, topic: string, topicId: string, partition: number, offset: number): Result<void> {
    this.meter.request();
    const check = this.subscriptions.checkGeneration(groupId, generation);
    if (!check.ok) return check;
    this.writeReset(topic, topicId, [{ partition, offset }], this.now());
    return ok(undefined);
  }

  /** Billed items this instance consumed (not counted as a request itself); for a subscription's group, also its
   *  topics (and a shared one's share group), so GET /v1/usage can add its delivery objects without a billed call. */
  usage(): UsageCounts & { subscriptionTopics?: string[]; subscriptionShareGroup?: string } {
    const topics = this.subscriptions.current?.config.topics;
    const shareGroup = this.subscriptions.current?.config.shareGroup; // shared mode: its share-partitions are billed too
    return topics === undefined ? this.meter.snapshot() : { ...this.meter.snapshot(), subscriptionTopics: topics, ...(shareGroup === undefined ? {} : { subscriptionShareGroup: shareGroup }) };
  }

  /** Expires members whose session (or revocation) ran out; reschedules for the next deadline. Idempotent. */
  override async alarm(): Promise<void> {
    this.meter.request();
    this.alarmAtMs = undefined;
    if (this.group === undefined) return;
    this.expireNow();
    await this.scheduleAlarm();
  }

  private type(): GroupType {
    return this.subscriptions.current === undefined ? "consumer" : "subscription";
  }

  private writeReset(topic: string, topicId: string, offsets: { partition: number; offset: number }[], now: number) {
    for (const o of offsets) {
      // A reset is a deliberate move (an operator's replay, a subscription's own commit): not a consumer's REWIND.
      this.lagWindows.delete(tpKey(topic, o.partition));
      this.sql.exec("INSERT OR REPLACE INTO offsets (topic, partition, topic_id, committed_offset, metadata, commit_ms) VALUES (?, ?, ?, ?, '', ?)", topic, o.partition, topicId, o.offset, now);
    }
    return ok({ topic, partitions: offsets });
  }

  private expireNow(): void {
    if (this.group === undefined) return;
    const expired = this.group.expire(this.now());
    this.counters.expired(expired);
    if (expired.length > 0) this.persist();
  }

  private async create(groupId: string, now: number, subscriptionTopics?: string[]): Promise<Result<void>> {
    // Register first: a group the registry does not list would be invisible to GET /v1/groups.
    const registered = (await (subscriptionTopics === undefined
      ? controllerStub(this.env).registerGroup(groupId)
      : controllerStub(this.env).registerGroup(groupId, "subscription", subscriptionTopics))) as Result<void>;
    if (!registered.ok) return registered;
    if (this.group !== undefined) return ok(undefined); // another call created it while we awaited
    this.sql.exec(GROUP_SCHEMA);
    this.group = new GroupState(GroupState.empty(groupId, now), new Map(), this.settings());
    this.group.groupDirty = true;
    this.persist();
    return ok(undefined);
  }

  private async refreshMetadata(names: string[]): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const topics = (await controllerStub(this.env).topicSnapshots(names)) as Record<string, TopicSnapshot>;
        this.group?.applyMetadata(topics, this.now());
      } finally {
        this.refreshing = undefined;
      }
    })();
    await this.refreshing;
  }

  /** Writes what the state machine changed, with no await in between: one atomic implicit transaction. */
  private persist(): void {
    const g = this.group;
    if (g === undefined) return;
    if (g.groupDirty) this.sql.exec("INSERT OR REPLACE INTO group_state (id, data) VALUES (0, ?)", JSON.stringify(g.group));
    for (const id of g.dirtyMembers) {
      const m = g.members.get(id);
      if (m) this.sql.exec("INSERT OR REPLACE INTO members (member_id, data) VALUES (?, ?)", id, JSON.stringify(m));
    }
    for (const id of g.removedMembers) this.sql.exec("DELETE FROM members WHERE member_id = ?", id);
    g.groupDirty = false;
    this.counters.observe(g.group.assignmentEpoch, g.group.groupEpoch, g.members.size);
    g.dirtyMembers.clear();
    g.removedMembers.clear();
  }

  /** One alarm: at the earliest deadline. Heartbeats only push deadlines later, so set it only when it must move earlier. */
  private async scheduleAlarm(): Promise<void> {
    const next = this.group?.nextDeadlineMs();
    if (next === undefined) return;
    const at = this.clock.toReal(next); // the alarm runs on the real clock
    if (this.alarmAtMs !== undefined && this.alarmAtMs <= at) return;
    this.alarmAtMs = at;
    await this.ctx.storage.setAlarm(at);
  }

  private now(): number {
    return this.clock.now();
  }

  private refreshIntervalMs(): number {
    return settings(this.env).groupMetadataRefreshMs;
  }

  private settings() {
    return {
      defaultSessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
      defaultRebalanceTimeoutMs: DEFAULT_REBALANCE_TIMEOUT_MS,
      heartbeatIntervalMs: settings(this.env).groupHeartbeatIntervalMs,
      maxMembers: MAX_MEMBERS_PER_GROUP,
    };
  }
}

function subscriptionGroup<T>(groupId: string): Result<T> {
  return fail("INCONSISTENT_GROUP_PROTOCOL", `group '${groupId}' is a subscription's: edgelog is its only member (see /v1/subscriptions/${groupId})`, { groupId });
}

function notFound<T>(groupId: string): Result<T> {
  return fail("GROUP_ID_NOT_FOUND", `group '${groupId}' does not exist`, { groupId });
}

function nonEmpty<T>(groupId: string, members: number): Result<T> {
  return fail("NON_EMPTY_GROUP", `group '${groupId}' has ${members} active member(s); stop its consumers first`, { groupId, members });
}

