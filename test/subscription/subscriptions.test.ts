// Subscriptions end to end in workerd: edgelog delivers to a consumer Worker bound as TEST_CONSUMER
// (test/fixtures/consumer-worker.mjs, which logs every delivery), commits the group's offsets, retries by its own rules,
// dead-letters, pauses, replays, survives evictions, and costs nothing when idle. Retry delays are 0 (or driven by an
// injected clock and runDurableObjectAlarm), never slept through.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { partitionLogStub } from "../../src/names";
import type { LocalLog } from "../../src/partition/local-log";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import type { SubscriptionPartition } from "../../src/subscription/SubscriptionPartition";
import { api, createTopic, produceTo, readAll, records, uniqueTopic } from "../helpers";
import { abortTxn, commitTxn, initTxn, sendTxn, type Identity } from "../transaction/helpers";
import { acknowledged, deliveries, expectOrderedOnce, highWatermarks, script, subStub, subscribe, topicId, untilCaughtUp, untilDelivered } from "./helpers";

describe("subscriptions", () => {
  it("10,000 records over 6 partitions arrive exactly once and in order per partition when nothing fails", async () => {
    const t = uniqueTopic("sub");
    await createTopic(t, 6);
    for (let i = 0; i < 10_000; i += 1_000) {
      const r = await api("POST", `/v1/topics/${t}/records`, { records: records(1_000, (j) => ({ key: `k${i + j}`, value: `v${i + j}` })) });
      expect(r.status).toBe(200);
    }
    const name = uniqueTopic("s");
    const created = await subscribe({ name, topics: [t], maxBatchSize: 100 });
    expect(created.subscription).toMatchObject({ name, state: "running", config: { maxBatchSize: 100, target: { type: "service", binding: "TEST_CONSUMER", method: "deliver" } } });
    const caughtUp = await untilCaughtUp(name);
    expect(caughtUp.partitions).toHaveLength(6);
    const list = await deliveries(name);
    expect(list.every((d) => d.outcome.kind === "ack" && d.offsets.length <= 100)).toBe(true);
    expect(list.reduce((n, d) => n + d.offsets.length, 0)).toBe(10_000);
    expectOrderedOnce(list, await highWatermarks(t));
    // The values are the records': every one delivered once.
    expect(new Set(list.flatMap((d) => d.values)).size).toBe(10_000);
    // The group is an ordinary group for the tools: describe, lag, offsets.
    const group = (await api("GET", `/v1/groups/${name}`)).body;
    expect(group).toMatchObject({ groupId: name, type: "subscription", members: [] });
    expect(group.lag.totalLag).toBe(0);
  });

  it("property: a consumer that throws or times out at random loses nothing and keeps per-partition order", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 10, max: 40 }), fc.integer({ min: 0, max: 10 }), async (seed, failPercent, hangPercent) => {
        const t = uniqueTopic("chaos");
        await createTopic(t, 3);
        await api("POST", `/v1/topics/${t}/records`, { records: records(300, (i) => ({ key: `k${i}`, value: `v${i}` })) });
        const name = uniqueTopic("s");
        await script(name, { seed, failPercent, hangPercent, hangMs: 200 });
        await subscribe({ name, topics: [t], maxBatchSize: 20, maxRetries: 100, target: { type: "service", binding: "TEST_CONSUMER", timeoutMs: 50 } });
        await untilCaughtUp(name);
        expectOrderedOnce(await deliveries(name), await highWatermarks(t));
      }),
      { seed: 20261205, numRuns: 3 },
    );
  }, 120_000);

  it("a poison record goes to the dead-letter topic after maxRetries with its headers, and later records still arrive", async () => {
    const t = uniqueTopic("poison");
    const dlq = uniqueTopic("dlq");
    await createTopic(t);
    await createTopic(dlq);
    await produceTo(t, 0, [{ value: "a" }, { value: "b" }, { key: "bad", value: "poison-2", headers: [{ key: "h", value: "1" }] }, { value: "c" }]);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], maxRetries: 2, deadLetterTopic: dlq });
    await untilCaughtUp(name);
    await produceTo(t, 0, [{ value: "after" }]);
    const d = await untilCaughtUp(name);
    expect(d.partitions[0]).toMatchObject({ committedOffset: 5, deadLetteredRecords: 1, lastError: null });
    const list = await deliveries(name);
    // The first delivery asked for a retry of offset 2 only; it came 2 more times (3 deliveries: maxRetries 2).
    expect(list.filter((x) => x.offsets.includes(2)).map((x) => x.attempt)).toEqual([1, 2, 3]);
    expect(acknowledged(list).get(`${t}/0`)).toEqual([0, 1, 3, 4]);
    const dead = await readAll(dlq, 0);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ key: "bad", value: "poison-2" });
    const headers = Object.fromEntries(dead[0].headers.map((h: any) => [h.key, h.value]));
    expect(headers).toMatchObject({ h: "1", "edgelog.subscription": name, "edgelog.source.topic": t, "edgelog.source.partition": "0", "edgelog.source.offset": "2", "edgelog.attempts": "3" });
    expect(headers["edgelog.error"]).toMatch(/retry/);
  });

  it("one read holds many batches: a failed batch in the middle holds back the rest of the read until it is dead-lettered", async () => {
    const t = uniqueTopic("ahead");
    const dlq = uniqueTopic("dlq");
    await createTopic(t);
    await createTopic(dlq);
    // One produce: the records are one stored batch, read at once (SUBSCRIPTION_READ_AHEAD_RECORDS) and delivered 10 at a time.
    await produceTo(t, 0, records(100, (i) => ({ value: i === 45 ? "poison-45" : `v${i}` })));
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], maxBatchSize: 10, maxRetries: 1, deadLetterTopic: dlq });
    const d = await untilCaughtUp(name);
    expect(d.partitions[0]).toMatchObject({ committedOffset: 100, deadLetteredRecords: 1 });
    const list = await deliveries(name);
    // Nothing from 50 on went before offset 45 was given up on (delivered once more, then dead-lettered).
    expect(list.map((x) => [x.offsets[0], x.offsets.length, x.attempt])).toEqual([
      [0, 10, 1], [10, 10, 1], [20, 10, 1], [30, 10, 1], [40, 10, 1], [45, 1, 2],
      [50, 10, 1], [60, 10, 1], [70, 10, 1], [80, 10, 1], [90, 10, 1],
    ]);
    expect(acknowledged(list).get(`${t}/0`)).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i !== 45));
    expect((await readAll(dlq, 0)).map((r: any) => r.value)).toEqual(["poison-45"]);
  });

  it("without a dead-letter topic a poison record stops its partition, describe says why; pause, reset past it, resume", async () => {
    const t = uniqueTopic("stop");
    await createTopic(t);
    await produceTo(t, 0, [{ value: "a" }, { value: "poison" }, { value: "c" }]);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], maxRetries: 1 });
    let d: any;
    for (let i = 0; i < 3_000; i++) {
      d = (await api("GET", `/v1/subscriptions/${name}`)).body;
      if (d.partitions[0].status === "stopped") break;
    }
    expect(d.partitions[0]).toMatchObject({ status: "stopped", committedOffset: 1, inFlight: { fromOffset: 0, toOffset: 2, attempt: 2 } });
    expect(d.partitions[0].lastError).toMatch(/no deadLetterTopic/);
    // A reset is refused while running.
    const refused = await api("POST", `/v1/subscriptions/${name}/offsets/reset`, { topic: t, to: { offset: 2 } });
    expect(refused.status).toBe(409);
    expect(refused.body.error.type).toBe("NON_EMPTY_GROUP");
    expect((await api("POST", `/v1/subscriptions/${name}/pause`)).body.state).toBe("paused");
    expect((await api("POST", `/v1/subscriptions/${name}/offsets/reset`, { topic: t, to: { offset: 2 } })).body).toEqual({ topic: t, partitions: [{ partition: 0, offset: 2 }] });
    expect((await api("POST", `/v1/subscriptions/${name}/resume`)).body.state).toBe("running");
    await untilCaughtUp(name);
    // Offset 2 was acknowledged in the first delivery, but the commit stayed at the first record not acknowledged (1):
    // the reset to 2 delivers it again (at least once); "poison" (offset 1) is skipped by the reset, never acknowledged.
    const acked = acknowledged(await deliveries(name)).get(`${t}/0`);
    expect(acked).toEqual([0, 2, 2]);
  });

  it("two subscriptions on one topic each receive everything; pause, reset to earliest and resume replays", async () => {
    const t = uniqueTopic("fan");
    await createTopic(t, 2);
    await api("POST", `/v1/topics/${t}/records`, { records: records(50, (i) => ({ key: `k${i}`, value: `v${i}` })) });
    const [a, b] = [uniqueTopic("a"), uniqueTopic("b")];
    await subscribe({ name: a, topics: [t] });
    await subscribe({ name: b, topics: [t] });
    await untilCaughtUp(a);
    await untilCaughtUp(b);
    const hw = await highWatermarks(t);
    expectOrderedOnce(await deliveries(a), hw);
    expectOrderedOnce(await deliveries(b), hw);
    await api("POST", `/v1/subscriptions/${a}/pause`);
    await api("POST", `/v1/subscriptions/${a}/offsets/reset`, { topic: t, to: "earliest" });
    await api("POST", `/v1/subscriptions/${a}/resume`);
    await untilCaughtUp(a);
    const replayed = (await deliveries(a)).reduce((n, x) => n + x.offsets.length, 0);
    expect(replayed).toBe(100); // everything twice
    expect((await deliveries(b)).reduce((n, x) => n + x.offsets.length, 0)).toBe(50); // b untouched
  });

  it("an idle subscription issues no requests and keeps no alarm; a partition evicted while it waits still wakes it", async () => {
    const t = uniqueTopic("idle");
    await createTopic(t);
    await produceTo(t, 0, [{ value: "one" }]);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t] });
    await untilCaughtUp(name);
    const stub = await subStub(name, t);
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    const usage = async () => (await api("GET", `/v1/usage?topic=${t}&group=${name}`)).body;
    const before = await usage();
    const again = await usage();
    expect(again.groups[0].usage.requests).toBe(before.groups[0].usage.requests);
    expect(again.topics[0].partitions[0].requests).toBe(before.topics[0].partitions[0].requests);
    // The wait is a row in the partition: an eviction of the partition loses nothing.
    await evictDurableObject(partitionLogStub(env, await topicId(t), 0));
    await produceTo(t, 0, [{ value: "two" }]);
    await untilDelivered(name, (list) => acknowledged(list).get(`${t}/0`)?.length === 2);
  });

  it("startAt latest is pinned when the subscription is created: a record produced after the answer is delivered, even across an eviction", async () => {
    const t = uniqueTopic("latest");
    await createTopic(t);
    await produceTo(t, 0, [{ value: "before" }]);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], startAt: "latest" });
    // The start is the group's committed offset already, before anything was delivered.
    const group = (await api("GET", `/v1/groups/${name}/offsets`)).body;
    expect(group.topics[0].partitions[0]).toMatchObject({ partition: 0, committedOffset: 1, lag: 0 });
    // An eviction before the first record must not resolve "latest" again past it.
    await evictDurableObject(await subStub(name, t));
    await produceTo(t, 0, [{ value: "after" }]);
    await untilDelivered(name, (list) => list.length >= 1);
    await untilCaughtUp(name);
    expect((await deliveries(name)).flatMap((d) => d.values)).toEqual(["after"]);
  });

  it("isolation read_committed: an open transaction holds delivery at its first record; commit delivers it, abort never does", async () => {
    const t = uniqueTopic("txn");
    await createTopic(t);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], isolation: "read_committed" });
    const uncommitted = uniqueTopic("s");
    await subscribe({ name: uncommitted, topics: [t] });
    const id = uniqueTopic("tx");
    let who = (await initTxn(id)).body as Identity;
    expect((await sendTxn(id, who, t, 0, ["aborted"], 0)).status).toBe(200);
    const aborted = (await abortTxn(id, who)).body as Identity;
    who = { producerId: aborted.producerId, producerEpoch: aborted.producerEpoch };
    expect((await sendTxn(id, who, t, 0, ["committed"], 0)).status).toBe(200);
    await produceTo(t, 0, [{ value: "plain" }]);
    // read_uncommitted delivers what is there, the open transaction's record included.
    await untilDelivered(uncommitted, (list) => list.flatMap((d) => d.values).includes("plain"));
    // read_committed: past the aborted record and its marker (offsets 0, 1) to the last stable offset, the open
    // transaction's first record (offset 2), and no further, however long.
    for (let i = 0; ; i++) {
      const p = (await api("GET", `/v1/subscriptions/${name}`)).body.partitions[0];
      if (p.committedOffset === 2 && p.status === "waiting") break;
      expect(i, JSON.stringify(p)).toBeLessThan(300);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await deliveries(name)).flatMap((d) => d.values)).toEqual([]);
    expect((await commitTxn(id, who)).status).toBe(200);
    await untilDelivered(name, (list) => list.flatMap((d) => d.values).includes("plain"));
    expect((await deliveries(name)).flatMap((d) => d.values)).toEqual(["committed", "plain"]);
    expect((await api("GET", `/v1/subscriptions/${name}`)).body.config.isolation).toBe("read_committed");
  });

  it("on a replicated topic a caught-up subscription looks again by alarm: a wait lost with its leader strands nothing", async () => {
    const t = uniqueTopic("rf2");
    const created = await api("POST", "/v1/topics", { name: t, partitions: 1, replicationFactor: 2 });
    expect(created.status).toBe(201);
    await produceTo(t, 0, [{ value: "one" }]);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t] });
    await untilCaughtUp(name);
    // Waits live on the leader (replica 0), which a failover replaces: the new leader knows none of them. Here the
    // leader forgets the wait, as a new leader would, and the next record comes with no wake-up.
    const leader = partitionLogStub(env, await topicId(t), 0);
    const forgotten: number = await runInDurableObject(leader, (instance: PartitionLog) => {
      const watches = (instance as unknown as { log: LocalLog }).log.watches;
      const due = watches.due(Number.MAX_SAFE_INTEGER);
      for (const w of due) watches.remove(w.watcher, w.after);
      return due.length;
    });
    expect(forgotten).toBe(1);
    await produceTo(t, 0, [{ value: "two" }]);
    // The recheck alarm is set (an unreplicated topic keeps none: the test above); running it delivers the record.
    expect(await runDurableObjectAlarm(await subStub(name, t))).toBe(true);
    await untilDelivered(name, (list) => acknowledged(list).get(`${t}/0`)?.length === 2);
    expect((await deliveries(name)).flatMap((d) => d.values)).toEqual(["one", "two"]);
  });

  it("a retry waits for its delay by alarm (injected clock), and the R2 archive holds each record once, in order, after an injected upload failure", async () => {
    const t = uniqueTopic("arch");
    await createTopic(t);
    await produceTo(t, 0, records(20, (i) => ({ key: `k${i}`, value: `v${i}` })));
    const name = uniqueTopic("s");
    const prefix = `${name}/`;
    await subscribe({ name, topics: [t], retryDelayMs: 60_000, target: { type: "r2", prefix, maxObjectAgeMs: 0 } });
    const stub = await subStub(name, t);
    // The first upload fails (the fault switch); the retry waits 30-60 s: move the clock, run the alarm.
    await api("POST", "/v1/faults", { subscription: name, topic: t, partition: 0, failDeliveries: 1 });
    await produceTo(t, 0, records(5, (i) => ({ key: `late${i}`, value: `late${i}` })));
    let d: any;
    for (let i = 0; i < 3_000; i++) {
      d = (await api("GET", `/v1/subscriptions/${name}`)).body;
      if (d.partitions[0].status === "retrying" || d.totalLag === 0) break;
    }
    if (d.partitions[0].status === "retrying") {
      expect(d.partitions[0].lastError).toMatch(/injected/);
      await runInDurableObject(stub, (instance: SubscriptionPartition) => instance.clock.advance(61_000));
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    }
    await untilCaughtUp(name);
    const listed = await env.ARCHIVE!.list({ prefix });
    const lines: any[] = [];
    for (const o of listed.objects.sort((a, b) => (a.key < b.key ? -1 : 1))) {
      lines.push(...(await (await env.ARCHIVE!.get(o.key))!.text()).trim().split("\n").map((l) => JSON.parse(l)));
    }
    expect(lines.map((l) => l.offset)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(lines[0]).toMatchObject({ topic: t, partition: 0, offset: 0, key: "k0", value: "v0" });
  });

  it("delivers the partitions a topic gains after the subscription was created", async () => {
    const t = uniqueTopic("grow");
    await createTopic(t, 1);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t] });
    expect((await api("POST", `/v1/topics/${t}/partitions`, { count: 2 })).status).toBe(200);
    await produceTo(t, 1, [{ value: "on the new partition" }]);
    await untilDelivered(name, (list) => list.some((x) => x.partition === 1 && x.values.includes("on the new partition")));
  });
});

