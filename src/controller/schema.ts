// The controller's SQLite schema: topics by name (with a unique topic id and replica placement), each replicated
// partition's leader, leader epoch and ISR, the registry of consumer groups (so they can be listed), idempotent
// producer ids (the next block, and the epochs of re-initialised ids), the token store and its changes not yet copied
// to the token shards, which coordinators read which topics, partitions of deleted topics whose storage is still being
// removed, and topic changes not yet told to every replica or coordinator (all retried from the alarm). Upgraded by the one rule in src/schema-version.ts.
import type { VersionedSchema } from "../schema-version";

/** Transactional ids, registered by their coordinators on first init so they can be listed (kafka-transactions list). */
const TRANSACTIONAL_IDS = `
CREATE TABLE IF NOT EXISTS transactional_ids (transactional_id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL);
`;

/** Producer ids in blocks (KIP-730, controller/producer-ids.ts): the next id never issued. One row. */
const PRODUCER_ID_NEXT = `
CREATE TABLE IF NOT EXISTS producer_id_next (id INTEGER PRIMARY KEY CHECK (id = 0), next INTEGER NOT NULL);
`;

/** Which group coordinators read which topics, and the notices of a change not yet delivered (topic-watches.ts). */
const TOPIC_WATCHES = `
CREATE TABLE IF NOT EXISTS topic_watches (topic TEXT NOT NULL, group_id TEXT NOT NULL, PRIMARY KEY (topic, group_id));
CREATE INDEX IF NOT EXISTS topic_watches_by_group ON topic_watches (group_id);
CREATE TABLE IF NOT EXISTS pending_topic_notices (group_id TEXT PRIMARY KEY);
`;

/** Schema registry changes (schema-changes.ts): the registry's latest generation the controller heard of. One row. */
const REGISTRY_GENERATION = `
CREATE TABLE IF NOT EXISTS registry_generation (id INTEGER PRIMARY KEY CHECK (id = 0), generation INTEGER NOT NULL);
`;

/** Token shards (token-copies.ts): the next version of a token change, and changes not yet copied to their shard. */
const TOKEN_COPIES = `
CREATE TABLE IF NOT EXISTS token_version_next (id INTEGER PRIMARY KEY CHECK (id = 0), next INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pending_token_copies (sha256 TEXT PRIMARY KEY, version INTEGER NOT NULL);
`;

const DDL = `
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY,
  collision_key TEXT NOT NULL UNIQUE,
  topic_id TEXT NOT NULL UNIQUE,
  partition_count INTEGER NOT NULL,
  replication_factor INTEGER NOT NULL,
  config TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  placement TEXT NOT NULL DEFAULT '[]',
  -- the registry generation the topic's validation must have seen (schema-changes.ts)
  schema_generation INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS partition_leadership (
  topic_id TEXT NOT NULL,
  partition INTEGER NOT NULL,
  leader INTEGER NOT NULL,
  leader_epoch INTEGER NOT NULL,
  isr TEXT NOT NULL,
  PRIMARY KEY (topic_id, partition)
);
CREATE TABLE IF NOT EXISTS pending_notifications (
  topic_id TEXT NOT NULL,
  partition INTEGER NOT NULL,
  replica INTEGER NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (topic_id, partition, replica)
);
CREATE TABLE IF NOT EXISTS groups (
  group_id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  -- "consumer", or "subscription" (edgelog consumes for it); a subscription's topics as a JSON array
  kind TEXT NOT NULL DEFAULT 'consumer',
  topics TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS producers (
  producer_id INTEGER PRIMARY KEY AUTOINCREMENT,
  producer_epoch INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  sha256 TEXT NOT NULL UNIQUE,
  acls TEXT NOT NULL,
  quotas TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_drops (
  topic_id TEXT PRIMARY KEY,
  partition_count INTEGER NOT NULL,
  deleted_ms INTEGER NOT NULL,
  replication_factor INTEGER NOT NULL DEFAULT 1
);
${TRANSACTIONAL_IDS}${PRODUCER_ID_NEXT}${TOPIC_WATCHES}${REGISTRY_GENERATION}${TOKEN_COPIES}`;

export const CONTROLLER_SCHEMA: VersionedSchema = {
  version: 7,
  ddl: DDL,
  migrations: {
    // Replication: replica placement per topic, and the replication factor of a pending drop (its replica objects).
    2: `
ALTER TABLE topics ADD COLUMN placement TEXT NOT NULL DEFAULT '[]';
ALTER TABLE pending_drops ADD COLUMN replication_factor INTEGER NOT NULL DEFAULT 1;
`,
    // Subscriptions: a group's kind, and a subscription's topics.
    3: `
ALTER TABLE groups ADD COLUMN kind TEXT NOT NULL DEFAULT 'consumer';
ALTER TABLE groups ADD COLUMN topics TEXT NOT NULL DEFAULT '[]';
`,
    // Transactions: the registry of transactional ids.
    4: TRANSACTIONAL_IDS,
    // Producer ids in blocks: the counter (its first value follows the ids issued before, ProducerIds' constructor).
    5: PRODUCER_ID_NEXT + TOPIC_WATCHES,
    // Schema registry changes reach topics through their version: the generation each topic's validation has seen.
    6: `ALTER TABLE topics ADD COLUMN schema_generation INTEGER NOT NULL DEFAULT 0;\n` + REGISTRY_GENERATION,
    // Token shards: every token the store held is copied to its shard (from the alarm the controller sets on start).
    7: TOKEN_COPIES + "INSERT INTO pending_token_copies (sha256, version) SELECT sha256, 0 FROM tokens;",
  },
};

/**
 * The version of a controller database made before the controller recorded versions (undefined: a new database).
 * Version 1 had no replication; the code that added it (version 2) added its columns on start, so their presence
 * tells the two apart.
 */
export function unversionedControllerVersion(sql: SqlStorage): number | undefined {
  const topics = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'topics'").toArray().length > 0;
  if (!topics) return undefined;
  return sql.exec("SELECT 1 FROM pragma_table_info('topics') WHERE name = 'placement'").toArray().length > 0 ? 2 : 1;
}
