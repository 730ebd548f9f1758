// Readers wait outside the partition object (src/watch.ts): a long-poll or a live tail parks as a hibernatable
// WebSocket the object wakes on append, so a partition with connected but idle readers can hibernate. Also: the
// partition's alarm is set only for when maintenance falls due (injected clock, never sleeping).
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { partitionLogStub } from "../../src/names";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import type { PartitionRef } from "../../src/protocol";
import { WATCH_ANSWER_HEADER, WATCH_REQUEST_HEADER, WATCH_URL, type WatchRequest } from "../../src/watch";
import { REPLICA_RETRY_BACKOFF_MS } from "../../src/limits";
import { api, createTopic, fetchFrom, produceTo, records, uniqueTopic, untilParked } from "../helpers";

const DAY = 86_400_000;

async function partitionOf(topic: string) {
  const meta = (await api("GET", `/v1/topics/${topic}`)).body;
  const ref: PartitionRef = { topic, topicId: meta.topicId, partition: 0, version: meta.version ?? 1, replica: 0, leaderEpoch: 0 };
  return { stub: partitionLogStub(env, meta.topicId, 0), ref };
}

const alarmAt = (stub: DurableObjectStub) => runInDurableObject(stub, (_i: unknown, state: DurableObjectState) => state.storage.getAlarm());

