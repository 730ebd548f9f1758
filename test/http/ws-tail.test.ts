// WebSocket live tails (src/tail.ts): GET …/records with Upgrade: websocket, through the real Worker, ending in the
// partition object's hibernated socket. Records already there, then live appends in order; resume from nextOffset
// with no gap or duplicate; errors before the upgrade as HTTP; credit (no sends past the unacknowledged bounds until
// an ack); the close codes; a tail that survives the object's eviction. Never sleeps: "nothing more was sent" is
// proven by a ping whose pong the object queues after every frame it sent before.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_TAIL_UNACKED_BYTES, MAX_TAIL_UNACKED_FRAMES, TAIL_ACK_TIMEOUT_MS, TAIL_MAX_SESSION_MS } from "../../src/limits";
import { TAIL_CLOSE_ACK_TIMEOUT, TAIL_CLOSE_BAD_MESSAGE } from "../../src/tail";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { partitionStub, tail, upgrade, type TestTail } from "./ws-tail-helpers";

/** Waits until the partition's tails have nothing more they may be sent (the pump is idle). */
async function untilPumped(stub: DurableObjectStub): Promise<void> {
  for (let i = 0; i < 5_000; i++) {
    const pumping: boolean = await runInDurableObject(stub, (instance: unknown) => (instance as { tails: { pumping: boolean } }).tails.pumping);
    if (!pumping) return;
  }
  throw new Error("the tail pump never went idle");
}


