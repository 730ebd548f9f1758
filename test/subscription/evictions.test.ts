// Subscriptions survive evictions (issue 13): the delivery object, the group coordinator that holds the subscription's
// config and offsets, and the partition it reads can each be reset while a delivery is in flight; delivery resumes from
// the last commit, at least once, never skipping a record, never reordering one within a partition. The test consumer
// (test/fixtures/consumer-worker.mjs) hangs on its first deliveries so that one is in flight when the objects go.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { groupCoordinatorStub, partitionLogStub } from "../../src/names";
import type { SubscriptionPartition } from "../../src/subscription/SubscriptionPartition";
import { createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { deliveries, expectOrderedAtLeastOnce, expectOrderedOnce, highWatermarks, script, subStub, subscribe, topicId, untilCaughtUp, untilDelivered } from "./helpers";

/** An eviction mid-delivery: the instance is reset at once (abort), its delivery in flight lost. */
async function abort(stub: Awaited<ReturnType<typeof subStub>>): Promise<void> {
  await runInDurableObject(stub, (_instance: SubscriptionPartition, state: DurableObjectState) => {
    state.abort("evicted by the test");
  }).catch(() => undefined);
}

describe("subscription evictions", () => {
  it("survives the eviction of its delivery object mid-delivery: the watchdog alarm resumes from the last commit", async () => {
    const t = uniqueTopic("evict");
    await createTopic(t);
    await produceTo(t, 0, records(30, (i) => ({ value: `v${i}` })));
    const name = uniqueTopic("s");
    // Slow deliveries: each hangs 300 ms (within the 5 s timeout), so one is in flight when the object is evicted.
    await script(name, { hangPercent: 100, hangMs: 300 });
    await subscribe({ name, topics: [t], maxBatchSize: 10 });
    const stub = await subStub(name, t);
    await untilDelivered(name, (list) => list.length >= 1);
    // An eviction mid-delivery: the instance is reset at once (abort), its delivery in flight lost.
    await abort(stub);
    await script(name, {});
    // The instance died with its delivery; its watchdog alarm brings it back. A stub to an aborted object stays broken,
    // as on Cloudflare, so the alarm runs through a fresh one.
    expect(await runDurableObjectAlarm(await subStub(name, t))).toBe(true);
    await untilCaughtUp(name);
    expectOrderedOnce(await deliveries(name), await highWatermarks(t));
  });

  it("survives the eviction of the coordinator, the partitions and the delivery objects while deliveries are in flight", async () => {
    const t = uniqueTopic("evictall");
    const partitions = 2;
    await createTopic(t, partitions);
    for (let p = 0; p < partitions; p++) await produceTo(t, p, records(40, (i) => ({ value: `p${p}-v${i}` })));
    const name = uniqueTopic("s");
    // Each first delivery hangs 3 s (within the 5 s timeout, then acknowledged): long enough that every partition's is
    // still in flight when its objects go, so nothing was acknowledged before the evictions.
    await script(name, { hangPercent: 100, hangMs: 3_000 });
    await subscribe({ name, topics: [t], maxBatchSize: 10 });
    await untilDelivered(name, (list) => new Set(list.map((d) => d.partition)).size === partitions);
    await script(name, {});
    const id = await topicId(t);
    // The group coordinator (the subscription's config, state and committed offsets) and each partition's log go by
    // an ordinary eviction; each delivery object dies with its delivery.
    await evictDurableObject(groupCoordinatorStub(env, name));
    for (let p = 0; p < partitions; p++) await evictDurableObject(partitionLogStub(env, id, p));
    for (let p = 0; p < partitions; p++) await abort(await subStub(name, t, p));
    // Each delivery object's watchdog alarm brings it back, through a fresh stub (a stub to an aborted object stays
    // broken, as on Cloudflare); it reads its config from the new coordinator and its records from the new partition.
    for (let p = 0; p < partitions; p++) expect(await runDurableObjectAlarm(await subStub(name, t, p))).toBe(true);
    // A record produced after the evictions arrives too.
    await produceTo(t, 0, [{ value: "after" }]);
    await untilCaughtUp(name, 3_000);
    const list = await deliveries(name);
    expect(list.filter((d) => d.outcome.kind === "hang").length).toBe(partitions); // one lost in flight per partition
    expectOrderedAtLeastOnce(list, await highWatermarks(t));
    expect(list.flatMap((d) => (d.outcome.kind === "ack" ? d.values : []))).toContain("after");
  }, 60_000);
});
