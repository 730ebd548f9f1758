// The share consumer inside workerd, over the RPC entrypoint and over HTTP: records accepted once; a handler's
// retriable throw releases its record (redelivered with deliveryCount + 1, dead-lettered at the limit) and another
// throw rejects it; a slow handler's lease is renewed and its record not redelivered meanwhile; competing share
// consumers on one partition split the records; explicit acknowledgement; stop() releases what was never handled.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Edgelog, EdgelogError, type ShareAcknowledgementOutcome, type ShareRecord } from "../../src/client/edgelog";
import type { EdgelogBinding } from "../../src/client/rpc-transport";
import { uniqueTopic } from "../helpers";

const transports: [string, () => Edgelog][] = [
  ["a service binding to EdgelogRpc", () => new Edgelog({ binding: (exports as unknown as { EdgelogRpc: EdgelogBinding }).EdgelogRpc })],
  ["HTTP through the Worker's fetch", () => new Edgelog({ url: "http://edgelog.test", fetch: (input, init) => exports.default.fetch(new Request(input, init)) })],
];

async function waitFor(check: () => Promise<boolean> | boolean, what: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function setup(client: Edgelog, records: number, partitions = 1, config: Record<string, unknown> = {}) {
  const topic = uniqueTopic("share-in");
  const groupId = uniqueTopic("share-group");
  await client.admin().createTopic({ name: topic, partitions });
  const created = await client.transport.putShareGroup(groupId, { autoOffsetReset: "earliest", ...config });
  expect(created.created).toBe(true);
  if (records > 0) await client.producer().send(topic, Array.from({ length: records }, (_, i) => ({ value: `v${i}`, partition: i % partitions })));
  return { topic, groupId };
}

class Retriable extends Error {
  readonly retriable = true;
}

describe.each(transports)("the share consumer over %s", (_name, make) => {
  it("the share-group calls: put (created, then replaced), alter, describe, list, reset, delete", async () => {
    const client = make();
    const { topic, groupId } = await setup(client, 3);
    const replaced = await client.transport.putShareGroup(groupId, { autoOffsetReset: "earliest", deliveryCountLimit: 3 });
    expect(replaced.created).toBe(false);
    expect(replaced.config.deliveryCountLimit).toBe(3);
    expect((await client.transport.alterShareGroup(groupId, { lockDurationMs: 5_000 })).config).toMatchObject({ lockDurationMs: 5_000, deliveryCountLimit: 3 });
    expect(await client.transport.listShareGroups()).toContain(groupId);
    const polled = await client.transport.pollShareGroup(groupId, { topics: [topic], maxRecords: 2 });
    expect(polled.records.map((r) => r.offset)).toEqual([0, 1]);
    const results = await client.transport.acknowledgeShareGroup(groupId, polled.records.map((r) => ({ leaseId: r.leaseId, type: "accept" as const })));
    expect(results.every((r) => "ok" in r)).toBe(true);
    const again = await client.transport.acknowledgeShareGroup(groupId, [{ leaseId: polled.records[0]!.leaseId, type: "accept" }]).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(EdgelogError);
    expect((again as EdgelogError).type).toBe("INVALID_RECORD_STATE");
    const described = await client.transport.describeShareGroup(groupId);
    expect(described.partitions[0]).toMatchObject({ startOffset: 2, acknowledged: 2, lag: 1 });
    expect(await client.transport.resetShareGroupOffsets(groupId, { topic, to: "earliest" })).toEqual({ topic, partitions: [{ partition: 0, offset: 0 }] });
    expect(await client.transport.deleteShareGroup(groupId)).toEqual({ groupId });
    await expect(client.transport.describeShareGroup(groupId)).rejects.toMatchObject({ type: "GROUP_ID_NOT_FOUND" });
  });

  it("accepts every record once, acknowledgements riding on the polls, with bounded concurrency", async () => {
    const client = make();
    const { topic, groupId } = await setup(client, 60, 3);
    const seen: string[] = [];
    let running = 0;
    let most = 0;
    const consumer = client.shareConsumer({ groupId, maxRecords: 20, maxWaitMs: 100, concurrency: 4 });
    consumer.subscribe({ topics: [topic] });
    const run = consumer.run({
      eachRecord: async (record) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 2));
        seen.push(`${record.partition}:${record.offset}`);
        running--;
      },
    });
    await waitFor(() => seen.length >= 60, () => `60 records, got ${seen.length}`);
    await consumer.stop();
    await run;
    expect(new Set(seen).size).toBe(60);
    expect(seen).toHaveLength(60);
    expect(most).toBeLessThanOrEqual(4);
    expect(most).toBeGreaterThan(1);
    const described = await client.transport.describeShareGroup(groupId);
    expect(described.partitions.reduce((n, p) => n + p.acknowledged, 0)).toBe(60);
    expect(described.totalLag).toBe(0);
  });

  it("a retriable throw releases the record: redelivered with deliveryCount + 1, dead-lettered at the limit; another throw rejects", async () => {
    const client = make();
    const dlq = uniqueTopic("share-dlq");
    await client.admin().createTopic({ name: dlq, partitions: 1, config: { "errors.deadletterqueue.group.enable": true } });
    const { topic, groupId } = await setup(client, 2, 1, { deliveryCountLimit: 3, deadLetterTopic: dlq });
    const deliveries: { offset: number; deliveryCount: number }[] = [];
    const outcomes: ShareAcknowledgementOutcome[] = [];
    const consumer = client.shareConsumer({ groupId, maxWaitMs: 100, onAcknowledgements: (o) => outcomes.push(...o) });
    const run = consumer.run({
      topics: [topic],
      eachRecord: (record) => {
        deliveries.push({ offset: record.offset, deliveryCount: record.deliveryCount });
        if (record.offset === 0) throw new Retriable("try again");
        throw new TypeError("cannot parse");
      },
    });
    await waitFor(async () => (await client.transport.fetchRecords(dlq, 0, { offset: 0 })).records.length >= 2, () => `2 dead letters, deliveries ${JSON.stringify(deliveries)}`);
    await consumer.stop();
    await run;
    expect(deliveries.filter((d) => d.offset === 0).map((d) => d.deliveryCount)).toEqual([1, 2, 3]);
    expect(deliveries.filter((d) => d.offset === 1).map((d) => d.deliveryCount)).toEqual([1]);
    const letters = (await client.transport.fetchRecords(dlq, 0, { offset: 0 })).records;
    expect(letters).toHaveLength(2);
    const header = (i: number, key: string) => letters[i]!.headers.find((h) => h.key === key)?.value;
    const byOffset = new Map(letters.map((_, i) => [header(i, "__dlq.errors.offset"), i]));
    expect(header(byOffset.get("0")!, "__dlq.errors.message")).toBe("delivery-limit");
    expect(header(byOffset.get("0")!, "__dlq.errors.delivery.count")).toBe("3");
    expect(header(byOffset.get("1")!, "__dlq.errors.message")).toBe("rejected: TypeError: cannot parse");
    expect(outcomes.map((o) => `${o.record.offset}:${o.type}:${o.error?.type ?? "ok"}`).sort()).toEqual(["0:release:ok", "0:release:ok", "0:release:ok", "1:reject:ok"]);
  });

  it("renews the lease of a slow handler's record: nobody else gets it meanwhile, and it is accepted once", async () => {
    const client = make();
    const { topic, groupId } = await setup(client, 1, 1, { lockDurationMs: 1_000 });
    const slow = client.shareConsumer({ groupId, maxWaitMs: 100 });
    const other = client.shareConsumer({ groupId, maxWaitMs: 100 });
    const seen: ShareRecord[] = [];
    let finished = false;
    const slowRun = slow.run({
      topics: [topic],
      eachRecord: async (record) => {
        seen.push(record);
        await new Promise((resolve) => setTimeout(resolve, 2_600));
        finished = true;
      },
    });
    const otherRun = other.run({ topics: [topic], eachRecord: (record) => void seen.push(record) });
    await waitFor(() => finished, () => "the slow handler", 10_000);
    await slow.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await other.stop();
    await Promise.all([slowRun, otherRun]);
    expect(seen.map((r) => [r.offset, r.deliveryCount])).toEqual([[0, 1]]);
    const [status] = (await client.transport.describeShareGroup(groupId)).partitions;
    expect(status).toMatchObject({ acknowledged: 1, startOffset: 1, inFlight: { available: 0, acquired: 0, archiving: 0 } });
  });

  it("with membership: consumers join, each polls only its assigned partitions, and they leave on stop()", async () => {
    const client = make();
    const { topic, groupId } = await setup(client, 40, 4);
    const partitionsSeen: Set<number>[] = [new Set(), new Set()];
    const offsets: string[] = [];
    const consumers = partitionsSeen.map(() => client.shareConsumer({ groupId, maxRecords: 10, maxWaitMs: 100, membership: true }));
    const runs = consumers.map((c, i) =>
      c.run({
        topics: [topic],
        eachRecord: (record) => {
          partitionsSeen[i]!.add(record.partition);
          offsets.push(`${record.partition}:${record.offset}`);
        },
      }),
    );
    await waitFor(async () => (await client.transport.describeShareGroup(groupId)).members.length === 2, () => "two members");
    await waitFor(() => offsets.length >= 40, () => `40 records, got ${offsets.length}`);
    const described = await client.transport.describeShareGroup(groupId);
    // Every partition is assigned to one of the two (4 partitions, 2 members: 2 each, none shared).
    const assigned = described.members.map((m) => m.assignment.topicPartitions.flatMap((tp) => tp.partitions));
    expect(assigned.flat().sort()).toEqual([0, 1, 2, 3]);
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(runs);
    expect(new Set(offsets).size).toBe(40);
    expect((await client.transport.describeShareGroup(groupId)).members).toEqual([]);
    // A consumer polled only partitions it was assigned at the time; with both joined early, the two sets rarely
    // overlap, but a rebalance may move a partition once: each saw at most 4, and together all 4.
    expect(new Set([...partitionsSeen[0]!, ...partitionsSeen[1]!]).size).toBe(4);
  });

  it("competing share consumers on a 1-partition topic split the records, no offset processed twice", async () => {
    const client = make();
    const { topic, groupId } = await setup(client, 300);
    const byConsumer: number[][] = [[], [], []];
    const consumers = byConsumer.map(() => client.shareConsumer({ groupId, maxRecords: 10, maxWaitMs: 100 }));
    const runs = consumers.map((c, i) =>
      c.run({
        topics: [topic],
        eachRecord: async (record) => {
          byConsumer[i]!.push(record.offset);
          await new Promise((resolve) => setTimeout(resolve, 1));
        },
      }),
    );
    const total = () => byConsumer.reduce((n, o) => n + o.length, 0);
    await waitFor(() => total() >= 300, () => `300 records, got ${total()}`);
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(runs);
    const all = byConsumer.flat();
    expect(all).toHaveLength(300);
    expect(new Set(all).size).toBe(300);
    expect(byConsumer.filter((o) => o.length > 0).length).toBeGreaterThan(1);
  });

  it("explicit mode: records stay leased until acknowledge(); stop() releases what was never acknowledged", async () => {
    const client = make();
    const { topic, groupId } = await setup(client, 4);
    const kept: ShareRecord[] = [];
    const consumer = client.shareConsumer({ groupId, maxRecords: 4, maxWaitMs: 100, acknowledgementMode: "explicit" });
    const run = consumer.run({ topics: [topic], eachRecord: (record) => void kept.push(record) });
    await waitFor(() => kept.length === 4, () => `4 records, got ${kept.length}`);
    expect(consumer.inFlight).toBe(4);
    consumer.acknowledge(kept[0]!, "accept");
    consumer.acknowledge(kept[1]!, "reject", { reason: "no" });
    expect(() => consumer.acknowledge(kept[0]!, "accept")).toThrow(/not held/);
    await consumer.stop();
    await run;
    const [status] = (await client.transport.describeShareGroup(groupId)).partitions;
    expect(status).toMatchObject({ acknowledged: 1, archived: 1, inFlight: { available: 2, acquired: 0 } });
    const next = await client.transport.pollShareGroup(groupId, { topics: [topic] });
    expect(next.records.map((r) => [r.offset, r.deliveryCount])).toEqual([
      [2, 2],
      [3, 2],
    ]);
  });

  it("stop() from a handler (without await) lets it finish, accepts its record and releases the page's others at once", async () => {
    const client = make();
    const { topic, groupId } = await setup(client, 5);
    const consumer = client.shareConsumer({ groupId, maxRecords: 5, maxWaitMs: 100 });
    const handled: number[] = [];
    await consumer.run({
      topics: [topic],
      eachRecord: (record) => {
        handled.push(record.offset);
        void consumer.stop();
      },
    });
    expect(handled).toEqual([0]);
    const [status] = (await client.transport.describeShareGroup(groupId)).partitions;
    expect(status).toMatchObject({ acknowledged: 1, startOffset: 1, inFlight: { available: 4, acquired: 0 } });
    const next = await client.transport.pollShareGroup(groupId, { topics: [topic] });
    expect(next.records.map((r) => [r.offset, r.deliveryCount])).toEqual([1, 2, 3, 4].map((o) => [o, 2]));
  });
});
