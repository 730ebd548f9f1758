// The Durable Streams endpoint in workerd, through the real Worker against real storage: the main paths (create,
// append, catch-up, ETag, JSON mode, producers, close, long-poll, SSE, TTL by the object's clock, forks) and bad input
// answered with the protocol's status codes. The public conformance suite covers the protocol exhaustively
// (npm run test:ds-conformance); these keep the endpoint's contract in edgelog's own test run.
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { Env } from "../../src/env";
import { DS_MAX_APPEND_BYTES, DS_MAX_PRODUCERS_PER_STREAM, DS_MAX_READ_BYTES, DS_MAX_TTL_SECONDS } from "../../src/limits";
import { durableStreamStub } from "../../src/names";
import type { DurableStream } from "../../src/streams/DurableStream";
import { uniqueTopic } from "../helpers";

const ZERO = "0000000000000000_0000000000000000";
const offset = (n: number) => `0000000000000000_${String(n).padStart(16, "0")}`;

async function ds(method: string, name: string, init: { body?: string | Uint8Array; headers?: Record<string, string>; query?: string } = {}, useEnv?: Env) {
  const request = new Request(`http://edgelog.test/ds/v1/stream/${name}${init.query ?? ""}`, { method, headers: init.headers ?? {}, body: init.body ?? null });
  const response = useEnv === undefined ? await exports.default.fetch(request) : await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, useEnv, createExecutionContext());
  return { status: response.status, headers: response.headers, text: method === "HEAD" ? "" : await response.text() };
}

const text = { "content-type": "text/plain" };
const json = { "content-type": "application/json" };

describe("create, append, read", () => {
  it("creates (201, absolute Location), re-creates alike (200) or not (409), appends (204) and reads what was appended", async () => {
    const name = uniqueTopic("ds");
    const created = await ds("PUT", name, { headers: text, body: "hello " });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`http://edgelog.test/ds/v1/stream/${name}`);
    expect(created.headers.get("stream-next-offset")).toBe(offset(1));
    expect(created.headers.get("x-content-type-options")).toBe("nosniff");
    expect((await ds("PUT", name, { headers: { "content-type": "TEXT/plain; charset=utf-8" } })).status).toBe(200);
    expect((await ds("PUT", name, { headers: json })).status).toBe(409);

    const appended = await ds("POST", name, { headers: text, body: "world" });
    expect(appended.status).toBe(204);
    expect(appended.headers.get("stream-next-offset")).toBe(offset(2));

    const read = await ds("GET", name, { query: "?offset=-1" });
    expect(read.status).toBe(200);
    expect(read.text).toBe("hello world");
    expect(read.headers.get("content-type")).toBe("text/plain");
    expect(read.headers.get("stream-up-to-date")).toBe("true");
    expect(read.headers.get("stream-next-offset")).toBe(offset(2));
    const etag = read.headers.get("etag")!;
    expect((await ds("GET", name, { query: "?offset=-1", headers: { "if-none-match": etag } })).status).toBe(304);

    const fromOne = await ds("GET", name, { query: `?offset=${offset(1)}` });
    expect(fromOne.text).toBe("world");
    expect(fromOne.headers.get("etag")).not.toBe(etag);
    const now = await ds("GET", name, { query: "?offset=now" });
    expect([now.status, now.text, now.headers.get("stream-next-offset"), now.headers.get("cache-control")]).toEqual([200, "", offset(2), "no-store"]);

    const head = await ds("HEAD", name);
    expect([head.status, head.headers.get("stream-next-offset"), head.headers.get("cache-control")]).toEqual([200, offset(2), "no-store"]);
    expect((await ds("DELETE", name)).status).toBe(204);
    expect((await ds("HEAD", name)).status).toBe(404);
    // A re-created stream starts empty.
    expect((await ds("PUT", name, { headers: text })).headers.get("stream-next-offset")).toBe(ZERO);
    expect((await ds("GET", name)).text).toBe("");
  });

  it("answers bad input with the protocol's status codes", async () => {
    const name = uniqueTopic("ds-bad");
    expect((await ds("GET", name)).status).toBe(404);
    expect((await ds("POST", name, { headers: text, body: "x" })).status).toBe(404);
    expect((await ds("PUT", name, { headers: { ...text, "stream-ttl": "1e3" } })).status).toBe(400);
    expect((await ds("PUT", name, { headers: { ...text, "stream-ttl": "60", "stream-expires-at": "2030-01-01T00:00:00Z" } })).status).toBe(400);
    expect((await ds("PUT", name, { headers: { ...text, "stream-expires-at": "tomorrow" } })).status).toBe(400);
    expect((await ds("PUT", name, { headers: { ...text, "stream-fork-sub-offset": "0" } })).status).toBe(400);
    expect((await ds("PUT", name, { headers: text })).status).toBe(201);
    for (const bad of ["0,1", "abc", "", "0000000000000000-0000000000000000"]) expect((await ds("GET", name, { query: `?offset=${bad}` })).status, bad).toBe(400);
    expect((await ds("GET", name, { query: "?offset=-1&offset=now" })).status).toBe(400);
    expect((await ds("GET", name, { query: "?live=long-poll" })).status).toBe(400);
    // (A string body would get a text/plain Content-Type from Request itself.)
    expect((await ds("POST", name, { body: new TextEncoder().encode("no type") })).status).toBe(400);
    expect((await ds("POST", name, { headers: text })).status).toBe(400);
    expect((await ds("POST", name, { headers: json, body: "{}" })).status).toBe(409);
    expect((await ds("POST", name, { headers: { ...text, "producer-id": "p" }, body: "x" })).status).toBe(400);
    expect((await ds("POST", name, { headers: { ...text, "stream-seq": "2" }, body: "a" })).status).toBe(204);
    // Stream-Seq compares byte-wise: "10" sorts before "2".
    expect((await ds("POST", name, { headers: { ...text, "stream-seq": "10" }, body: "b" })).status).toBe(409);
  });

  it("takes a body of DS_MAX_APPEND_BYTES and refuses one byte more (413)", async () => {
    const name = uniqueTopic("ds-big");
    expect((await ds("PUT", name, { headers: { "content-type": "application/octet-stream" } })).status).toBe(201);
    const octets = { "content-type": "application/octet-stream" };
    expect((await ds("POST", name, { headers: octets, body: new Uint8Array(DS_MAX_APPEND_BYTES) })).status).toBe(204);
    expect((await ds("POST", name, { headers: octets, body: new Uint8Array(DS_MAX_APPEND_BYTES + 1) })).status).toBe(413);
    expect((await ds("HEAD", name)).headers.get("stream-next-offset")).toBe(offset(1));
  });

  it("takes a Stream-TTL of DS_MAX_TTL_SECONDS and refuses one more (400)", async () => {
    expect((await ds("PUT", uniqueTopic("ds-ttl"), { headers: { ...text, "stream-ttl": String(DS_MAX_TTL_SECONDS) } })).status).toBe(201);
    expect((await ds("PUT", uniqueTopic("ds-ttl"), { headers: { ...text, "stream-ttl": String(DS_MAX_TTL_SECONDS + 1) } })).status).toBe(400);
  });
});

