// Offsets a transaction commits for the group (sendOffsetsToTransaction): staged per (producerId, epoch) in their own
// table, invisible to readers of the group's offsets until the transaction's commit marker moves them there; an abort
// marker drops them. Markers are applied idempotently (a second one finds nothing staged).
import type { OffsetCommit } from "../log/group-description";

const SCHEMA = `CREATE TABLE IF NOT EXISTS txn_offsets (
  producer_id INTEGER NOT NULL,
  producer_epoch INTEGER NOT NULL,
  topic TEXT NOT NULL,
  partition INTEGER NOT NULL,
  topic_id TEXT NOT NULL,
  committed_offset INTEGER NOT NULL,
  metadata TEXT NOT NULL,
  PRIMARY KEY (producer_id, producer_epoch, topic, partition)
)`;

export class TxnOffsets {
  constructor(private readonly sql: SqlStorage) {}

  stage(producerId: number, producerEpoch: number, offsets: readonly OffsetCommit[]): void {
    this.sql.exec(SCHEMA);
    for (const o of offsets) {
      this.sql.exec(
        "INSERT OR REPLACE INTO txn_offsets (producer_id, producer_epoch, topic, partition, topic_id, committed_offset, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)",
        producerId, producerEpoch, o.topic, o.partition, o.topicId, o.offset, o.metadata,
      );
    }
  }

  /** The marker: commit moves the staged offsets into `offsets` (the group's table must exist then); both drop them. */
  complete(producerId: number, producerEpoch: number, commit: boolean, nowMs: number): number {
    if (this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'txn_offsets'").toArray().length === 0) return 0;
    let moved = 0;
    if (commit) {
      moved = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM txn_offsets WHERE producer_id = ? AND producer_epoch = ?", producerId, producerEpoch).one().n;
      this.sql.exec(
        `INSERT OR REPLACE INTO offsets (topic, partition, topic_id, committed_offset, metadata, commit_ms)
         SELECT topic, partition, topic_id, committed_offset, metadata, ? FROM txn_offsets WHERE producer_id = ? AND producer_epoch = ?`,
        nowMs, producerId, producerEpoch,
      );
    }
    this.sql.exec("DELETE FROM txn_offsets WHERE producer_id = ? AND producer_epoch = ?", producerId, producerEpoch);
    return moved;
  }
}
