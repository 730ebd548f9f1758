// The partition object's SQLite schema. One row per record batch, never per record; batches are keyed by their
// last offset so "the first batch holding offset >= X" is a primary-key seek (O(log n) whatever the log's length).
// Versions live in a table because Durable Objects do not support PRAGMA user_version.

export const PARTITION_SCHEMA_VERSION = 1;

export const PARTITION_SCHEMA = `
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS partition_state (
  id INTEGER PRIMARY KEY CHECK (id = 0),
  topic TEXT NOT NULL,
  topic_id TEXT NOT NULL,
  partition INTEGER NOT NULL,
  metadata_version INTEGER NOT NULL,
  config TEXT NOT NULL,
  log_start_offset INTEGER NOT NULL,
  log_end_offset INTEGER NOT NULL,
  high_watermark INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  batch_count INTEGER NOT NULL,
  max_timestamp_so_far INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS producer_state (
  producer_id INTEGER PRIMARY KEY,
  data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS batches (
  last_offset INTEGER PRIMARY KEY,
  base_offset INTEGER NOT NULL,
  record_count INTEGER NOT NULL,
  max_timestamp INTEGER NOT NULL,
  -- running maximum of max_timestamp over the log up to this batch: monotonic, so time lookups binary-search it
  max_timestamp_so_far INTEGER NOT NULL,
  append_time INTEGER NOT NULL,
  encoding INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  records BLOB NOT NULL,
  positions BLOB NOT NULL
);
`;