describe("JSON mode, producers, close", () => {
  it("flattens one level, refuses [] and bad JSON on append, and reads one array", async () => {
    const name = uniqueTopic("ds-json");
    expect((await ds("PUT", name, { headers: json, body: "[]" })).headers.get("stream-next-offset")).toBe(ZERO);
    expect((await ds("POST", name, { headers: json, body: '[{"a":1},[2,3]]' })).headers.get("stream-next-offset")).toBe(offset(2));
    expect((await ds("POST", name, { headers: json, body: "[]" })).status).toBe(400);
    expect((await ds("POST", name, { headers: json, body: "{oops" })).status).toBe(400);
    expect(JSON.parse((await ds("GET", name)).text)).toEqual([{ a: 1 }, [2, 3]]);
    // An offset inside an append's messages reads from there.
    expect(JSON.parse((await ds("GET", name, { query: `?offset=${offset(1)}` })).text)).toEqual([[2, 3]]);
  });

  it("idempotent producers: 200 new, 204 duplicate, 409 gap, 403 stale epoch", async () => {
    const name = uniqueTopic("ds-prod");
    await ds("PUT", name, { headers: text });
    const send = (epoch: number, seq: number) => ds("POST", name, { headers: { ...text, "producer-id": "p1", "producer-epoch": String(epoch), "producer-seq": String(seq) }, body: `${epoch}.${seq} ` });
    expect((await send(0, 1)).status).toBe(409);
    const first = await send(0, 0);
    expect([first.status, first.headers.get("producer-seq")]).toEqual([200, "0"]);
    expect((await send(0, 1)).status).toBe(200);
    const dup = await send(0, 0);
    expect([dup.status, dup.headers.get("producer-seq")]).toEqual([204, "1"]);
    const gap = await send(0, 5);
    expect([gap.status, gap.headers.get("producer-expected-seq"), gap.headers.get("producer-received-seq")]).toEqual([409, "2", "5"]);
    expect((await send(1, 3)).status).toBe(400);
    expect((await send(1, 0)).status).toBe(200);
    const stale = await send(0, 2);
    expect([stale.status, stale.headers.get("producer-epoch")]).toEqual([403, "1"]);
    expect((await ds("GET", name)).text).toBe("0.0 0.1 1.0 ");
  });

  it("closes: close-only 204, appends then 409 with Stream-Closed, and the read's end says so", async () => {
    const name = uniqueTopic("ds-close");
    await ds("PUT", name, { headers: text, body: "last" });
    const closed = await ds("POST", name, { headers: { "stream-closed": "true" } });
    expect([closed.status, closed.headers.get("stream-closed")]).toEqual([204, "true"]);
    expect((await ds("POST", name, { headers: { "stream-closed": "true" } })).status).toBe(204);
    const refused = await ds("POST", name, { headers: text, body: "more" });
    expect([refused.status, refused.headers.get("stream-closed"), refused.headers.get("stream-next-offset")]).toEqual([409, "true", offset(1)]);
    const read = await ds("GET", name);
    expect([read.text, read.headers.get("stream-closed")]).toEqual(["last", "true"]);
    // A long-poll at the end of a closed stream answers at once.
    const poll = await ds("GET", name, { query: `?offset=${offset(1)}&live=long-poll` });
    expect([poll.status, poll.headers.get("stream-closed")]).toEqual([204, "true"]);
  });
});

