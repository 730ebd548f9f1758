// Shared subscriptions (mode "shared") end to end in workerd: edgelog leases records from a share group and delivers
// them to the consumer Worker bound as TEST_CONSUMER (test/fixtures/consumer-worker.mjs, which logs every delivery and
// counts deliveries held at once), unordered, up to maxConcurrency batches per topic, each record acknowledged on its
// own. Retries, the delivery count limit and the dead-letter topic are the share group's. Lease ends are driven by the
// share-partitions' injected clocks and runDurableObjectAlarm, never slept through.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sharedDeliveryName, subscriptionPartitionStub } from "../../src/names";
import type { SubscriptionPartition } from "../../src/subscription/SubscriptionPartition";
import { api, createTopic, produceTo, readAll, records, uniqueTopic } from "../helpers";
import { advance, shareGroup, shareStub, topicId } from "../share/helpers";
import { deliveries, script, serviceTarget, untilDelivered, type Delivery } from "./helpers";

/** Between two looks, a pause in which the objects' own timers get their turn. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 10));

async function subscribeShared(body: Record<string, unknown>): Promise<any> {
  const r = await api("POST", "/v1/subscriptions", { target: serviceTarget, mode: "shared", retryDelayMs: 0, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

async function sharedStub(name: string, topic: string) {
  return subscriptionPartitionStub(env, sharedDeliveryName(name, await topicId(topic)));
}

/** Waits until the share group has accepted `accepted` records and archived `archived`, nothing in flight, and the
 *  subscription's delivery objects are waiting; fails with what it saw. */
async function untilSettled(name: string, accepted: number, archived = 0): Promise<any> {
  let last: any;
  for (let i = 0; i < 1_500; i++) {
    last = (await api("GET", `/v1/subscriptions/${name}`)).body;
    const parts = last.shareGroup?.partitions ?? [];
    const sum = (f: (p: any) => number) => parts.reduce((n: number, p: any) => n + f(p), 0);
    const idle = sum((p) => p.inFlight.acquired + p.inFlight.archiving) === 0 && last.topics.every((t: any) => t.status === "waiting");
    if (idle && sum((p) => p.acknowledged) === accepted && sum((p) => p.archived) === archived) return last;
    await pause();
  }
  throw new Error(`subscription ${name} did not settle: ${JSON.stringify(last)}`);
}

/** Deliveries the consumer holds now, and the most it held at once. */
async function concurrency(name: string): Promise<{ current: number; most: number }> {
  return (await (await env.TEST_CONSUMER_LOG.fetch(`http://consumer/concurrency?subscription=${name}`)).json()) as { current: number; most: number };
}

/** Per (topic, partition, offset): how many deliveries the consumer acknowledged it in. */
function ackCounts(list: readonly Delivery[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of list) {
    const retried = new Set(d.outcome.kind === "retry" ? d.outcome.offsets : []);
    if (d.outcome.kind !== "ack" && d.outcome.kind !== "retry") continue;
    for (const o of d.offsets) if (!retried.has(o)) out.set(`${d.topic}/${d.partition}/${o}`, (out.get(`${d.topic}/${d.partition}/${o}`) ?? 0) + 1);
  }
  return out;
}

