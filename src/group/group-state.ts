// The consumer group state machine of KIP-848, pure: membership by heartbeat, group / target-assignment / member
// epochs, server-side assignment, and per-member reconciliation that revokes before it assigns. The invariant it
// keeps: a partition is in at most one member's assigned-or-pending-revocation set, so no partition is ever owned
// by two members at once; a partition moves only after its previous owner acknowledged revoking it (or was fenced).
// Time comes in as `now`; the Durable Object persists what `dirty` names after each call.
import { fail, ok, type Result } from "../errors";
import { assign, type AssignorName } from "./assignors";
import type { GroupStateName, MemberDescription, MemberState } from "../log/group-description";
import { compareTp, fromTopicPartitions, toTopicPartitions, tpKey, type TopicPartitions } from "./assignment";

export interface Member {
  memberId: string;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  subscribedTopics: string[];
  assignor: AssignorName | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** Partitions the member may use now (tp keys). */
  assigned: string[];
  /** Partitions it must give up; still owned until it reports them gone. */
  pendingRevocation: string[];
  /** Its share of the target assignment. */
  target: string[];
  joinedMs: number;
  lastHeartbeatMs: number;
  /** While revoking: fenced if still revoking at this time. 0 otherwise. */
  rebalanceDeadlineMs: number;
}

export interface TopicSnapshot {
  topicId: string;
  partitionCount: number;
}

export interface GroupData {
  groupId: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignor: AssignorName;
  /** Metadata of the subscribed topics that exist, as last read from the controller. */
  topics: Record<string, TopicSnapshot>;
  metadataRefreshedMs: number;
  createdMs: number;
  /** The group's lag-status threshold (PATCH /v1/groups/{group}); absent: DEFAULT_LAG_STOPPED_AFTER_MS. */
  lagStoppedAfterMs?: number;
}

export interface HeartbeatRequest {
  memberId: string | null;
  memberEpoch: number;
  subscribedTopics: string[] | null;
  ownedPartitions: TopicPartitions | null;
  sessionTimeoutMs: number | null;
  rebalanceTimeoutMs: number | null;
  assignor: AssignorName | null;
}

export interface HeartbeatResponse {
  memberId: string;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: TopicPartitions;
}

export interface GroupSettings {
  defaultSessionTimeoutMs: number;
  defaultRebalanceTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxMembers: number;
}

export class GroupState {
  readonly dirtyMembers = new Set<string>();
  readonly removedMembers = new Set<string>();
  groupDirty = false;

  constructor(
    public group: GroupData,
    readonly members: Map<string, Member>,
    private readonly settings: GroupSettings,
    private readonly newMemberId: () => string = () => crypto.randomUUID(),
  ) {}

  static empty(groupId: string, now: number): GroupData {
    return { groupId, groupEpoch: 0, assignmentEpoch: 0, assignor: "uniform", topics: {}, metadataRefreshedMs: 0, createdMs: now };
  }

  state(): GroupStateName {
    if (this.members.size === 0) return "EMPTY";
    if (this.group.groupEpoch > this.group.assignmentEpoch) return "ASSIGNING";
    for (const m of this.members.values()) if (m.memberEpoch !== this.group.assignmentEpoch || m.state !== "STABLE") return "RECONCILING";
    return "STABLE";
  }

  /** The members as describe shows them. */
  describeMembers(): MemberDescription[] {
    return [...this.members.values()].map((m) => ({
      memberId: m.memberId,
      memberEpoch: m.memberEpoch,
      state: m.state,
      subscribedTopics: m.subscribedTopics,
      assignment: toTopicPartitions(m.assigned),
      pendingRevocation: toTopicPartitions(m.pendingRevocation),
      targetAssignment: toTopicPartitions(m.target),
      sessionTimeoutMs: m.sessionTimeoutMs,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      joinedMs: m.joinedMs,
      lastHeartbeatMs: m.lastHeartbeatMs,
    }));
  }

  /** Every topic some member subscribes to. */
  subscribedTopicNames(): string[] {
    const names = new Set<string>();
    for (const m of this.members.values()) for (const t of m.subscribedTopics) names.add(t);
    return [...names].sort();
  }