describe("live reads", () => {
  it("long-poll: an append wakes the waiting reader; with nothing, 204 after the wait with a numeric cursor", async () => {
    const name = uniqueTopic("ds-poll");
    await ds("PUT", name, { headers: text });
    const waiting = ds("GET", name, { query: `?offset=${ZERO}&live=long-poll` });
    await ds("POST", name, { headers: text, body: "woken" });
    const woke = await waiting;
    expect([woke.status, woke.text, woke.headers.get("stream-up-to-date")]).toEqual([200, "woken", "true"]);
    expect(woke.headers.get("stream-cursor")).toMatch(/^\d+$/);
    const shortWait = { ...(env as unknown as Env), DS_LONG_POLL_MS: "20" };
    const empty = await ds("GET", name, { query: `?offset=${offset(1)}&live=long-poll` }, shortWait);
    expect([empty.status, empty.headers.get("stream-next-offset"), empty.headers.get("stream-up-to-date")]).toEqual([204, offset(1), "true"]);
  });

  it("SSE: a data event and its control event, then the end of a closed stream", async () => {
    const name = uniqueTopic("ds-sse");
    await ds("PUT", name, { headers: text, body: "line1\nline2" });
    await ds("POST", name, { headers: { "stream-closed": "true" } });
    const sse = await ds("GET", name, { query: "?offset=-1&live=sse" });
    expect(sse.headers.get("content-type")).toBe("text/event-stream");
    expect(sse.text).toBe(`event: data\ndata:line1\ndata:line2\n\nevent: control\ndata:${JSON.stringify({ streamNextOffset: offset(1), upToDate: true, streamClosed: true })}\n\n`);
  });
});

describe("TTL", () => {
  it("a sliding TTL expires the stream (404, and it can be created again); HEAD does not slide it; the alarm reclaims it", async () => {
    const name = uniqueTopic("ds-expire");
    await ds("PUT", name, { headers: { ...text, "stream-ttl": "60" }, body: "x" });
    const stub = durableStreamStub(env as unknown as Env, name);
    await runInDurableObject(stub, (o: DurableStream) => o.clock.advance(50_000));
    expect((await ds("GET", name)).status).toBe(200); // a read slides it: 60 s from now
    await runInDurableObject(stub, (o: DurableStream) => o.clock.advance(50_000));
    expect((await ds("HEAD", name)).headers.get("stream-ttl")).toBe("60"); // HEAD does not slide it
    await runInDurableObject(stub, (o: DurableStream) => o.clock.advance(10_001));
    expect((await ds("HEAD", name)).status).toBe(404);
    expect((await ds("PUT", name, { headers: { ...text, "stream-ttl": "1" } })).status).toBe(201);
    await runInDurableObject(stub, (o: DurableStream) => o.clock.advance(1_001));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect(await runInDurableObject(stub, (_o: DurableStream, state) => state.storage.sql.exec("SELECT COUNT(*) AS n FROM ds_meta").one().n)).toBe(0);
  });
});

