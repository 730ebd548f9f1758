// Topic administration end to end: create, list, describe, alter config, add partitions, delete.
import { describe, expect, it } from "vitest";
import { partitionForStringKey } from "../../src/log/partitioner";
import { api, createTopic, produceTo, readAll, uniqueTopic } from "../helpers";

describe("topics", () => {
  it("creates a topic with an id, defaults and overrides; lists and describes it", async () => {
    const t = uniqueTopic();
    const c = await api("POST", "/v1/topics", { name: t, partitions: 3, config: { "retention.ms": 1000, "cleanup.policy": "compact,delete" } });
    expect(c.status).toBe(201);
    expect(c.body).toMatchObject({ name: t, partitionCount: 3, replicationFactor: 1 });
    expect(c.body.topicId).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.body.config).toMatchObject({ "retention.ms": "1000", "cleanup.policy": "compact,delete", "segment.bytes": "1073741824" });
    const list = await api("GET", "/v1/topics");
    expect(list.body.topics.find((x: any) => x.name === t)).toMatchObject({ topicId: c.body.topicId, partitionCount: 3 });
    await produceTo(t, 2, [{ key: "k", value: "v" }]);
    const d = await api("GET", `/v1/topics/${t}`);
    expect(d.status).toBe(200);
    expect(d.body.partitions).toHaveLength(3);
    expect(d.body.partitions[2]).toMatchObject({ partition: 2, leader: 0, replicas: [0], isr: [0], leaderEpoch: 0, logStartOffset: 0, highWatermark: 1, logEndOffset: 1, batches: 1 });
    expect(d.body.partitions[2].bytes).toBeGreaterThan(0);
    expect(d.body.partitions[0]).toMatchObject({ highWatermark: 0, logEndOffset: 0, bytes: 0 });
  });

  it("defaults to one partition, refuses a duplicate, and refuses a '.'/'_' collision", async () => {
    const t = uniqueTopic("a.b");
    const c = await api("POST", "/v1/topics", { name: t });
    expect(c.body.partitionCount).toBe(1);
    const dup = await api("POST", "/v1/topics", { name: t, partitions: 2 });
    expect(dup.status).toBe(409);
    expect(dup.body.error.type).toBe("TOPIC_ALREADY_EXISTS");
    const collide = await api("POST", "/v1/topics", { name: t.replace(".", "_") });
    expect(collide.status).toBe(400);
    expect(collide.body.error).toMatchObject({ type: "INVALID_TOPIC_EXCEPTION", details: { collidesWith: t } });
  });

  it("alters config, resets a key to its default with null, and keeps data", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "retention.ms": 5 });
    await produceTo(t, 0, [{ value: "keep" }]);
    const a = await api("PATCH", `/v1/topics/${t}`, { config: { "retention.bytes": "1024", "retention.ms": null } });
    expect(a.status).toBe(200);
    expect(a.body.config).toMatchObject({ "retention.bytes": "1024", "retention.ms": "604800000" });
    expect((await api("GET", `/v1/topics/${t}`)).body.config["retention.bytes"]).toBe("1024");
    expect((await readAll(t, 0)).map((r) => r.value)).toEqual(["keep"]);
  });

  it("adds partitions; keyed records then hash over the new count, like Kafka", async () => {
    const t = uniqueTopic();
    await createTopic(t, 2);
    await produceTo(t, 1, [{ value: "old" }]);
    const grow = await api("POST", `/v1/topics/${t}/partitions`, { count: 6 });
    expect(grow.status).toBe(200);
    expect(grow.body.partitionCount).toBe(6);
    const keys = ["a", "b", "c", "d", "e", "f", "g", "h"];
    const r = await api("POST", `/v1/topics/${t}/records`, { records: keys.map((key) => ({ key, value: key })) });
    expect(r.body.results.map((x: any) => x.partition)).toEqual(keys.map((k) => partitionForStringKey(k, 6)));
    const p5 = await produceTo(t, 5, [{ value: "new partition" }]);
    expect(p5.status).toBe(200);
    expect((await readAll(t, 1))[0].value).toBe("old");
    const shrink = await api("POST", `/v1/topics/${t}/partitions`, { count: 6 });
    expect(shrink.status).toBe(400);
    expect(shrink.body.error.type).toBe("INVALID_PARTITIONS");
  });

  it("deletes a topic: it disappears from the list, its records are gone, its name is free again", async () => {
    const t = uniqueTopic();
    await createTopic(t, 2);
    await produceTo(t, 0, [{ value: "old" }]);
    const del = await api("DELETE", `/v1/topics/${t}`);
    expect(del.status).toBe(200);
    expect(del.body.name).toBe(t);
    expect((await api("GET", "/v1/topics")).body.topics.some((x: any) => x.name === t)).toBe(false);
    expect((await api("GET", `/v1/topics/${t}`)).status).toBe(404);
    expect((await produceTo(t, 0, [{ value: "x" }])).status).toBe(404);
    expect((await api("DELETE", `/v1/topics/${t}`)).status).toBe(404);
    await createTopic(t, 1);
    expect(await readAll(t, 0)).toEqual([]);
  });

  it("detects a stale cached topic id after delete and recreate, and refreshes", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1);
    await produceTo(t, 0, [{ value: "first life" }]);
    // Warm this isolate's cache, then delete and recreate behind its back through the controller directly.
    const { env } = await import("cloudflare:workers");
    const { controllerStub } = await import("../../src/names");
    const controller = controllerStub(env);
    await controller.deleteTopic(t);
    await controller.createTopic({ name: t, partitions: 1, replicationFactor: 1, placement: [], config: {} });
    const p = await produceTo(t, 0, [{ value: "second life" }]);
    expect(p.status).toBe(200);
    expect(p.body.results[0].offset).toBe(0);
    expect((await readAll(t, 0)).map((r) => r.value)).toEqual(["second life"]);
  });

  it("answers /healthz and /metrics", async () => {
    const h = await api("GET", "/healthz");
    expect(h.status).toBe(200);
    expect(h.body.status).toBe("ok");
    const m = await api("GET", "/metrics");
    expect(m.status).toBe(200);
    expect(m.body).toContain("edgelog_http_requests_total{");
  });
});