  /** The controller says a subscribed topic changed: the next heartbeat re-reads the topics. */
  metadataChanged(): void {
    this.group = { ...this.group, metadataRefreshedMs: 0 };
    this.groupDirty = true;
  }

  /** New topic metadata: a changed partition count, a topic created or deleted, bumps the group epoch. */
  applyMetadata(topics: Record<string, TopicSnapshot>, now: number): void {
    const before = this.group.topics;
    const same =
      Object.keys(before).length === Object.keys(topics).length &&
      Object.entries(topics).every(([name, t]) => before[name]?.topicId === t.topicId && before[name]?.partitionCount === t.partitionCount);
    this.group = { ...this.group, topics, metadataRefreshedMs: now, groupEpoch: same ? this.group.groupEpoch : this.group.groupEpoch + 1 };
    // Only a change is written: a refresh that finds the same topics costs no row (when it last ran is memory only).
    if (!same) this.groupDirty = true;
  }

  heartbeat(req: HeartbeatRequest, now: number): Result<HeartbeatResponse> {
    this.expire(now);
    if (req.memberEpoch === -1) return this.leave(req.memberId!, now);
    let member: Member;
    if (req.memberEpoch === 0) {
      const joined = this.join(req, now);
      if (!joined.ok) return joined;
      member = joined.value;
    } else {
      const found = this.members.get(req.memberId!);
      if (!found) return fail("UNKNOWN_MEMBER_ID", `member ${req.memberId} is not in group ${this.group.groupId} (expired or left): rejoin with memberEpoch 0`, { memberId: req.memberId });
      member = found;
      const owned = req.ownedPartitions === null ? null : fromTopicPartitions(req.ownedPartitions);
      if (req.memberEpoch > member.memberEpoch) return this.fence(member, req.memberEpoch);
      if (req.memberEpoch < member.memberEpoch) {
        // A lost response: the member may still be at its previous epoch if it owns nothing it should not.
        const assigned = new Set(member.assigned);
        const lostResponse = req.memberEpoch === member.previousMemberEpoch && owned !== null && owned.every((tp) => assigned.has(tp));
        if (!lostResponse) return this.fence(member, req.memberEpoch);
      }
      // The session clock lives in memory (a restarted coordinator gives every member a fresh session, as Kafka's
      // does on failover): a heartbeat that changes nothing else writes nothing.
      member.lastHeartbeatMs = now;
      if (req.subscribedTopics !== null && !sameSet(req.subscribedTopics, member.subscribedTopics)) {
        member.subscribedTopics = [...new Set(req.subscribedTopics)].sort();
        this.bumpGroupEpoch();
        this.dirtyMembers.add(member.memberId);
      }
      if (req.assignor !== null && req.assignor !== member.assignor) {
        member.assignor = req.assignor;
        this.chooseAssignor();
        this.dirtyMembers.add(member.memberId);
      }
    }
    this.computeTargetAssignment();
    const owned = req.memberEpoch === 0 ? [] : req.ownedPartitions === null ? null : fromTopicPartitions(req.ownedPartitions);
    this.reconcile(member, owned, now);
    return ok({
      memberId: member.memberId,
      memberEpoch: member.memberEpoch,
      heartbeatIntervalMs: Math.min(this.settings.heartbeatIntervalMs, Math.floor(member.sessionTimeoutMs / 3)),
      assignment: toTopicPartitions(member.assigned),
    });
  }

  /** Removes members whose session or revocation deadline passed; their partitions become free. */
  expire(now: number): string[] {
    const gone: string[] = [];
    for (const m of this.members.values()) {
      const sessionOver = now > m.lastHeartbeatMs + m.sessionTimeoutMs;
      const revocationOver = m.state === "UNREVOKED_PARTITIONS" && m.rebalanceDeadlineMs > 0 && now > m.rebalanceDeadlineMs;
      if (sessionOver || revocationOver) gone.push(m.memberId);
    }
    for (const id of gone) this.remove(id);
    return gone;
  }

  /** The next time something expires, for the alarm; undefined when nothing can. */
  nextDeadlineMs(): number | undefined {
    let next: number | undefined;
    for (const m of this.members.values()) {
      const candidates = [m.lastHeartbeatMs + m.sessionTimeoutMs + 1];
      if (m.state === "UNREVOKED_PARTITIONS" && m.rebalanceDeadlineMs > 0) candidates.push(m.rebalanceDeadlineMs + 1);
      for (const c of candidates) if (next === undefined || c < next) next = c;
    }
    return next;
  }