describe("WebSocket live tails", () => {
  it("sends the records already there, then each append, in order, as fetch answers", async () => {
    const t = uniqueTopic("ws");
    await createTopic(t);
    await produceTo(t, 0, records(3));
    const tl = await tail(t, { offset: 1 });
    // An open tail is a reader waiting for the next append, as describe counts them.
    expect((await api("GET", `/v1/topics/${t}`)).body.partitions[0].waitingReaders).toBe(1);
    const first = await tl.next();
    expect(first).toEqual({
      records: [expect.objectContaining({ offset: 1, value: "v1", key: null, headers: [] }), expect.objectContaining({ offset: 2, value: "v2" })],
      nextOffset: 3,
      highWatermark: 3,
      logStartOffset: 0,
    });
    expect(first.records[0].timestamp).toBeTypeOf("number");
    for (let i = 3; i < 8; i++) await produceTo(t, 0, [{ value: `v${i}`, key: "k", headers: [{ key: "h", value: "x" }] }]);
    const live = await tl.values(5);
    expect(live).toEqual(["v3", "v4", "v5", "v6", "v7"]);
    // Acks keep it flowing past the frame bound.
    tl.ws.send(JSON.stringify({ ack: 8 }));
    await produceTo(t, 0, records(MAX_TAIL_UNACKED_FRAMES + 2, (i) => ({ value: `w${i}` })));
    expect(await tl.values(MAX_TAIL_UNACKED_FRAMES + 2)).toEqual(records(MAX_TAIL_UNACKED_FRAMES + 2, (i) => ({ value: `w${i}` })).map((r) => r.value));
    tl.ws.close(1000, "done");
  });

  it("without an offset starts at the log start; encoding=base64 and maxRecords apply to every frame", async () => {
    const t = uniqueTopic("wsenc");
    await createTopic(t);
    await produceTo(t, 0, records(3));
    const tl = await tail(t, { encoding: "base64", maxRecords: 2 });
    const a = await tl.next();
    expect(a.records.map((r: any) => atob(r.value))).toEqual(["v0", "v1"]);
    const b = await tl.next();
    expect(b.records.map((r: any) => atob(r.value))).toEqual(["v2"]);
    expect(b.nextOffset).toBe(3);
    tl.ws.close(1000);
  });

  it("resumes after a reconnect from the last frame's nextOffset with no gap and no duplicate", async () => {
    const t = uniqueTopic("wsresume");
    await createTopic(t);
    const a = await tail(t, { offset: 0 });
    for (let i = 0; i < 4; i++) await produceTo(t, 0, [{ value: `v${i}` }]);
    const got = await a.values(4);
    const last = a.frames.at(-1)!.nextOffset;
    a.ws.close(1000, "going away");
    // Written while disconnected.
    await produceTo(t, 0, records(3, (i) => ({ value: `v${4 + i}` })));
    const b = await tail(t, { offset: last });
    await produceTo(t, 0, [{ value: "v7" }]);
    got.push(...(await b.values(4)));
    expect(got).toEqual(records(8).map((r) => r.value));
    b.ws.close(1000);
  });

  it("errors before the upgrade are HTTP with the error shape: bad parameters 400, unknown topic 404, offset past the end 416", async () => {
    const t = uniqueTopic("wserr");
    await createTopic(t);
    for (const [query, status, type] of [
      [{ offset: -1 }, 400, "INVALID_REQUEST"],
      [{ offset: "x" }, 400, "INVALID_REQUEST"],
      [{ maxBytes: 0 }, 400, "INVALID_REQUEST"],
      [{ encoding: "hex" }, 400, "INVALID_REQUEST"],
      [{ isolation: "dirty" }, 400, "INVALID_REQUEST"],
      [{ offset: 5 }, 416, "OFFSET_OUT_OF_RANGE"],
    ] as const) {
      const r = await upgrade(t, query as Record<string, string | number>);
      expect(r.status, JSON.stringify(query)).toBe(status);
      expect(r.webSocket).toBeNull();
      expect(await r.json<any>()).toMatchObject({ error: { type, code: expect.any(Number), message: expect.any(String), retriable: false } });
    }
    const unknown = await upgrade(uniqueTopic("nope"));
    expect(unknown.status).toBe(404);
    expect(await unknown.json<any>()).toMatchObject({ error: { type: "UNKNOWN_TOPIC_OR_PARTITION" } });
    const noPartition = await upgrade(t, {}, 7);
    expect(noPartition.status).toBe(404);
  });

  it(`holds frames at ${MAX_TAIL_UNACKED_FRAMES} unacknowledged (at the limit) and sends the next only after an ack (over it)`, async () => {
    const t = uniqueTopic("wscredit");
    await createTopic(t);
    const stub = await partitionStub(t);
    const tl = await tail(t, { offset: 0, maxRecords: 1 });
    const n = MAX_TAIL_UNACKED_FRAMES + 4;
    await produceTo(t, 0, records(n));
    await untilPumped(stub);
    await tl.settle();
    expect(tl.frames.length).toBe(MAX_TAIL_UNACKED_FRAMES);
    // A new append does not get past the bound either.
    await produceTo(t, 0, [{ value: "more" }]);
    await untilPumped(stub);
    await tl.settle();
    expect(tl.frames.length).toBe(MAX_TAIL_UNACKED_FRAMES);
    // Acking the first 3 frames frees exactly 3 places.
    tl.ws.send(JSON.stringify({ ack: 3 }));
    await tl.settle();
    await untilPumped(stub);
    await tl.settle();
    expect(tl.frames.length).toBe(MAX_TAIL_UNACKED_FRAMES + 3);
    tl.ws.send(JSON.stringify({ ack: tl.frames.at(-1).nextOffset }));
    const values = await tl.values(n + 1);
    expect(values).toEqual([...records(n).map((r) => r.value), "more"]);
    tl.ws.close(1000);
  });

  it(`holds a frame that would take the unacknowledged bytes past ${MAX_TAIL_UNACKED_BYTES}`, async () => {
    const t = uniqueTopic("wsbytes");
    await createTopic(t);
    const stub = await partitionStub(t);
    const big = "x".repeat(900_000);
    const tl = await tail(t, { offset: 0, maxRecords: 1 });
    // 4 frames of ~0.9 MB fit in 4 MiB; the fifth would not.
    for (let i = 0; i < 5; i++) expect((await produceTo(t, 0, [{ value: big }])).status).toBe(200);
    await untilPumped(stub);
    await tl.settle();
    expect(tl.frames.length).toBe(4);
    tl.ws.send(JSON.stringify({ ack: 1 }));
    const fifth = await (async () => {
      await tl.next();
      await tl.next();
      await tl.next();
      await tl.next();
      return tl.next();
    })();
    expect(fifth.records[0].offset).toBe(4);
    tl.ws.close(1000);
  });

  it(`closes a tail that holds frames unacknowledged past ${TAIL_ACK_TIMEOUT_MS} ms with ${TAIL_CLOSE_ACK_TIMEOUT}`, async () => {
    const t = uniqueTopic("wsstall");
    await createTopic(t);
    const stub = await partitionStub(t);
    const tl = await tail(t, { offset: 0 });
    await produceTo(t, 0, records(1));
    await tl.next();
    await runInDurableObject(stub, (instance: unknown) => (instance as { clock: { advance(ms: number): void } }).clock.advance(TAIL_ACK_TIMEOUT_MS + 1));
    // Checked when the object next wakes for its tails: here, an append.
    await produceTo(t, 0, records(1));
    expect(await tl.closing()).toEqual({ code: TAIL_CLOSE_ACK_TIMEOUT, reason: "REQUEST_TIMED_OUT" });
    expect(tl.frames.at(-1)).toMatchObject({ error: { type: "REQUEST_TIMED_OUT" } });
  });

  it(`ends a tail's session after ${TAIL_MAX_SESSION_MS} ms when it next has records to send (4504): the reconnect checks the token again`, async () => {
    const t = uniqueTopic("wssession");
    await createTopic(t);
    const stub = await partitionStub(t);
    const tl = await tail(t, { offset: 0 });
    await runInDurableObject(stub, (instance: unknown) => (instance as { clock: { advance(ms: number): void } }).clock.advance(TAIL_MAX_SESSION_MS + 1));
    await produceTo(t, 0, records(1));
    expect(await tl.closing()).toEqual({ code: 4504, reason: "REQUEST_TIMED_OUT" });
    expect(tl.frames).toEqual([{ error: expect.objectContaining({ type: "REQUEST_TIMED_OUT", retriable: true }) }]);
    // The reconnect from the position it was given reads the record it had not been sent.
    const again = await tail(t, { offset: 0 });
    expect((await again.next()).records.map((r: { offset: number }) => r.offset)).toEqual([0]);
    again.ws.close(1000);
  });

  it(`closes on a message that is not an ack with ${TAIL_CLOSE_BAD_MESSAGE}`, async () => {
    const t = uniqueTopic("wsbad");
    await createTopic(t);
    for (const message of ['{"ack": 5}', "hello", '{"ack": -1}']) {
      const tl = await tail(t, { offset: 0 });
      tl.ws.send(message);
      expect((await tl.closing()).code, message).toBe(TAIL_CLOSE_BAD_MESSAGE);
      expect(tl.frames.at(-1)).toMatchObject({ error: { type: "INVALID_REQUEST" } });
    }
  });

  it("survives the partition object's eviction: the socket hibernates and the next append still arrives", async () => {
    const t = uniqueTopic("wsevict");
    await createTopic(t);
    await produceTo(t, 0, records(1));
    const stub = await partitionStub(t);
    const tl = await tail(t, { offset: 0 });
    expect((await tl.values(1))).toEqual(["v0"]);
    tl.ws.send(JSON.stringify({ ack: 1 }));
    await tl.settle();
    await evictDurableObject(stub);
    await produceTo(t, 0, [{ value: "after" }]);
    expect(await tl.values(1)).toEqual(["after"]);
    // The credit survived too: an ack after the eviction is accepted.
    tl.ws.send(JSON.stringify({ ack: 2 }));
    await tl.settle();
    expect(tl.closed).toBeUndefined();
    tl.ws.close(1000);
  });

  it("deleting the topic closes its tails with 4404 and the error frame", async () => {
    const t = uniqueTopic("wsdel");
    await createTopic(t);
    const tl = await tail(t, { offset: 0 });
    expect((await api("DELETE", `/v1/topics/${t}`)).status).toBeLessThan(300);
    expect((await tl.closing()).code).toBe(4404);
    expect(tl.frames.at(-1)).toMatchObject({ error: { type: "UNKNOWN_TOPIC_OR_PARTITION" } });
  });

  it("only the leader serves: its going down closes the tail with 4503, and a reconnect from nextOffset reads the new leader", async () => {
    const t = uniqueTopic("wsleader");
    const created = await api("POST", "/v1/topics", { name: t, partitions: 1, replicationFactor: 3 });
    expect(created.status).toBe(201);
    expect((await produceTo(t, 0, records(2), { acks: "all" })).status).toBe(200);
    const a = await tail(t, { offset: 0 });
    const got = await a.values(2);
    expect((await api("POST", "/v1/faults", { topic: t, partition: 0, replica: 0, down: true })).status).toBe(200);
    expect((await a.closing()).code).toBe(4503);
    expect(a.frames.at(-1)).toMatchObject({ error: { retriable: true } });
    // The next produce finds replica 0 unreachable and has the controller elect another leader.
    let produced = await produceTo(t, 0, [{ value: "v2" }], { acks: "all" });
    if (produced.status === 503) produced = await produceTo(t, 0, [{ value: "v2" }], { acks: "all" }); // the one that elects
    expect(produced.status, JSON.stringify(produced.body)).toBe(200);
    expect((await api("GET", `/v1/topics/${t}`)).body.partitions[0].leader).not.toBe(0);
    const b = await tail(t, { offset: a.frames.filter((f) => f.records).at(-1).nextOffset });
    got.push(...(await b.values(1)));
    expect(got).toEqual(["v0", "v1", "v2"]);
    b.ws.close(1000);
    await api("POST", "/v1/faults", { topic: t, partition: 0, replica: 0, down: false });
  });

  it("many tails at one position all get every record (one read and one frame per position)", async () => {
    const t = uniqueTopic("wsmany");
    await createTopic(t);
    const tails = await Promise.all(Array.from({ length: 20 }, () => tail(t, { offset: 0 })));
    await produceTo(t, 0, records(3));
    await produceTo(t, 0, records(2, (i) => ({ value: `w${i}` })));
    for (const tl of tails) expect(await tl.values(5)).toEqual(["v0", "v1", "v2", "w0", "w1"]);
    for (const tl of tails) tl.ws.close(1000);
  });
});