describe("shared subscriptions", () => {
  it("every record arrives and is accepted exactly once when nothing fails; describe shows the mode and the share group", async () => {
    const t = uniqueTopic("sh");
    const g = uniqueTopic("g");
    await createTopic(t, 3);
    for (let p = 0; p < 3; p++) await produceTo(t, p, records(100, (i) => ({ value: `p${p}-${i}` })));
    await shareGroup(g);
    const name = uniqueTopic("s");
    const created = await subscribeShared({ name, topics: [t], shareGroup: g, maxBatchSize: 15 });
    expect(created.subscription).toMatchObject({ mode: "shared", config: { mode: "shared", shareGroup: g, maxConcurrency: 10 } });
    const d = await untilSettled(name, 300);
    expect(d.shareGroup.partitions.map((p: any) => [p.partition, p.startOffset, p.lag])).toEqual([[0, 100, 0], [1, 100, 0], [2, 100, 0]]);
    expect(d.topics).toEqual([expect.objectContaining({ topic: t, status: "waiting", deliveredRecords: 300, releasedRecords: 0, inFlightBatches: 0 })]);
    const list = await deliveries(name);
    const counts = ackCounts(list);
    expect(counts.size).toBe(300);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(list.every((x) => x.attempt === 1 && (x as any).deliveryCounts.every((c: number) => c === 1))).toBe(true);
    expect(list.every((x) => x.offsets.length <= 15)).toBe(true);
    // The subscription's own group commits nothing: a replay is the share group's reset.
    const reset = await api("POST", `/v1/subscriptions/${name}/offsets/reset`, { topic: t, to: "earliest" });
    expect(reset.status).toBe(400);
    expect(reset.body.error.message).toContain(`/v1/share-groups/${g}/offsets/reset`);
  });

  it("a retried record comes again with delivery count + 1; a poison record reaches the share group's limit and the dead-letter topic exactly once", async () => {
    const t = uniqueTopic("poison");
    const dlq = uniqueTopic("dlq");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await createTopic(dlq, 1, { "errors.deadletterqueue.group.enable": "true" });
    await produceTo(t, 0, [{ value: "a" }, { value: "poison!", key: "k" }, { value: "c" }]);
    await shareGroup(g, { deliveryCountLimit: 3, deadLetterTopic: dlq });
    const name = uniqueTopic("s");
    await subscribeShared({ name, topics: [t], shareGroup: g });
    // The consumer asks for offset 1 again every time; the others are accepted at their first delivery.
    const list = await untilDelivered(name, (l) => l.filter((x) => x.offsets.includes(1)).length >= 3);
    const poisoned = list.filter((x) => x.offsets.includes(1));
    expect(poisoned.map((x) => (x as any).deliveryCounts[x.offsets.indexOf(1)])).toEqual([1, 2, 3]);
    expect(poisoned.map((x) => x.attempt)).toEqual([1, 2, 3]);
    // The share group's alarm writes the dead letter (run here rather than waited for; it may have run already).
    await runDurableObjectAlarm(await shareStub(g, t));
    const d = await untilSettled(name, 2, 1);
    expect(d.shareGroup.partitions[0]).toMatchObject({ deadLettered: 1, deadLettersPending: 0, startOffset: 3 });
    expect(d.topics[0]).toMatchObject({ deliveredRecords: 2, releasedRecords: 3 });
    const letters = await readAll(dlq, 0);
    expect(letters).toHaveLength(1);
    const headers = Object.fromEntries(letters[0].headers.map((h: any) => [h.key, h.value]));
    expect(headers).toMatchObject({ "__dlq.errors.topic": t, "__dlq.errors.offset": "1", "__dlq.errors.group": g, "__dlq.errors.delivery.count": "3" });
    // No fourth delivery: the limit archived it.
    expect((await deliveries(name)).filter((x) => x.offsets.includes(1))).toHaveLength(3);
    expect(ackCounts(await deliveries(name))).toEqual(new Map([[`${t}/0/0`, 1], [`${t}/0/2`, 1]]));
  });

  it("an eviction of the delivery object mid-batch loses nothing: the leases run out and the records come again", async () => {
    const t = uniqueTopic("evict");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(30));
    await shareGroup(g, { lockDurationMs: 1_000 });
    const name = uniqueTopic("s");
    // Held deliveries, so batches are in flight when the object is evicted.
    await script(name, { holdMs: 300 });
    await subscribeShared({ name, topics: [t], shareGroup: g, maxBatchSize: 10 });
    const stub = await sharedStub(name, t);
    // A delivery is held by the consumer now: its batch is in flight, not acknowledged.
    for (let i = 0; i < 1_500 && (await concurrency(name)).current === 0; i++) await pause();
    await runInDurableObject(stub, (_instance: SubscriptionPartition, state: DurableObjectState) => {
      state.abort("evicted by the test");
    }).catch(() => undefined);
    await script(name, {});
    // The leases the dead instance held end (the share-partition's clock moves past them); the watchdog alarm, run
    // through a fresh stub, leases them again.
    await advance(g, t, 1_001);
    expect(await runDurableObjectAlarm(await sharedStub(name, t))).toBe(true);
    const d = await untilSettled(name, 30);
    expect(d.shareGroup.partitions[0]).toMatchObject({ startOffset: 30, lag: 0, archived: 0 });
    const counts = ackCounts(await deliveries(name));
    for (let o = 0; o < 30; o++) expect(counts.get(`${t}/0/${o}`), `offset ${o}`).toBeGreaterThanOrEqual(1);
    // What the dead instance had in flight came again with delivery count 2.
    expect((await deliveries(name)).some((x) => (x as any).deliveryCounts.includes(2))).toBe(true);
  });

  it("a lease that runs out while the target is slow redelivers the record (delivery count + 1); the late acknowledgement is refused", async () => {
    const t = uniqueTopic("slow");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, [{ value: "slow" }]);
    await shareGroup(g, { lockDurationMs: 1_000 });
    const name = uniqueTopic("s");
    await script(name, { holdMs: 400 });
    await subscribeShared({ name, topics: [t], shareGroup: g, maxConcurrency: 2 });
    for (let i = 0; i < 1_500 && (await concurrency(name)).current === 0; i++) await pause();
    // The lease ends while the consumer holds the record; a wake-up makes the object lease again, in its second slot.
    await advance(g, t, 1_001);
    await (await sharedStub(name, t)).wake();
    const d = await untilSettled(name, 1);
    const list = await deliveries(name);
    expect(list.map((x) => (x as any).deliveryCounts)).toEqual([[1], [2]]);
    expect(d.shareGroup.partitions[0]).toMatchObject({ acknowledged: 1, startOffset: 1 });
    expect(d.topics[0].lastError).toContain("refused");
  });

  it("pause stops within the batches in flight (their records acknowledged), resume goes on, delete leaves the share group", async () => {
    const t = uniqueTopic("pause");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    for (let p = 0; p < 2; p++) await produceTo(t, p, records(20));
    await shareGroup(g);
    const name = uniqueTopic("s");
    await script(name, { holdMs: 50 });
    await subscribeShared({ name, topics: [t], shareGroup: g, maxBatchSize: 5, maxConcurrency: 2 });
    for (let i = 0; i < 1_500 && (await concurrency(name)).current === 0; i++) await pause();
    const paused = await api("POST", `/v1/subscriptions/${name}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ state: "paused", topics: [{ status: "paused", inFlightBatches: 0 }] });
    // Nothing leased is left behind: the batches in flight were acknowledged before the answer.
    expect(paused.body.shareGroup.partitions.every((p: any) => p.inFlight.acquired === 0)).toBe(true);
    const accepted = paused.body.shareGroup.partitions.reduce((n: number, p: any) => n + p.acknowledged, 0);
    expect(accepted).toBeLessThan(40);
    const seen = (await deliveries(name)).length;
    for (let i = 0; i < 20; i++) await pause();
    expect((await deliveries(name)).length).toBe(seen);
    expect((await api("POST", `/v1/subscriptions/${name}/resume`)).status).toBe(200);
    await untilSettled(name, 40);
    expect([...ackCounts(await deliveries(name)).values()].every((n) => n === 1)).toBe(true);
    expect((await api("DELETE", `/v1/subscriptions/${name}`)).status).toBe(200);
    expect((await (await sharedStub(name, t)).status())).toBeUndefined();
    expect((await api("GET", `/v1/share-groups/${g}`)).body.partitions.map((p: any) => p.startOffset)).toEqual([20, 20]);
  });

  it("maxConcurrency bounds the batches in flight per topic (counted by the consumer)", async () => {
    const t = uniqueTopic("conc");
    const g = uniqueTopic("g");
    await createTopic(t, 4);
    for (let p = 0; p < 4; p++) await produceTo(t, p, records(20));
    await shareGroup(g);
    const name = uniqueTopic("s");
    await script(name, { holdMs: 100 });
    await subscribeShared({ name, topics: [t], shareGroup: g, maxBatchSize: 4, maxConcurrency: 3 });
    await untilSettled(name, 80);
    const seen = await concurrency(name);
    expect(seen.most).toBeLessThanOrEqual(3);
    expect(seen.most).toBe(3);
  });

  it("an idle shared subscription issues no requests and keeps no alarm; an append wakes it", async () => {
    const t = uniqueTopic("idle");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await produceTo(t, 0, [{ value: "one" }]);
    await shareGroup(g);
    const name = uniqueTopic("s");
    await subscribeShared({ name, topics: [t], shareGroup: g });
    await untilSettled(name, 1);
    expect(await runDurableObjectAlarm(await sharedStub(name, t))).toBe(false);
    const usage = async () => (await api("GET", `/v1/usage?topic=${t}&group=${name}`)).body;
    const before = await usage();
    const again = await usage();
    // The group's usage covers the coordinator, the delivery object and the share group's share-partitions.
    expect(before.groups[0].usage.requests).toBeGreaterThan(0);
    expect(again.groups[0].usage.requests).toBe(before.groups[0].usage.requests);
    expect(again.topics[0].partitions.map((p: any) => p.requests)).toEqual(before.topics[0].partitions.map((p: any) => p.requests));
    await produceTo(t, 1, [{ value: "two" }]);
    await untilDelivered(name, (list) => ackCounts(list).get(`${t}/1/0`) === 1);
    await untilSettled(name, 2);
  });

  it("bad input gets the documented error, at and over each limit, and creates nothing", async () => {
    const t = uniqueTopic("bad");
    const g = uniqueTopic("g");
    await createTopic(t);
    await shareGroup(g);
    const base = { topics: [t], target: serviceTarget, mode: "shared", shareGroup: g };
    const post = (body: Record<string, unknown>) => api("POST", "/v1/subscriptions", { name: uniqueTopic("s"), ...base, ...body });
    const cases: [Record<string, unknown>, number, string, string?][] = [
      [{ mode: "fifo" }, 400, "INVALID_REQUEST", "mode"],
      [{ shareGroup: undefined }, 400, "INVALID_REQUEST", "shareGroup"],
      [{ shareGroup: "bad/name" }, 400, "INVALID_GROUP_ID"],
      [{ shareGroup: uniqueTopic("nogroup") }, 404, "GROUP_ID_NOT_FOUND"],
      [{ maxInFlightPerPartition: 2 }, 400, "INVALID_REQUEST", "maxInFlightPerPartition"],
      [{ maxRetries: 3 }, 400, "INVALID_REQUEST", "maxRetries"],
      [{ deadLetterTopic: uniqueTopic("d") }, 400, "INVALID_REQUEST", "deadLetterTopic"],
      [{ startAt: "earliest" }, 400, "INVALID_REQUEST", "startAt"],
      [{ maxBatchWaitMs: 10 }, 400, "INVALID_REQUEST", "maxBatchWaitMs"],
      [{ target: { type: "r2", prefix: "" } }, 400, "INVALID_REQUEST", "R2"],
      [{ maxConcurrency: 0 }, 400, "INVALID_REQUEST"],
      [{ maxConcurrency: 101 }, 400, "INVALID_REQUEST"],
      [{ mode: "ordered", maxConcurrency: 2 }, 400, "INVALID_REQUEST", "shared"],
      [{ mode: undefined, shareGroup: g }, 400, "INVALID_REQUEST", "shared"],
    ];
    for (const [body, status, type, mentions] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.error.type, JSON.stringify(body)).toBe(type);
      if (mentions) expect(r.body.error.message, JSON.stringify(body)).toContain(mentions);
    }
    expect((await api("GET", "/v1/subscriptions")).body.subscriptions.filter((s: any) => s.topics.includes(t))).toHaveLength(0);
    // At the limit: accepted; a PATCH may change maxConcurrency (within its bounds) but not an ordered-only setting.
    const name = uniqueTopic("s");
    const atLimit = await api("POST", "/v1/subscriptions", { name, ...base, maxConcurrency: 100 });
    expect(atLimit.status, JSON.stringify(atLimit.body)).toBe(201);
    expect((await api("PATCH", `/v1/subscriptions/${name}`, { maxConcurrency: 101 })).status).toBe(400);
    const patched = await api("PATCH", `/v1/subscriptions/${name}`, { maxConcurrency: 1 });
    expect(patched.status).toBe(200);
    expect(patched.body.config.maxConcurrency).toBe(1);
    const refused = await api("PATCH", `/v1/subscriptions/${name}`, { maxInFlightPerPartition: 2 });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toContain("ordered");
    const listed = (await api("GET", "/v1/subscriptions")).body.subscriptions.find((s: any) => s.name === name);
    expect(listed).toMatchObject({ mode: "shared", topics: [t] });
  });
});
