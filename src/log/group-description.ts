// The shapes of a consumer group as its coordinator describes it and the API returns it (list, describe, committed
// offsets): one definition for the server that builds them and the client that reads them. Types only: a leaf.
import type { GroupOffsets } from "./group-lag";
import type { CommitSample } from "./lag-status";

/** KIP-848's group states: EMPTY (no members), ASSIGNING (a new target assignment), RECONCILING (members moving to
 *  it), STABLE (every member owns its target). */
export type GroupStateName = "EMPTY" | "ASSIGNING" | "RECONCILING" | "STABLE";

/** A member's reconciliation state: STABLE, or waiting for itself (UNREVOKED) or another member (UNRELEASED). */
export type MemberState = "STABLE" | "UNREVOKED_PARTITIONS" | "UNRELEASED_PARTITIONS";

/** Partitions of one topic (Kafka's TopicPartitions), partitions ascending. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** "consumer": members join and heartbeat (KIP-848); "subscription": edgelog itself consumes, delivering to a target. */
export type GroupType = "consumer" | "subscription" | "share";

export interface GroupSummary {
  groupId: string;
  type: GroupType;
  state: GroupStateName;
  members: number;
}

export interface MemberDescription {
  memberId: string;
  memberEpoch: number;
  state: MemberState;
  subscribedTopics: string[];
  assignment: TopicPartitions[];
  pendingRevocation: TopicPartitions[];
  targetAssignment: TopicPartitions[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  joinedMs: number;
  lastHeartbeatMs: number;
}

/** What the group's coordinator knows of it. */
export interface GroupDescription {
  groupId: string;
  type: GroupType;
  state: GroupStateName;
  groupEpoch: number;
  assignmentEpoch: number;
  assignor: string;
  members: MemberDescription[];
  subscribedTopics: string[];
}

/** A group as describe answers it (HTTP and RPC): the coordinator's description with its committed offsets' lag. */
export interface DescribedGroup extends GroupDescription {
  lag: GroupOffsets;
}

/** An offset committed for one partition, as the coordinator keeps it. */
export interface CommittedOffset {
  topic: string;
  /** The topic incarnation the offset belongs to: a recreated topic starts with no committed offsets, as in Kafka. */
  topicId: string;
  partition: number;
  committedOffset: number;
  metadata: string;
  commitMs: number;
  /** The partition's recent commits (lag-status.ts's window), oldest first; empty after the coordinator restarted. */
  recentCommits?: CommitSample[];
}

/** One partition's offset to commit, resolved to its topic id by the router. */
export interface OffsetCommit {
  topic: string;
  topicId: string;
  partition: number;
  offset: number;
  metadata: string;
  /** The partition's high watermark when the router forwarded the commit (null: it did not answer), for lag status. */
  highWatermark?: number | null;
}
