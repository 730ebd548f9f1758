// The controller's SQLite schema: topics by name (with a unique topic id), the registry of consumer groups (so
// they can be listed), and partitions of deleted topics whose
// storage is still being removed (retried from the alarm until every partition object has dropped its data).

export const CONTROLLER_SCHEMA = `
CREATE TABLE IF NOT EXISTS topics (
  name TEXT PRIMARY KEY,
  collision_key TEXT NOT NULL UNIQUE,
  topic_id TEXT NOT NULL UNIQUE,
  partition_count INTEGER NOT NULL,
  replication_factor INTEGER NOT NULL,
  config TEXT NOT NULL,
  version INTEGER NOT NULL,
  created_ms INTEGER NOT NULL
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
  deleted_ms INTEGER NOT NULL
);
`;