describe("subscription requests", () => {
  it("lists, describes and deletes; the group is a subscription's, not a consumer group's", async () => {
    const t = uniqueTopic("adm");
    await createTopic(t);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t] });
    const list = (await api("GET", "/v1/subscriptions")).body.subscriptions;
    expect(list.find((s: any) => s.name === name)).toMatchObject({ state: "running", topics: [t], target: { type: "service" }, totalLag: 0 });
    const join = await api("POST", `/v1/groups/${name}/heartbeat`, { memberEpoch: 0, subscribedTopics: [t] });
    expect(join.status).toBe(409);
    expect(join.body.error.type).toBe("INCONSISTENT_GROUP_PROTOCOL");
    expect((await api("DELETE", `/v1/groups/${name}`)).body.error.type).toBe("INCONSISTENT_GROUP_PROTOCOL");
    expect((await api("POST", "/v1/subscriptions", { name, topics: [t], target: { type: "service", binding: "TEST_CONSUMER" } })).body.error.type).toBe("SUBSCRIPTION_ALREADY_EXISTS");
    const patched = await api("PATCH", `/v1/subscriptions/${name}`, { maxBatchSize: 7, maxRetries: 9 });
    expect(patched.body.config).toMatchObject({ maxBatchSize: 7, maxRetries: 9 });
    expect((await api("DELETE", `/v1/subscriptions/${name}`)).body).toEqual({ name });
    expect((await api("GET", `/v1/subscriptions/${name}`)).status).toBe(404);
    // The name can be used again: the new subscription starts from its own startAt (the old offsets went with it) and
    // delivers, its objects having dropped everything they stored.
    await produceTo(t, 0, [{ value: "after-delete" }]);
    await subscribe({ name, topics: [t], startAt: "earliest" });
    await untilCaughtUp(name);
    const again = (await deliveries(name)).flatMap((d) => d.values);
    expect(again).toContain("after-delete");
    expect((await api("DELETE", `/v1/subscriptions/${name}`)).status).toBe(200);
    // A consumer group's name cannot become a subscription's.
    const g = uniqueTopic("g");
    await api("POST", `/v1/groups/${g}/heartbeat`, { memberEpoch: 0, subscribedTopics: [t] });
    expect((await api("POST", "/v1/subscriptions", { name: g, topics: [t], target: { type: "service", binding: "TEST_CONSUMER" } })).body.error.type).toBe("INCONSISTENT_GROUP_PROTOCOL");
  });

  it("a webhook's secret is shown once, at creation, never by describe", async () => {
    const t = uniqueTopic("hook");
    await createTopic(t);
    const name = uniqueTopic("s");
    const r = await api("POST", "/v1/subscriptions", { name, topics: [t], target: { type: "webhook", url: "http://127.0.0.1:9/hook" } });
    expect(r.status).toBe(201);
    expect(r.body.secret).toMatch(/^whsec_/);
    expect(JSON.stringify((await api("GET", `/v1/subscriptions/${name}`)).body)).not.toContain(r.body.secret);
    await api("DELETE", `/v1/subscriptions/${name}`);
  });

  it("bad input gets the documented error, at and over each limit, and creates nothing", async () => {
    const t = uniqueTopic("bad");
    await createTopic(t);
    const base = { topics: [t], target: { type: "service", binding: "TEST_CONSUMER" } };
    const post = (body: Record<string, unknown>) => api("POST", "/v1/subscriptions", { name: uniqueTopic("s"), ...base, ...body });
    const cases: [Record<string, unknown>, number, string, string?][] = [
      [{ target: { type: "service", binding: "NOPE" } }, 400, "INVALID_REQUEST", "TEST_CONSUMER"],
      [{ target: { type: "webhook", url: "ftp://x" } }, 400, "INVALID_REQUEST"],
      [{ target: { type: "webhook", url: "not a url" } }, 400, "INVALID_REQUEST"],
      [{ target: { type: "r2", binding: "NOPE", prefix: "" } }, 400, "INVALID_REQUEST"],
      [{ target: { type: "pigeon" } }, 400, "INVALID_REQUEST"],
      [{ topics: [] }, 400, "INVALID_REQUEST"],
      [{ topics: [uniqueTopic("missing")] }, 404, "UNKNOWN_TOPIC_OR_PARTITION"],
      [{ topics: ["bad name"] }, 400, "INVALID_TOPIC_EXCEPTION"],
      [{ topics: Array.from({ length: 21 }, (_, i) => `${t}${i}`) }, 400, "INVALID_REQUEST"],
      [{ maxBatchSize: 10_001 }, 400, "INVALID_REQUEST"],
      [{ maxBatchSize: 0 }, 400, "INVALID_REQUEST"],
      [{ maxRetries: 101 }, 400, "INVALID_REQUEST"],
      [{ maxInFlightPerPartition: 11 }, 400, "INVALID_REQUEST"],
      [{ maxBatchWaitMs: 60_001 }, 400, "INVALID_REQUEST"],
      [{ maxBatchBytes: 8 * 1024 * 1024 + 1 }, 400, "INVALID_REQUEST"],
      [{ startAt: "yesterday" }, 400, "INVALID_REQUEST"],
      [{ deadLetterTopic: t }, 400, "INVALID_REQUEST"],
      [{ deadLetterTopic: uniqueTopic("nodlq") }, 404, "UNKNOWN_TOPIC_OR_PARTITION"],
      [{ encoding: "utf16" }, 400, "INVALID_REQUEST"],
      [{ colour: "blue" }, 400, "INVALID_REQUEST"],
      [{ name: "bad/name" }, 400, "INVALID_GROUP_ID"],
    ];
    for (const [body, status, type, mentions] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.type, JSON.stringify(body)).toBe(type);
      if (mentions) expect(r.body.error.message).toContain(mentions);
    }
    // At each limit: accepted.
    const atLimit = await post({ maxBatchSize: 10_000, maxRetries: 100, maxInFlightPerPartition: 10, maxBatchWaitMs: 60_000, maxBatchBytes: 8 * 1024 * 1024 });
    expect(atLimit.status, JSON.stringify(atLimit.body)).toBe(201);
    expect((await api("GET", "/v1/subscriptions")).body.subscriptions.filter((s: any) => s.topics.includes(t))).toHaveLength(1);
    expect((await api("GET", `/v1/subscriptions/${uniqueTopic("none")}`)).body.error.type).toBe("GROUP_ID_NOT_FOUND");
    expect((await api("POST", `/v1/subscriptions/${uniqueTopic("none")}/pause`)).body.error.type).toBe("GROUP_ID_NOT_FOUND");
  });
});
