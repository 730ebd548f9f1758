// Consumer groups end to end over HTTP: the seeds' scenarios, commits fenced by epoch and ownership, lag, replay,
// list/describe/delete, and session expiry driven by the coordinator's alarm with an injected clock (no sleeps).
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { groupCoordinatorStub } from "../../src/names";
import type { GroupCoordinator } from "../../src/group/GroupCoordinator";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";

type Told = { memberId: string; memberEpoch: number; heartbeatIntervalMs?: number; assignment: { topic: string; partitions: number[] }[] };

const hb = (group: string, body: Record<string, unknown>) => api("POST", `/v1/groups/${group}/heartbeat`, body);

async function join(group: string, topics: string[], extra: Record<string, unknown> = {}): Promise<Told> {
  const r = await hb(group, { memberEpoch: 0, subscribedTopics: topics, ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** Every member heartbeats, reporting what it was told, until a full round changes nothing. Returns heartbeats used. */
async function settle(group: string, members: Told[]): Promise<number> {
  let beats = 0;
  for (let round = 0; round < 30; round++) {
    let changed = false;
    for (let i = 0; i < members.length; i++) {
      const m = members[i]!;
      const r = await hb(group, { memberId: m.memberId, memberEpoch: m.memberEpoch, ownedPartitions: m.assignment });
      beats++;
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      if (r.body.memberEpoch !== m.memberEpoch || JSON.stringify(r.body.assignment) !== JSON.stringify(m.assignment)) changed = true;
      members[i] = r.body;
    }
    const d = await api("GET", `/v1/groups/${group}`);
    if (!changed && d.body.state === "STABLE") return beats;
  }
  throw new Error("group did not settle");
}

const owned = (members: Told[]) => members.flatMap((m) => m.assignment.flatMap((a) => a.partitions.map((p) => `${a.topic}-${p}`)));

describe("consumer groups", () => {
  it("a steady heartbeat writes no row; a restarted coordinator gives every member a fresh session", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    const members = [await join(g, [t], { sessionTimeoutMs: 30_000 }), await join(g, [t], { sessionTimeoutMs: 30_000 })];
    await settle(g, members);
    const stub = groupCoordinatorStub(env, g);
    const written = async () => (await api("GET", `/v1/usage?group=${g}`)).body.groups[0].usage.rowsWritten;
    const before = await written();
    for (let i = 0; i < 5; i++) await settle(g, members);
    expect(await written()).toBe(before);
    // Heartbeat times live in memory: after a restart the members' sessions start again from the restart, so none
    // expires for a heartbeat time the coordinator never wrote.
    // (Sessions of 30 s and steps of 20 s leave 10 s of real time for the test itself, however loaded the machine.)
    await runInDurableObject(stub, (instance: GroupCoordinator) => instance.clock.advance(20_000));
    await evictDurableObject(stub);
    await runInDurableObject(stub, (instance: GroupCoordinator) => instance.clock.advance(20_000));
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/groups/${g}`)).body.members).toHaveLength(2);
    await runInDurableObject(stub, (instance: GroupCoordinator) => instance.clock.advance(10_001));
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/groups/${g}`)).body.members).toHaveLength(0);
  });

  it("seed: 6 partitions and 3 members get 2 each, never a partition twice", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 6);
    const members = [await join(g, [t]), await join(g, [t]), await join(g, [t])];
    await settle(g, members);
    expect(members.map((m) => m.assignment[0]?.partitions.length)).toEqual([2, 2, 2]);
    expect(new Set(owned(members)).size).toBe(6);
    const d = await api("GET", `/v1/groups/${g}`);
    expect(d.body).toMatchObject({ groupId: g, state: "STABLE", assignor: "uniform" });
    expect(d.body.members).toHaveLength(3);
    expect(d.body.members[0]).toHaveProperty("lastHeartbeatMs");
  });

  it("seed: 4 partitions and 8 members leave 4 idle", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 4);
    const members: Told[] = [];
    for (let i = 0; i < 8; i++) members.push(await join(g, [t]));
    await settle(g, members);
    const sizes = members.map((m) => m.assignment[0]?.partitions.length ?? 0);
    expect(sizes.filter((n) => n === 1)).toHaveLength(4);
    expect(sizes.filter((n) => n === 0)).toHaveLength(4);
  });

  it("seed: lag is highWatermark - committed (15000 - 14200 = 800)", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(10_000));
    await produceTo(t, 0, records(5_000));
    const c = await api("POST", `/v1/groups/${g}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 14_200, metadata: "batch 7" }] });
    expect(c.status, JSON.stringify(c.body)).toBe(200);
    const o = await api("GET", `/v1/groups/${g}/offsets`);
    expect(o.body.topics).toEqual([
      { topic: t, lag: 800, partitions: [{ partition: 0, committedOffset: 14_200, metadata: "batch 7", highWatermark: 15_000, lag: 800, status: "OK" }] },
    ]);
    expect(o.body.totalLag).toBe(800);
  });

  it("seed: two groups at different offsets on one topic", async () => {
    const t = uniqueTopic();
    await createTopic(t, 2);
    await produceTo(t, 0, records(100));
    await produceTo(t, 1, records(50));
    const [a, b] = [uniqueTopic("ga"), uniqueTopic("gb")];
    await api("POST", `/v1/groups/${a}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 100 }, { topic: t, partition: 1, offset: 50 }] });
    await api("POST", `/v1/groups/${b}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 10 }] });
    expect((await api("GET", `/v1/groups/${a}/offsets`)).body.totalLag).toBe(0);
    const lb = (await api("GET", `/v1/groups/${b}/offsets`)).body;
    expect(lb.topics[0].partitions).toEqual([
      { partition: 0, committedOffset: 10, metadata: "", highWatermark: 100, lag: 90, status: "OK" },
      { partition: 1, committedOffset: null, metadata: null, highWatermark: 50, lag: null, status: "OK" },
    ]);
  });

  it("commits are fenced by member epoch and ownership", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    const members = [await join(g, [t]), await join(g, [t])];
    await settle(g, members);
    const [m0, m1] = members as [Told, Told];
    const mine = m0.assignment[0]!.partitions[0]!;
    const theirs = m1.assignment[0]!.partitions[0]!;
    const ok = await api("POST", `/v1/groups/${g}/offsets`, { memberId: m0.memberId, memberEpoch: m0.memberEpoch, offsets: [{ topic: t, partition: mine, offset: 0 }] });
    expect(ok.status).toBe(200);
    const stale = await api("POST", `/v1/groups/${g}/offsets`, { memberId: m0.memberId, memberEpoch: m0.memberEpoch - 1, offsets: [{ topic: t, partition: mine, offset: 0 }] });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ type: "STALE_MEMBER_EPOCH", code: 113 });
    const foreign = await api("POST", `/v1/groups/${g}/offsets`, { memberId: m0.memberId, memberEpoch: m0.memberEpoch, offsets: [{ topic: t, partition: theirs, offset: 0 }] });
    expect(foreign.status).toBe(409);
    expect(foreign.body.error.type).toBe("PARTITION_NOT_ASSIGNED");
    const unknown = await api("POST", `/v1/groups/${g}/offsets`, { memberId: "ghost", memberEpoch: 1, offsets: [{ topic: t, partition: 0, offset: 0 }] });
    expect(unknown.body.error).toMatchObject({ type: "UNKNOWN_MEMBER_ID", code: 25 });
    const admin = await api("POST", `/v1/groups/${g}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 0 }] });
    expect(admin.body.error.type).toBe("UNKNOWN_MEMBER_ID"); // the group is live
    const o = (await api("GET", `/v1/groups/${g}/offsets`)).body;
    expect(o.topics[0].partitions.find((p: any) => p.partition === theirs).committedOffset).toBeNull();
  });

  it("a member that stops heartbeating loses its partitions after its session timeout (alarm, injected clock)", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 4);
    const members = [await join(g, [t], { sessionTimeoutMs: 1000 }), await join(g, [t], { sessionTimeoutMs: 60_000 })];
    await settle(g, members);
    const stub = groupCoordinatorStub(env, g);
    await runInDurableObject(stub, (instance: GroupCoordinator) => {
      instance.clock.advance(1001);
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const d = await api("GET", `/v1/groups/${g}`);
    expect(d.body.members.map((m: any) => m.memberId)).toEqual([members[1]!.memberId]);
    const survivor = [members[1]!];
    await settle(g, survivor);
    expect(survivor[0]!.assignment).toEqual([{ topic: t, partitions: [0, 1, 2, 3] }]);
    const gone = await hb(g, { memberId: members[0]!.memberId, memberEpoch: members[0]!.memberEpoch, ownedPartitions: members[0]!.assignment });
    expect(gone.status).toBe(409);
    expect(gone.body.error.type).toBe("UNKNOWN_MEMBER_ID");
  });

  it("a coordinator whose members are all gone keeps no alarm: after the last expiry, and after the last leave", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1);
    const alarmAt = (stub: ReturnType<typeof groupCoordinatorStub>) => runInDurableObject(stub, (_i: GroupCoordinator, state: DurableObjectState) => state.storage.getAlarm());
    // The last member's session expires (injected clock): the alarm that removed it sets no other.
    const expiring = uniqueTopic("g");
    const before = Date.now();
    await join(expiring, [t], { sessionTimeoutMs: 1_000 });
    const stub = groupCoordinatorStub(env, expiring);
    const at = (await alarmAt(stub))!;
    expect(at).toBeGreaterThanOrEqual(before + 1_000); // the session deadline, on the real clock
    expect(at).toBeLessThanOrEqual(Date.now() + 1_000);
    await runInDurableObject(stub, (instance: GroupCoordinator) => instance.clock.advance(1_001));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await api("GET", `/v1/groups/${expiring}`)).body.members).toEqual([]);
    expect(await alarmAt(stub)).toBeNull();
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    // The last member leaves (epoch -1): the alarm already set for its deadline is not deleted (a delete is a write),
    // so it fires once, finds no deadline, and sets none.
    const leaving = uniqueTopic("g");
    const m = await join(leaving, [t], { sessionTimeoutMs: 60_000 });
    const left = groupCoordinatorStub(env, leaving);
    expect(await alarmAt(left)).not.toBeNull();
    expect((await hb(leaving, { memberId: m.memberId, memberEpoch: -1 })).status).toBe(200);
    await runDurableObjectAlarm(left);
    expect(await alarmAt(left)).toBeNull();
    expect(await runDurableObjectAlarm(left)).toBe(false);
  });

  it("reassigns when partitions are added, when a topic is deleted, and when a subscription changes", async () => {
    const [x, y] = [uniqueTopic("x"), uniqueTopic("y")];
    const g = uniqueTopic("g");
    await createTopic(x, 2);
    await createTopic(y, 1);
    const members = [await join(g, [x])];
    await settle(g, members);
    expect(members[0]!.assignment).toEqual([{ topic: x, partitions: [0, 1] }]);
    await api("POST", `/v1/topics/${x}/partitions`, { count: 3 });
    await settle(g, members);
    expect(members[0]!.assignment).toEqual([{ topic: x, partitions: [0, 1, 2] }]);
    const changed = await hb(g, { memberId: members[0]!.memberId, memberEpoch: members[0]!.memberEpoch, subscribedTopics: [x, y], ownedPartitions: members[0]!.assignment });
    members[0] = changed.body;
    await settle(g, members);
    expect(members[0]!.assignment).toEqual([{ topic: x, partitions: [0, 1, 2] }, { topic: y, partitions: [0] }].sort((a, b) => (a.topic < b.topic ? -1 : 1)));
    await api("DELETE", `/v1/topics/${y}`);
    await settle(g, members);
    expect(members[0]!.assignment).toEqual([{ topic: x, partitions: [0, 1, 2] }]);
  });

  it("a member leaves with epoch -1 and its partitions move to the others", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    const members = [await join(g, [t]), await join(g, [t])];
    await settle(g, members);
    const left = await hb(g, { memberId: members[0]!.memberId, memberEpoch: -1 });
    expect(left.body).toMatchObject({ memberId: members[0]!.memberId, memberEpoch: -1, assignment: [] });
    const rest = [members[1]!];
    await settle(g, rest);
    expect(rest[0]!.assignment).toEqual([{ topic: t, partitions: [0, 1] }]);
  });

  it("replays by resetting offsets only while the group is empty; lists and deletes groups", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await produceTo(t, 0, records(10, (i) => ({ value: `v${i}`, timestamp: 1000 + i })));
    await produceTo(t, 1, records(4, (i) => ({ value: `w${i}`, timestamp: 1000 + i })));
    const live = await join(g, [t]);
    const refused = await api("POST", `/v1/groups/${g}/offsets/reset`, { topic: t, to: "earliest" });
    expect(refused.status).toBe(409);
    expect(refused.body.error.type).toBe("NON_EMPTY_GROUP");
    expect((await api("DELETE", `/v1/groups/${g}`)).body.error.type).toBe("NON_EMPTY_GROUP");
    const list = await api("GET", "/v1/groups");
    expect(list.body.groups.find((x: any) => x.groupId === g)).toMatchObject({ state: expect.any(String), members: 1 });
    await hb(g, { memberId: live.memberId, memberEpoch: -1 });
    const reset = async (to: unknown) => (await api("POST", `/v1/groups/${g}/offsets/reset`, { topic: t, to })).body.partitions;
    expect(await reset("latest")).toEqual([{ partition: 0, offset: 10 }, { partition: 1, offset: 4 }]);
    expect(await reset("earliest")).toEqual([{ partition: 0, offset: 0 }, { partition: 1, offset: 0 }]);
    expect(await reset({ timestamp: 1005 })).toEqual([{ partition: 0, offset: 5 }, { partition: 1, offset: 4 }]);
    expect(await reset({ offset: 7 })).toEqual([{ partition: 0, offset: 7 }, { partition: 1, offset: 4 }]);
    expect((await api("GET", `/v1/groups/${g}/offsets`)).body.totalLag).toBe(3);
    const del = await api("DELETE", `/v1/groups/${g}`);
    expect(del.status).toBe(200);
    expect((await api("GET", `/v1/groups/${g}`)).body.error).toMatchObject({ type: "GROUP_ID_NOT_FOUND", code: 69 });
    expect((await api("GET", `/v1/groups/${g}`)).status).toBe(404);
    expect((await api("GET", "/v1/groups")).body.groups.some((x: any) => x.groupId === g)).toBe(false);
  });

  it("validates heartbeats", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    const cases: [Record<string, unknown>, number, string][] = [
      [{ memberEpoch: 0 }, 400, "INVALID_REQUEST"],
      [{ memberEpoch: 0, subscribedTopics: [] }, 400, "INVALID_REQUEST"],
      [{ memberEpoch: 0, subscribedTopics: [t], ownedPartitions: [{ topic: t, partitions: [0] }] }, 400, "INVALID_REQUEST"],
      [{ memberEpoch: 0, subscribedTopics: [t], sessionTimeoutMs: 999 }, 400, "INVALID_SESSION_TIMEOUT"],
      [{ memberEpoch: 0, subscribedTopics: [t], sessionTimeoutMs: 30 * 60_000 + 1 }, 400, "INVALID_SESSION_TIMEOUT"],
      [{ memberEpoch: 0, subscribedTopics: [t], assignor: "roundrobin" }, 400, "UNSUPPORTED_ASSIGNOR"],
      [{ memberEpoch: 3 }, 400, "INVALID_REQUEST"],
      [{ memberEpoch: 1.5, memberId: "x" }, 400, "INVALID_REQUEST"],
      [{ memberEpoch: -2, memberId: "x" }, 400, "INVALID_REQUEST"],
      [{ memberEpoch: 0, subscribedTopics: ["bad name"] }, 400, "INVALID_TOPIC_EXCEPTION"],
      [{ memberEpoch: 0, subscribedTopics: [t], extra: 1 }, 400, "INVALID_REQUEST"],
      [{ memberEpoch: 1, memberId: "nobody" }, 409, "UNKNOWN_MEMBER_ID"],
    ];
    for (const [body, status, type] of cases) {
      const r = await hb(g, body);
      expect([r.status, r.body.error?.type], JSON.stringify(body)).toEqual([status, type]);
    }
    expect((await hb("bad group!", { memberEpoch: 0, subscribedTopics: [t] })).body.error.type).toBe("INVALID_GROUP_ID");
    const atMin = await join(g, [t], { sessionTimeoutMs: 1000 });
    expect(atMin.heartbeatIntervalMs).toBe(333);
    const atMax = await join(g, [t], { sessionTimeoutMs: 30 * 60_000 });
    expect(atMax.heartbeatIntervalMs).toBe(5000);
  });

  it("offsets committed on a deleted topic do not apply to a new topic of the same name", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(10));
    await api("POST", `/v1/groups/${g}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 10 }] });
    await api("DELETE", `/v1/topics/${t}`);
    await createTopic(t, 1);
    await produceTo(t, 0, records(3));
    const o = (await api("GET", `/v1/groups/${g}/offsets`)).body;
    expect(o.topics[0].partitions[0]).toMatchObject({ committedOffset: null, highWatermark: 3, lag: null });
  });
});
