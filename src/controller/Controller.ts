// Controller: the one Durable Object per deployment that owns topic metadata: name -> topic id (a UUID, so a
// recreated topic never reuses old partition objects), partition count, replication factor and placement, config,
// each replicated partition's leader, leader epoch and ISR, and a version that bumps on every change partitions or
// routers must see (a new leader included; an ISR change is the leader's business and bumps nothing). It elects
// leaders (from the ISR only, unless unclean election is enabled) and commits the ISR changes leaders propose, fenced
// by leader epoch (Kafka's AlterPartition). Deleting a topic removes it here first (so it disappears at once), then
// drops every replica's storage, retried from the alarm until all are gone. Nobody polls it (docs/scale.md): replicas
// and the coordinators that read a topic are told of its changes (notices.ts), routers learn them from the replicas,
// and producer ids leave in blocks (producer-ids.ts).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { collisionKey } from "../log/topic-name";
import { defaultTopicConfig, type ConfigChange, type TopicConfig } from "../log/topic-config";
import { MAX_TOPICS } from "../limits";
import type { Acl, Quotas } from "../auth/acl";
import type { HashedStoredToken, StoredToken } from "../auth/stored-token";
import { partitionLogClient } from "../names";
import { isStreamTopic } from "../log/stream-topic";
import type { PartitionLeadership, ReplicaRole, ReplicaStatus, TopicMetadata } from "../protocol";
import { upgradeSchema } from "../schema-version";
import { chooseLeader, type ElectionType } from "./choose-leader";
import { ElectionCounts, type ElectionCount } from "./election-counts";
import { loggerFor } from "../log/structured-log";
import { CONTROLLER_SCHEMA, unversionedControllerVersion } from "./schema";
import { TokenStore, type TokenPage } from "./tokens";
import { TokenCopies } from "./token-copies";
import { TransactionalIds } from "./transactional-ids";
import { GroupRegistry, type GroupKind } from "./group-registry";
import { ProducerIds, type ProducerIdBlock } from "./producer-ids";
import { TopicWatches } from "./topic-watches";
import { DROP_RETRY_MS, Notices, RECORD_NOTICE_SQL } from "./notices";
import { SchemaChanges } from "./schema-changes";
import { Usage, type UsageCounts } from "../usage";
import { addLeadership, leadership, topicRow, rowById, toMetadata, type TopicRow } from "./topic-rows";

export interface CreateTopicRequest {
  name: string;
  partitions: number;
  replicationFactor: number;
  placement: string[];
  config: TopicConfig;
}