  /** KIP-848 commit fencing, plus ownership: a member commits only partitions it owns (assigned or revoking). */
  validateCommit(memberId: string | null, memberEpoch: number | null, tps: readonly string[], now: number): Result<void> {
    this.expire(now);
    if (this.members.size === 0) {
      if (memberId !== null) return fail("UNKNOWN_MEMBER_ID", `group ${this.group.groupId} has no members; an admin commit names no memberId`, { memberId });
      return ok(undefined);
    }
    if (memberId === null || memberEpoch === null) {
      return fail("UNKNOWN_MEMBER_ID", `group ${this.group.groupId} has members: a commit needs memberId and memberEpoch`);
    }
    const member = this.members.get(memberId);
    if (!member) return fail("UNKNOWN_MEMBER_ID", `member ${memberId} is not in group ${this.group.groupId}`, { memberId });
    if (memberEpoch !== member.memberEpoch) {
      return fail("STALE_MEMBER_EPOCH", `member ${memberId} is at epoch ${member.memberEpoch}, the commit carries ${memberEpoch}`, {
        memberEpoch: member.memberEpoch,
      });
    }
    const owns = new Set([...member.assigned, ...member.pendingRevocation]);
    const foreign = tps.filter((tp) => !owns.has(tp));
    if (foreign.length > 0) {
      return fail("PARTITION_NOT_ASSIGNED", `member ${memberId} does not own ${toTopicPartitions(foreign).map((t) => `${t.topic}[${t.partitions.join(",")}]`).join(" ")}`, {
        notOwned: toTopicPartitions(foreign),
      });
    }
    return ok(undefined);
  }

  private join(req: HeartbeatRequest, now: number): Result<Member> {
    const memberId = req.memberId ?? this.newMemberId();
    if (this.members.has(memberId)) this.remove(memberId); // a rejoin starts over: its partitions are released first
    if (this.members.size >= this.settings.maxMembers) {
      return fail("GROUP_MAX_SIZE_REACHED", `group ${this.group.groupId} has ${this.members.size} members, the maximum is ${this.settings.maxMembers}`);
    }
    const member: Member = {
      memberId,
      memberEpoch: 0,
      previousMemberEpoch: -1,
      state: "STABLE",
      subscribedTopics: [...new Set(req.subscribedTopics ?? [])].sort(),
      assignor: req.assignor,
      sessionTimeoutMs: req.sessionTimeoutMs ?? this.settings.defaultSessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? this.settings.defaultRebalanceTimeoutMs,
      assigned: [],
      pendingRevocation: [],
      target: [],
      joinedMs: now,
      lastHeartbeatMs: now,
      rebalanceDeadlineMs: 0,
    };
    this.members.set(memberId, member);
    this.dirtyMembers.add(memberId);
    this.removedMembers.delete(memberId);
    this.chooseAssignor();
    this.bumpGroupEpoch();
    return ok(member);
  }

  private leave(memberId: string, _now: number): Result<HeartbeatResponse> {
    if (!this.members.has(memberId)) return fail("UNKNOWN_MEMBER_ID", `member ${memberId} is not in group ${this.group.groupId}`, { memberId });
    this.remove(memberId);
    return ok({ memberId, memberEpoch: -1, heartbeatIntervalMs: this.settings.heartbeatIntervalMs, assignment: [] });
  }

  private fence(member: Member, sent: number): Result<HeartbeatResponse> {
    return fail("FENCED_MEMBER_EPOCH", `member ${member.memberId} sent epoch ${sent} but is at ${member.memberEpoch}: drop all partitions and rejoin with memberEpoch 0`, {
      memberEpoch: member.memberEpoch,
    });
  }

  private remove(memberId: string): void {
    if (!this.members.delete(memberId)) return;
    this.dirtyMembers.delete(memberId);
    this.removedMembers.add(memberId);
    this.chooseAssignor();
    this.bumpGroupEpoch();
  }

  private bumpGroupEpoch(): void {
    this.group = { ...this.group, groupEpoch: this.group.groupEpoch + 1 };
    this.groupDirty = true;
  }

