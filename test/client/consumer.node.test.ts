// Consumer groups of client consumers against a real edgelog: exactly once in a clean run (revocation commits what
// was processed before a partition moves), at-least-once when a consumer stops or crashes mid-way, a poison pill
// dead-lettered while the group moves on, the controls (pause/resume, seek, autoOffsetReset, manual commits), and
// failures that reach run() within their bounds instead of being retried in silence.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Consumer, ConsumerConfig } from "../../src/client/consumer";
import type { ConsumedRecord } from "../../src/client/consumed-record";
import { DLQ_HEADERS } from "../../src/client/dead-letter";
import { Edgelog } from "../../src/client/edgelog";
import type { Transport } from "../../src/client/transport";
import { faultyFetch } from "./faulty-fetch.node";
import { readPartition, startServer, uniqueName, waitFor, within, type TestServer } from "./server.node";

let server: TestServer;
let client: Edgelog;
beforeAll(async () => {
  server = await startServer();
  client = new Edgelog({ url: server.base });
});
afterAll(async () => {
  await server?.stop();
});

async function topicWithRecords(partitions: number, count: number, value: (i: number) => string = (i) => String(i)): Promise<string> {
  const topic = uniqueName("c");
  await client.admin().createTopic({ name: topic, partitions });
  const producer = client.producer({ lingerMs: 1 });
  const sends = [];
  for (let i = 0; i < count; i += 1_000) {
    sends.push(producer.send(topic, Array.from({ length: Math.min(1_000, count - i) }, (_, j) => ({ key: `k${i + j}`, value: value(i + j) }))));
  }
  await Promise.all(sends);
  await producer.close();
  return topic;
}

/** Counts every (partition, offset) processed, across consumers. */
class Ledger {
  readonly seen = new Map<string, number>();
  total = 0;
  add(r: ConsumedRecord): void {
    const id = `${r.partition}:${r.offset}`;
    this.seen.set(id, (this.seen.get(id) ?? 0) + 1);
    this.total++;
  }
  duplicates(): number {
    return [...this.seen.values()].filter((n) => n > 1).length;
  }
}

function groupConsumer(groupId: string, topic: string, extra: Partial<ConsumerConfig> = {}, edgelog = client): Consumer {
  const consumer = edgelog.consumer({ groupId, autoOffsetReset: "earliest", maxWaitMs: 200, maxRecords: 1_000, sessionTimeoutMs: 10_000, ...extra });
  consumer.subscribe({ topics: [topic] });
  return consumer;
}

