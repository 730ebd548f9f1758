// Share groups' optional membership (KIP-932's ShareGroupHeartbeat): join, assignment and rebalance on join and leave,
// more members than partitions, session expiry by the coordinator's alarm (and no alarm while idle), fenced epochs, a
// member's poll touching only its share-partitions, reset and delete refused while members remain, and the bounds.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { GroupCoordinator } from "../../src/group/GroupCoordinator";
import { MAX_MEMBER_ID_LENGTH, MAX_SHARE_GROUP_MEMBERS, MAX_SUBSCRIBED_TOPICS } from "../../src/limits";
import { groupCoordinatorStub } from "../../src/names";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { shareGroup } from "./helpers";

const hb = (g: string, body: Record<string, unknown>) => api("POST", `/v1/share-groups/${g}/heartbeat`, body);

async function join(g: string, topics: string[], memberId?: string): Promise<any> {
  const r = await hb(g, { memberEpoch: 0, subscribedTopicNames: topics, ...(memberId === undefined ? {} : { memberId }) });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** A heartbeat that must succeed; the member object is updated in place with the answer. */
async function beat(g: string, m: any): Promise<any> {
  const r = await hb(g, { memberId: m.memberId, memberEpoch: m.memberEpoch });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  Object.assign(m, r.body);
  return m;
}

const partitionsOf = (m: any, topic: string): number[] => m.assignment.topicPartitions.find((x: any) => x.topic === topic)?.partitions ?? [];
const coordinator = (g: string) => groupCoordinatorStub(env, g);
const advance = (g: string, ms: number) => runInDurableObject(coordinator(g), (instance: GroupCoordinator) => instance.clock.advance(ms));
const alarmAt = (g: string) => runInDurableObject(coordinator(g), (_: GroupCoordinator, state) => state.storage.getAlarm());

describe("share group membership", () => {
  it("a join gets every partition; a second member takes half; a leave gives them back", async () => {
    const t = uniqueTopic("m");
    const g = uniqueTopic("g");
    await createTopic(t, 4);
    await shareGroup(g);
    const a = await join(g, [t]);
    expect(a).toMatchObject({ memberId: expect.any(String), memberEpoch: 1, heartbeatIntervalMs: 5_000 });
    expect(partitionsOf(a, t)).toEqual([0, 1, 2, 3]);
    const b = await join(g, [t], "worker-b");
    expect(b.memberId).toBe("worker-b");
    expect(b.memberEpoch).toBe(2);
    await beat(g, a);
    expect(a.memberEpoch).toBe(2);
    expect(partitionsOf(a, t).length).toBe(2);
    expect(partitionsOf(b, t).length).toBe(2);
    expect([...partitionsOf(a, t), ...partitionsOf(b, t)].sort()).toEqual([0, 1, 2, 3]);
    const d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.body.members.map((m: any) => [m.memberId, m.memberEpoch, m.subscribedTopicNames, m.assignment.topicPartitions[0].partitions.length]).sort()).toEqual(
      [[a.memberId, 2, [t], 2], ["worker-b", 2, [t], 2]].sort(),
    );
    const left = await hb(g, { memberId: "worker-b", memberEpoch: -1 });
    expect(left.body).toEqual({ memberId: "worker-b", memberEpoch: -1, heartbeatIntervalMs: 5_000, assignment: { topicPartitions: [] } });
    await beat(g, a);
    expect(a.memberEpoch).toBe(3);
    expect(partitionsOf(a, t)).toEqual([0, 1, 2, 3]);
  });

  it("with more members than partitions, every partition is shared and every member has one", async () => {
    const t = uniqueTopic("more");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await shareGroup(g);
    const members = [];
    for (let i = 0; i < 5; i++) members.push(await join(g, [t], `m${i}`));
    for (const m of members) await beat(g, m);
    const holders = [0, 0];
    for (const m of members) {
      expect(partitionsOf(m, t).length).toBe(1);
      holders[partitionsOf(m, t)[0]!]!++;
    }
    expect(holders.sort()).toEqual([2, 3]);
  });

  it("expires a member whose session ran out by the coordinator's alarm, and keeps no alarm once nobody is left", async () => {
    const t = uniqueTopic("exp");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await shareGroup(g, { sessionTimeoutMs: 2_000, heartbeatIntervalMs: 1_000 });
    // Idle: a group polled by topic, with no members, never wakes its coordinator.
    await produceTo(t, 0, records(1));
    await api("POST", `/v1/share-groups/${g}/poll`, { topics: [t] });
    expect(await alarmAt(g)).toBeNull();
    const a = await join(g, [t], "a");
    const b = await join(g, [t], "b");
    expect(a.heartbeatIntervalMs).toBe(1_000);
    expect(await alarmAt(g)).not.toBeNull();
    await advance(g, 1_500);
    await beat(g, b);
    await advance(g, 600); // a's session ended at 2,000; b's ends at 3,500
    expect(await runDurableObjectAlarm(coordinator(g))).toBe(true);
    const d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.body.members.map((m: any) => m.memberId)).toEqual(["b"]);
    expect(d.body.members[0].assignment.topicPartitions).toEqual([{ topic: t, partitions: [0, 1] }]);
    const gone = await hb(g, { memberId: "a", memberEpoch: a.memberEpoch });
    expect(gone.status).toBe(409);
    expect(gone.body.error.type).toBe("UNKNOWN_MEMBER_ID");
    // The alarm was set again for b's session; b leaving takes it away.
    expect(await alarmAt(g)).not.toBeNull();
    await beat(g, b);
    expect((await hb(g, { memberId: "b", memberEpoch: -1 })).status).toBe(200);
    expect(await alarmAt(g)).toBeNull();
  });

  it("refuses a stale epoch (FENCED_MEMBER_EPOCH) and an unknown member (UNKNOWN_MEMBER_ID), on heartbeat and on poll", async () => {
    const t = uniqueTopic("fence");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await shareGroup(g);
    const a = await join(g, [t], "a");
    await join(g, [t], "b");
    const stale = a.memberEpoch;
    await beat(g, a);
    expect(a.memberEpoch).toBeGreaterThan(stale);
    const fenced = await hb(g, { memberId: "a", memberEpoch: stale });
    expect(fenced.status).toBe(409);
    expect(fenced.body.error).toMatchObject({ type: "FENCED_MEMBER_EPOCH", code: 110, details: { memberId: "a", memberEpoch: a.memberEpoch } });
    const stalePoll = await api("POST", `/v1/share-groups/${g}/poll`, { memberId: "a", memberEpoch: stale });
    expect(stalePoll.status).toBe(409);
    expect(stalePoll.body.error.type).toBe("FENCED_MEMBER_EPOCH");
    const unknown = await api("POST", `/v1/share-groups/${g}/poll`, { memberId: "nobody" });
    expect(unknown.status).toBe(409);
    expect(unknown.body.error).toMatchObject({ type: "UNKNOWN_MEMBER_ID", code: 25 });
    expect((await hb(g, { memberId: "nobody", memberEpoch: 3 })).body.error.type).toBe("UNKNOWN_MEMBER_ID");
    const missing = await hb(uniqueTopic("none"), { memberEpoch: 0, subscribedTopicNames: [t] });
    expect(missing.status).toBe(404);
    expect(missing.body.error.type).toBe("GROUP_ID_NOT_FOUND");
    const bad = await hb(g, { memberEpoch: 0 });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.field).toBe("subscribedTopicNames");
  });

  it("a member's poll asks only its own share-partitions; a poll by topic still asks them all", async () => {
    const t = uniqueTopic("own");
    const g = uniqueTopic("g");
    await createTopic(t, 4);
    for (let p = 0; p < 4; p++) await produceTo(t, p, records(3));
    await shareGroup(g);
    const a = await join(g, [t], "a");
    const b = await join(g, [t], "b");
    await beat(g, a);
    const mine = partitionsOf(a, t);
    expect(mine.length).toBe(2);
    const polled = await api("POST", `/v1/share-groups/${g}/poll`, { memberId: "a", memberEpoch: a.memberEpoch, maxRecords: 100 });
    expect(polled.status, JSON.stringify(polled.body)).toBe(200);
    expect([...new Set(polled.body.records.map((r: any) => r.partition))].sort()).toEqual(mine);
    expect(polled.body.records.length).toBe(6);
    // Describe lists the share-partitions polled so far: only a's were touched.
    const d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.body.partitions.map((p: any) => p.partition)).toEqual(mine);
    // Narrowed to a topic it is not assigned: nothing to ask.
    const other = await api("POST", `/v1/share-groups/${g}/poll`, { memberId: "b", topics: [uniqueTopic("x")] });
    expect(other.body.records).toEqual([]);
    const all = await api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: 100 });
    expect([...new Set(all.body.records.map((r: any) => r.partition))].sort()).toEqual(partitionsOf(b, t));
    expect((await api("GET", `/v1/share-groups/${g}`)).body.partitions.length).toBe(4);
  });

  it("reset and delete need an empty group (no members)", async () => {
    const t = uniqueTopic("reset");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await shareGroup(g);
    const a = await join(g, [t]);
    const reset = await api("POST", `/v1/share-groups/${g}/offsets/reset`, { topic: t, to: "earliest" });
    expect(reset.status).toBe(409);
    expect(reset.body.error).toMatchObject({ type: "NON_EMPTY_GROUP", details: { members: 1 } });
    const del = await api("DELETE", `/v1/share-groups/${g}`);
    expect(del.status).toBe(409);
    expect(del.body.error.type).toBe("NON_EMPTY_GROUP");
    await hb(g, { memberId: a.memberId, memberEpoch: -1 });
    expect((await api("POST", `/v1/share-groups/${g}/offsets/reset`, { topic: t, to: "earliest" })).status).toBe(200);
    expect((await api("DELETE", `/v1/share-groups/${g}`)).status).toBe(200);
  });

  it("GET /v1/groups lists share groups with their type and member count", async () => {
    const t = uniqueTopic("list");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await shareGroup(g);
    await join(g, [t]);
    const listed = await api("GET", "/v1/groups");
    expect(listed.status).toBe(200);
    expect(listed.body.groups.find((x: any) => x.groupId === g)).toEqual({ groupId: g, type: "share", state: "STABLE", members: 1 });
  });

  it(`takes ${MAX_SHARE_GROUP_MEMBERS} members and refuses one more (GROUP_MAX_SIZE_REACHED)`, async () => {
    const t = uniqueTopic("max");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await shareGroup(g);
    for (let i = 0; i < MAX_SHARE_GROUP_MEMBERS; i++) await join(g, [t], `m${i}`);
    const over = await hb(g, { memberEpoch: 0, subscribedTopicNames: [t], memberId: "one-more" });
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ type: "GROUP_MAX_SIZE_REACHED", details: { max: MAX_SHARE_GROUP_MEMBERS } });
    // A member already in may rejoin.
    expect((await hb(g, { memberEpoch: 0, subscribedTopicNames: [t], memberId: "m0" })).status).toBe(200);
  }, 60_000);

  it("a join names at most MAX_SUBSCRIBED_TOPICS topics and a member id of at most MAX_MEMBER_ID_LENGTH characters", async () => {
    const g = uniqueTopic("g");
    await shareGroup(g);
    const names = (n: number) => Array.from({ length: n }, (_, i) => `t${i}-${g}`);
    expect((await hb(g, { memberEpoch: 0, subscribedTopicNames: names(MAX_SUBSCRIBED_TOPICS), memberId: "x".repeat(MAX_MEMBER_ID_LENGTH) })).status).toBe(200);
    const tooMany = await hb(g, { memberEpoch: 0, subscribedTopicNames: names(MAX_SUBSCRIBED_TOPICS + 1) });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details).toMatchObject({ field: "subscribedTopicNames", max: MAX_SUBSCRIBED_TOPICS });
    const longId = await hb(g, { memberEpoch: 0, subscribedTopicNames: ["t"], memberId: "x".repeat(MAX_MEMBER_ID_LENGTH + 1) });
    expect(longId.status).toBe(400);
    expect(longId.body.error.details.field).toBe("memberId");
  });

  it("session settings: bounds at and over, and the interval must be below the timeout", async () => {
    const g = uniqueTopic("g");
    expect((await api("PUT", `/v1/share-groups/${g}`, { sessionTimeoutMs: 1_000, heartbeatIntervalMs: 500 })).status).toBe(201);
    for (const [body, field] of [
      [{ sessionTimeoutMs: 999 }, "sessionTimeoutMs"],
      [{ sessionTimeoutMs: 30 * 60_000 + 1 }, "sessionTimeoutMs"],
      [{ heartbeatIntervalMs: 499 }, "heartbeatIntervalMs"],
      [{ heartbeatIntervalMs: 5 * 60_000 + 1, sessionTimeoutMs: 30 * 60_000 }, "heartbeatIntervalMs"],
      [{ heartbeatIntervalMs: 1_000 }, "heartbeatIntervalMs"],
    ] as const) {
      const r = await api("PATCH", `/v1/share-groups/${g}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.details.field).toBe(field);
    }
    const max = await api("PATCH", `/v1/share-groups/${g}`, { sessionTimeoutMs: 30 * 60_000, heartbeatIntervalMs: 5 * 60_000 });
    expect(max.status).toBe(200);
    expect(max.body.config).toMatchObject({ sessionTimeoutMs: 30 * 60_000, heartbeatIntervalMs: 5 * 60_000 });
  });
});