  /** The group's assignor is the one most members ask for ("uniform" on ties or when none asks). */
  private chooseAssignor(): void {
    const votes = new Map<AssignorName, number>();
    for (const m of this.members.values()) if (m.assignor) votes.set(m.assignor, (votes.get(m.assignor) ?? 0) + 1);
    let choice: AssignorName = "uniform";
    for (const [name, count] of votes) if (count > (votes.get(choice) ?? 0)) choice = name;
    if (choice !== this.group.assignor) {
      this.group = { ...this.group, assignor: choice, groupEpoch: this.group.groupEpoch + 1 };
      this.groupDirty = true;
    }
  }

  /** When the group epoch moved past the target's, recompute the target over all members (sticky input: old targets). */
  private computeTargetAssignment(): void {
    if (this.group.groupEpoch <= this.group.assignmentEpoch) return;
    const counts = new Map(Object.entries(this.group.topics).map(([name, t]) => [name, t.partitionCount]));
    const members = [...this.members.values()];
    const result = assign(
      this.group.assignor,
      members.map((m) => ({ memberId: m.memberId, subscribedTopics: m.subscribedTopics, current: m.target })),
      counts,
    );
    for (const m of members) {
      const target = result.get(m.memberId) ?? [];
      if (!sameSet(target, m.target)) {
        m.target = target;
        this.dirtyMembers.add(m.memberId);
      }
    }
    this.group = { ...this.group, assignmentEpoch: this.group.groupEpoch };
    this.groupDirty = true;
  }

  /** KIP-848's CurrentAssignmentBuilder: revoke first; assign only partitions no other member still owns. */
  private reconcile(member: Member, owned: string[] | null, now: number): void {
    const ownedSet = owned === null ? null : new Set(owned);
    const reportsOwning = (tps: readonly string[]) => ownedSet === null || tps.some((tp) => ownedSet.has(tp));
    if (member.state === "UNREVOKED_PARTITIONS") {
      if (reportsOwning(member.pendingRevocation)) return;
      member.pendingRevocation = [];
      member.rebalanceDeadlineMs = 0;
      member.state = "STABLE";
      this.dirtyMembers.add(member.memberId);
    }
    const targetEpoch = this.group.assignmentEpoch;
    if (member.memberEpoch === targetEpoch && member.state === "STABLE") return;
    const target = new Set(member.target);
    const keep = member.assigned.filter((tp) => target.has(tp));
    const revoke = member.assigned.filter((tp) => !target.has(tp));
    this.dirtyMembers.add(member.memberId);
    if (revoke.length > 0) {
      member.assigned = keep;
      member.pendingRevocation = revoke;
      if (reportsOwning(revoke)) {
        member.state = "UNREVOKED_PARTITIONS";
        member.rebalanceDeadlineMs = now + member.rebalanceTimeoutMs;
        return;
      }
      member.pendingRevocation = []; // the member already let them go
    }
    const ownedByOthers = new Set<string>();
    for (const other of this.members.values()) {
      if (other.memberId === member.memberId) continue;
      for (const tp of other.assigned) ownedByOthers.add(tp);
      for (const tp of other.pendingRevocation) ownedByOthers.add(tp);
    }
    const keepSet = new Set(keep);
    const wanted = member.target.filter((tp) => !keepSet.has(tp));
    const free = wanted.filter((tp) => !ownedByOthers.has(tp));
    if (member.memberEpoch !== targetEpoch) {
      member.previousMemberEpoch = member.memberEpoch;
      member.memberEpoch = targetEpoch;
    }
    member.assigned = [...keep, ...free].sort(compareTp);
    member.state = free.length < wanted.length ? "UNRELEASED_PARTITIONS" : "STABLE";
    member.rebalanceDeadlineMs = 0;
  }
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

export { tpKey };

export function groupNotFound<T>(groupId: string): Result<T> {
  return fail("GROUP_ID_NOT_FOUND", `group '${groupId}' does not exist`, { groupId });
}

export function nonEmptyGroup<T>(groupId: string, members: number): Result<T> {
  return fail("NON_EMPTY_GROUP", `group '${groupId}' has ${members} active member(s); stop its consumers first`, { groupId, members });
}