describe("a group of three consumers on six partitions", () => {
  it("processes 50,000 records exactly once in a clean run, through the rebalances of joining", async () => {
    const count = 50_000;
    const topic = await topicWithRecords(6, count);
    const groupId = uniqueName("g");
    const ledger = new Ledger();
    const perConsumer = [0, 0, 0];
    const consumers = [0, 1, 2].map(() => groupConsumer(groupId, topic, { maxRecords: 500 }));
    const runs: Promise<void>[] = [];
    const start = (i: number) =>
      runs.push(
        consumers[i]!.run({
          eachBatch: async (batch) => {
            batch.records.forEach((r) => ledger.add(r));
            perConsumer[i]! += batch.records.length;
            await new Promise((r) => setTimeout(r, 10)); // slow enough that the joins land mid-way
          },
        }),
      );
    // The first member owns all six partitions and is at work when the others join: it must give four away,
    // committing what it processed before each one moves.
    start(0);
    await waitFor(() => ledger.total >= 2_000, "the first consumer at work");
    start(1);
    start(2);
    await waitFor(() => consumers.every((c) => c.assignment().length === 2), "a balanced group");
    await waitFor(() => ledger.seen.size >= count, () => `${count} records (have ${ledger.seen.size})`, 60_000);
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(runs);
    expect(ledger.seen.size).toBe(count);
    expect(ledger.duplicates()).toBe(0);
    expect(ledger.total).toBe(count);
    expect(perConsumer.every((n) => n > 0)).toBe(true);
    const lag = await client.admin().lag(groupId);
    expect(lag.totalLag).toBe(0);
    expect(lag.topics[0]!.partitions.every((p) => p.committedOffset === p.highWatermark)).toBe(true);
  });

  it("loses nothing when one consumer stops mid-way: its partitions move with their commits", async () => {
    const count = 20_000;
    const topic = await topicWithRecords(6, count);
    const groupId = uniqueName("g");
    const ledger = new Ledger();
    const consumers = [0, 1, 2].map(() => groupConsumer(groupId, topic, { maxRecords: 200 }));
    // Slow enough that the stop lands mid-way.
    const runs = consumers.map((c) => c.run({ eachBatch: async (batch) => { batch.records.forEach((r) => ledger.add(r)); await new Promise((r) => setTimeout(r, 5)); } }));
    await waitFor(() => ledger.total >= count / 4, "a quarter of the records");
    await consumers[1]!.stop();
    await runs[1];
    expect(ledger.seen.size).toBeLessThan(count);
    await waitFor(() => ledger.seen.size >= count, `all ${count} records (have ${ledger.seen.size})`, 60_000);
    await Promise.all([consumers[0]!.stop(), consumers[2]!.stop()]);
    await Promise.all(runs);
    expect(ledger.seen.size).toBe(count);
    // A clean stop commits what it processed before leaving, so nothing was even processed twice.
    expect(ledger.duplicates()).toBe(0);
    expect((await client.admin().lag(groupId)).totalLag).toBe(0);
  });

  it("loses nothing when one consumer crashes mid-way: after its session times out, others re-read from its last commit", async () => {
    const count = 10_000;
    const topic = await topicWithRecords(6, count);
    const groupId = uniqueName("g");
    const ledger = new Ledger();
    const network = faultyFetch();
    const crashing = new Edgelog({ url: server.base, fetch: network.fetch });
    const consumers = [
      groupConsumer(groupId, topic, { maxRecords: 100, sessionTimeoutMs: 2_000 }),
      groupConsumer(groupId, topic, { maxRecords: 100, sessionTimeoutMs: 2_000 }, crashing),
      groupConsumer(groupId, topic, { maxRecords: 100, sessionTimeoutMs: 2_000 }),
    ];
    const runs = consumers.map((c) => c.run({ eachBatch: async (batch) => { batch.records.forEach((r) => ledger.add(r)); await new Promise((r) => setTimeout(r, 5)); } }));
    await waitFor(() => consumers[1]!.assignment().length > 0 && ledger.total >= count / 4, "the second consumer at work");
    network.cut = true; // no heartbeat, commit or fetch of consumer 1 gets through any more
    await waitFor(() => ledger.seen.size >= count, `all ${count} records (have ${ledger.seen.size})`, 60_000);
    // The cut-off consumer does not retry for ever: a session without a heartbeat, a rejoin's retries, and run() says why.
    await expect(within(runs[1]!, "the cut-off consumer's run() to reject")).rejects.toMatchObject({ type: "NETWORK_EXCEPTION", retriable: true });
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all([runs[0], runs[2]]);
    expect(ledger.seen.size).toBe(count);
    expect((await client.admin().lag(groupId)).totalLag).toBe(0);
  });
});

describe("dead letters", () => {
  it("sends a poison pill to <topic>.dlq with headers naming the error and its origin, and the group moves on", async () => {
    const topic = await topicWithRecords(2, 200, (i) => (i === 57 ? "poison" : String(i)));
    const groupId = uniqueName("g");
    let attempts = 0;
    const processed: string[] = [];
    const consumer = groupConsumer(groupId, topic);
    const run = consumer.run({
      eachRecord: (record) => {
        if (record.value === "poison") {
          attempts++;
          throw new TypeError("cannot parse poison");
        }
        processed.push(record.value!);
      },
      deadLetter: { maxAttempts: 3, retryBackoffMs: 1 },
    });
    await waitFor(() => processed.length === 199, "the 199 good records");
    await waitFor(async () => (await client.admin().lag(groupId)).totalLag === 0, "everything committed");
    await consumer.stop();
    await run;
    expect(attempts).toBe(3);
    const dlq = await readPartition(client.transport, `${topic}.dlq`, 0);
    expect(dlq).toHaveLength(1);
    const origin = (await Promise.all([0, 1].map(async (p) => (await readPartition(client.transport, topic, p)).map((r) => ({ offset: r.offset, timestamp: r.timestamp, value: r.value, partition: p }))))).flat().find((r) => r.value === "poison")!;
    const headers = Object.fromEntries(dlq[0]!.headers.map((h) => [h.key, h.value]));
    expect(dlq[0]).toMatchObject({ key: "k57", value: "poison" });
    expect(headers).toEqual({
      [DLQ_HEADERS.errorType]: "TypeError",
      [DLQ_HEADERS.errorMessage]: "cannot parse poison",
      [DLQ_HEADERS.topic]: topic,
      [DLQ_HEADERS.partition]: String(origin.partition),
      [DLQ_HEADERS.offset]: String(origin.offset),
      [DLQ_HEADERS.timestamp]: String(origin.timestamp),
      [DLQ_HEADERS.attempts]: "3",
    });
  });

  it("without a dead-letter topic, a handler's error stops the consumer after committing what it processed", async () => {
    const topic = await topicWithRecords(1, 50);
    const groupId = uniqueName("g");
    const consumer = groupConsumer(groupId, topic);
    const run = consumer.run({ eachRecord: (r) => { if (r.offset === 20) throw new Error("boom"); } });
    await expect(run).rejects.toThrow("boom");
    const lag = await client.admin().lag(groupId);
    expect(lag.topics[0]!.partitions[0]!.committedOffset).toBe(20);
    expect(lag.state).toBe("EMPTY"); // it left the group
  });
});

