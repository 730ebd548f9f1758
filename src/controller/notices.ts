// What the controller must tell other objects, each on record until delivered and retried from its alarm: replicas
// that their topic changed (a leader, a config, partitions: routers learn a new version from them), replicas of a
// deleted topic to drop their storage, and group coordinators that a topic they read changed (topic-watches.ts).
import type { Env } from "../env";
import { PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { groupCoordinatorStub, partitionLogClient } from "../names";
import { countFailures, mapBounded } from "../concurrency";
import type { TopicWatches } from "./topic-watches";

/** Records a notice, never lowering a version already on record: a caller that read its rows before an await must
 *  not put an older version back over a newer pending one (whose delivery would then be deleted as covered). */
export const RECORD_NOTICE_SQL =
  "INSERT INTO pending_notifications (topic_id, partition, replica, version) VALUES (?, ?, ?, ?) ON CONFLICT (topic_id, partition, replica) DO UPDATE SET version = max(version, excluded.version)";

/** How soon the alarm retries what failed (drops, notices). */
export const DROP_RETRY_MS = 10_000;

export class Notices {
  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly storage: DurableObjectStorage,
    private readonly watches: TopicWatches,
  ) {}

  /** The alarm: retries every drop and notice still on record; answers how many are left. */
  async retry(): Promise<number> {
    const pending = this.sql.exec<{ topic_id: string; partition_count: number; replication_factor: number }>("SELECT * FROM pending_drops").toArray();
    for (const p of pending) await this.dropPartitions(p.topic_id, p.partition_count, p.replication_factor);
    const notices = this.sql.exec<{ topic_id: string; partition: number; replica: number; version: number }>("SELECT * FROM pending_notifications").toArray();
    await mapBounded(notices.length, PARTITION_FANOUT_CONCURRENCY, (i) => this.notify(notices[i]!.topic_id, notices[i]!.partition, notices[i]!.replica, notices[i]!.version));
    const groups = this.watches.pending();
    await mapBounded(groups.length, PARTITION_FANOUT_CONCURRENCY, (i) => this.noticeGroup(groups[i]!));
    return this.sql
      .exec<{ n: number }>("SELECT (SELECT count(*) FROM pending_drops) + (SELECT count(*) FROM pending_notifications) + (SELECT count(*) FROM pending_topic_notices) AS n")
      .one().n;
  }

  /** Tells one replica its topic changed (a new leader); a replica that does not answer is told again by the alarm. */
  async notify(topicId: string, partition: number, replica: number, version: number): Promise<void> {
    try {
      await partitionLogClient(this.env, topicId, partition, replica).metadataChanged(version);
      this.sql.exec("DELETE FROM pending_notifications WHERE topic_id = ? AND partition = ? AND replica = ? AND version <= ?", topicId, partition, replica, version);
    } catch (error) {
      console.error(`telling replica ${replica} of ${topicId}/${partition} about version ${version} failed (retried): ${String(error)}`);
    }
  }

  async dropPartitions(topicId: string, partitionCount: number, replicationFactor: number): Promise<void> {
    const failures = await countFailures(partitionCount * replicationFactor, PARTITION_FANOUT_CONCURRENCY, "partition", (i) =>
      partitionLogClient(this.env, topicId, Math.floor(i / replicationFactor), i % replicationFactor).drop(),
    );
    if (failures === 0) this.sql.exec("DELETE FROM pending_drops WHERE topic_id = ?", topicId);
  }

  /**
   * Tells existing replicas their topic changed, so routers with older metadata are told to refresh when they next
   * call one (routers re-read metadata only then: service/metadata.ts). Each notice is on record until delivered and
   * the alarm retries the rest, so every replica learns the version within DROP_RETRY_MS of a failure.
   */
  async announce(topicId: string, partitionCount: number, replicationFactor: number, version: number, nowMs: number): Promise<void> {
    this.record(topicId, partitionCount, replicationFactor, version);
    await this.storage.setAlarm(nowMs + DROP_RETRY_MS);
    await mapBounded(partitionCount * replicationFactor, PARTITION_FANOUT_CONCURRENCY, (i) => this.notify(topicId, Math.floor(i / replicationFactor), i % replicationFactor, version));
  }

  /** Puts a version's notices on record (announce sends them; several topics' can be recorded before any is sent). */
  record(topicId: string, partitionCount: number, replicationFactor: number, version: number): void {
    for (let p = 0; p < partitionCount; p++) {
      for (let r = 0; r < replicationFactor; r++) {
        this.sql.exec(RECORD_NOTICE_SQL, topicId, p, r, version);
      }
    }
  }

  /** Tells the coordinators that read `topic`, and `also` (its subscriptions), that it changed (on record until
   *  delivered; the alarm retries). */
  async tellWatchers(topic: string, also: readonly string[] = []): Promise<void> {
    const groups = this.watches.changed(topic, also);
    if (groups.length === 0) return;
    await this.storage.setAlarm(Date.now() + DROP_RETRY_MS);
    await mapBounded(groups.length, PARTITION_FANOUT_CONCURRENCY, (i) => this.noticeGroup(groups[i]!));
  }

  async noticeGroup(groupId: string): Promise<void> {
    try {
      await groupCoordinatorStub(this.env, groupId).topicsChanged(groupId);
      this.watches.delivered(groupId);
    } catch (error) {
      console.error(`telling group ${groupId} its topics changed failed (retried): ${String(error)}`);
    }
  }
}
