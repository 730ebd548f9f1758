// A share group's optional membership (KIP-932's ShareGroupHeartbeat), kept in the group's coordinator beside its
// config (share-home.ts). Members join with epoch 0, heartbeat with their epoch, leave with -1; each gets the
// share-partitions of its subscribed topics that the simple assignor (share-assignor.ts) gives it, so that its polls
// ask few share-partitions. There is no revocation: a share group's records are leased per record and acknowledged by
// lease id, whoever holds the partition, so a member's epoch moves straight to the group's epoch and a new assignment
// applies to its next poll. Members are stored (id, epoch, subscription) so an evicted coordinator keeps them; heartbeat
// times are not (a heartbeat that changes nothing writes nothing), so every member loaded gets a fresh session, as
// consumer groups' do. The assignment is not stored either: it is a pure function of members and partition counts.
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { MAX_SHARE_GROUP_MEMBERS } from "../limits";
import { controllerStub } from "../names";
import { DEFAULT_SHARE_HEARTBEAT_INTERVAL_MS, DEFAULT_SHARE_SESSION_TIMEOUT_MS } from "../limits";
import type { ShareGroupConfig, StoredShareGroup } from "../share-protocol";
import { assignShare, topicPartitionsOf, type ShareAssignment } from "./share-assignor";

const SCHEMA = `CREATE TABLE IF NOT EXISTS share_members (member_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS share_membership (id INTEGER PRIMARY KEY CHECK (id = 0), data TEXT NOT NULL);`;

export interface ShareHeartbeatRequest {
  /** Absent on a join: the coordinator makes one (a client may bring its own, KIP-1082). */
  memberId: string | null;
  /** 0 joins, -1 leaves, otherwise the epoch the coordinator last gave this member. */
  memberEpoch: number;
  /** Required on a join; null keeps the current subscription. */
  subscribedTopicNames: string[] | null;
}

export interface TopicPartitionList {
  topic: string;
  partitions: number[];
}

export interface ShareHeartbeatResponse {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: TopicPartitionList[] };
}

export interface ShareMemberDescription {
  memberId: string;
  memberEpoch: number;
  subscribedTopicNames: string[];
  assignment: { topicPartitions: TopicPartitionList[] };
  joinedMs: number;
  lastHeartbeatMs: number;
}

interface StoredMember {
  memberId: string;
  memberEpoch: number;
  subscribedTopicNames: string[];
  joinedMs: number;
}

interface Membership {
  groupEpoch: number;
  /** The subscribed topics' partition counts, as last read from the controller (a missing topic has none). */
  partitionCounts: Record<string, number>;
  refreshedMs: number;
}

type SessionConfig = Pick<ShareGroupConfig, "sessionTimeoutMs" | "heartbeatIntervalMs">;

/** A group stored before membership existed has no session fields: it takes the defaults. */
export function sessionConfig(config: ShareGroupConfig): SessionConfig {
  return { sessionTimeoutMs: config.sessionTimeoutMs ?? DEFAULT_SHARE_SESSION_TIMEOUT_MS, heartbeatIntervalMs: config.heartbeatIntervalMs ?? DEFAULT_SHARE_HEARTBEAT_INTERVAL_MS };
}

/** What the coordinator's shareMembership RPC is asked. */
export type ShareMembershipRequest =
  | { op: "heartbeat"; heartbeat: ShareHeartbeatRequest }
  /** A poll naming a member: answers {group, topicPartitions}, the group's config riding along for the router's cache. */
  | { op: "assignment"; memberId: string; memberEpoch: number | null }
  /** Describe and reset: answers the members. */
  | { op: "members" };

/** The answer to {op: "assignment"}. */
export interface MemberAssignment {
  group: StoredShareGroup;
  topicPartitions: TopicPartitionList[];
}

