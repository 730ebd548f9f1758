// The KIP-848 state machine, pure: epochs, revocation before assignment, fencing, timeouts, commit fencing;
// and a fast-check property over random join / leave / heartbeat / expiry schedules.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GroupState, type HeartbeatRequest, type Member } from "../../src/group/group-state";
import { fromTopicPartitions, type TopicPartitions } from "../../src/group/assignment";

const SETTINGS = { defaultSessionTimeoutMs: 45_000, defaultRebalanceTimeoutMs: 300_000, heartbeatIntervalMs: 5_000, maxMembers: 1000 };

function newGroup(partitions: Record<string, number>) {
  let n = 0;
  const g = new GroupState(GroupState.empty("g", 0), new Map<string, Member>(), SETTINGS, () => `m${++n}`);
  g.applyMetadata(Object.fromEntries(Object.entries(partitions).map(([t, c]) => [t, { topicId: `id-${t}`, partitionCount: c }])), 0);
  return g;
}

const join = (topics: string[], extra: Partial<HeartbeatRequest> = {}): HeartbeatRequest => ({
  memberId: null, memberEpoch: 0, subscribedTopics: topics, ownedPartitions: [], sessionTimeoutMs: null, rebalanceTimeoutMs: null, assignor: null, ...extra,
});
const beat = (memberId: string, memberEpoch: number, ownedPartitions: TopicPartitions | null): HeartbeatRequest => ({
  memberId, memberEpoch, subscribedTopics: null, ownedPartitions, sessionTimeoutMs: null, rebalanceTimeoutMs: null, assignor: null,
});
const value = <T>(r: { ok: boolean; value?: T; error?: unknown }): T => {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value as T;
};

/** Heartbeats every member (reporting exactly what it was last told) until nothing changes. */
function settle(g: GroupState, now: number, told: Map<string, { epoch: number; assignment: TopicPartitions }>) {
  for (let round = 0; round < 20; round++) {
    let changed = false;
    for (const id of [...g.members.keys()]) {
      const last = told.get(id)!;
      const r = value(g.heartbeat(beat(id, last.epoch, last.assignment), now));
      if (r.memberEpoch !== last.epoch || JSON.stringify(r.assignment) !== JSON.stringify(last.assignment)) changed = true;
      told.set(id, { epoch: r.memberEpoch, assignment: r.assignment });
    }
    if (!changed && g.state() === "STABLE") return round;
  }
  throw new Error(`did not settle: ${g.state()}`);
}

