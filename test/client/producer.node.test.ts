// The producer against a real edgelog: batching by lingerMs and batchBytes, per-key order and the server's own
// partitioner, retries through a faulty network that neither reorder nor duplicate, flush/close that lose nothing,
// records refused alone, bytes, acks=0, typed errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
import { EdgelogError } from "../../src/client/edgelog-error";
import type { ProducerRecord } from "../../src/client/producer-record";
import type { FetchFunction } from "../../src/client/http-transport";
import { partitionForKey, partitionForStringKey } from "../../src/log/partitioner";
import { faultyFetch } from "./faulty-fetch.node";
import { readPartition, startServer, uniqueName, within, type TestServer } from "./server.node";

let server: TestServer;
let client: Edgelog;
beforeAll(async () => {
  server = await startServer();
  client = new Edgelog({ url: server.base });
});
afterAll(async () => {
  await server?.stop();
});

async function topicWith(partitions: number, config?: Record<string, string>): Promise<string> {
  const name = uniqueName("p");
  await client.admin().createTopic({ name, partitions, ...(config ? { config } : {}) });
  return name;
}

describe("batching", () => {
  it("lingerMs gathers separate send() calls into one request per partition", async () => {
    const topic = await topicWith(1);
    const producer = client.producer({ lingerMs: 200 });
    const sends = Array.from({ length: 50 }, (_, i) => producer.send(topic, { value: `v${i}` }));
    const results = (await Promise.all(sends)).flat();
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // One produce request is stored as one batch row.
    expect((await client.admin().describeTopic(topic)).partitions[0]!.batches).toBe(1);
    await producer.close();
  });

  it("batchBytes closes a batch once it holds that many bytes", async () => {
    const topic = await topicWith(1);
    const producer = client.producer({ lingerMs: 300, batchBytes: 2_000 });
    const value = "x".repeat(100); // ~164 bytes each with overhead: about 12 records per batch
    const sends = Array.from({ length: 120 }, () => producer.send(topic, { value }));
    await Promise.all(sends); // resolves well before lingerMs for all but the last batch
    const { batches } = (await client.admin().describeTopic(topic)).partitions[0]!;
    expect(batches).toBeGreaterThanOrEqual(9);
    expect(batches).toBeLessThanOrEqual(14);
    await producer.close();
  });

  it("keeps each key's records in send order, on the partition Kafka's partitioner picks", async () => {
    const topic = await topicWith(4);
    const producer = client.producer({ lingerMs: 2, batchBytes: 4_096 });
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i}`);
    const sends = [];
    for (let seq = 0; seq < 100; seq++) {
      sends.push(producer.send(topic, keys.map((key) => ({ key, value: String(seq) }))));
    }
    const results = (await Promise.all(sends)).flat();
    for (const [i, r] of results.entries()) expect(r.partition).toBe(partitionForStringKey(keys[i % keys.length]!, 4));
    await producer.close();
    const seen = new Map<string, number[]>();
    for (let p = 0; p < 4; p++) {
      for (const record of await readPartition(client.transport, topic, p)) {
        expect(partitionForStringKey(record.key!, 4)).toBe(p);
        seen.set(record.key!, [...(seen.get(record.key!) ?? []), Number(record.value)]);
      }
    }
    for (const key of keys) expect(seen.get(key)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("spreads keyless records by the sticky partitioner and honours an explicit partition", async () => {
    const topic = await topicWith(3);
    const producer = client.producer({ batchBytes: 1_000 });
    const keyless = await producer.send(topic, Array.from({ length: 300 }, (_, i) => ({ value: `v${i}` })));
    expect(new Set(keyless.map((r) => r.partition)).size).toBeGreaterThan(1);
    const explicit = await producer.send(topic, [{ key: "k", value: "x", partition: 2 }]);
    expect(explicit[0]!.partition).toBe(2);
    await producer.close();
  });
});

describe("retries", () => {
  it("through delays, refused requests and lost answers: every record once, in order, nothing reordered", async () => {
    const partitions = 3;
    const topic = await topicWith(partitions);
    const network = faultyFetch({ failBefore: 0.15, loseAnswer: 0.15, maxDelayMs: 15, only: /\/records$/, seed: 7 });
    const faulty = new Edgelog({ url: server.base, fetch: network.fetch });
    const producer = faulty.producer({ lingerMs: 1, batchBytes: 1_500, retries: 50, retryBackoffMs: 5, retryBackoffMaxMs: 50 });
    const count = 3_000;
    const sends = [];
    for (let i = 0; i < count; i += 10) {
      sends.push(producer.send(topic, Array.from({ length: 10 }, (_, j) => ({ key: `k${(i + j) % 30}`, value: String(i + j) }))));
    }
    const results = (await Promise.all(sends)).flat();
    await producer.close();
    expect(network.counts.failedBefore).toBeGreaterThan(5);
    expect(network.counts.lostAnswers).toBeGreaterThan(5);
    // Delays made later batches overtake earlier ones; the server refused them and they were sent again in order.
    expect(network.counts.outOfOrder).toBeGreaterThan(0);

    const stored = new Map<number, { partition: number; offset: number }>();
    for (let p = 0; p < partitions; p++) {
      const records = await readPartition(client.transport, topic, p);
      const values = records.map((r) => Number(r.value));
      // In send order within the partition, and each value exactly once.
      expect(values).toEqual([...values].sort((a, b) => a - b));
      for (const r of records) {
        expect(stored.has(Number(r.value))).toBe(false);
        stored.set(Number(r.value), { partition: p, offset: r.offset });
      }
    }
    expect(stored.size).toBe(count);
    // What send() reported is where each record really is (a duplicate answers with the original offsets).
    for (const [i, r] of results.entries()) expect(stored.get(i)).toEqual({ partition: r.partition, offset: r.offset });
  });

  it("does not retry an error that is not retriable, and fails only the calls whose records it holds", async () => {
    const topic = await topicWith(1, { "max.message.bytes": "100" });
    const producer = client.producer();
    const ok = producer.send(topic, { value: "small" });
    const tooBig = producer.send(topic, { value: "y".repeat(200) });
    await expect(tooBig).rejects.toMatchObject({ type: "MESSAGE_TOO_LARGE", retriable: false });
    expect((await ok)[0]!.offset).toBe(0);
    await expect(producer.send("no-such-topic-" + uniqueName(), { value: "x" })).rejects.toBeInstanceOf(EdgelogError);
    await expect(producer.send("no-such-topic-" + uniqueName(), { value: "x" })).rejects.toMatchObject({ type: "UNKNOWN_TOPIC_OR_PARTITION", code: 3, status: 404 });
    await expect(producer.send(topic, { value: "x", partition: 5 })).rejects.toMatchObject({ type: "UNKNOWN_TOPIC_OR_PARTITION" });
    await producer.close();
  });

  it("gives up on a retriable failure after its retries, with the error that stopped it", async () => {
    const topic = await topicWith(1);
    const network = faultyFetch({ only: /\/records$/ });
    const producer = new Edgelog({ url: server.base, fetch: network.fetch }).producer({ retries: 2, retryBackoffMs: 1 });
    network.cut = true;
    await expect(producer.send(topic, { value: "lost" })).rejects.toMatchObject({ type: "NETWORK_EXCEPTION", retriable: true });
    network.cut = false;
    // The partition starts a new epoch and goes on.
    const after = await producer.send(topic, [{ value: "a" }, { value: "b" }]);
    expect(after.map((r) => r.offset)).toEqual([0, 1]);
    await producer.close();
  });
  it("fails the batches behind a failed one in order instead of writing them past the hole", async () => {
    const topic = await topicWith(1);
    // Requests carrying record "A" never get through; everything else does. A's first attempt is held until the
    // server has answered B, which is sent while A is in flight and so overtakes it; A's retries fail at once.
    let aInFlight!: () => void;
    const aSent = new Promise<void>((resolve) => (aInFlight = resolve));
    let bAnswered!: () => void;
    const bOvertook = new Promise<void>((resolve) => (bAnswered = resolve));
    const blockA: FetchFunction = async (input, init) => {
      const body = typeof init.body === "string" ? init.body : "";
      if (body.includes('"value":"A"')) {
        aInFlight();
        await bOvertook;
        throw new TypeError("fetch failed (injected)");
      }
      const response = await fetch(input, init);
      if (body.includes('"value":"B"')) bAnswered();
      return response;
    };
    const producer = new Edgelog({ url: server.base, fetch: blockA }).producer({ lingerMs: 0, retries: 3, retryBackoffMs: 20 });
    await producer.send(topic, { value: "warm" }); // the partition now knows the producer: 5 batches may be in flight
    const order: string[] = [];
    const a = producer.send(topic, { value: "A" }).catch((error: EdgelogError) => (order.push("A"), error));
    await within(aSent, "A's request to be sent");
    const b = producer.send(topic, { value: "B" }).catch((error: EdgelogError) => (order.push("B"), error));
    expect(await within(a, "A to fail")).toMatchObject({ type: "NETWORK_EXCEPTION" });
    expect(await within(b, "B to fail")).toMatchObject({ type: "OUT_OF_ORDER_SEQUENCE_NUMBER", message: expect.stringMatching(/earlier batch/) });
    expect(order).toEqual(["A", "B"]);
    // A new epoch for the partition, and the producer goes on right after the hole.
    expect((await producer.send(topic, { value: "C" }))[0]!.offset).toBe(1);
    await producer.close();
    expect((await readPartition(client.transport, topic, 0)).map((r) => r.value)).toEqual(["warm", "C"]);
  });
});

describe("flush and close", () => {
  it("close() waits for everything accepted; send() after close() is refused", async () => {
    const topic = await topicWith(2);
    const producer = client.producer({ lingerMs: 10_000 }); // only flush sends these
    const sends = Array.from({ length: 1_000 }, (_, i) => producer.send(topic, { key: `k${i % 7}`, value: `v${i}` }));
    await producer.close();
    const settled = await Promise.allSettled(sends);
    expect(settled.every((s) => s.status === "fulfilled")).toBe(true);
    const stored = (await readPartition(client.transport, topic, 0)).length + (await readPartition(client.transport, topic, 1)).length;
    expect(stored).toBe(1_000);
    await expect(producer.send(topic, { value: "late" })).rejects.toThrow(/closed/);
  });

  it("flush() returns once every earlier send is acknowledged, and the producer goes on", async () => {
    const topic = await topicWith(1);
    const producer = client.producer({ lingerMs: 10_000 });
    let acked = 0;
    for (let i = 0; i < 100; i++) void producer.send(topic, { value: String(i) }).then(() => acked++);
    await producer.flush();
    await Promise.resolve();
    expect(acked).toBe(100);
    const after = producer.send(topic, { value: "after" }).then(() => acked++);
    await producer.close();
    await after;
    expect(acked).toBe(101);
  });
});

describe("records", () => {
  it("sends bytes as base64 and partitions a byte key by its bytes", async () => {
    const topic = await topicWith(5);
    const producer = client.producer();
    const key = new Uint8Array([0xff, 0x00, 0x10, 0x80]);
    const [sent] = await producer.send(topic, { key, value: new Uint8Array([1, 2, 3]), headers: { trace: new Uint8Array([0xfe]), plain: "text" } });
    expect(sent!.partition).toBe(partitionForKey(key, 5));
    const [stored] = await readPartition(client.transport, topic, sent!.partition, "base64");
    expect(stored).toMatchObject({ key: "/wAQgA==", value: "AQID", headers: [{ key: "trace", value: "/g==" }, { key: "plain", value: "dGV4dA==" }] });
    await producer.close();
  });

  it("refuses a record that breaks a limit without accepting the rest of its call", async () => {
    const topic = await topicWith(1, { "cleanup.policy": "compact" });
    const producer = client.producer();
    await expect(producer.send(topic, [{ key: "k", value: "fine" }, { value: "no key" }])).rejects.toMatchObject({ type: "INVALID_RECORD" });
    await expect(producer.send(topic, { key: "k", value: "x", headers: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`h${i}`, "v"])) })).rejects.toMatchObject({ type: "INVALID_RECORD" });
    await expect(producer.send(topic, { key: "k", value: "x", timestamp: -1 })).rejects.toMatchObject({ type: "INVALID_REQUEST" });
    await producer.close();
    expect((await client.admin().describeTopic(topic)).partitions[0]!.highWatermark).toBe(0);
  });

  // The producer bounds a text value's size (3 bytes per UTF-16 unit) and counts it exactly only when that bound
  // crosses max.message.bytes: a record exactly at the limit in UTF-8 bytes is sent, one byte over is refused by the
  // client (its message names the exact size), in 2-, 3- and 4-byte characters, keys and headers.
  it("a record exactly at max.message.bytes in UTF-8 bytes is written; one byte over is refused with its exact size", async () => {
    const topic = await topicWith(1, { "max.message.bytes": "1000" });
    const producer = client.producer();
    const atLimit: [string, ProducerRecord][] = [
      ["2-byte", { value: "é".repeat(500) }],
      ["3-byte", { value: "€".repeat(333) + "a" }],
      ["surrogate pairs", { value: "😀".repeat(250) }],
      ["key and header", { key: "k😀", value: "é".repeat(490) + "a".repeat(11), headers: { h: "€" } }], // 5 + 991 + 1 + 3
    ];
    for (const [name, record] of atLimit) {
      const [sent] = await within(producer.send(topic, record), `${name} at the limit to be written`);
      const [stored] = await readPartition(client.transport, topic, 0).then((records) => records.filter((r) => r.offset === sent!.offset));
      expect(stored!.value, name).toBe(record.value);
      const over = { ...record, value: `${record.value as string}a` };
      await expect(producer.send(topic, over), name).rejects.toMatchObject({ type: "MESSAGE_TOO_LARGE", message: expect.stringContaining("is 1001 bytes"), details: { index: 0 } });
      const surrogateOver = { ...record, value: `${(record.value as string).slice(0, -1)}😀` }; // one unit out, four bytes in
      if ((record.value as string).endsWith("a")) {
        await expect(producer.send(topic, surrogateOver), name).rejects.toMatchObject({ type: "MESSAGE_TOO_LARGE", message: expect.stringContaining("is 1003 bytes") });
      }
    }
    await producer.close();
    expect((await client.admin().describeTopic(topic)).partitions[0]!.highWatermark).toBe(atLimit.length);
  });

  it("acks=0 answers without offsets; acks=1 and all with them", async () => {
    const topic = await topicWith(1);
    const fireAndForget = client.producer({ acks: 0 });
    expect(await fireAndForget.send(topic, { value: "a" })).toEqual([{ topic, partition: 0, offset: -1, timestamp: -1 }]);
    await fireAndForget.close();
    expect(() => client.producer({ acks: 0, idempotent: true })).toThrow(/acks/);
    const one = client.producer({ acks: 1 });
    const [r] = await one.send(topic, { value: "b", timestamp: 1_700_000_000_000 });
    expect(r).toMatchObject({ partition: 0, timestamp: 1_700_000_000_000 });
    await one.close();
  });
});
