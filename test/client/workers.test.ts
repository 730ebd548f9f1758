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
    const run = consumer.run({ eachRecord: (r) => void values.push(r.value!) });
    while (values.length < 30) await new Promise((r) => setTimeout(r, 10));
    await consumer.stop();
    await run;
    expect(values.sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
    expect((await admin.lag(groupId)).totalLag).toBe(0);
    expect((await admin.topicOffsets(topic)).reduce((sum, p) => sum + p.offset, 0)).toBe(30);
  });
});
