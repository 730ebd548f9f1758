// Version-driven metadata (issue 23): router caches and group coordinators read a topic's metadata again when it
// changed, never on a timer. A change made through another isolate (here: straight at the controller, so this
// isolate's cache is not updated) reaches this router through the partition's STALE_METADATA on its next call, and a
// coordinator through the controller's notice; a notice a replica missed is retried by the controller's alarm.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Controller } from "../../src/controller/Controller";
import type { Env } from "../../src/env";
import type { GroupCoordinator } from "../../src/group/GroupCoordinator";
import { GROUP_METADATA_REFRESH_MS, METADATA_MAX_AGE_MS } from "../../src/limits";
import { controllerStub, groupCoordinatorStub } from "../../src/names";
import { metadataClock, metadataReads } from "../../src/service/metadata";
import { api, createTopic, produceTo, uniqueTopic } from "../helpers";
import { shareGroup } from "../share/helpers";

const controller = () => controllerStub(env);
const controllerRequests = async () => (await controller().usage()).requests;

describe("version-driven metadata", () => {
  it("a router reads a topic once, keeps it however old until a partition says it changed, then takes the change from the partition's answer", async () => {
    const t = uniqueTopic();
    await createTopic(t, 2);
    expect((await produceTo(t, 0, [{ value: "a" }])).status).toBe(200);
    const reads = metadataReads();
    // Long past the 30 s the cache used to keep an entry: no read without a change.
    metadataClock.advance(30 * 60_000);
    for (const p of [0, 1, 0, 1]) expect((await produceTo(t, p, [{ value: "b" }])).status).toBe(200);
    expect(metadataReads()).toBe(reads);
    // Another isolate adds a partition (this one's cache is not touched): the next produce is told by the partition,
    // whose STALE_METADATA carries the new metadata (it read it when the controller told it): the controller sees no
    // read from this router.
    expect(await controller().addPartitions(t, 3)).toMatchObject({ ok: true });
    const afterChange = await controllerRequests();
    expect((await produceTo(t, 0, [{ value: "c" }])).status).toBe(200);
    expect((await produceTo(t, 2, [{ value: "d" }])).status).toBe(200); // the new partition, known without a 404
    expect(metadataReads()).toBe(reads);
    // A config change the same way.
    expect(await controller().alterConfig(t, { set: { "retention.ms": "7200000" }, reset: [] })).toMatchObject({ ok: true });
    const afterConfig = await controllerRequests();
    expect(afterConfig).toBeGreaterThan(afterChange);
    expect((await produceTo(t, 1, [{ value: "e" }])).status).toBe(200);
    expect((await api("GET", `/v1/topics/${t}/partitions/1/records?offset=0`)).status).toBe(200);
    expect(metadataReads()).toBe(reads);
    expect(await controllerRequests()).toBe(afterConfig);
    // The safety net: an entry older than METADATA_MAX_AGE_MS is read again once.
    metadataClock.advance(METADATA_MAX_AGE_MS);
    expect((await produceTo(t, 1, [{ value: "f" }])).status).toBe(200);
    expect((await produceTo(t, 1, [{ value: "g" }])).status).toBe(200);
    expect(metadataReads()).toBe(reads + 1);
  });

  it("a leader elected elsewhere: the old leader's refusal carries the new metadata, and the router's retry reaches the new leader without a controller read", async () => {
    const t = uniqueTopic();
    const created = await api("POST", "/v1/topics", { name: t, partitions: 1, replicationFactor: 3 });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const topicId = created.body.topicId as string;
    expect((await produceTo(t, 0, [{ value: "a" }], { acks: "all" })).status).toBe(200);
    // Another isolate's failover: replica 0 is down, the controller elects another (this router's cache still says 0).
    expect((await api("POST", "/v1/faults", { topic: t, partition: 0, replica: 0, down: true })).status).toBe(200);
    const elected = await controller().electLeader(topicId, 0, "unavailable", 0);
    expect(elected.ok, JSON.stringify(elected)).toBe(true);
    // Replica 0 comes back and is told (the controller's alarm retries the notice it missed).
    expect((await api("POST", "/v1/faults", { topic: t, partition: 0, replica: 0, down: false })).status).toBe(200);
    await runDurableObjectAlarm(controller());
    const reads = metadataReads();
    const requests = await controllerRequests();
    const produced = await produceTo(t, 0, [{ value: "b" }], { acks: 1 });
    expect(produced.status, JSON.stringify(produced.body)).toBe(200);
    expect(produced.body.results[0].offset).toBe(1);
    expect(metadataReads()).toBe(reads);
    expect(await controllerRequests()).toBe(requests);
  });

  it("a produce refused from cached config looks once more: a loosened max.message.bytes is honoured", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "max.message.bytes": 200 });
    expect((await produceTo(t, 0, [{ value: "x" }])).status).toBe(200);
    const big = [{ value: "y".repeat(500) }];
    expect((await produceTo(t, 0, big)).status).toBe(413);
    await controller().alterConfig(t, { set: { "max.message.bytes": "10000" }, reset: [] });
    metadataClock.advance(10_000);
    expect((await produceTo(t, 0, big)).status).toBe(200);
  });

  it("a tightened max.message.bytes from another isolate: the stale-config produce is refused retriably, its retry is checked under the new config", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "max.message.bytes": 10_000 });
    expect((await produceTo(t, 0, [{ value: "x" }])).status).toBe(200);
    // Straight at the controller: this isolate's cache keeps the old config until a partition says it changed.
    expect(await controller().alterConfig(t, { set: { "max.message.bytes": "200" }, reset: [] })).toMatchObject({ ok: true });
    const big = [{ value: "y".repeat(500) }];
    const first = await produceTo(t, 0, big);
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body.error).toMatchObject({ type: "STALE_METADATA", retriable: true });
    expect(first.body.error.details.metadata).toBeUndefined(); // the router's, not the client's
    const retry = await produceTo(t, 0, big);
    expect(retry.status, JSON.stringify(retry.body)).toBe(413);
    expect((await api("GET", `/v1/topics/${t}/partitions/0/records?offset=0`)).body.records.map((r: { value: string }) => r.value)).toEqual(["x"]);
  });

  it("a replica that missed a change is told by the controller's alarm, and then tells the router (with the metadata)", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1);
    expect((await produceTo(t, 0, [{ value: "a" }])).status).toBe(200);
    const meta = (await api("GET", `/v1/topics/${t}`)).body;
    expect((await api("POST", "/v1/faults", { topic: t, partition: 0, replica: 0, down: true })).status).toBe(200);
    expect(await controller().alterConfig(t, { set: { "retention.ms": "1000000" }, reset: [] })).toMatchObject({ ok: true });
    const pending = () => runInDurableObject(controller(), (_c: Controller, state) => state.storage.sql.exec("SELECT * FROM pending_notifications WHERE topic_id = ?", meta.topicId).toArray());
    expect(await pending()).toHaveLength(1);
    expect((await api("POST", "/v1/faults", { topic: t, partition: 0, replica: 0, down: false })).status).toBe(200);
    await runDurableObjectAlarm(controller());
    expect(await pending()).toHaveLength(0);
    const reads = metadataReads();
    expect((await produceTo(t, 0, [{ value: "b" }])).status).toBe(200);
    expect(metadataReads()).toBe(reads);
    expect((await api("GET", `/v1/topics/${t}`)).body.config["retention.ms"]).toBe("1000000");
  });

  it("a coordinator re-reads its topics when the controller says one changed, and never on a heartbeat without a change", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    const stub = groupCoordinatorStub(env, g);
    const hb = (body: Record<string, unknown>) => api("POST", `/v1/groups/${g}/heartbeat`, body);
    let m = (await hb({ memberEpoch: 0, subscribedTopics: [t], sessionTimeoutMs: 120_000 })).body;
    // The tests' environment re-reads on every heartbeat (GROUP_METADATA_REFRESH_MS=0): this coordinator keeps the default.
    await runInDurableObject(stub, (c: GroupCoordinator) => {
      (c as unknown as { env: Env }).env = { ...env, GROUP_METADATA_REFRESH_MS: String(GROUP_METADATA_REFRESH_MS) };
    });
    const beat = async () => {
      const r = await hb({ memberId: m.memberId, memberEpoch: m.memberEpoch, ownedPartitions: m.assignment });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      m = r.body;
      return m;
    };
    await beat();
    const before = await controllerRequests();
    for (let i = 0; i < 5; i++) {
      await runInDurableObject(stub, (c: GroupCoordinator) => c.clock.advance(40_000)); // past the 30 s it used to keep
      await beat();
    }
    expect(await controllerRequests()).toBe(before);
    expect(m.assignment).toEqual([{ topic: t, partitions: [0, 1] }]);
    // Another isolate adds a partition: the controller tells the coordinator, whose next heartbeat reads once.
    expect(await controller().addPartitions(t, 3)).toMatchObject({ ok: true });
    const told = await controllerRequests();
    await beat();
    await beat();
    expect(await controllerRequests()).toBe(told + 1);
    expect(m.assignment).toEqual([{ topic: t, partitions: [0, 1, 2] }]);
  });

  it("a share group's membership re-reads on the controller's notice too, and never on a heartbeat without one", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await shareGroup(g, { sessionTimeoutMs: 120_000, heartbeatIntervalMs: 5_000 });
    const stub = groupCoordinatorStub(env, g);
    await runInDurableObject(stub, (c: GroupCoordinator) => {
      (c as unknown as { env: Env }).env = { ...env, GROUP_METADATA_REFRESH_MS: String(GROUP_METADATA_REFRESH_MS) };
    });
    const hb = (body: Record<string, unknown>) => api("POST", `/v1/share-groups/${g}/heartbeat`, body);
    let m = (await hb({ memberEpoch: 0, subscribedTopicNames: [t] })).body;
    const beat = async () => {
      const r = await hb({ memberId: m.memberId, memberEpoch: m.memberEpoch });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      m = r.body;
    };
    await beat();
    const before = await controllerRequests();
    for (let i = 0; i < 5; i++) {
      await runInDurableObject(stub, (c: GroupCoordinator) => c.clock.advance(40_000));
      await beat();
    }
    expect(await controllerRequests()).toBe(before);
    expect(m.assignment.topicPartitions).toEqual([{ topic: t, partitions: [0, 1] }]);
    expect(await controller().addPartitions(t, 3)).toMatchObject({ ok: true });
    const told = await controllerRequests();
    await beat();
    await beat();
    expect(await controllerRequests()).toBe(told + 1);
    expect(m.assignment.topicPartitions).toEqual([{ topic: t, partitions: [0, 1, 2] }]);
  });
});
