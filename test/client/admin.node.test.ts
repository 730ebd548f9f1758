// The admin against a real edgelog: every topic and group operation, lag, ListOffsets, the typed errors from the
// server's table, and the bearer token on every request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
import { EdgelogError } from "../../src/client/edgelog-error";
import { HttpTransport } from "../../src/client/http-transport";
import { ERRORS } from "../../src/errors";
import { startServer, uniqueName, waitFor, type TestServer } from "./server.node";

let server: TestServer;
let client: Edgelog;
beforeAll(async () => {
  server = await startServer();
  client = new Edgelog({ url: server.base });
});
afterAll(async () => {
  await server?.stop();
});

describe("topics", () => {
  it("create, list, describe, alter config, add partitions, delete", async () => {
    const admin = client.admin();
    const name = uniqueName("a");
    const created = await admin.createTopic({ name, partitions: 2, config: { "retention.ms": 60_000 } });
    expect(created).toMatchObject({ name, partitionCount: 2, replicationFactor: 1, config: { "retention.ms": "60000" } });
    expect((await admin.listTopics()).map((t) => t.name)).toContain(name);
    const described = await admin.describeTopic(name);
    expect(described.partitions.map((p) => [p.partition, p.highWatermark])).toEqual([[0, 0], [1, 0]]);
    expect((await admin.alterTopicConfig(name, { "retention.ms": null, "max.message.bytes": 1_000 })).config).toMatchObject({ "retention.ms": "604800000", "max.message.bytes": "1000" });
    expect((await admin.addPartitions(name, 5)).partitionCount).toBe(5);
    expect((await admin.deleteTopic(name)).name).toBe(name);
    await expect(admin.describeTopic(name)).rejects.toMatchObject({ type: "UNKNOWN_TOPIC_OR_PARTITION" });
  });

  it("ListOffsets for a partition and for a whole topic", async () => {
    const admin = client.admin();
    const name = uniqueName("a");
    await admin.createTopic({ name, partitions: 3 });
    const producer = client.producer();
    await producer.send(name, [
      { value: "a", partition: 1, timestamp: 5_000 },
      { value: "b", partition: 1, timestamp: 6_000 },
    ]);
    await producer.close();
    expect(await admin.listOffsets(name, 1, "earliest")).toEqual({ offset: 0, timestamp: -1 });
    expect(await admin.listOffsets(name, 1, "latest")).toEqual({ offset: 2, timestamp: -1 });
    expect(await admin.listOffsets(name, 1, 5_500)).toEqual({ offset: 1, timestamp: 6_000 });
    expect(await admin.topicOffsets(name)).toEqual([
      { partition: 0, offset: 0, timestamp: -1 },
      { partition: 1, offset: 2, timestamp: -1 },
      { partition: 2, offset: 0, timestamp: -1 },
    ]);
  });
});

describe("groups", () => {
  it("list, describe with lag, reset offsets, delete", async () => {
    const admin = client.admin();
    const topic = uniqueName("a");
    const group = uniqueName("g");
    await admin.createTopic({ name: topic, partitions: 2 });
    const producer = client.producer();
    await producer.send(topic, Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: i % 2 })));
    await producer.close();
    const consumer = client.consumer({ groupId: group, autoOffsetReset: "earliest", maxWaitMs: 100 });
    consumer.subscribe({ topics: [topic] });
    let seen = 0;
    const run = consumer.run({ eachRecord: () => void seen++ });
    await waitFor(async () => seen === 10 && (await admin.lag(group)).totalLag === 0, () => `the 10 records consumed and committed (consumed ${seen})`);
    const described = await admin.describeGroup(group);
    expect(described).toMatchObject({ groupId: group, members: [{ subscribedTopics: [topic], assignment: [{ topic, partitions: [0, 1] }] }], lag: { totalLag: 0 } });
    expect(await admin.listGroups()).toContainEqual({ groupId: group, type: "consumer", state: described.state, members: 1 });
    await expect(admin.resetOffsets(group, { topic, to: "earliest" })).rejects.toMatchObject({ type: "NON_EMPTY_GROUP", status: 409 });
    await consumer.stop();
    await run;
    expect(await admin.resetOffsets(group, { topic, to: { offset: 2 }, partitions: [1] })).toEqual({ topic, partitions: [{ partition: 1, offset: 2 }] });
    const lag = await admin.lag(group);
    expect(lag.totalLag).toBe(3);
    expect(await admin.deleteGroup(group)).toEqual({ groupId: group });
    await expect(admin.lag(group)).rejects.toMatchObject({ type: "GROUP_ID_NOT_FOUND" });
  });
});

describe("errors and requests", () => {
  it("raises EdgelogError with the server's type, code, status and retriable", async () => {
    const admin = client.admin();
    const name = uniqueName("a");
    await admin.createTopic({ name });
    const error = await admin.createTopic({ name }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EdgelogError);
    expect(error).toMatchObject({ type: "TOPIC_ALREADY_EXISTS", code: ERRORS.TOPIC_ALREADY_EXISTS.code, status: 409, retriable: false, details: { topic: name } });
    await expect(admin.createTopic({ name: "bad name" })).rejects.toMatchObject({ type: "INVALID_TOPIC_EXCEPTION", code: 17 });
    await expect(admin.listOffsets(name, 9, "latest")).rejects.toMatchObject({ type: "UNKNOWN_TOPIC_OR_PARTITION" });
    await expect(new Edgelog({ url: "http://127.0.0.1:9" }).admin({ retries: 0 }).listTopics()).rejects.toMatchObject({ type: "NETWORK_EXCEPTION", code: 13, retriable: true });
  });

  it("refuses a url that is not http:// or https:// when it is made, not as unreachable at the first call", async () => {
    for (const url of ["127.0.0.1:8787", "localhost:8787", "ftp://127.0.0.1:8787", "not a url"]) {
      expect(() => new Edgelog({ url }), url).toThrow(new TypeError(`edgelog's url needs http:// or https:// (e.g. http://127.0.0.1:8787), got '${url}'`));
    }
    // Trailing slashes are dropped, so paths join cleanly.
    expect(await new HttpTransport({ url: `${server.base}//` }).listTopics()).toBeInstanceOf(Array);
  });

  it("sends the token as a bearer on every request", async () => {
    const seen: (string | null)[] = [];
    const withToken = new Edgelog({
      url: server.base,
      token: "s3cret",
      fetch: (input, init) => {
        seen.push(new Headers(init.headers).get("authorization"));
        return fetch(input, init);
      },
    });
    const name = uniqueName("a");
    await withToken.admin().createTopic({ name });
    await withToken.producer().send(name, { value: "x" });
    expect(seen.length).toBeGreaterThanOrEqual(4); // create, describe (metadata), init producer, produce
    expect(new Set(seen)).toEqual(new Set(["Bearer s3cret"]));
  });
});
