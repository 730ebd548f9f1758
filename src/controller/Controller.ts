// Controller: the one Durable Object per deployment that owns topic metadata: name -> topic id (a UUID, so a
// recreated topic never reuses old partition objects), partition count, replication factor, config, and a version
// that bumps on every change partitions must see. Deleting a topic removes it here first (so it disappears at
// once), then drops every partition's storage, retried from the alarm until all are gone.
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { collisionKey } from "../log/topic-name";
import { defaultTopicConfig, type ConfigChange, type TopicConfig } from "../log/topic-config";
import { MAX_GROUPS, MAX_PRODUCER_EPOCH, MAX_STORED_TOKENS, MAX_TOPICS, PARTITION_FANOUT_CONCURRENCY } from "../limits";
import type { Acl, Quotas } from "../auth/acl";

export interface StoredToken {
  id: string;
  name: string;
  acls: Acl[];
  quotas: Quotas;
  createdMs: number;
}
import { partitionLogStub } from "../names";
import type { TopicMetadata } from "../protocol";
import { CONTROLLER_SCHEMA } from "./schema";
import { Usage, type UsageCounts } from "../usage";
import { mapBounded } from "../concurrency";

interface TopicRow extends Record<string, SqlStorageValue> {
  name: string;
  topic_id: string;
  partition_count: number;
  replication_factor: number;
  config: string;
  version: number;
  created_ms: number;
}

/** How soon the alarm retries partition drops that failed. */
const DROP_RETRY_MS = 10_000;

export interface CreateTopicRequest {
  name: string;
  partitions: number;
  replicationFactor: number;
  config: TopicConfig;
}

