// The group coordinator's SQLite schema: the group (epochs, assignor, topic snapshot) as one JSON row, one JSON row
// per member (only changed members are rewritten on a heartbeat), and committed offsets per topic-partition.

export const GROUP_SCHEMA = `
CREATE TABLE IF NOT EXISTS group_state (id INTEGER PRIMARY KEY CHECK (id = 0), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (member_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS offsets (
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  topic_id TEXT NOT NULL,
  committed_offset INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  commit_ms INTEGER NOT NULL,
  PRIMARY KEY (topic, partition)
);
`;
