// The client's transactions inside workerd, over the RPC entrypoint and over HTTP: a transactional producer's
// transaction() in kafkajs's shape (send, sendOffsets, commit, abort), the epoch bump after each transaction, fencing
// surfacing as the server's errors, the consumer's isolationLevel, and docs/transactions.md's consume-transform-produce
// example run as written there.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Edgelog, type Consumer, type Producer } from "../../src/client/edgelog";
import type { EdgelogBinding } from "../../src/client/rpc-transport";
import type { IsolationLevel } from "../../src/client/wire";
import { uniqueTopic } from "../helpers";

const transports: [string, () => Edgelog][] = [
  ["a service binding to EdgelogRpc", () => new Edgelog({ binding: (exports as unknown as { EdgelogRpc: EdgelogBinding }).EdgelogRpc })],
  ["HTTP through the Worker's fetch", () => new Edgelog({ url: "http://edgelog.test", fetch: (input, init) => exports.default.fetch(new Request(input, init)) })],
];

/** Every value of a partition under an isolation level. */
async function values(client: Edgelog, topic: string, partition: number, isolation: IsolationLevel): Promise<string[]> {
  const out: string[] = [];
  let offset = 0;
  for (;;) {
    const page = await client.transport.fetchRecords(topic, partition, { offset, isolation, maxRecords: 10_000 });
    out.push(...page.records.map((r) => r.value!));
    const end = isolation === "read_committed" ? page.lastStableOffset! : page.highWatermark;
    if (page.nextOffset >= end) return out;
    offset = page.nextOffset;
  }
}

async function committed(client: Edgelog, groupId: string, topic: string): Promise<(number | null)[]> {
  const offsets = await client.transport.groupOffsets(groupId).catch(() => ({ topics: [] as { topic: string; partitions: { partition: number; committedOffset: number | null }[] }[] }));
  const t = offsets.topics.find((x) => x.topic === topic);
  return (t?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => p.committedOffset);
}