describe("forks", () => {
  it("a fork reads its source's records below the fork offset, then its own; deleting the source soft-deletes it until the fork goes", async () => {
    const source = uniqueTopic("ds-src");
    const fork = uniqueTopic("ds-fork");
    await ds("PUT", source, { headers: text, body: "abc" });
    await ds("POST", source, { headers: text, body: "def" });
    const forked = await ds("PUT", fork, { headers: { "stream-forked-from": `/v1/stream/${source}`, "stream-fork-offset": offset(1), "stream-fork-sub-offset": "2" } });
    expect([forked.status, forked.headers.get("content-type"), forked.headers.get("stream-next-offset")]).toEqual([201, "text/plain", offset(2)]);
    await ds("POST", fork, { headers: text, body: "!" });
    expect((await ds("GET", fork)).text).toBe("abcde!");
    expect((await ds("GET", source)).text).toBe("abcdef");
    expect((await ds("PUT", uniqueTopic("ds-fork"), { headers: { "stream-forked-from": `/v1/stream/${source}`, "stream-fork-offset": "9999999999999999_9999999999999999" } })).status).toBe(400);
    expect((await ds("PUT", uniqueTopic("ds-fork"), { headers: { ...json, "stream-forked-from": `/v1/stream/${source}` } })).status).toBe(409);
    expect((await ds("PUT", uniqueTopic("ds-fork"), { headers: { "stream-forked-from": "/v1/stream/nothing-here" } })).status).toBe(404);

    expect((await ds("DELETE", source)).status).toBe(204);
    expect((await ds("HEAD", source)).status).toBe(410);
    expect((await ds("PUT", source, { headers: text })).status).toBe(409);
    expect((await ds("GET", fork)).text).toBe("abcde!");
    expect((await ds("DELETE", fork)).status).toBe(204);
    expect((await ds("HEAD", source)).status).toBe(404);
  });
});

describe("read budget", () => {
  it("a read answers at most DS_MAX_READ_BYTES (whole appends), without Stream-Up-To-Date until the tail", async () => {
    const name = uniqueTopic("ds-budget");
    const octets = { "content-type": "application/octet-stream" };
    await ds("PUT", name, { headers: octets });
    const perAppend = DS_MAX_READ_BYTES / 4;
    for (let i = 0; i < 5; i++) expect((await ds("POST", name, { headers: octets, body: new Uint8Array(perAppend).fill(i) })).status).toBe(204);
    const first = await exports.default.fetch(new Request(`http://edgelog.test/ds/v1/stream/${name}?offset=-1`));
    const bytes = new Uint8Array(await first.arrayBuffer());
    expect(bytes.byteLength).toBe(DS_MAX_READ_BYTES); // four appends: exactly the budget
    expect([first.headers.get("stream-next-offset"), first.headers.get("stream-up-to-date")]).toEqual([offset(4), null]);
    const rest = await exports.default.fetch(new Request(`http://edgelog.test/ds/v1/stream/${name}?offset=${offset(4)}`));
    expect((await rest.arrayBuffer()).byteLength).toBe(perAppend);
    expect(rest.headers.get("stream-up-to-date")).toBe("true");
  });
});

describe("producer state bound", () => {
  it("remembers DS_MAX_PRODUCERS_PER_STREAM producers; one more makes the least recently used forgotten", async () => {
    const name = uniqueTopic("ds-producers");
    await ds("PUT", name, { headers: text });
    const stub = durableStreamStub(env as unknown as Env, name);
    const x = new TextEncoder().encode("x");
    const knownAfter = await runInDurableObject(stub, (o: DurableStream) => {
      for (let i = 0; i < DS_MAX_PRODUCERS_PER_STREAM; i++) {
        o.clock.advance(1);
        expect(o.appendStream({ contentType: "text/plain", body: x, close: false, producer: { id: `p${i}`, epoch: 0, seq: 0 } })).toMatchObject({ refused: false, status: 200 });
      }
      // At the bound, the first is still known: its retry is a duplicate.
      return o.appendStream({ contentType: "text/plain", body: x, close: false, producer: { id: "p0", epoch: 0, seq: 0 } });
    });
    expect(knownAfter).toMatchObject({ refused: false, status: 204 });
    const forgotten = await runInDurableObject(stub, (o: DurableStream) => {
      o.clock.advance(1);
      o.appendStream({ contentType: "text/plain", body: x, close: false, producer: { id: "one-more", epoch: 0, seq: 0 } });
      // p0 was the least recently used: forgotten, so only sequence 0 is accepted from it again.
      return o.appendStream({ contentType: "text/plain", body: x, close: false, producer: { id: "p0", epoch: 0, seq: 1 } });
    });
    expect(forgotten).toMatchObject({ refused: true, status: 409 });
  }, 60_000); // ten thousand appends: about a second on a quiet machine
});