describe("controls", () => {
  it("autoOffsetReset: earliest reads the log, latest only what comes next, none refuses to guess", async () => {
    const topic = await topicWithRecords(1, 10);
    const got = { earliest: [] as number[], latest: [] as number[] };
    for (const policy of ["earliest", "latest"] as const) {
      const consumer = groupConsumer(uniqueName("g"), topic, { autoOffsetReset: policy });
      const run = consumer.run({ eachRecord: (r) => void got[policy].push(r.offset) });
      await waitFor(() => consumer.assignment()[0]?.position !== undefined, "a position");
      if (policy === "latest") await client.producer().send(topic, { value: "new" });
      await waitFor(() => got[policy].length >= (policy === "earliest" ? 10 : 1), `${policy} records`);
      await consumer.stop();
      await run;
    }
    expect(got.earliest).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(got.latest).toEqual([10]);
    const none = groupConsumer(uniqueName("g"), topic, { autoOffsetReset: "none" });
    await expect(none.run({ eachRecord: () => undefined })).rejects.toMatchObject({ type: "NO_OFFSET_FOR_PARTITION" });
  });

  it("pause stops a partition's records until resume; seek re-reads from an offset", async () => {
    const topic = await topicWithRecords(1, 30);
    // Every request's path, in order: what the consumer does while paused is seen, not inferred from a quiet spell.
    const paths: string[] = [];
    const observed = new Edgelog({ url: server.base, fetch: (input, init) => (paths.push(new URL(input).pathname), fetch(input, init)) });
    const sent = (suffix: string) => paths.filter((p) => p.endsWith(suffix)).length;
    const consumer = groupConsumer(uniqueName("g"), topic, { maxRecords: 5 }, observed);
    const offsets: number[] = [];
    let atPause: { fetches: number; heartbeats: number } | undefined;
    const run = consumer.run({
      eachRecord: (r) => {
        offsets.push(r.offset);
        if (r.offset === 9 && offsets.length === 10) {
          consumer.pause([{ topic }]);
          atPause = { fetches: sent("/records"), heartbeats: sent("/heartbeat") };
        }
      },
    });
    await waitFor(() => offsets.length === 10, "ten records");
    // Paused: the member heartbeats on (twice more), and not one fetch of the partition starts meanwhile.
    await waitFor(() => sent("/heartbeat") >= atPause!.heartbeats + 2, "two heartbeats while paused");
    expect(sent("/records")).toBe(atPause!.fetches);
    expect(offsets).toHaveLength(10);
    expect(consumer.assignment()[0]).toMatchObject({ paused: true, position: 10 });
    consumer.seek({ topic, partition: 0, offset: 3 });
    consumer.resume([{ topic }]);
    await waitFor(() => offsets.length === 37, () => `the re-read from 3 to the end (have ${offsets.join(",")}; ${JSON.stringify(consumer.assignment())})`, 3000);
    expect(offsets.slice(10)).toEqual(Array.from({ length: 27 }, (_, i) => i + 3));
    await consumer.stop();
    await run;
  });

  it("autoCommit false commits only when asked", async () => {
    const topic = await topicWithRecords(1, 20);
    const groupId = uniqueName("g");
    const consumer = groupConsumer(groupId, topic, { autoCommit: false });
    let n = 0;
    const run = consumer.run({ eachBatch: (b) => void (n += b.records.length) });
    await waitFor(() => n === 20, "20 records");
    expect((await client.admin().lag(groupId)).topics[0]!.partitions[0]!.committedOffset).toBeNull();
    await consumer.commitOffsets();
    expect((await client.admin().lag(groupId)).topics[0]!.partitions[0]!.committedOffset).toBe(20);
    await consumer.stop();
    await run;
  });
});

