// A group's committed offsets in its coordinator's `offsets` table, and the recent commits per partition that lag
// status reads (src/log/lag-status.ts). Consumer groups commit here, subscriptions commit what they delivered, and
// resets write here; the coordinator decides who may.
import { addCommit, type CommitSample } from "../log/lag-status";
import type { CommittedOffset, OffsetCommit } from "../log/group-description";
import { tpKey } from "./assignment";

export class OffsetsStore {
  /** Recent commits per partition (tpKey) for lag status: in memory only, so a commit writes no more rows than
   *  before; bounded to LAG_WINDOW_COMMITS per committed partition. Eviction empties it (the status then rests on the
   *  stored commit time alone until commits refill it). */
  private readonly lagWindows = new Map<string, CommitSample[]>();

  constructor(private readonly sql: SqlStorage) {}

  commit(offsets: OffsetCommit[], nowMs: number): void {
    for (const o of offsets) {
      this.sql.exec(
        "INSERT OR REPLACE INTO offsets (topic, partition, topic_id, committed_offset, metadata, commit_ms) VALUES (?, ?, ?, ?, ?, ?)",
        o.topic, o.partition, o.topicId, o.offset, o.metadata, nowMs,
      );
      const key = tpKey(o.topic, o.partition);
      const lag = o.highWatermark === undefined || o.highWatermark === null ? null : Math.max(0, o.highWatermark - o.offset);
      this.lagWindows.set(key, addCommit(this.lagWindows.get(key) ?? [], { offset: o.offset, lag, timeMs: nowMs }));
    }
  }

  /** A deliberate move (an operator's replay, a subscription's own commit): not a consumer's REWIND, so the lag window starts over. */
  reset(topic: string, topicId: string, offsets: { partition: number; offset: number }[], nowMs: number) {
    for (const o of offsets) {
      this.lagWindows.delete(tpKey(topic, o.partition));
      this.sql.exec("INSERT OR REPLACE INTO offsets (topic, partition, topic_id, committed_offset, metadata, commit_ms) VALUES (?, ?, ?, ?, '', ?)", topic, o.partition, topicId, o.offset, nowMs);
    }
    return { topic, partitions: offsets };
  }

  list(): CommittedOffset[] {
    return this.sql
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
  }

  /** The committed offset of a partition, if it belongs to this incarnation of the topic. */
  committed(topic: string, topicId: string, partition: number): number | null {
    const row = this.sql.exec<{ committed_offset: number; topic_id: string }>("SELECT committed_offset, topic_id FROM offsets WHERE topic = ? AND partition = ?", topic, partition).toArray()[0];
    return row !== undefined && row.topic_id === topicId ? row.committed_offset : null;
  }
}