async function waitFor(check: () => Promise<boolean>, what: () => string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** docs/transactions.md's consume-transform-produce loop, as written there (names passed in). */
function uppercaser(edgelog: Edgelog, names: { groupId: string; transactionalId: string; input: string; output: string }): { consumer: Consumer; producer: Producer; run: Promise<void> } {
  const consumer = edgelog.consumer({ groupId: names.groupId, isolationLevel: "read_committed", autoCommit: false, autoOffsetReset: "earliest", maxWaitMs: 100 });
  const producer = edgelog.producer({ transactionalId: names.transactionalId });
  consumer.subscribe({ topics: [names.input] });
  const run = consumer.run({
    eachBatch: async ({ topic, partition, records }) => {
      const txn = await producer.transaction();
      try {
        // The output and the input's offsets, at once (both join the transaction; neither is visible before the commit).
        await Promise.all([
          txn.send({ topic: names.output, messages: records.map((r) => ({ key: r.key, value: r.value?.toUpperCase() ?? null })) }),
          txn.sendOffsets({ consumer, topics: [{ topic, partitions: [{ partition, offset: records.at(-1)!.offset + 1 }] }] }),
        ]);
        await txn.commit();
      } catch (error) {
        await txn.abort();
        throw error;
      }
    },
  });
  return { consumer, producer, run };
}

describe.each(transports)("transactions in the client over %s", (_name, make) => {
  it("commits records in several partitions and a group's offsets together; an abort shows nothing; each ends with a new epoch", async () => {
    const client = make();
    const topic = uniqueTopic("txn-out");
    const groupId = uniqueTopic("txn-group");
    const input = uniqueTopic("txn-in");
    await client.admin().createTopic({ name: topic, partitions: 3 });
    await client.admin().createTopic({ name: input, partitions: 1 });
    const transactionalId = uniqueTopic("txn-id");
    const producer = client.producer({ transactionalId, transactionTimeoutMs: 30_000 });

    const txn = await producer.transaction();
    const first = txn.identity;
    const sent = await txn.send({ topic, messages: [0, 1, 2].map((p) => ({ value: `c${p}`, partition: p })) });
    expect(sent.map((r) => r.partition)).toEqual([0, 1, 2]);
    expect(await values(client, topic, 0, "read_committed")).toEqual([]); // open: below the LSO only
    expect(await values(client, topic, 0, "read_uncommitted")).toEqual(["c0"]);
    await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: "7" }] }] });
    expect(await committed(client, groupId, input)).toEqual([]); // invisible until the commit
    await txn.commit();
    expect(txn.isActive()).toBe(false);
    for (const p of [0, 1, 2]) expect(await values(client, topic, p, "read_committed")).toEqual([`c${p}`]);
    expect(await committed(client, groupId, input)).toEqual([7]);

    const second = await producer.transaction();
    expect(second.identity.producerId).toBe(first.producerId);
    expect(second.identity.producerEpoch).toBe(first.producerEpoch + 1); // KIP-890: bumped at the end of every transaction
    await second.send(topic, [{ value: "a0", partition: 0 }, { value: "a1", partition: 1 }]);
    await second.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: 9 }] }] });
    await second.abort();
    expect(await values(client, topic, 0, "read_committed")).toEqual(["c0"]);
    expect(await values(client, topic, 0, "read_uncommitted")).toEqual(["c0", "a0"]);
    expect(await committed(client, groupId, input)).toEqual([7]);
    await expect(second.commit()).rejects.toMatchObject({ type: "INVALID_TXN_STATE" });

    // A transaction with nothing in it ends without asking the coordinator, and keeps the epoch.
    const third = await producer.transaction();
    expect(third.identity.producerEpoch).toBe(first.producerEpoch + 2);
    await third.commit();
    const fourth = await producer.transaction();
    expect(fourth.identity).toEqual(third.identity);
    await fourth.send({ topic, messages: [{ value: "d2", partition: 2 }] });
    await fourth.commit();
    expect(await values(client, topic, 2, "read_committed")).toEqual(["c2", "d2"]);
    const described = await client.admin().describeTransaction(transactionalId);
    expect(described).toMatchObject({ transactionalId, state: "CompleteCommit", producerId: first.producerId });
    expect((await client.admin().listTransactions()).map((t) => t.transactionalId)).toContain(transactionalId);
  }, 30_000);

  it("refuses sends outside a transaction and a second open transaction", async () => {
    const client = make();
    const producer = client.producer({ transactionalId: uniqueTopic("txn-id") });
    await expect(producer.send("any", { value: "x" })).rejects.toThrow(/inside a transaction/);
    const txn = await producer.transaction();
    await expect(producer.transaction()).rejects.toThrow(/already open/);
    await txn.abort();
    expect(() => client.producer({ transactionalId: "x", acks: 1 })).toThrow(/acks/);
  });

  it("a zombie is fenced: a new incarnation's init aborts its transaction, and its commit and next transaction answer PRODUCER_FENCED", async () => {
    const client = make();
    const topic = uniqueTopic("txn-zombie");
    await client.admin().createTopic({ name: topic, partitions: 1 });
    const transactionalId = uniqueTopic("txn-id");
    const zombie = client.producer({ transactionalId });
    const old = await zombie.transaction();
    await old.send({ topic, messages: [{ value: "zombie" }] });

    const successor = client.producer({ transactionalId });
    const txn = await successor.transaction(); // fences the zombie and aborts its open transaction
    await expect(old.commit()).rejects.toMatchObject({ type: "PRODUCER_FENCED" });
    await expect(old.send({ topic, messages: [{ value: "late" }] })).rejects.toMatchObject({ type: expect.stringMatching(/INVALID_PRODUCER_EPOCH|PRODUCER_FENCED/) });
    await expect(zombie.transaction()).rejects.toMatchObject({ type: "PRODUCER_FENCED" });

    await txn.send({ topic, messages: [{ value: "successor" }] });
    await txn.commit();
    expect(await values(client, topic, 0, "read_committed")).toEqual(["successor"]);
  }, 30_000);

  it("a read_committed consumer never sees an aborted or open transaction's records; read_uncommitted does", async () => {
    const client = make();
    const topic = uniqueTopic("txn-iso");
    await client.admin().createTopic({ name: topic, partitions: 1 });
    const producer = client.producer({ transactionalId: uniqueTopic("txn-id") });
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: "aborted" }] });
    await aborted.abort();
    const ok = await producer.transaction();
    await ok.send({ topic, messages: [{ value: "committed" }] });
    await ok.commit();
    const open = await producer.transaction();
    await open.send({ topic, messages: [{ value: "open" }] });

    const seen = async (isolationLevel: IsolationLevel, count: number): Promise<string[]> => {
      const consumer = client.consumer({ groupId: uniqueTopic("iso"), isolationLevel, autoOffsetReset: "earliest", maxWaitMs: 50 });
      consumer.subscribe({ topics: [topic] });
      const got: string[] = [];
      const run = consumer.run({ eachRecord: (r) => void got.push(r.value!) });
      try {
        await waitFor(async () => got.length >= count, () => `${count} records under ${isolationLevel} (have ${got.join(",")})`);
        await new Promise((resolve) => setTimeout(resolve, 300)); // and nothing more arrives
      } finally {
        await consumer.stop();
      }
      await run;
      return got;
    };
    expect(await seen("read_committed", 1)).toEqual(["committed"]);
    expect(await seen("read_uncommitted", 3)).toEqual(["aborted", "committed", "open"]);
    await open.abort();
  }, 30_000);

  it("runs docs/transactions.md's consume-transform-produce example: every input record's output once, the group's offsets at the end", async () => {
    const client = make();
    const names = { groupId: uniqueTopic("upper"), transactionalId: uniqueTopic("upper-id"), input: uniqueTopic("words"), output: uniqueTopic("shouted") };
    await client.admin().createTopic({ name: names.input, partitions: 2 });
    await client.admin().createTopic({ name: names.output, partitions: 3 });
    const plain = client.producer({ lingerMs: 1 });
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
    await plain.send(names.input, words.map((w) => ({ key: w, value: w })));
    await plain.close();

    const { consumer, producer, run } = uppercaser(client, names);
    try {
      await waitFor(
        async () => (await committed(client, names.groupId, names.input)).reduce<number>((sum, o) => sum + (o ?? 0), 0) === 60,
        () => "the group's offsets to reach the 60 input records",
      );
    } finally {
      await consumer.stop();
    }
    await run;
    await producer.close();
    const out = (await Promise.all([0, 1, 2].map((p) => values(client, names.output, p, "read_committed")))).flat();
    expect(out.sort()).toEqual(words.map((w) => w.toUpperCase()).sort());
  }, 30_000);
});