describe("failures reach run()", () => {
  it("a subscribed topic that does not exist: UNKNOWN_TOPIC_OR_PARTITION after unknownTopicTimeoutMs, and no group is made", async () => {
    const groupId = uniqueName("g");
    const topic = uniqueName("nosuch");
    const consumer = groupConsumer(groupId, topic, { unknownTopicTimeoutMs: 300 });
    const startMs = Date.now();
    const error = await within(consumer.run({ eachRecord: () => undefined }), "run() to reject").catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "EdgelogError", type: "UNKNOWN_TOPIC_OR_PARTITION", code: 3, retriable: false, details: { topic } });
    expect((error as Error).message).toBe(`topic '${topic}' does not exist (waited 300 ms for it: unknownTopicTimeoutMs)`);
    expect(Date.now() - startMs).toBeGreaterThanOrEqual(300);
    await expect(client.admin().describeGroup(groupId)).rejects.toMatchObject({ type: "GROUP_ID_NOT_FOUND" });
    // 0: one look, no wait.
    const once = groupConsumer(groupId, topic, { unknownTopicTimeoutMs: 0 });
    await expect(within(once.run({ eachRecord: () => undefined }), "run() to reject")).rejects.toThrow(new RegExp(`^topic '${topic}' does not exist$`));
  });

  it("a subscribed topic created while run() waits for it is consumed", async () => {
    const topic = uniqueName("late");
    let misses = 0;
    // The topic is created the first time the consumer finds it missing, so run() has certainly waited for it.
    const transport: Transport = Object.create(client.transport, {
      describeTopic: {
        value: async (name: string) => {
          try {
            return await client.transport.describeTopic(name);
          } catch (error) {
            if (misses++ === 0) {
              await client.admin().createTopic({ name: topic });
              await client.producer().send(topic, { value: "first" });
            }
            throw error;
          }
        },
      },
    });
    const consumer = groupConsumer(uniqueName("g"), topic, {}, new Edgelog({ transport }));
    const values: string[] = [];
    const run = consumer.run({ eachRecord: (r) => void values.push(r.value!) });
    await waitFor(() => values.length === 1, "the record of the topic created meanwhile");
    await consumer.stop();
    await run;
    expect(values).toEqual(["first"]);
    expect(misses).toBe(1);
  });

  it("edgelog unreachable: run() rejects with NETWORK_EXCEPTION after `retries` retries", async () => {
    const unreachable = new Edgelog({ url: "http://127.0.0.1:9" });
    const consumer = unreachable.consumer({ groupId: uniqueName("g"), retries: 1, retryBackoffMs: 1 });
    consumer.subscribe({ topics: ["orders"] });
    await expect(within(consumer.run({ eachRecord: () => undefined }), "run() to reject")).rejects.toMatchObject({ type: "NETWORK_EXCEPTION", message: expect.stringMatching(/cannot reach http:\/\/127\.0\.0\.1:9/) });
  });

  it("a coordinator no join reaches: run() rejects after `retries` retries of the join", async () => {
    const topic = await topicWithRecords(1, 1);
    const network = faultyFetch({ only: /\/heartbeat$/, failBefore: 1 });
    const consumer = groupConsumer(uniqueName("g"), topic, { retries: 2, retryBackoffMs: 1 }, new Edgelog({ url: server.base, fetch: network.fetch }));
    await expect(within(consumer.run({ eachRecord: () => undefined }), "run() to reject")).rejects.toMatchObject({ type: "NETWORK_EXCEPTION" });
    expect(network.counts.failedBefore).toBe(3); // the join and its two retries; the leave is not sent (never joined)
  });

  it("a partition no fetch reaches for a whole session: run() rejects with the fetch's error", async () => {
    const topic = await topicWithRecords(1, 1);
    const network = faultyFetch({ only: /\/records$/, failBefore: 1 });
    const consumer = groupConsumer(uniqueName("g"), topic, { sessionTimeoutMs: 1_000, retryBackoffMs: 10, retryBackoffMaxMs: 50 }, new Edgelog({ url: server.base, fetch: network.fetch }));
    const startMs = Date.now();
    await expect(within(consumer.run({ eachRecord: () => undefined }), "run() to reject")).rejects.toMatchObject({ type: "NETWORK_EXCEPTION", message: expect.stringMatching(/\/records/) });
    expect(Date.now() - startMs).toBeGreaterThanOrEqual(1_000);
    expect(network.counts.failedBefore).toBeGreaterThan(1);
  });
});
