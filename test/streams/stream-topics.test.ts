// A Durable Stream is a one-partition topic in the `__ds.` namespace (src/log/stream-topic.ts): created, listed,
// described, read through the /v1 fetch route (long-polls included), consumed by a consumer group, and deleted with the
// stream, by DELETE or by expiry. Through the real Worker against real storage; expiry by the object's injected clock
// and its alarm.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import { MAX_TOPIC_NAME_LENGTH } from "../../src/limits";
import { durableStreamStub } from "../../src/names";
import type { DurableStream } from "../../src/streams/DurableStream";
import { MAX_ENCODED_STREAM_NAME, STREAM_TOPIC_PREFIX, streamOfTopic, streamTopicName } from "../../src/log/stream-topic";
import { api, uniqueTopic } from "../helpers";
import { tail } from "../http/ws-tail-helpers";
import { subscribe, untilCaughtUp, untilDelivered } from "../subscription/helpers";
import { exports } from "cloudflare:workers";
import { decodeRecordFrame, RECORDS_MEDIA_TYPE } from "../../src/log/record-frame";

async function ds(method: string, name: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const response = await exports.default.fetch(new Request(`http://edgelog.test/ds/v1/stream/${name}`, { method, headers: init.headers ?? {}, body: init.body ?? null }));
  return { status: response.status, headers: response.headers, text: method === "HEAD" ? "" : await response.text() };
}

const text = { "content-type": "text/plain" };
type Fetched = { records: { offset: number; timestamp: number; key: null; value: string; headers: [] }[]; nextOffset: number; highWatermark: number; logStartOffset: number };

