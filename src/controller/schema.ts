// The controller's SQLite schema: topics by name (with a unique topic id and replica placement), each replicated
// partition's leader, leader epoch and ISR, the registry of consumer groups (so they can be listed), partitions of
// deleted topics whose storage is still being removed, and leader changes not yet told to every replica (both retried
// from the alarm).

export const CONTROLLER_SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY,
  collision_key TEXT NOT NULL UNIQUE,
  topic_id TEXT NOT NULL UNIQUE,
  partition_count INTEGER NOT NULL,
  replication_factor INTEGER NOT NULL,
  config TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  placement TEXT NOT NULL DEFAULT '[]'
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
  created_ms INTEGER NOT NULL
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
`;

/** Columns added after the first release, for databases made before them (CREATE TABLE IF NOT EXISTS skips them). */
export const CONTROLLER_COLUMNS: { table: string; column: string; ddl: string }[] = [
  { table: "topics", column: "placement", ddl: "ALTER TABLE topics ADD COLUMN placement TEXT NOT NULL DEFAULT '[]'" },
  { table: "pending_drops", column: "replication_factor", ddl: "ALTER TABLE pending_drops ADD COLUMN replication_factor INTEGER NOT NULL DEFAULT 1" },
];