export class ShareMembers {
  private readonly members = new Map<string, StoredMember & { lastHeartbeatMs: number }>();
  private membership: Membership = { groupEpoch: 0, partitionCounts: {}, refreshedMs: 0 };
  private assignment: ShareAssignment = new Map();
  /** Change notices received: a read of the topics that overlapped one does not count as fresh. */
  private notices = 0;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    nowMs: number,
  ) {
    const table = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'share_membership'").toArray().length > 0;
    if (!table) return;
    const row = sql.exec<{ data: string }>("SELECT data FROM share_membership WHERE id = 0").toArray()[0];
    if (row) this.membership = JSON.parse(row.data) as Membership;
    for (const m of sql.exec<{ data: string }>("SELECT data FROM share_members")) {
      const member = JSON.parse(m.data) as StoredMember;
      this.members.set(member.memberId, { ...member, lastHeartbeatMs: nowMs });
    }
    this.reassign();
  }

  get size(): number {
    return this.members.size;
  }

  async handle(groupId: string, request: ShareMembershipRequest, group: StoredShareGroup, nowMs: number, refreshIntervalMs: number): Promise<Result<unknown>> {
    const config = sessionConfig(group.config);
    switch (request.op) {
      case "heartbeat":
        return this.heartbeat(groupId, request.heartbeat, config, nowMs, refreshIntervalMs);
      case "assignment": {
        const assigned = this.assignmentOf(groupId, request.memberId, request.memberEpoch, config, nowMs);
        return assigned.ok ? ok({ group, topicPartitions: assigned.value } satisfies MemberAssignment) : assigned;
      }
      case "members":
        return ok(this.describe(config, nowMs));
    }
  }

  async heartbeat(groupId: string, req: ShareHeartbeatRequest, config: SessionConfig, nowMs: number, refreshIntervalMs: number): Promise<Result<ShareHeartbeatResponse>> {
    this.expire(config, nowMs);
    if (req.memberEpoch === -1) {
      if (req.memberId === null || !this.members.has(req.memberId)) return unknown(groupId, req.memberId);
      this.members.delete(req.memberId);
      this.sql.exec("DELETE FROM share_members WHERE member_id = ?", req.memberId);
      this.bumpEpoch();
      return ok({ memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: config.heartbeatIntervalMs, assignment: { topicPartitions: [] } });
    }
    let member = req.memberId === null ? undefined : this.members.get(req.memberId);
    let changed = false;
    if (req.memberEpoch === 0) {
      if (req.subscribedTopicNames === null || req.subscribedTopicNames.length === 0) {
        return fail("INVALID_REQUEST", "a join (memberEpoch 0) needs subscribedTopicNames", { field: "subscribedTopicNames" });
      }
      if (member === undefined && this.members.size >= MAX_SHARE_GROUP_MEMBERS) {
        return fail("GROUP_MAX_SIZE_REACHED", `share group ${groupId} has ${this.members.size} members, the maximum is ${MAX_SHARE_GROUP_MEMBERS}`, { groupId, max: MAX_SHARE_GROUP_MEMBERS });
      }
      if (member === undefined) {
        member = { memberId: req.memberId ?? crypto.randomUUID(), memberEpoch: 0, subscribedTopicNames: [], joinedMs: nowMs, lastHeartbeatMs: nowMs };
        this.members.set(member.memberId, member);
        changed = true;
      }
    } else {
      if (member === undefined) return unknown(groupId, req.memberId);
      if (req.memberEpoch !== member.memberEpoch) {
        return fail("FENCED_MEMBER_EPOCH", `member ${member.memberId} sent epoch ${req.memberEpoch} but is at ${member.memberEpoch}: rejoin with memberEpoch 0`, { memberId: member.memberId, memberEpoch: member.memberEpoch });
      }
    }
    member.lastHeartbeatMs = nowMs;
    const topics = req.subscribedTopicNames === null ? null : [...new Set(req.subscribedTopicNames)].sort();
    if (topics !== null && topics.join("\n") !== member.subscribedTopicNames.join("\n")) {
      member.subscribedTopicNames = topics;
      changed = true;
    }
    // One new epoch for whatever this heartbeat changed: the membership, a subscription, or the topics' partitions.
    if ((await this.refresh(groupId, nowMs, refreshIntervalMs)) || changed) this.bumpEpoch();
    // Another call may have removed the member while the controller was asked (a leave, an expiry).
    if (this.members.get(member.memberId) !== member) return unknown(groupId, member.memberId);
    if (member.memberEpoch !== this.membership.groupEpoch) {
      // No revocation in a share group: the member takes the group's epoch and its new assignment at once.
      member.memberEpoch = this.membership.groupEpoch;
      this.sql.exec(SCHEMA);
      this.sql.exec("INSERT OR REPLACE INTO share_members (member_id, data) VALUES (?, ?)", member.memberId, JSON.stringify(stored(member)));
    }
    return ok({ memberId: member.memberId, memberEpoch: member.memberEpoch, heartbeatIntervalMs: config.heartbeatIntervalMs, assignment: { topicPartitions: this.assignedTo(member.memberId) } });
  }

  /** A poll naming a member: its share-partitions, or the member errors (an epoch given must be the current one). */
  assignmentOf(groupId: string, memberId: string, memberEpoch: number | null, config: SessionConfig, nowMs: number): Result<TopicPartitionList[]> {
    this.expire(config, nowMs);
    const member = this.members.get(memberId);
    if (member === undefined) return unknown(groupId, memberId);
    if (memberEpoch !== null && memberEpoch !== member.memberEpoch) {
      return fail("FENCED_MEMBER_EPOCH", `member ${memberId} polled with epoch ${memberEpoch} but is at ${member.memberEpoch}: heartbeat first`, { memberId, memberEpoch: member.memberEpoch });
    }
    return ok(this.assignedTo(memberId));
  }

  describe(config: SessionConfig, nowMs: number): ShareMemberDescription[] {
    this.expire(config, nowMs);
    return [...this.members.values()]
      .sort((a, b) => (a.memberId < b.memberId ? -1 : 1))
      .map((m) => ({ ...stored(m), assignment: { topicPartitions: this.assignedTo(m.memberId) }, lastHeartbeatMs: m.lastHeartbeatMs }));
  }

  /** Removes members whose session ran out (share.session.timeout.ms after their last heartbeat); returns how many. */
  expire(config: SessionConfig, nowMs: number): number {
    let expired = 0;
    for (const m of [...this.members.values()]) {
      if (nowMs < m.lastHeartbeatMs + config.sessionTimeoutMs) continue;
      this.members.delete(m.memberId);
      this.sql.exec("DELETE FROM share_members WHERE member_id = ?", m.memberId);
      expired++;
    }
    if (expired > 0) this.bumpEpoch();
    return expired;
  }

  /** The earliest session end, or undefined with no members: an idle group needs no alarm. */
  nextDeadlineMs(config: SessionConfig): number | undefined {
    let next: number | undefined;
    for (const m of this.members.values()) next = Math.min(next ?? Infinity, m.lastHeartbeatMs + config.sessionTimeoutMs);
    return next;
  }

  /** The group is deleted: its members go with it. */
  drop(): void {
    this.sql.exec("DROP TABLE IF EXISTS share_members; DROP TABLE IF EXISTS share_membership");
    this.members.clear();
    this.membership = { groupEpoch: 0, partitionCounts: {}, refreshedMs: 0 };
    this.assignment = new Map();
  }

  private assignedTo(memberId: string): TopicPartitionList[] {
    return topicPartitionsOf(this.assignment.get(memberId));
  }

  /** The controller says a subscribed topic changed: the next heartbeat re-reads the partition counts. */
  metadataChanged(): void {
    this.notices++;
    if (this.membership.refreshedMs === 0) return;
    this.membership = { ...this.membership, refreshedMs: 0 };
    this.saveMembership();
  }

  /** Re-reads the subscribed topics' partition counts when one is new, the controller said one changed, or the
   *  interval passed; true if any changed. Naming the group, so the controller tells it of a change. */
  private async refresh(groupId: string, nowMs: number, intervalMs: number): Promise<boolean> {
    const names = [...new Set([...this.members.values()].flatMap((m) => m.subscribedTopicNames))].sort();
    const counts = this.membership.partitionCounts;
    if (names.every((n) => n in counts) && nowMs - this.membership.refreshedMs < intervalMs) return false;
    const notices = this.notices;
    const snapshots = (await controllerStub(this.env).topicSnapshots(names, groupId)) as Record<string, { partitionCount: number }>;
    const next = Object.fromEntries(names.map((n) => [n, snapshots[n]?.partitionCount ?? 0]));
    const changed = JSON.stringify(next) !== JSON.stringify(Object.fromEntries(names.map((n) => [n, counts[n] ?? -1])));
    // A notice that came while the controller was read may be newer than this answer: the refresh stays due.
    this.membership = { ...this.membership, partitionCounts: next, refreshedMs: this.notices === notices ? nowMs : 0 };
    this.saveMembership();
    return changed;
  }

  private bumpEpoch(): void {
    this.membership = { ...this.membership, groupEpoch: this.membership.groupEpoch + 1 };
    this.saveMembership();
    this.reassign();
  }

  private reassign(): void {
    this.assignment = assignShare([...this.members.values()], this.membership.partitionCounts);
  }

  private saveMembership(): void {
    this.sql.exec(SCHEMA);
    this.sql.exec("INSERT OR REPLACE INTO share_membership (id, data) VALUES (0, ?)", JSON.stringify(this.membership));
  }
}

function stored(m: StoredMember): StoredMember {
  return { memberId: m.memberId, memberEpoch: m.memberEpoch, subscribedTopicNames: m.subscribedTopicNames, joinedMs: m.joinedMs };
}

function unknown<T>(groupId: string, memberId: string | null): Result<T> {
  return fail("UNKNOWN_MEMBER_ID", `share group ${groupId} has no member ${memberId ?? "(none named)"} (expired or left): join with memberEpoch 0`, { memberId });
}