export class Controller extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** What this object consumed of the billed items (src/usage.ts). */
  private readonly meter = new Usage();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = this.meter.sql(ctx.storage.sql);
    this.sql.exec(CONTROLLER_SCHEMA);
  }

  createTopic(request: CreateTopicRequest): Result<TopicMetadata> {
    this.meter.request();
    const existing = this.row(request.name);
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
    const meta: TopicMetadata = {
      name: request.name,
      topicId: crypto.randomUUID(),
      partitionCount: request.partitions,
      replicationFactor: request.replicationFactor,
      config: { ...defaultTopicConfig(), ...request.config },
      version: 1,
      createdMs: Date.now(),
    };
    this.sql.exec(
      "INSERT INTO topics (name, collision_key, topic_id, partition_count, replication_factor, config, version, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      meta.name, collisionKey(meta.name), meta.topicId, meta.partitionCount, meta.replicationFactor, JSON.stringify(meta.config), meta.version, meta.createdMs,
    );
    return ok(meta);
  }

  listTopics(): TopicMetadata[] {
    this.meter.request();
    return this.sql.exec<TopicRow>("SELECT * FROM topics ORDER BY name").toArray().map(toMetadata);
  }

  getTopic(name: string): Result<TopicMetadata> {
    this.meter.request();
    const row = this.row(name);
    return row ? ok(toMetadata(row)) : unknownTopic(name);
  }

  getTopicById(topicId: string): Result<TopicMetadata> {
    this.meter.request();
    const row = this.sql.exec<TopicRow>("SELECT * FROM topics WHERE topic_id = ?", topicId).toArray()[0];
    return row ? ok(toMetadata(row)) : fail("UNKNOWN_TOPIC_OR_PARTITION", `no topic has id ${topicId} (deleted?)`, { topicId });
  }

  async alterConfig(name: string, change: ConfigChange): Promise<Result<TopicMetadata>> {
    this.meter.request();
    const row = this.row(name);
    if (!row) return unknownTopic(name);
    const defaults = defaultTopicConfig();
    const config: TopicConfig = { ...(JSON.parse(row.config) as TopicConfig), ...change.set };
    for (const key of change.reset) config[key] = defaults[key]!;
    const version = row.version + 1;
    this.sql.exec("UPDATE topics SET config = ?, version = ? WHERE name = ?", JSON.stringify(config), version, name);
    const meta = toMetadata({ ...row, config: JSON.stringify(config), version });
    await this.announce(meta.topicId, row.partition_count, version);
    return ok(meta);
  }

  async addPartitions(name: string, count: number): Promise<Result<TopicMetadata>> {
    this.meter.request();
    const row = this.row(name);
    if (!row) return unknownTopic(name);
    if (count <= row.partition_count) {
      return fail("INVALID_PARTITIONS", `topic '${name}' has ${row.partition_count} partitions; the new count must be larger, got ${count}`, {
        partitionCount: row.partition_count,
        requested: count,
      });
    }
    const version = row.version + 1;
    this.sql.exec("UPDATE topics SET partition_count = ?, version = ? WHERE name = ?", count, version, name);
    await this.announce(row.topic_id, row.partition_count, version);
    return ok(toMetadata({ ...row, partition_count: count, version }));
  }

  async deleteTopic(name: string): Promise<Result<TopicMetadata>> {
    this.meter.request();
    const row = this.row(name);
    if (!row) return unknownTopic(name);
    // Both writes commit together (no await between them): the topic is gone and its drop is on record.
    this.sql.exec("DELETE FROM topics WHERE name = ?", name);
    this.sql.exec("INSERT OR REPLACE INTO pending_drops (topic_id, partition_count, deleted_ms) VALUES (?, ?, ?)", row.topic_id, row.partition_count, Date.now());
    await this.ctx.storage.setAlarm(Date.now() + DROP_RETRY_MS);
    await this.dropPartitions(row.topic_id, row.partition_count);
    return ok(toMetadata(row));
  }

  /** Partition counts and ids of the named topics that exist (a group coordinator's metadata refresh). */
  topicSnapshots(names: string[]): Record<string, { topicId: string; partitionCount: number }> {
    this.meter.request();
    const out: Record<string, { topicId: string; partitionCount: number }> = {};
    for (const name of names) {
      const row = this.row(name);
      if (row) out[name] = { topicId: row.topic_id, partitionCount: row.partition_count };
    }
    return out;
  }

  /**
   * InitProducerId: a new idempotent producer id at epoch 0, or, for a known id, the next epoch (fencing the
   * producer's older incarnation, KIP-360). Ids never repeat (AUTOINCREMENT).
   */
  initProducer(producerId: number | null): Result<{ producerId: number; producerEpoch: number }> {
    this.meter.request();
    const now = Date.now();
    if (producerId === null) {
      const row = this.sql.exec<{ producer_id: number }>("INSERT INTO producers (producer_epoch, updated_ms) VALUES (0, ?) RETURNING producer_id", now).one();
      return ok({ producerId: row.producer_id, producerEpoch: 0 });
    }
    const row = this.sql.exec<{ producer_epoch: number }>("SELECT producer_epoch FROM producers WHERE producer_id = ?", producerId).toArray()[0];
    if (!row) return fail("UNKNOWN_PRODUCER_ID", `producer id ${producerId} was never issued by this deployment`, { producerId });
    if (row.producer_epoch >= MAX_PRODUCER_EPOCH) {
      // Epoch exhausted: like Kafka, hand out a new id instead.
      return this.initProducer(null);
    }
    const producerEpoch = row.producer_epoch + 1;
    this.sql.exec("UPDATE producers SET producer_epoch = ?, updated_ms = ? WHERE producer_id = ?", producerEpoch, now, producerId);
    return ok({ producerId, producerEpoch });
  }

  /** Stores a token's hash (never the token) with its ACLs and quotas. */
  createToken(name: string, sha256: string, acls: Acl[], quotas: Quotas): Result<StoredToken> {
    this.meter.request();
    if (this.sql.exec("SELECT 1 FROM tokens WHERE name = ?", name).toArray().length > 0) {
      return fail("INVALID_REQUEST", `a token named '${name}' exists; revoke it first or pick another name`, { name });
    }
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM tokens").one().n;
    if (count >= MAX_STORED_TOKENS) return fail("POLICY_VIOLATION", `the token store holds ${count} tokens, the maximum is ${MAX_STORED_TOKENS}`);
    const token: StoredToken = { id: crypto.randomUUID(), name, acls, quotas, createdMs: Date.now() };
    this.sql.exec("INSERT INTO tokens (id, name, sha256, acls, quotas, created_ms) VALUES (?, ?, ?, ?, ?, ?)", token.id, name, sha256, JSON.stringify(acls), JSON.stringify(quotas), token.createdMs);
    return ok(token);
  }

  /** Tokens without their hashes, for the admin API. */
  listTokens(): StoredToken[] {
    this.meter.request();
    return this.tokenRows().map(({ sha256: _hash, ...token }) => token);
  }

  revokeToken(id: string): Result<StoredToken> {
    this.meter.request();
    const token = this.listTokens().find((t) => t.id === id);
    if (!token) return fail("NOT_FOUND", `no token has id ${id}`, { id });
    this.sql.exec("DELETE FROM tokens WHERE id = ?", id);
    return ok(token);
  }

  /** Hashes and grants of every token, for routers to check requests against (they cache it briefly). */
  tokenRecords(): (StoredToken & { sha256: string })[] {
    this.meter.request();
    return this.tokenRows();
  }

  private tokenRows(): (StoredToken & { sha256: string })[] {
    return this.sql
      .exec<{ id: string; name: string; sha256: string; acls: string; quotas: string; created_ms: number }>("SELECT * FROM tokens ORDER BY name")
      .toArray()
      .map((r) => ({ id: r.id, name: r.name, sha256: r.sha256, acls: JSON.parse(r.acls) as Acl[], quotas: JSON.parse(r.quotas) as Quotas, createdMs: r.created_ms }));
  }

  /** Consumer groups register when first used, so GET /v1/groups can list them. Idempotent. */
  registerGroup(groupId: string): Result<void> {
    this.meter.request();
    const exists = this.sql.exec("SELECT 1 FROM groups WHERE group_id = ?", groupId).toArray().length > 0;
    if (exists) return ok(undefined);
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM groups").one().n;
    if (count >= MAX_GROUPS) return fail("POLICY_VIOLATION", `this deployment already has ${count} groups, the maximum is ${MAX_GROUPS}`, { maxGroups: MAX_GROUPS });
    this.sql.exec("INSERT INTO groups (group_id, created_ms) VALUES (?, ?)", groupId, Date.now());
    return ok(undefined);
  }

  unregisterGroup(groupId: string): void {
    this.meter.request();
    this.sql.exec("DELETE FROM groups WHERE group_id = ?", groupId);
  }

  listGroups(): string[] {
    this.meter.request();
    return this.sql.exec<{ group_id: string }>("SELECT group_id FROM groups ORDER BY group_id").toArray().map((r) => r.group_id);
  }

  /** Retries partition drops of deleted topics. Idempotent: dropping twice is harmless. */
  /** Billed items this instance consumed (not counted as a request itself). */
  usage(): UsageCounts {
    return this.meter.snapshot();
  }

  override async alarm(): Promise<void> {
    this.meter.request();
    const pending = this.sql.exec<{ topic_id: string; partition_count: number }>("SELECT topic_id, partition_count FROM pending_drops").toArray();
    for (const p of pending) await this.dropPartitions(p.topic_id, p.partition_count);
    const left = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM pending_drops").one().n;
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + DROP_RETRY_MS);
  }

  private async dropPartitions(topicId: string, partitionCount: number): Promise<void> {
    const failures = await forEachBounded(partitionCount, (p) => partitionLogStub(this.env, topicId, p).drop());
    if (failures === 0) this.sql.exec("DELETE FROM pending_drops WHERE topic_id = ?", topicId);
  }

  /** Tells existing partitions their topic changed, so routers with older metadata are told to refresh. Best effort. */
  private async announce(topicId: string, partitionCount: number, version: number): Promise<void> {
    await forEachBounded(partitionCount, (p) => partitionLogStub(this.env, topicId, p).metadataChanged(version));
  }

  private row(name: string): TopicRow | undefined {
    return this.sql.exec<TopicRow>("SELECT * FROM topics WHERE name = ?", name).toArray()[0];
  }
}

function toMetadata(row: TopicRow): TopicMetadata {
  return {
    name: row.name,
    topicId: row.topic_id,
    partitionCount: row.partition_count,
    replicationFactor: row.replication_factor,
    config: JSON.parse(row.config) as TopicConfig,
    version: row.version,
    createdMs: row.created_ms,
  };
}

function unknownTopic<T>(name: string): Result<T> {
  return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${name}' does not exist`, { topic: name });
}

/** Runs task(0..count-1) with bounded concurrency; returns how many failed (they are retried by the caller). */
async function forEachBounded(count: number, task: (i: number) => Promise<unknown>): Promise<number> {
  const outcomes = await mapBounded(count, PARTITION_FANOUT_CONCURRENCY, (i) =>
    task(i).then(
      () => true,
      (error: unknown) => {
        console.error(`partition ${i}: ${String(error)}`);
        return false;
      },
    ),
  );
  return outcomes.filter((succeeded) => !succeeded).length;
}