describe("GroupState", () => {
  it("6 partitions, 3 members: 2 each once stable, and the group epoch counts membership changes", () => {
    const g = newGroup({ orders: 6 });
    const told = new Map<string, { epoch: number; assignment: TopicPartitions }>();
    for (let i = 0; i < 3; i++) {
      const r = value(g.heartbeat(join(["orders"]), 0));
      told.set(r.memberId, { epoch: r.memberEpoch, assignment: r.assignment });
    }
    settle(g, 0, told);
    expect(g.state()).toBe("STABLE");
    expect([...told.values()].map((t) => t.assignment[0]?.partitions.length)).toEqual([2, 2, 2]);
    expect(g.group.groupEpoch).toBe(4); // metadata + 3 joins
  });

  it("revokes before it assigns: the new owner gets a partition only after the old owner lets go", () => {
    const g = newGroup({ t: 2 });
    const a = value(g.heartbeat(join(["t"]), 0));
    expect(a.assignment).toEqual([{ topic: "t", partitions: [0, 1] }]);
    const b = value(g.heartbeat(join(["t"]), 0));
    expect(b.assignment).toEqual([]); // t-1 is still owned by a
    const aRevoke = value(g.heartbeat(beat(a.memberId, a.memberEpoch, a.assignment), 0));
    expect(aRevoke.memberEpoch).toBe(a.memberEpoch); // epoch unchanged while revoking
    expect(aRevoke.assignment).toEqual([{ topic: "t", partitions: [0] }]);
    expect(g.members.get(a.memberId)!.state).toBe("UNREVOKED_PARTITIONS");
    const bStill = value(g.heartbeat(beat(b.memberId, b.memberEpoch, []), 0));
    expect(bStill.assignment).toEqual([]);
    expect(g.members.get(b.memberId)!.state).toBe("UNRELEASED_PARTITIONS");
    const aDone = value(g.heartbeat(beat(a.memberId, aRevoke.memberEpoch, aRevoke.assignment), 0));
    expect(aDone.memberEpoch).toBe(g.group.assignmentEpoch);
    const bGets = value(g.heartbeat(beat(b.memberId, bStill.memberEpoch, []), 0));
    expect(bGets.assignment).toEqual([{ topic: "t", partitions: [1] }]);
    expect(g.state()).toBe("STABLE");
  });

  it("fences a member whose epoch is ahead, or behind without being a lost response", () => {
    const g = newGroup({ t: 1 });
    const a = value(g.heartbeat(join(["t"]), 0));
    expect(g.heartbeat(beat(a.memberId, a.memberEpoch + 1, a.assignment), 0)).toMatchObject({ ok: false, error: { type: "FENCED_MEMBER_EPOCH", code: 110 } });
    expect(g.heartbeat(beat(a.memberId, a.memberEpoch - 1, [{ topic: "t", partitions: [0] }]), 0)).toMatchObject({ ok: false, error: { type: "FENCED_MEMBER_EPOCH" } });
    expect(g.heartbeat(beat("nobody", 3, []), 0)).toMatchObject({ ok: false, error: { type: "UNKNOWN_MEMBER_ID", code: 25 } });
  });

  it("accepts the previous epoch after a lost response when owned partitions are a subset", () => {
    const g = newGroup({ t: 2 });
    const a = value(g.heartbeat(join(["t"]), 0));
    const b = value(g.heartbeat(join(["t"]), 0));
    let ra = value(g.heartbeat(beat(a.memberId, a.memberEpoch, a.assignment), 0));
    ra = value(g.heartbeat(beat(a.memberId, ra.memberEpoch, ra.assignment), 0)); // revoked t-1, epoch bumped
    expect(ra.memberEpoch).toBeGreaterThan(a.memberEpoch);
    // The response was lost: the member still sends its previous epoch, owning only t-0.
    const again = g.heartbeat(beat(a.memberId, a.memberEpoch, [{ topic: "t", partitions: [0] }]), 0);
    expect(again.ok).toBe(true);
    void b;
  });

  it("expires a member after its session timeout and gives its partitions to the others", () => {
    const g = newGroup({ t: 4 });
    const a = value(g.heartbeat(join(["t"], { sessionTimeoutMs: 1000 }), 0));
    const told = new Map([[a.memberId, { epoch: a.memberEpoch, assignment: a.assignment }]]);
    const b = value(g.heartbeat(join(["t"], { sessionTimeoutMs: 60_000 }), 0));
    told.set(b.memberId, { epoch: b.memberEpoch, assignment: b.assignment });
    settle(g, 0, told);
    expect(g.nextDeadlineMs()).toBe(1001);
    expect(g.expire(1000)).toEqual([]);
    expect(g.expire(1001)).toEqual([a.memberId]);
    const r = value(g.heartbeat(beat(b.memberId, told.get(b.memberId)!.epoch, told.get(b.memberId)!.assignment), 1001));
    expect(r.assignment).toEqual([{ topic: "t", partitions: [0, 1, 2, 3] }]);
  });

  it("fences a member that does not revoke within its rebalance timeout", () => {
    const g = newGroup({ t: 2 });
    const a = value(g.heartbeat(join(["t"], { rebalanceTimeoutMs: 500 }), 0));
    value(g.heartbeat(join(["t"]), 0));
    value(g.heartbeat(beat(a.memberId, a.memberEpoch, a.assignment), 100)); // now revoking, deadline 600
    expect(g.expire(600)).toEqual([]);
    expect(g.expire(601)).toEqual([a.memberId]);
  });

  it("reassigns when partitions are added, a topic is deleted, or a subscription changes", () => {
    const g = newGroup({ x: 2, y: 2 });
    const a = value(g.heartbeat(join(["x"]), 0));
    expect(a.assignment).toEqual([{ topic: "x", partitions: [0, 1] }]);
    g.applyMetadata({ x: { topicId: "id-x", partitionCount: 3 }, y: { topicId: "id-y", partitionCount: 2 } }, 1);
    let r = value(g.heartbeat(beat(a.memberId, a.memberEpoch, a.assignment), 1));
    expect(r.assignment).toEqual([{ topic: "x", partitions: [0, 1, 2] }]);
    r = value(g.heartbeat({ ...beat(a.memberId, r.memberEpoch, r.assignment), subscribedTopics: ["x", "y"] }, 2));
    expect(r.assignment).toEqual([{ topic: "x", partitions: [0, 1, 2] }, { topic: "y", partitions: [0, 1] }]);
    g.applyMetadata({ y: { topicId: "id-y", partitionCount: 2 } }, 3); // x deleted
    r = value(g.heartbeat(beat(a.memberId, r.memberEpoch, r.assignment), 3));
    expect(r.assignment).toEqual([{ topic: "y", partitions: [0, 1] }]); // revoking x first
    r = value(g.heartbeat(beat(a.memberId, r.memberEpoch, r.assignment), 3));
    expect(g.members.get(a.memberId)!.state).toBe("STABLE");
  });

  it("fences commits: stale epoch, unknown member, partitions not owned; an empty group takes admin commits", () => {
    const g = newGroup({ t: 2 });
    expect(g.validateCommit(null, null, fromTopicPartitions([{ topic: "t", partitions: [0] }]), 0).ok).toBe(true);
    const a = value(g.heartbeat(join(["t"]), 0));
    expect(g.validateCommit(null, null, [], 0)).toMatchObject({ ok: false, error: { type: "UNKNOWN_MEMBER_ID" } });
    expect(g.validateCommit("nobody", 1, [], 0)).toMatchObject({ ok: false, error: { type: "UNKNOWN_MEMBER_ID" } });
    expect(g.validateCommit(a.memberId, a.memberEpoch - 1, [], 0)).toMatchObject({ ok: false, error: { type: "STALE_MEMBER_EPOCH", code: 113 } });
    expect(g.validateCommit(a.memberId, a.memberEpoch, fromTopicPartitions([{ topic: "t", partitions: [0, 1] }]), 0).ok).toBe(true);
    expect(g.validateCommit(a.memberId, a.memberEpoch, fromTopicPartitions([{ topic: "u", partitions: [0] }]), 0)).toMatchObject({ ok: false, error: { type: "PARTITION_NOT_ASSIGNED" } });
  });

  it("property: random join/leave/heartbeat/expiry never gives a partition to two members and converges to balance", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("join" as const), session: fc.constantFrom(1000, 60_000) }),
      fc.record({ kind: fc.constant("leave" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("beat" as const), pick: fc.nat(), honest: fc.boolean() }),
      fc.record({ kind: fc.constant("tick" as const), ms: fc.integer({ min: 1, max: 2000 }) }),
      fc.record({ kind: fc.constant("grow" as const) }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(op, { maxLength: 80 }), (partitions, ops) => {
        const g = newGroup({ t: partitions });
        let now = 0;
        let count = partitions;
        const told = new Map<string, { epoch: number; assignment: TopicPartitions }>();
        const check = () => {
          const owner = new Map<string, string>();
          for (const m of g.members.values()) {
            for (const tp of [...m.assigned, ...m.pendingRevocation]) {
              expect(owner.get(tp), `partition owned twice`).toBeUndefined();
              owner.set(tp, m.memberId);
            }
          }
          // What members were told must never overlap either (they act on it).
          const told2 = new Map<string, string>();
          for (const [id, t] of told) {
            if (!g.members.has(id)) continue;
            for (const tp of fromTopicPartitions(t.assignment)) {
              expect(told2.get(tp), "two members told they own one partition").toBeUndefined();
              told2.set(tp, id);
            }
          }
        };
        for (const o of ops) {
          const ids = [...g.members.keys()];
          if (o.kind === "join") {
            const r = g.heartbeat(join(["t"], { sessionTimeoutMs: o.session }), now);
            if (r.ok) told.set(r.value.memberId, { epoch: r.value.memberEpoch, assignment: r.value.assignment });
          } else if (o.kind === "leave" && ids.length > 0) {
            const id = ids[o.pick % ids.length]!;
            g.heartbeat(beat(id, -1, null), now);
            told.delete(id);
          } else if (o.kind === "beat" && ids.length > 0) {
            const id = ids[o.pick % ids.length]!;
            const last = told.get(id)!;
            // A dishonest member reports null (unchanged): it must never get partitions it would still hold twice.
            const r = g.heartbeat(beat(id, last.epoch, o.honest ? last.assignment : null), now);
            if (r.ok) told.set(id, { epoch: r.value.memberEpoch, assignment: r.value.assignment });
            else told.delete(id);
          } else if (o.kind === "tick") {
            now += o.ms;
            for (const id of g.expire(now)) told.delete(id);
          } else if (o.kind === "grow") {
            count += 1;
            g.applyMetadata({ t: { topicId: "id-t", partitionCount: count } }, now);
          }
          for (const id of [...told.keys()]) if (!g.members.has(id)) told.delete(id);
          check();
        }
        // Quiesce: every live member heartbeats honestly until stable; the result is balanced and complete.
        if (g.members.size === 0) return;
        for (const [id, t] of told) told.set(id, t);
        settle(g, now, told);
        check();
        const sizes = [...g.members.values()].map((m) => m.assigned.length);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(count);
      }),
      { numRuns: 300 },
    );
  });
});
