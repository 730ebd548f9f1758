// Consumer groups of client consumers against a real edgelog: exactly once in a clean run (revocation commits what
// was processed before a partition moves), at-least-once when a consumer stops or crashes mid-way, a poison pill
// dead-lettered while the group moves on, and the controls: pause/resume, seek, autoOffsetReset, manual commits.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Consumer, ConsumerConfig } from "../../src/client/consumer";
import type { ConsumedRecord } from "../../src/client/consumed-record";
import { DLQ_HEADERS } from "../../src/client/dead-letter";
import { Edgelog } from "../../src/client/edgelog";
import { faultyFetch } from "./faulty-fetch.node";
import { readPartition, startServer, uniqueName, waitFor, type TestServer } from "./server.node";

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
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(runs);
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
    const origin = (await Promise.all([0, 1].map(async (p) => (await readPartition(client.transport, topic, p)).map((r) => ({ ...r, partition: p }))))).flat().find((r) => r.value === "poison")!;
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
    const consumer = groupConsumer(uniqueName("g"), topic, { maxRecords: 5 });
    const offsets: number[] = [];
    const run = consumer.run({
      eachRecord: (r) => {
        offsets.push(r.offset);
        if (r.offset === 9 && offsets.length === 10) consumer.pause([{ topic }]);
      },
    });
    await waitFor(() => offsets.length === 10, "ten records");
    await new Promise((r) => setTimeout(r, 300)); // paused: nothing more may arrive meanwhile
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
