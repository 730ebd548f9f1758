// A subscription partition's committed offset lives in its own delivery object (issue 23, subscription/local-offset.ts):
// steady delivery sends the group's coordinator no commits; describe and lag collect the offsets when asked; an
// eviction resumes from the object's own commit (at least once, nothing delivered twice when it was caught up); a
// reset and a subscription deleted and created again start where the coordinator says.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { groupCoordinatorStub } from "../../src/names";
import type { SubscriptionPartition } from "../../src/subscription/SubscriptionPartition";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { deliveries, expectOrderedOnce, highWatermarks, subStub, subscribe, untilDelivered } from "./helpers";

const coordinatorRequests = async (name: string) => (await groupCoordinatorStub(env, name).usage()).requests;
const ackedCount = (list: Awaited<ReturnType<typeof deliveries>>) => list.filter((d) => d.outcome.kind === "ack").reduce((n, d) => n + d.offsets.length, 0);

describe("subscription offsets kept by the delivery objects", () => {
  it("steady delivery over many partitions sends the coordinator nothing; describe collects every partition's offset", async () => {
    const t = uniqueTopic("lo");
    const partitions = 4;
    await createTopic(t, partitions);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], maxBatchSize: 5 });
    const stubs = await Promise.all(Array.from({ length: partitions }, (_, p) => subStub(name, t, p)));
    const before = await coordinatorRequests(name);
    // Rounds of records, each past the commit interval on every delivery object's clock: every round commits.
    let produced = 0;
    for (let round = 0; round < 4; round++) {
      for (const s of stubs) await runInDurableObject(s, (i: SubscriptionPartition) => i.clock.advance(5_000));
      for (let p = 0; p < partitions; p++) await produceTo(t, p, records(10, (i) => ({ value: `r${round}-p${p}-${i}` })));
      produced += 10 * partitions;
      await untilDelivered(name, (list) => ackedCount(list) >= produced);
    }
    expect(await coordinatorRequests(name)).toBe(before);
    // Describe (and lag) ask the delivery objects: every partition is at its end.
    const d = (await api("GET", `/v1/subscriptions/${name}`)).body;
    expect(d.totalLag).toBe(0);
    expect(d.partitions.map((p: any) => [p.partition, p.committedOffset, p.lag])).toEqual(Array.from({ length: partitions }, (_, p) => [p, 40, 0]));
    const lag = (await api("GET", `/v1/groups/${name}/offsets`)).body;
    expect(lag.topics[0].partitions.map((p: any) => p.committedOffset)).toEqual([40, 40, 40, 40]);
    expectOrderedOnce(await deliveries(name), await highWatermarks(t));
  });

  it("an eviction resumes from the object's own commit: a caught-up partition delivers nothing twice", async () => {
    const t = uniqueTopic("lo");
    await createTopic(t, 1);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], maxBatchSize: 5 });
    await produceTo(t, 0, records(12));
    await untilDelivered(name, (list) => ackedCount(list) >= 12);
    // The coordinator was told only what the create's description collected (offset 0): resuming from it would
    // deliver all 12 again.
    expect(await groupCoordinatorStub(env, name).subscriptionOffset(name, t, (await api("GET", `/v1/topics/${t}`)).body.topicId, 0)).toEqual({ ok: true, value: 0 });
    await evictDurableObject(await subStub(name, t));
    await produceTo(t, 0, records(3, (i) => ({ value: `after-${i}` })));
    await untilDelivered(name, (list) => ackedCount(list) >= 15);
    expectOrderedOnce(await deliveries(name), await highWatermarks(t));
  });

  it("pause reports the offsets; reset and resume start from the reset offset; a subscription created again starts over", async () => {
    const t = uniqueTopic("lo");
    await createTopic(t, 1);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], maxBatchSize: 5 });
    await produceTo(t, 0, records(10));
    await untilDelivered(name, (list) => ackedCount(list) >= 10);
    expect((await api("POST", `/v1/subscriptions/${name}/pause`)).status).toBe(200);
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId;
    expect(await groupCoordinatorStub(env, name).subscriptionOffset(name, t, topicId, 0)).toEqual({ ok: true, value: 10 });
    const reset = await api("POST", `/v1/groups/${name}/offsets/reset`, { topic: t, to: { offset: 4 } });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect((await api("POST", `/v1/subscriptions/${name}/resume`)).status).toBe(200);
    await untilDelivered(name, (list) => ackedCount(list) >= 16);
    const replayed = (await deliveries(name)).filter((d) => d.outcome.kind === "ack").flatMap((d) => d.offsets);
    expect(replayed.slice(10)).toEqual([4, 5, 6, 7, 8, 9]);
    expect((await api("GET", `/v1/subscriptions/${name}`)).body.partitions[0].committedOffset).toBe(10);

    expect((await api("DELETE", `/v1/subscriptions/${name}`)).status).toBe(200);
    await subscribe({ name, topics: [t], maxBatchSize: 5 });
    await untilDelivered(name, (list) => ackedCount(list) >= 26);
    expect((await api("GET", `/v1/subscriptions/${name}`)).body.partitions[0].committedOffset).toBe(10);
  });

  it("a partition that missed a pause, paused after a reset, keeps the reset: it reports nothing and resumes from the reset offset", async () => {
    const t = uniqueTopic("lo-missed");
    await createTopic(t, 1);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t], maxBatchSize: 5 });
    await produceTo(t, 0, records(10));
    await untilDelivered(name, (list) => ackedCount(list) >= 10);
    expect((await api("POST", `/v1/subscriptions/${name}/pause`)).status).toBe(200);
    expect((await api("POST", `/v1/groups/${name}/offsets/reset`, { topic: t, to: { offset: 4 } })).status).toBe(200);
    // The partition goes on delivering in the old generation (a new subscription's is 1, the reset made it 2), as if
    // the pause had never reached it.
    const stub = await subStub(name, t);
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId;
    await stub.resume(1);
    await produceTo(t, 0, records(5, (i) => ({ value: `late${i}` })));
    await untilDelivered(name, (list) => ackedCount(list) >= 15);
    // Now the coordinator's pause (the new generation) reaches it: the reset to 4 must survive.
    expect((await api("POST", `/v1/subscriptions/${name}/pause`)).status).toBe(200);
    expect(await groupCoordinatorStub(env, name).subscriptionOffset(name, t, topicId, 0)).toEqual({ ok: true, value: 4 });
    expect((await api("POST", `/v1/subscriptions/${name}/resume`)).status).toBe(200);
    await untilDelivered(name, (list) => ackedCount(list) >= 26);
    const acked = (await deliveries(name)).filter((d) => d.outcome.kind === "ack").flatMap((d) => d.offsets);
    expect(acked.slice(15, 26)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });
});
