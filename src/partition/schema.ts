// The partition object's SQLite schema. One row per record batch, never per record; batches are keyed by their
// last offset so "the first batch holding offset >= X" is a primary-key seek (O(log n) whatever the log's length).
// Sealed segments have a row each; tiered ones name their R2 object and index its batches. The active segment is
// described in partition_state; appends do not rewrite that row (the log end, sizes and active segment are recovered
// from the batches after it when the object starts), every other change does. Versions live in a table because Durable
// Objects do not support PRAGMA user_version.

/** Transactions (partition/transactions.ts): each producer's open transaction (its first offset and the offset ranges
 *  of its appends), the last epoch each producer ended, and the offset ranges of aborted transactions' appends. */
const TXN_TABLES = `
CREATE TABLE IF NOT EXISTS open_txns (producer_id INTEGER PRIMARY KEY, producer_epoch INTEGER NOT NULL, first_offset INTEGER NOT NULL, ranges TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS ended_txns (producer_id INTEGER PRIMARY KEY, producer_epoch INTEGER NOT NULL, ended_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS aborted_ranges (first_offset INTEGER PRIMARY KEY, last_offset INTEGER NOT NULL);
`;

export const PARTITION_SCHEMA_VERSION = 6;

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
  max_timestamp_so_far INTEGER NOT NULL,
  active_base_offset INTEGER NOT NULL DEFAULT 0,
  active_bytes INTEGER NOT NULL DEFAULT 0,
  active_batches INTEGER NOT NULL DEFAULT 0,
  active_max_timestamp INTEGER NOT NULL DEFAULT -1,
  active_created_ms INTEGER NOT NULL DEFAULT 0,
  -- this replica's id and role: {replicaId, replicationFactor, leader, leaderEpoch, isr} (JSON)
  replication TEXT
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
  positions BLOB NOT NULL,
  -- after compaction: each kept record's offset - base_offset (uint32); NULL while offsets are contiguous
  offsets BLOB,
  -- on the last row of an idempotent producer's append: {producerId, producerEpoch, baseSequence, baseOffset,
  -- logAppendTimeMs} (JSON), so a follower, or a leader after a truncation, keeps the same producer state
  producer TEXT
);
-- Kafka's leader-epoch cache: the first offset each leader epoch wrote (KIP-101). Replicas compare caches to find
-- where a follower's log diverges from its leader's.
CREATE TABLE IF NOT EXISTS leader_epochs (epoch INTEGER PRIMARY KEY, start_offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS segments (
  base_offset INTEGER PRIMARY KEY,
  last_offset INTEGER NOT NULL,
  size_bytes INTEGER NOT NULL,
  batch_count INTEGER NOT NULL,
  max_timestamp INTEGER NOT NULL,
  max_timestamp_so_far INTEGER NOT NULL,
  created_ms INTEGER NOT NULL,
  -- 'local' (batches rows) or 'remote' (an R2 object)
  location TEXT NOT NULL,
  r2_key TEXT,
  stored_bytes INTEGER NOT NULL DEFAULT 0,
  batch_index BLOB,
  -- compaction has cleaned this segment against keys up to this offset (exclusive); -1 never cleaned
  cleaned_through INTEGER NOT NULL DEFAULT -1,
  -- a tiered segment's batches.producer values, [[lastOffset, producer], ...] (JSON; NULL when none): the R2 object
  -- holds record bytes only, and a follower catching up from it needs them to rebuild transactions and producers
  producers TEXT
);
-- An R2 PUT in flight (or interrupted): if the object died before indexing it, the next alarm deletes the object.
CREATE TABLE IF NOT EXISTS pending_uploads (r2_key TEXT PRIMARY KEY, segment_base INTEGER NOT NULL);
-- R2 objects of deleted segments, removed by the alarm (a failed delete is retried, never forgotten).
CREATE TABLE IF NOT EXISTS r2_garbage (r2_key TEXT PRIMARY KEY);
-- Objects waiting for the next append (partition/durable-watches.ts): woken when the high watermark passes after.
CREATE TABLE IF NOT EXISTS watches (watcher TEXT PRIMARY KEY, after INTEGER NOT NULL);
${TXN_TABLES}`;

/** Statements that bring a version-1 database to version 2. */
export const PARTITION_MIGRATIONS: Record<number, string> = {
  2: `
ALTER TABLE partition_state ADD COLUMN active_base_offset INTEGER NOT NULL DEFAULT 0;
ALTER TABLE partition_state ADD COLUMN active_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE partition_state ADD COLUMN active_batches INTEGER NOT NULL DEFAULT 0;
ALTER TABLE partition_state ADD COLUMN active_max_timestamp INTEGER NOT NULL DEFAULT -1;
ALTER TABLE partition_state ADD COLUMN active_created_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN offsets BLOB;
UPDATE partition_state SET active_base_offset = log_start_offset, active_bytes = size_bytes, active_batches = batch_count,
  active_max_timestamp = max_timestamp_so_far;
`,
  3: `
ALTER TABLE partition_state ADD COLUMN replication TEXT;
ALTER TABLE batches ADD COLUMN producer TEXT;
`,
  4: `
CREATE TABLE IF NOT EXISTS watches (watcher TEXT PRIMARY KEY, after INTEGER NOT NULL);
`,
  5: TXN_TABLES,
  6: `
ALTER TABLE segments ADD COLUMN producers TEXT;
`,
};
