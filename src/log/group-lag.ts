// The shape of a group's committed offsets with lag (lag = highWatermark - committed, as kafka-consumer-groups
// reports it): one definition for the server that builds it and the client that reads it. Types only: a leaf.
import type { GroupLagStatus, PartitionLagStatus } from "./lag-status";

export interface PartitionLag {
  partition: number;
  committedOffset: number | null;
  metadata: string | null;
  highWatermark: number;
  lag: number | null;
  /** Burrow-style status (src/log/lag-status.ts; docs/observability.md has the rules). */
  status: PartitionLagStatus;
}

export interface TopicLag {
  topic: string;
  partitions: PartitionLag[];
  lag: number;
}

export interface GroupOffsets {
  groupId: string;
  state: string;
  topics: TopicLag[];
  totalLag: number;
  /** The worst of its partitions' statuses. */
  status: GroupLagStatus;
}