describe("readers wait outside the partition object", () => {
  it("an append that races a parking long-poll is never missed (50 interleaved rounds)", async () => {
    const t = uniqueTopic("race");
    await createTopic(t);
    for (let i = 0; i < 50; i++) {
      const [poll, produced] = await Promise.all([fetchFrom(t, 0, { offset: i, maxWaitMs: 20_000 }), produceTo(t, 0, [{ value: `v${i}` }])]);
      expect(produced.status).toBe(200);
      expect(poll.status).toBe(200);
      expect(poll.body.records.map((r: any) => r.value), `round ${i}`).toEqual([`v${i}`]);
    }
  }, 60_000);

  it("one request reads or parks; a parked socket gets one wake when the high watermark passes it, then closes", async () => {
    const t = uniqueTopic("socket");
    await createTopic(t);
    await produceTo(t, 0, [{ value: "first" }]);
    const { stub, ref } = await partitionOf(t);
    const watch = (offset: number): RequestInit => {
      const request: WatchRequest = { ref, read: { offset, maxRecords: 10, maxBytes: 10_000, maxWaitMs: 0, encoding: "text" }, mode: "once" };
      return { headers: { [WATCH_REQUEST_HEADER]: JSON.stringify(request), upgrade: "websocket" } };
    };
    // Records there: answered at once, no socket.
    const now = await stub.fetch(WATCH_URL, watch(0));
    expect(now.status).toBe(200);
    expect(JSON.parse(now.headers.get(WATCH_ANSWER_HEADER)!)).toMatchObject({ kind: "records", recordCount: 1, nextOffset: 1, highWatermark: 1 });
    expect((await now.json<any>()).records.map((r: any) => r.value)).toEqual(["first"]);
    // Nothing at offset 1: parked.
    const parked = await stub.fetch(WATCH_URL, watch(1));
    expect(parked.status).toBe(101);
    expect(JSON.parse(parked.headers.get(WATCH_ANSWER_HEADER)!)).toMatchObject({ kind: "records", recordCount: 0, nextOffset: 1 });
    const socket = parked.webSocket!;
    socket.accept();
    const message = new Promise<string>((resolve) => socket.addEventListener("message", (e) => resolve(String(e.data))));
    const closed = new Promise<number>((resolve) => socket.addEventListener("close", (e) => resolve(e.code)));
    await untilParked(stub, 1);
    expect((await produceTo(t, 0, [{ value: "second" }])).status).toBe(200);
    expect(JSON.parse(await message)).toEqual({ highWatermark: 2 });
    expect(await closed).toBe(1000);
    await untilParked(stub, 0);
    // An error is answered, not parked.
    const wrong = await stub.fetch(WATCH_URL, { headers: { [WATCH_REQUEST_HEADER]: JSON.stringify({ ref, read: { offset: 99, maxRecords: 1, maxBytes: 1, maxWaitMs: 0, encoding: "text" }, mode: "once" }), upgrade: "websocket" } });
    expect(wrong.status).toBe(200);
    expect(JSON.parse(wrong.headers.get(WATCH_ANSWER_HEADER)!)).toMatchObject({ kind: "error", error: { type: "OFFSET_OUT_OF_RANGE" } });
  });

  it("a reader that times out is forgotten by the partition, which goes on serving new ones", async () => {
    const t = uniqueTopic("timeout");
    await createTopic(t);
    const { stub } = await partitionOf(t);
    const timedOut = await fetchFrom(t, 0, { offset: 0, maxWaitMs: 50 });
    expect(timedOut.body).toEqual({ records: [], nextOffset: 0, highWatermark: 0, logStartOffset: 0 });
    await untilParked(stub, 0);
    expect((await api("GET", `/v1/topics/${t}`)).body.partitions[0].waitingReaders).toBe(0);
    const again = fetchFrom(t, 0, { offset: 0, maxWaitMs: 20_000 });
    await untilParked(stub, 1);
    expect((await api("GET", `/v1/topics/${t}`)).body.partitions[0].waitingReaders).toBe(1);
    await produceTo(t, 0, [{ value: "after" }]);
    expect((await again).body.records.map((r: any) => r.value)).toEqual(["after"]);
  });

  it("readers parked when the partition object is evicted are woken by the next append (their sockets hibernated)", async () => {
    const t = uniqueTopic("evict");
    await createTopic(t);
    const { stub } = await partitionOf(t);
    const polls = [fetchFrom(t, 0, { offset: 0, maxWaitMs: 20_000 }), fetchFrom(t, 0, { offset: 0, maxWaitMs: 20_000 })];
    await untilParked(stub, 2);
    await evictDurableObject(stub);
    await untilParked(stub, 2); // a new instance finds the sockets
    expect((await produceTo(t, 0, [{ value: "after eviction" }])).status).toBe(200);
    for (const poll of await Promise.all(polls)) expect(poll.body.records.map((r: any) => r.value)).toEqual(["after eviction"]);
  });

  it("readers whose sockets an eviction closes watch again for the time left: no lost record, no hang", async () => {
    const t = uniqueTopic("closed");
    await createTopic(t);
    const { stub } = await partitionOf(t);
    const poll = fetchFrom(t, 0, { offset: 0, maxWaitMs: 20_000 });
    await untilParked(stub, 1);
    await evictDurableObject(stub, { webSockets: "close" });
    await untilParked(stub, 1); // the reader parked again
    await produceTo(t, 0, [{ value: "found" }]);
    expect((await poll).body.records.map((r: any) => r.value)).toEqual(["found"]);
  });

  it("readers waiting on a topic that is deleted are answered UNKNOWN_TOPIC_OR_PARTITION at once", async () => {
    const t = uniqueTopic("gone");
    await createTopic(t);
    const { stub } = await partitionOf(t);
    const poll = fetchFrom(t, 0, { offset: 0, maxWaitMs: 20_000 });
    await untilParked(stub, 1);
    const started = Date.now();
    expect((await api("DELETE", `/v1/topics/${t}`)).status).toBe(200);
    const answer = await poll;
    expect(answer.status).toBe(404);
    expect(answer.body.error.type).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a live tail waits on one parked socket and gets each append as an event", async () => {
    const t = uniqueTopic("tail");
    await createTopic(t);
    const { stub } = await partitionOf(t);
    const response = await exports.default.fetch(new Request(`http://edgelog.test/v1/topics/${t}/partitions/0/records?offset=0`, { headers: { accept: "text/event-stream" } }));
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const until = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${text}`);
        text += decoder.decode(value);
      }
    };
    await until("retry:");
    await untilParked(stub, 1);
    await produceTo(t, 0, [{ value: "one" }]);
    await until('"one"');
    await untilParked(stub, 1); // the same kind of socket waits for the next
    await produceTo(t, 0, [{ value: "two" }]);
    await until('"two"');
    expect(text).toContain("id: 1\n");
    expect(text).toContain("id: 2\n");
    await reader.cancel();
  });
});

describe("the partition's alarm is set only for when something falls due", () => {
  it("a partition never written has no alarm; one whose config expires nothing has none after an append", async () => {
    const t = uniqueTopic("noalarm");
    await createTopic(t, 1, { "retention.ms": -1, "segment.ms": Number.MAX_SAFE_INTEGER });
    const { stub } = await partitionOf(t);
    await fetchFrom(t, 0, { offset: 0 }); // the object exists and knows its topic
    expect(await alarmAt(stub)).toBeNull();
    await produceTo(t, 0, [{ value: "kept forever" }]);
    expect(await alarmAt(stub)).toBeNull();
  });

  it("an append sets it for the active segment's segment.ms roll, not sooner", async () => {
    const t = uniqueTopic("roll");
    const before = Date.now();
    await createTopic(t); // segment.ms 7 days
    const { stub } = await partitionOf(t);
    await produceTo(t, 0, [{ value: "x" }]);
    const at = (await alarmAt(stub))!;
    expect(at).toBeGreaterThanOrEqual(before + 7 * DAY);
    expect(at).toBeLessThanOrEqual(Date.now() + 7 * DAY);
    // More appends to the same segment do not move it.
    await produceTo(t, 0, [{ value: "y" }]);
    expect(await alarmAt(stub)).toBe(at);
  });

  it("follows each due time: the roll, then the sealed segment's retention, then nothing", async () => {
    const t = uniqueTopic("due");
    await createTopic(t, 1, { "segment.ms": 60_000, "retention.ms": 3_600_000 });
    const { stub } = await partitionOf(t);
    const written = Date.now();
    await produceTo(t, 0, [{ value: "old", timestamp: written }]);
    const clock = async (ms: number) => runInDurableObject(stub, (instance: PartitionLog) => instance.clock.advance(ms));
    expect(await alarmAt(stub)).toBeLessThanOrEqual(Date.now() + 60_000);
    await clock(61_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true); // rolls the segment
    const afterRoll = (await api("GET", `/v1/topics/${t}`)).body.partitions[0];
    expect(afterRoll).toMatchObject({ logStartOffset: 0, localSegments: 2 });
    // Next due: the sealed segment's newest record passing retention.ms (real time = record time + 1 h - the shift).
    const at = (await alarmAt(stub))!;
    expect(at).toBeGreaterThanOrEqual(written + 3_600_000 - 61_000);
    expect(at).toBeLessThanOrEqual(written + 3_600_001 - 61_000 + 5_000);
    await clock(3_600_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true); // deletes it
    expect((await api("GET", `/v1/topics/${t}`)).body.partitions[0]).toMatchObject({ logStartOffset: 1, highWatermark: 1 });
    expect(await alarmAt(stub)).toBeNull(); // an empty active segment and no sealed one: nothing is due
  });

  it("retention.bytes is due as soon as an append passes the bound", async () => {
    const t = uniqueTopic("bytes");
    await createTopic(t, 1, { "segment.bytes": 500, "retention.bytes": 1000 });
    const { stub } = await partitionOf(t);
    await produceTo(t, 0, [{ value: "a".repeat(100) }]);
    expect((await alarmAt(stub))! - Date.now()).toBeGreaterThan(DAY); // only the 7-day roll
    for (let i = 0; i < 20; i++) await produceTo(t, 0, [{ value: "b".repeat(100) }]);
    expect((await alarmAt(stub))!).toBeLessThanOrEqual(Date.now());
    await runDurableObjectAlarm(stub);
    expect((await api("GET", `/v1/topics/${t}`)).body.partitions[0].logStartOffset).toBeGreaterThan(0);
  });

  it("a failed R2 delete is tried again a backoff later (REPLICA_RETRY_BACKOFF_MS); once done, nothing is due sooner than the roll", async () => {
    const t = uniqueTopic("r2del");
    await createTopic(t, 1, { "segment.bytes": 2000, "local.retention.bytes": 0 });
    for (let i = 0; i < 10; i++) await produceTo(t, 0, records(10, (j) => ({ value: `v${i * 10 + j}`.padEnd(60, ".") })));
    const { stub, ref } = await partitionOf(t);
    for (let i = 0; i < 5 && (await runDurableObjectAlarm(stub)); i++); // sealed segments go to R2
    const objects = async () => (await env.SEGMENTS.list({ prefix: `${ref.topicId}/0/` })).objects.map((o) => o.key);
    const tiered = await objects();
    expect(tiered.length).toBeGreaterThan(0);
    // R2 fails the deletes (a fault of R2's, not of our storage): DeleteRecords succeeds, the keys stay queued.
    type Tiered = { tiered: { delete?: (keys: readonly string[]) => Promise<void> } };
    await runInDurableObject(stub, (instance: PartitionLog) => {
      (instance as unknown as Tiered).tiered.delete = async () => {
        throw new Error("injected R2 failure");
      };
    });
    const before = Date.now();
    const del = await api("POST", `/v1/topics/${t}/partitions/0/delete-records`, { beforeOffset: 100 });
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    const at = (await alarmAt(stub))!;
    expect(at).toBeGreaterThanOrEqual(before + REPLICA_RETRY_BACKOFF_MS);
    expect(at).toBeLessThanOrEqual(Date.now() + REPLICA_RETRY_BACKOFF_MS);
    expect(await objects()).toEqual(tiered);
    // R2 answers again: the alarm deletes them, and the next due time is the active segment's roll days away.
    await runInDurableObject(stub, (instance: PartitionLog) => {
      delete (instance as unknown as Tiered).tiered.delete;
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await objects()).toEqual([]);
    const next = await alarmAt(stub);
    expect(next === null || next - Date.now() > DAY, String(next)).toBe(true);
  });

  it("a lagging follower is tried again a backoff after the run (REPLICA_RETRY_BACKOFF_MS); once caught up, nothing is due sooner than the roll", async () => {
    const t = uniqueTopic("lag");
    const created = await api("POST", "/v1/topics", { name: t, partitions: 1, replicationFactor: 2, config: { "min.insync.replicas": 1 } });
    expect(created.status).toBe(201);
    const leader = partitionLogStub(env, created.body.topicId, 0, 0);
    const fault = async (replica: number, down: boolean) => expect((await api("POST", "/v1/faults", { topic: t, partition: 0, replica, down })).status).toBe(200);
    expect((await produceTo(t, 0, records(3), { acks: "all" })).status).toBe(200);
    await fault(1, true);
    expect((await produceTo(t, 0, records(2), { acks: "all" })).status).toBe(200); // the follower is behind
    // The object's clock is an hour on (injected): the retry is due a backoff after its now, set on the real clock.
    await runInDurableObject(leader, (instance: PartitionLog) => instance.clock.advance(3_600_000));
    const before = Date.now();
    expect(await runDurableObjectAlarm(leader)).toBe(true);
    const at = (await alarmAt(leader))!;
    expect(at).toBeGreaterThanOrEqual(before + REPLICA_RETRY_BACKOFF_MS);
    expect(at).toBeLessThanOrEqual(Date.now() + REPLICA_RETRY_BACKOFF_MS);
    await fault(1, false);
    expect(await runDurableObjectAlarm(leader)).toBe(true); // the follower catches up
    const next = await alarmAt(leader);
    expect(next === null || next - Date.now() > DAY, String(next)).toBe(true);
  });
});