describe("stream topic names", () => {
  it("encode a path reversibly into Kafka's topic-name alphabet, with no '.' after the prefix", () => {
    for (const stream of ["jobs/log", "a.b_c-d", "ünï/cödé", "x", "/lead/trail/", "%20 space"]) {
      const topic = streamTopicName(stream)!;
      expect(topic.startsWith(STREAM_TOPIC_PREFIX)).toBe(true);
      expect(topic.slice(STREAM_TOPIC_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(streamOfTopic(topic)).toBe(stream);
    }
    expect(streamTopicName("jobs/log")).toBe("__ds.jobs-log");
    expect(streamTopicName("a.b")).toBe("__ds.a_2Eb");
    expect(streamOfTopic("orders")).toBeUndefined();
    expect(streamOfTopic("__ds.bad_ZZ")).toBeUndefined();
  });

  it("a stream name whose topic name is exactly the limit is created; one character more is 400", async () => {
    const atLimit = "s".repeat(MAX_ENCODED_STREAM_NAME);
    expect(streamTopicName(atLimit)!.length).toBe(MAX_TOPIC_NAME_LENGTH);
    const created = await ds("PUT", atLimit, { headers: text });
    expect(created.status).toBe(201);
    expect(created.headers.get("edgelog-topic")).toBe(streamTopicName(atLimit));
    const over = await ds("PUT", `${atLimit}s`, { headers: text });
    expect(over.status).toBe(400);
    expect(over.text).toContain("too long");
  });
});

describe("a stream is a topic", () => {
  it("is listed and described as a one-partition topic, and its appends are read through the /v1 fetch route", async () => {
    const name = `${uniqueTopic("jobs")}/log.v1`;
    const created = await ds("PUT", name, { headers: text, body: "started;" });
    const topic = created.headers.get("edgelog-topic")!;
    expect(topic).toBe(streamTopicName(name));
    expect((await ds("POST", name, { headers: text, body: "step 1;" })).headers.get("edgelog-topic")).toBe(topic);
    expect((await ds("HEAD", name)).headers.get("edgelog-topic")).toBe(topic);

    const listed = (await api<{ topics: { name: string; partitionCount: number }[] }>("GET", "/v1/topics")).body.topics;
    expect(listed.find((t) => t.name === topic)).toMatchObject({ partitionCount: 1 });
    const described = await api("GET", `/v1/topics/${topic}`);
    expect(described.status).toBe(200);
    expect(described.body.partitions[0]).toMatchObject({ partition: 0, logStartOffset: 0, highWatermark: 2, logEndOffset: 2 });

    const all = await api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(all.status).toBe(200);
    expect(all.body.records.map((r) => [r.offset, r.value, r.key])).toEqual([
      [0, "started;", null],
      [1, "step 1;", null],
    ]);
    expect(all.body.records[0]!.timestamp).toBeGreaterThan(0);
    expect([all.body.nextOffset, all.body.highWatermark, all.body.logStartOffset]).toEqual([2, 2, 0]);
    const fromOne = await api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=1&encoding=base64`);
    expect(fromOne.body.records).toEqual([{ offset: 1, timestamp: expect.any(Number), key: null, value: btoa("step 1;"), headers: [] }]);
    const capped = await api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&maxRecords=1`);
    expect([capped.body.records.length, capped.body.nextOffset]).toEqual([1, 1]);
    expect((await api("GET", `/v1/topics/${topic}/partitions/0/records?offset=3`)).body.error.type).toBe("OFFSET_OUT_OF_RANGE");
    expect((await api("GET", `/v1/topics/${topic}/partitions/0/offsets?at=latest`)).body.offset).toBe(2);
  });

  it("a JSON stream's messages are one record each, at the DS offsets", async () => {
    const name = uniqueTopic("ds-json");
    const topic = (await ds("PUT", name, { headers: { "content-type": "application/json" }, body: '[{"n":1},{"n":2}]' })).headers.get("edgelog-topic")!;
    await ds("POST", name, { headers: { "content-type": "application/json" }, body: '{"n":3}' });
    const read = await api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=1`);
    expect(read.body.records.map((r) => [r.offset, JSON.parse(r.value)])).toEqual([
      [1, { n: 2 }],
      [2, { n: 3 }],
    ]);
  });

  it("a binary fetch of the stream's topic answers the record frame, the same records as JSON", async () => {
    const name = uniqueTopic("ds-frame");
    const topic = (await ds("PUT", name, { headers: text, body: "héllo" })).headers.get("edgelog-topic")!;
    await ds("POST", name, { headers: text, body: "world" });
    for (const encoding of ["text", "base64"]) {
      const path = `/v1/topics/${topic}/partitions/0/records?offset=0&encoding=${encoding}`;
      const json = await api<Fetched>("GET", path);
      const response = await exports.default.fetch(new Request(`http://edgelog.test${path}`, { headers: { accept: RECORDS_MEDIA_TYPE } }));
      expect(response.headers.get("content-type")).toContain(RECORDS_MEDIA_TYPE);
      const frame = decodeRecordFrame(new Uint8Array(await response.arrayBuffer()));
      expect(frame.records.map((r) => r.toJSON())).toEqual(json.body.records);
      expect([frame.nextOffset, frame.highWatermark, frame.logStartOffset]).toEqual([json.body.nextOffset, json.body.highWatermark, json.body.logStartOffset]);
    }
  });

  it("a fork's topic reads its source's records below the fork offset, then its own", async () => {
    const source = uniqueTopic("ds-src");
    await ds("PUT", source, { headers: text, body: "s0" });
    await ds("POST", source, { headers: text, body: "s1" });
    await ds("POST", source, { headers: text, body: "s2" });
    const fork = uniqueTopic("ds-fork");
    const forked = await ds("PUT", fork, { headers: { "stream-forked-from": `/v1/stream/${source}`, "stream-fork-offset": "0000000000000000_0000000000000002" } });
    expect(forked.status).toBe(201);
    await ds("POST", fork, { headers: text, body: "f2" });
    const read = await api<Fetched>("GET", `/v1/topics/${forked.headers.get("edgelog-topic")}/partitions/0/records?offset=0`);
    expect(read.body.records.map((r) => [r.offset, r.value])).toEqual([
      [0, "s0"],
      [1, "s1"],
      [2, "f2"],
    ]);
  });

  it("a /v1 long-poll parked on the stream's topic is woken by a DS append", async () => {
    const name = uniqueTopic("ds-poll");
    const topic = (await ds("PUT", name, { headers: text })).headers.get("edgelog-topic")!;
    const polled = api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&maxWaitMs=5000`);
    await new Promise((resolve) => setTimeout(resolve, 100)); // let the poll park first (it answers at once either way)
    await ds("POST", name, { headers: text, body: "late" });
    const answer = await polled;
    expect(answer.body.records.map((r) => r.value)).toEqual(["late"]);
  });

  it("a WebSocket tail of the stream's topic gets what is there, then each DS append; deleting the stream closes it", async () => {
    const name = uniqueTopic("ds-ws");
    const topic = (await ds("PUT", name, { headers: text, body: "first" })).headers.get("edgelog-topic")!;
    const socket = await tail(topic, { offset: 0 });
    expect(await socket.values(1)).toEqual(["first"]);
    await ds("POST", name, { headers: text, body: "second" });
    const frame = await socket.next();
    expect(frame.records.map((r: { offset: number; value: string }) => [r.offset, r.value])).toEqual([[1, "second"]]);
    socket.ws.send(JSON.stringify({ ack: frame.nextOffset }));
    await ds("DELETE", name);
    expect((await socket.closing()).code).toBe(4404);
  });

  it("a consumer group consumes the stream's topic and commits its offsets", async () => {
    const name = uniqueTopic("ds-group");
    const topic = (await ds("PUT", name, { headers: text, body: "a" })).headers.get("edgelog-topic")!;
    await ds("POST", name, { headers: text, body: "b" });
    const group = uniqueTopic("g");
    const joined = await api("POST", `/v1/groups/${group}/heartbeat`, { memberEpoch: 0, subscribedTopics: [topic] });
    expect(joined.status).toBe(200);
    let told = joined.body;
    for (let i = 0; i < 5 && told.assignment.length === 0; i++) {
      told = (await api("POST", `/v1/groups/${group}/heartbeat`, { memberId: told.memberId, memberEpoch: told.memberEpoch, ownedPartitions: [] })).body;
    }
    expect(told.assignment).toEqual([{ topic, partitions: [0] }]);
    const read = await api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    const committed = await api("POST", `/v1/groups/${group}/offsets`, { memberId: told.memberId, memberEpoch: told.memberEpoch, offsets: [{ topic, partition: 0, offset: read.body.nextOffset }] });
    expect(committed.status).toBe(200);
    await ds("POST", name, { headers: text, body: "c" });
    const offsets = (await api("GET", `/v1/groups/${group}/offsets`)).body;
    expect(offsets.totalLag).toBe(1);
  });

  it("a subscription delivers the stream's appends, woken by the stream object once it has caught up", async () => {
    const name = uniqueTopic("ds-sub");
    const topic = (await ds("PUT", name, { headers: text, body: "a" })).headers.get("edgelog-topic")!;
    const subscription = uniqueTopic("s");
    await subscribe({ name: subscription, topics: [topic] });
    // Caught up, the subscription's partition waits on the stream object (watchFor); the next append wakes it.
    expect((await untilCaughtUp(subscription)).partitions).toMatchObject([{ partition: 0, status: "waiting", lag: 0 }]);
    const waits = (_o: DurableStream, state: DurableObjectState) => state.storage.sql.exec<{ after: number }>("SELECT after FROM ds_watches").toArray().map((r) => r.after);
    expect(await runInDurableObject(durableStreamStub(env as unknown as Env, name), waits)).toEqual([1]);
    await ds("POST", name, { headers: text, body: "b" });
    const list = await untilDelivered(subscription, (l) => l.some((d) => d.values.includes("b")));
    expect(list.flatMap((d) => (d.outcome.kind === "ack" ? d.values : []))).toEqual(["a", "b"]);
    // The wait past offset 1 was woken and forgotten (a new one past 2 may already be there).
    expect(await runInDurableObject(durableStreamStub(env as unknown as Env, name), waits)).not.toContain(1);
  });

  it("two creates of a new stream at once, one refused for another config, leave the winner's topic in place", async () => {
    for (let round = 0; round < 5; round++) {
      const name = uniqueTopic("ds-race");
      const answers = await Promise.all([ds("PUT", name, { headers: text, body: "a" }), ds("PUT", name, { headers: { "content-type": "application/json" }, body: "[1]" })]);
      expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
      const topic = answers.find((a) => a.status === 201)!.headers.get("edgelog-topic")!;
      expect((await api("GET", `/v1/topics/${topic}`)).status).toBe(200);
      expect((await api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`)).body.records).toHaveLength(1);
    }
  });

  it("deleting the stream deletes its topic; the namespace cannot be written, altered, grown or deleted through /v1", async () => {
    const name = uniqueTopic("ds-del");
    const topic = (await ds("PUT", name, { headers: text, body: "x" })).headers.get("edgelog-topic")!;
    const produced = await api("POST", `/v1/topics/${topic}/records`, { records: [{ value: "y" }] });
    expect([produced.status, produced.body.error.type]).toEqual([400, "INVALID_TOPIC_EXCEPTION"]);
    expect((await api("DELETE", `/v1/topics/${topic}`)).body.error.type).toBe("INVALID_TOPIC_EXCEPTION");
    expect((await api("POST", `/v1/topics/${topic}/partitions`, { count: 2 })).body.error.type).toBe("INVALID_TOPIC_EXCEPTION");
    expect((await api("PATCH", `/v1/topics/${topic}`, { config: { "retention.ms": "1000" } })).body.error.type).toBe("INVALID_TOPIC_EXCEPTION");
    expect((await api("POST", "/v1/topics", { name: `__ds.${uniqueTopic("mine")}`, partitions: 1 })).body.error.type).toBe("INVALID_TOPIC_EXCEPTION");
    expect((await api("POST", "/v1/topics", { name: `__ds_${uniqueTopic("mine")}`, partitions: 1 })).body.error.type).toBe("INVALID_TOPIC_EXCEPTION");

    expect((await ds("DELETE", name)).status).toBe(204);
    expect((await api("GET", `/v1/topics/${topic}`)).status).toBe(404);
    expect((await api("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`)).status).toBe(404);
    // Created again: a new topic id, and the old records are gone.
    const again = await ds("PUT", name, { headers: text, body: "fresh" });
    expect(again.status).toBe(201);
    const read = await api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(read.body.records.map((r) => r.value)).toEqual(["fresh"]);
  });

  it("a stream that expires has its topic deleted by the stream's alarm", async () => {
    const name = uniqueTopic("ds-ttl");
    const topic = (await ds("PUT", name, { headers: { ...text, "stream-ttl": "60" }, body: "x" })).headers.get("edgelog-topic")!;
    expect((await api("GET", `/v1/topics/${topic}`)).status).toBe(200);
    const stub = durableStreamStub(env as unknown as Env, name);
    await runInDurableObject(stub, (o: DurableStream) => o.clock.advance(61_000));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await api("GET", `/v1/topics/${topic}`)).status).toBe(404);
    expect((await ds("HEAD", name)).status).toBe(404);
  });

  it("the stream object evicted between appends keeps its producers and Stream-Seq; the topic read sees every append once", async () => {
    const name = uniqueTopic("ds-evict");
    const topic = (await ds("PUT", name, { headers: text })).headers.get("edgelog-topic")!;
    const producer = (seq: number) => ({ ...text, "producer-id": "p", "producer-epoch": "0", "producer-seq": String(seq) });
    expect((await ds("POST", name, { headers: { ...producer(0), "stream-seq": "a" }, body: "one" })).status).toBe(200);
    await evictDurableObject(durableStreamStub(env as unknown as Env, name));
    expect((await ds("POST", name, { headers: producer(0), body: "one" })).status).toBe(204);
    expect((await ds("POST", name, { headers: producer(2), body: "three" })).status).toBe(409);
    expect((await ds("POST", name, { headers: { ...text, "stream-seq": "a" }, body: "dup" })).status).toBe(409);
    await evictDurableObject(durableStreamStub(env as unknown as Env, name));
    expect((await ds("POST", name, { headers: { ...producer(1), "stream-seq": "b" }, body: "two" })).status).toBe(200);
    const read = await api<Fetched>("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(read.body.records.map((r) => r.value)).toEqual(["one", "two"]);
  });
});
