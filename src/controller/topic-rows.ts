// The controller's topic rows (tables topics and partition_leadership, controller/schema.ts) and the metadata they
// make: plain SQL helpers, so Controller.ts keeps to its RPC surface.
import type { TopicConfig } from "../log/topic-config";
import type { PartitionLeadership, TopicMetadata } from "../protocol";

export interface TopicRow extends Record<string, SqlStorageValue> {
  name: string;
  topic_id: string;
  partition_count: number;
  replication_factor: number;
  config: string;
  version: number;
  created_ms: number;
  placement: string;
  schema_generation: number;
}

/** New partitions of a replicated topic: replica 0 leads at epoch 0, every replica in sync (all are empty). */
export function addLeadership(sql: SqlStorage, topicId: string, from: number, to: number, replicationFactor: number): void {
  if (replicationFactor <= 1) return;
  const isr = JSON.stringify(Array.from({ length: replicationFactor }, (_, i) => i));
  for (let p = from; p < to; p++) {
    sql.exec("INSERT OR IGNORE INTO partition_leadership (topic_id, partition, leader, leader_epoch, isr) VALUES (?, ?, 0, 0, ?)", topicId, p, isr);
  }
}

export function leadership(sql: SqlStorage, topicId: string, partition: number): PartitionLeadership | undefined {
  const r = sql
    .exec<{ leader: number; leader_epoch: number; isr: string }>("SELECT leader, leader_epoch, isr FROM partition_leadership WHERE topic_id = ? AND partition = ?", topicId, partition)
    .toArray()[0];
  return r ? { leader: r.leader, leaderEpoch: r.leader_epoch, isr: JSON.parse(r.isr) as number[] } : undefined;
}

export function rowById(sql: SqlStorage, topicId: string): TopicRow | undefined {
  return sql.exec<TopicRow>("SELECT * FROM topics WHERE topic_id = ?", topicId).toArray()[0];
}

export function toMetadata(sql: SqlStorage, row: TopicRow): TopicMetadata {
  const meta: TopicMetadata = {
    name: row.name,
    topicId: row.topic_id,
    partitionCount: row.partition_count,
    replicationFactor: row.replication_factor,
    placement: JSON.parse(row.placement) as string[],
    config: JSON.parse(row.config) as TopicConfig,
    version: row.version,
    createdMs: row.created_ms,
  };
  if (row.schema_generation > 0) meta.schemaGeneration = row.schema_generation;
  if (row.replication_factor > 1) {
    meta.leadership = sql
      .exec<{ leader: number; leader_epoch: number; isr: string }>("SELECT leader, leader_epoch, isr FROM partition_leadership WHERE topic_id = ? ORDER BY partition", row.topic_id)
      .toArray()
      .map((r) => ({ leader: r.leader, leaderEpoch: r.leader_epoch, isr: JSON.parse(r.isr) as number[] }));
  }
  return meta;
}

export function topicRow(sql: SqlStorage, name: string): TopicRow | undefined {
  return sql.exec<TopicRow>("SELECT * FROM topics WHERE name = ?", name).toArray()[0];
}