export class Controller extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** What this object consumed of the billed items (src/usage.ts). */
  private readonly meter = new Usage();
  private readonly tokens: TokenStore;
  private readonly tokenCopies: TokenCopies;
  private readonly transactionalIds: TransactionalIds;
  private readonly groups: GroupRegistry;
  private readonly producerIds: ProducerIds;
  private readonly watches: TopicWatches;
  private readonly notices: Notices;
  private readonly schemaChanges: SchemaChanges;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = this.meter.sql(ctx.storage.sql);
    upgradeSchema(this.sql, CONTROLLER_SCHEMA, () => unversionedControllerVersion(this.sql));
    this.tokenCopies = new TokenCopies(this.sql, env, (sha256) => this.tokens.record(sha256));
    this.tokens = new TokenStore(this.sql, this.tokenCopies);
    // Changes not yet in their shards (a controller upgraded from before token shards has every token's) go from the
    // alarm, whoever calls first.
    if (this.tokenCopies.pending() > 0) void ctx.storage.setAlarm(Date.now());
    this.transactionalIds = new TransactionalIds(this.sql);
    this.groups = new GroupRegistry(this.sql);
    this.producerIds = new ProducerIds(this.sql);
    this.watches = new TopicWatches(this.sql);
    this.notices = new Notices(this.sql, env, ctx.storage, this.watches);
    this.schemaChanges = new SchemaChanges(this.sql, this.notices);
  }

  /** Elections in progress, one per partition (they await probes of replicas). */
  private readonly elections = new Map<string, Promise<Result<TopicMetadata>>>();
  /** Elections run since this instance started (election-counts.ts), for GET /metrics. */
  private readonly electionCounts = new ElectionCounts(Date.now());

  async createTopic(request: CreateTopicRequest): Promise<Result<TopicMetadata>> {
    this.meter.request();
    const existing = topicRow(this.sql, request.name);
    if (existing) return fail("TOPIC_ALREADY_EXISTS", `topic '${request.name}' already exists`, { topic: request.name, topicId: existing.topic_id });
    const collision = this.sql
      .exec<{ name: string }>("SELECT name FROM topics WHERE collision_key = ?", collisionKey(request.name))
      .toArray()[0];
    if (collision) {
      return fail("INVALID_TOPIC_EXCEPTION", `topic '${request.name}' collides with existing topic '${collision.name}' ('.' and '_' are the same for collisions)`, {
        topic: request.name,
        collidesWith: collision.name,
      });
    }
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM topics").one().n;
    if (count >= MAX_TOPICS) return fail("POLICY_VIOLATION", `this deployment already has ${count} topics, the maximum is ${MAX_TOPICS}`, { maxTopics: MAX_TOPICS });
    const topicId = crypto.randomUUID();
    this.sql.exec(
      "INSERT INTO topics (name, collision_key, topic_id, partition_count, replication_factor, config, version, created_ms, placement, schema_generation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      request.name, collisionKey(request.name), topicId, request.partitions, request.replicationFactor, JSON.stringify({ ...defaultTopicConfig(), ...request.config }), 1, Date.now(),
      JSON.stringify(request.placement), this.schemaChanges.known(),
    );
    addLeadership(this.sql, topicId, 0, request.partitions, request.replicationFactor);
    const meta = toMetadata(this.sql, topicRow(this.sql, request.name)!);
    await this.notices.tellWatchers(request.name);
    return ok(meta);
  }

  listTopics(): TopicMetadata[] {
    this.meter.request();
    return this.sql.exec<TopicRow>("SELECT * FROM topics ORDER BY name").toArray().map((r) => toMetadata(this.sql, r));
  }

  getTopic(name: string): Result<TopicMetadata> {
    this.meter.request();
    const row = topicRow(this.sql, name);
    return row ? ok(toMetadata(this.sql, row)) : unknownTopic(name);
  }

  getTopicById(topicId: string): Result<TopicMetadata> {
    this.meter.request();
    const row = rowById(this.sql, topicId);
    return row ? ok(toMetadata(this.sql, row)) : fail("UNKNOWN_TOPIC_OR_PARTITION", `no topic has id ${topicId} (deleted?)`, { topicId });
  }

  async alterConfig(name: string, change: ConfigChange): Promise<Result<TopicMetadata>> {
    this.meter.request();
    const row = topicRow(this.sql, name);
    if (!row) return unknownTopic(name);
    const defaults = defaultTopicConfig();
    const config: TopicConfig = { ...(JSON.parse(row.config) as TopicConfig), ...change.set };
    for (const key of change.reset) config[key] = defaults[key]!;
    const version = row.version + 1;
    // The registry generation known now: a router's registry answers older than it may predate the validation set here.
    const schemaGeneration = this.schemaChanges.known();
    this.sql.exec("UPDATE topics SET config = ?, version = ?, schema_generation = ? WHERE name = ?", JSON.stringify(config), version, schemaGeneration, name);
    const meta = toMetadata(this.sql, { ...row, config: JSON.stringify(config), version, schema_generation: schemaGeneration });
    await this.notices.announce(meta.topicId, row.partition_count, row.replication_factor, version, Date.now());
    return ok(meta);
  }

  async addPartitions(name: string, count: number): Promise<Result<TopicMetadata>> {
    this.meter.request();
    const row = topicRow(this.sql, name);
    if (!row) return unknownTopic(name);
    if (count <= row.partition_count) {
      return fail("INVALID_PARTITIONS", `topic '${name}' has ${row.partition_count} partitions; the new count must be larger, got ${count}`, {
        partitionCount: row.partition_count,
        requested: count,
      });
    }
    const version = row.version + 1;
    this.sql.exec("UPDATE topics SET partition_count = ?, version = ? WHERE name = ?", count, version, name);
    addLeadership(this.sql, row.topic_id, row.partition_count, count, row.replication_factor);
    await this.notices.announce(row.topic_id, row.partition_count, row.replication_factor, version, Date.now());
    // Subscriptions of the topic start delivering its new partitions (an idle one would never look): told as the
    // watching groups are, on record until delivered.
    await this.notices.tellWatchers(name, this.groups.subscriptionsOf(name));
    return ok(toMetadata(this.sql, { ...row, partition_count: count, version }));
  }

  async deleteTopic(name: string): Promise<Result<TopicMetadata>> {
    this.meter.request();
    const row = topicRow(this.sql, name);
    if (!row) return unknownTopic(name);
    // The writes commit together (no await between them): the topic is gone and its drop is on record.
    const meta = toMetadata(this.sql, row);
    this.sql.exec("DELETE FROM topics WHERE name = ?", name);
    this.sql.exec("DELETE FROM partition_leadership WHERE topic_id = ?", row.topic_id);
    this.sql.exec("DELETE FROM pending_notifications WHERE topic_id = ?", row.topic_id);
    // A Durable Stream's topic has no partition objects to drop: the stream object holds its records and lets go of
    // the topic itself once they are gone.
    if (!isStreamTopic(name)) {
      this.sql.exec(
        "INSERT OR REPLACE INTO pending_drops (topic_id, partition_count, deleted_ms, replication_factor) VALUES (?, ?, ?, ?)",
        row.topic_id, row.partition_count, Date.now(), row.replication_factor,
      );
      await this.ctx.storage.setAlarm(Date.now() + DROP_RETRY_MS);
      await this.notices.dropPartitions(row.topic_id, row.partition_count, row.replication_factor);
    }
    await this.notices.tellWatchers(name);
    return ok(meta);
  }

  /** Deletes the topic with this id, if it still exists: a Durable Stream lets go of the topic it was registered as,
   *  never of one made again under the same name meanwhile. */
  async deleteTopicById(topicId: string): Promise<Result<TopicMetadata | undefined>> {
    const row = rowById(this.sql, topicId);
    return row === undefined ? ok(undefined) : this.deleteTopic(row.name);
  }

  /**
   * Partition counts and ids of the named topics that exist (a group coordinator's metadata refresh). A coordinator
   * that names itself (`watcher`, its group id) is told when one of them is created, gains partitions or is deleted
   * (topic-watches.ts), so it reads again only then.
   */
  topicSnapshots(names: string[], watcher?: string): Record<string, { topicId: string; partitionCount: number }> {
    this.meter.request();
    if (watcher !== undefined) this.watches.watch(watcher, names);
    const out: Record<string, { topicId: string; partitionCount: number }> = {};
    for (const name of names) {
      const row = topicRow(this.sql, name);
      if (row) out[name] = { topicId: row.topic_id, partitionCount: row.partition_count };
    }
    return out;
  }

  /**
   * InitProducerId: a new idempotent producer id at epoch 0, or, for a known id, the next epoch (fencing the
   * producer's older incarnation, KIP-360). Ids never repeat (controller/producer-ids.ts).
   */
  initProducer(producerId: number | null): Result<{ producerId: number; producerEpoch: number }> {
    this.meter.request();
    return this.producerIds.init(producerId, Date.now());
  }

  /** Leases a block of new producer ids (KIP-730) to a caller that hands them out itself (a router isolate). */
  allocateProducerIds(count: number): Result<ProducerIdBlock> {
    this.meter.request();
    return this.producerIds.allocate(count);
  }

  /** Stores a token's hash (never the token) with its ACLs and quotas (controller/tokens.ts), and copies it to its
   *  shard before answering (a failed copy is retried by the alarm). */
  async createToken(name: string, sha256: string, acls: Acl[], quotas: Quotas): Promise<Result<StoredToken>> {
    this.meter.request();
    const created = this.tokens.create(name, sha256, acls, quotas, Date.now());
    if (!created.ok) return created;
    await this.copyTokens(sha256);
    const { sha256: _hash, ...token } = created.value;
    return ok(token);
  }

  /** A page of tokens without their hashes, for the admin API. */
  listTokens(limit: number, after?: string): TokenPage {
    this.meter.request();
    return this.tokens.list(limit, after);
  }

  /** Revokes a token: its shard's copy is removed before this answers when the shard is reachable, else by the alarm.
   *  Answers the token with its hash, so the router drops its answers about it. */
  async revokeToken(id: string): Promise<Result<HashedStoredToken>> {
    this.meter.request();
    const revoked = this.tokens.revoke(id);
    if (revoked.ok) await this.copyTokens(revoked.value.sha256);
    return revoked;
  }

  /** A copy that did not arrive is retried by the alarm (one lost with a restart, by the alarm the constructor sets). */
  private async copyTokens(sha256: string): Promise<void> {
    if (!(await this.tokenCopies.deliver([sha256]))) await this.ctx.storage.setAlarm(Date.now() + DROP_RETRY_MS);
  }

  /** Consumer groups register when first used, so GET /v1/groups can list them. Idempotent. */
  /** Registers a group for listing (controller/group-registry.ts): a consumer group, or a subscription with its topics. */
  registerGroup(groupId: string, kind: GroupKind = "consumer", topics: string[] = []): Result<void> {
    this.meter.request();
    return this.groups.register(groupId, kind, topics, Date.now());
  }

  unregisterGroup(groupId: string): void {
    this.meter.request();
    this.groups.unregister(groupId);
    this.watches.unwatch(groupId);
  }

  /** Transaction coordinators register their id on first init, so GET /v1/transactions can list them. Idempotent. */
  registerTransactionalId(transactionalId: string): Result<void> {
    this.meter.request();
    return this.transactionalIds.register(transactionalId, Date.now());
  }

  /** An expired transactional id leaves the registry. */
  unregisterTransactionalId(transactionalId: string): void {
    this.meter.request();
    this.transactionalIds.unregister(transactionalId);
  }

  listTransactionalIds(): string[] {
    this.meter.request();
    return this.transactionalIds.list();
  }

  listGroups(kind?: GroupKind): string[] {
    this.meter.request();
    return this.groups.list(kind);
  }

  /** Leader elections since this instance started, for these topics (all when none are named): GET /metrics. */
  leaderElections(topics: string[]): { sinceMs: number; elections: ElectionCount[] } {
    this.meter.request();
    return { sinceMs: this.electionCounts.sinceMs, elections: this.electionCounts.list(topics) };
  }

  /**
   * The schema registry changed `subject` at `generation` (registry/subject-notices.ts, retried until answered): every
   * topic whose validation may use it gets a new version, told to its replicas (schema-changes.ts).
   */
  async schemaChanged(subject: string, generation: number): Promise<number> {
    this.meter.request();
    return await this.schemaChanges.changed(subject, generation);
  }

  /** Billed items this instance consumed (not counted as a request itself). */
  usage(): UsageCounts {
    return this.meter.snapshot();
  }

  /** Retries partition drops of deleted topics and leader changes not yet told to every replica. */
  override async alarm(): Promise<void> {
    this.meter.request();
    const left = (await this.notices.retry()) + (await this.tokenCopies.retry());
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + DROP_RETRY_MS);
  }

  /**
   * Kafka's AlterPartition: the leader of `leaderEpoch` proposes a new ISR (a follower fell behind or was unreachable;
   * one caught up). Refused with FENCED_LEADER_EPOCH when a newer leader exists. Answers the leader's committed role.
   */
  alterPartition(topicId: string, partition: number, leaderId: number, leaderEpoch: number, isr: number[]): Result<ReplicaRole> {
    this.meter.request();
    const row = rowById(this.sql, topicId);
    const lead = row ? leadership(this.sql, topicId, partition) : undefined;
    if (!row || !lead) return fail("UNKNOWN_TOPIC_OR_PARTITION", `no replicated partition ${partition} of topic id ${topicId}`, { topicId, partition });
    if (leaderEpoch !== lead.leaderEpoch || leaderId !== lead.leader) {
      return fail("FENCED_LEADER_EPOCH", `leader epoch ${leaderEpoch} is not the current ${lead.leaderEpoch} (replica ${lead.leader} leads)`, { leader: lead.leader, leaderEpoch: lead.leaderEpoch });
    }
    const valid = isr.includes(leaderId) && isr.every((id) => Number.isInteger(id) && id >= 0 && id < row.replication_factor) && new Set(isr).size === isr.length;
    if (!valid) return fail("INVALID_REQUEST", `ISR ${JSON.stringify(isr)} must hold the leader and only replicas 0..${row.replication_factor - 1}`);
    const sorted = [...isr].sort((a, b) => a - b);
    this.sql.exec("UPDATE partition_leadership SET isr = ? WHERE topic_id = ? AND partition = ?", JSON.stringify(sorted), topicId, partition);
    return ok({ replicaId: leaderId, replicationFactor: row.replication_factor, leader: leaderId, leaderEpoch, isr: sorted, placement: JSON.parse(row.placement) as string[] });
  }

  /**
   * Elects a partition's leader (kafka-semantics §5; who leads: chooseLeader, choose-leader.ts). A new leader bumps the
   * leader epoch and the topic's metadata version; every replica is told (retried from the alarm).
   */
  electLeader(topicId: string, partition: number, type: ElectionType, seenEpoch = -1): Promise<Result<TopicMetadata>> {
    this.meter.request();
    const key = `${topicId}/${partition}`;
    const running = this.elections.get(key);
    if (running !== undefined) return running;
    const election = this.elect(topicId, partition, type, seenEpoch).finally(() => this.elections.delete(key));
    this.elections.set(key, election);
    return election;
  }

  private async elect(topicId: string, partition: number, type: ElectionType, seenEpoch: number): Promise<Result<TopicMetadata>> {
    const row = rowById(this.sql, topicId);
    const lead = row ? leadership(this.sql, topicId, partition) : undefined;
    if (!row || !lead) return fail("UNKNOWN_TOPIC_OR_PARTITION", `no replicated partition ${partition} of topic id ${topicId}`, { topicId, partition });
    // Someone already replaced the leader the caller could not reach.
    if (type === "unavailable" && seenEpoch >= 0 && seenEpoch < lead.leaderEpoch) return ok(toMetadata(this.sql, row));
    // Every replica is probed (at once): chooseLeader (choose-leader.ts) decides from their answers.
    const placement = JSON.parse(row.placement) as string[];
    const statuses = await Promise.all(
      Array.from({ length: row.replication_factor }, async (_, replica): Promise<ReplicaStatus | undefined> => {
        try {
          const hint = placement.length > 0 ? placement[replica % placement.length] : undefined;
          return (await partitionLogClient(this.env, topicId, partition, replica, hint).replicaStatus()) as ReplicaStatus;
        } catch {
          return undefined;
        }
      }),
    );
    const config = JSON.parse(row.config) as TopicConfig;
    const choice = chooseLeader({
      type,
      label: `${row.name}/${partition}`,
      lead,
      replicationFactor: row.replication_factor,
      uncleanAllowed: config["unclean.leader.election.enable"] === "true",
      statuses,
    });
    if (!choice.ok) return choice;
    const { leader, isr } = choice.value;
    // Probes awaited: someone may have changed the partition meanwhile.
    const now = leadership(this.sql, topicId, partition);
    const current = rowById(this.sql, topicId);
    if (!now || !current || now.leaderEpoch !== lead.leaderEpoch) return current ? ok(toMetadata(this.sql, current)) : fail("UNKNOWN_TOPIC_OR_PARTITION", `topic id ${topicId} was deleted`);
    const leaderEpoch = lead.leaderEpoch + 1;
    const version = current.version + 1;
    this.sql.exec("UPDATE partition_leadership SET leader = ?, leader_epoch = ?, isr = ? WHERE topic_id = ? AND partition = ?", leader, leaderEpoch, JSON.stringify(isr), topicId, partition);
    this.sql.exec("UPDATE topics SET version = ? WHERE topic_id = ?", version, topicId);
    for (let replica = 0; replica < current.replication_factor; replica++) {
      this.sql.exec(RECORD_NOTICE_SQL, topicId, partition, replica, version);
    }
    this.electionCounts.elected(current.name, partition, type);
    loggerFor(this.env.EDGELOG_LOG_LEVEL).write(type === "unclean" ? "warn" : "info", "leader_elected", { topic: current.name, partition, leader, leaderEpoch, electionType: type, isr });
    await this.ctx.storage.setAlarm(Date.now() + DROP_RETRY_MS);
    // The new leader first, so it starts its epoch before followers hear of it.
    await this.notices.notify(topicId, partition, leader, version);
    await Promise.all(Array.from({ length: current.replication_factor }, (_, r) => r).filter((r) => r !== leader).map((r) => this.notices.notify(topicId, partition, r, version)));
    return ok(toMetadata(this.sql, rowById(this.sql, topicId)!));
  }

}

function unknownTopic<T>(name: string): Result<T> {
  return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${name}' does not exist`, { topic: name });
}
