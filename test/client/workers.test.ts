// The client inside workerd, the runtime it must run in at the edge: over the RPC entrypoint (a service binding)
// and over HTTP with a Worker's fetch. Admin, an idempotent producer and a group consumer, end to end.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
import type { EdgelogBinding } from "../../src/client/rpc-transport";
import { uniqueTopic } from "../helpers";

const transports: [string, () => Edgelog][] = [
  ["a service binding to EdgelogRpc", () => new Edgelog({ binding: (exports as unknown as { EdgelogRpc: EdgelogBinding }).EdgelogRpc })],
  ["HTTP through the Worker's fetch", () => new Edgelog({ url: "http://edgelog.test", fetch: (input, init) => exports.default.fetch(new Request(input, init)) })],
];

/** Settles as `promise` does, or rejects naming what was awaited once `ms` passed first. */
async function within<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what()}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe.each(transports)("the client over %s", (_name, make) => {
  it("administers, produces and consumes as a group", async () => {
    const client = make();
    const admin = client.admin();
    const topic = uniqueTopic("client");
    await admin.createTopic({ name: topic, partitions: 3 });
    await expect(admin.createTopic({ name: topic })).rejects.toMatchObject({ type: "TOPIC_ALREADY_EXISTS", code: 36 });

    const producer = client.producer({ lingerMs: 1 });
    const sent = (await Promise.all(Array.from({ length: 30 }, (_, i) => producer.send(topic, { key: `k${i % 5}`, value: `v${i}` })))).flat();
    await producer.close();
    expect(new Set(sent.map((r) => `${r.partition}:${r.offset}`)).size).toBe(30);

    const groupId = uniqueTopic("group");
    const consumer = client.consumer({ groupId, autoOffsetReset: "earliest", maxWaitMs: 50 });
    consumer.subscribe({ topics: [topic] });
    const values: string[] = [];
    let allSeen!: () => void;
    const thirty = new Promise<void>((resolve) => (allSeen = resolve));
    const run = consumer.run({
      eachRecord: (r) => {
        values.push(r.value!);
        if (values.length === 30) allSeen();
      },
    });
    try {
      // Settles on the 30th record; a run() that fails first, or nothing within the bound, fails with a message.
      await within(Promise.race([thirty, run.then(() => Promise.reject(new Error("run() ended before 30 records")))]), 20_000, () => `30 records (have ${values.length})`);
    } finally {
      await consumer.stop();
    }
    await run;
    expect(values.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
    expect((await admin.lag(groupId)).totalLag).toBe(0);
    expect((await admin.topicOffsets(topic)).reduce((sum, p) => sum + p.offset, 0)).toBe(30);
  }, 30_000);
});
