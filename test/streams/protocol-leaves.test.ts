// The Durable Streams leaf modules, table-driven: the offset codec and cursor, the strict header parsing the protocol
// asks for, Stream-Seq's byte-wise order, and the append check order (closed → content type → producer → Stream-Seq →
// JSON body).
import { describe, expect, it } from "vitest";
import { planAppend } from "../../src/streams/append-rules";
import { formatOffset, nextCursor, parseOffset } from "../../src/streams/offsets";
import { parseAppend, parseCreate, parseProducer, parseReadQuery } from "../../src/streams/request-headers";
import { seqAfter } from "../../src/streams/seq";
import type { StreamMeta } from "../../src/streams/stream-store";

describe("offsets", () => {
  it("formats record offsets as the reference format and parses them back, sentinels and beyond-tail included", () => {
    expect(formatOffset(0)).toBe("0000000000000000_0000000000000000");
    expect(formatOffset(42)).toBe("0000000000000000_0000000000000042");
    expect(parseOffset(formatOffset(42))).toEqual({ kind: "at", offset: 42 });
    expect(parseOffset("-1")).toEqual({ kind: "start" });
    expect(parseOffset("now")).toEqual({ kind: "now" });
    expect(parseOffset("9999999999999999_9999999999999999")).toEqual({ kind: "at", offset: Infinity });
    expect(parseOffset("0000000000000001_0000000000000000")).toEqual({ kind: "at", offset: Infinity });
    for (const bad of ["", "0,1", "0 1", "../x", "0000000000000000_000000000000000", "-2", "NOW", "0000000000000000_000000000000000a"]) expect(parseOffset(bad), bad).toBeUndefined();
  });

  it("cursors: the current 20 s interval, or strictly past a client's cursor that is not behind it", () => {
    const now = Date.UTC(2024, 9, 9) + 20_000 * 100 + 5;
    expect(nextCursor(now, null)).toBe("100");
    expect(nextCursor(now, "7")).toBe("100");
    expect(nextCursor(now, "100", () => 0)).toBe("101");
    expect(Number(nextCursor(now, "500", () => 0.999))).toBeGreaterThan(500);
  });
});

describe("headers", () => {
  const h = (o: Record<string, string>) => new Headers(o);
  const empty = new Uint8Array(0);
  it("Stream-TTL: whole seconds without sign, exponent or leading zeros; not with Stream-Expires-At", () => {
    for (const ok of ["0", "1", "3600"]) expect(parseCreate("s", h({ "stream-ttl": ok }), empty).ok, ok).toBe(true);
    for (const bad of ["01", "+1", "1.5", "1e3", "-1", "abc", ""]) expect(parseCreate("s", h({ "stream-ttl": bad }), empty).ok, bad).toBe(false);
    expect(parseCreate("s", h({ "stream-ttl": "1", "stream-expires-at": "2030-01-01T00:00:00Z" }), empty).ok).toBe(false);
    expect(parseCreate("s", h({ "stream-expires-at": "2030-01-01T00:00:00+00:00" }), empty).ok).toBe(true);
    expect(parseCreate("s", h({ "stream-expires-at": new Date(0).toISOString() }), empty).ok).toBe(true);
    expect(parseCreate("s", h({}), empty)).toMatchObject({ ok: true, value: { contentType: "application/octet-stream", closed: false } });
    expect(parseCreate("s", h({ "stream-closed": "TRUE" }), empty)).toMatchObject({ ok: true, value: { closed: true } });
    expect(parseCreate("s", h({ "stream-closed": "yes" }), empty)).toMatchObject({ ok: true, value: { closed: false } });
  });

  it("producers: all three headers or none, strict non-negative integers up to 2^53-1", () => {
    expect(parseProducer(h({}))).toEqual({ ok: true, value: undefined });
    expect(parseProducer(h({ "producer-id": "p", "producer-epoch": "0", "producer-seq": "3" }))).toEqual({ ok: true, value: { id: "p", epoch: 0, seq: 3 } });
    for (const [epoch, seq] of [["1abc", "0"], ["0", "0xyz"], ["1e3", "0"], ["-1", "0"], ["0", "9007199254740992"]]) {
      expect(parseProducer(h({ "producer-id": "p", "producer-epoch": epoch!, "producer-seq": seq! })).ok, `${epoch} ${seq}`).toBe(false);
    }
    expect(parseProducer(h({ "producer-id": "p", "producer-epoch": "0" })).ok).toBe(false);
    expect(parseProducer(h({ "producer-id": " ", "producer-epoch": "0", "producer-seq": "0" })).ok).toBe(false);
  });

  it("appends need a body or a close, and a content type with a body", () => {
    expect(parseAppend(h({}), empty).ok).toBe(false);
    expect(parseAppend(h({ "stream-closed": "true" }), empty).ok).toBe(true);
    expect(parseAppend(h({}), new Uint8Array([1])).ok).toBe(false);
  });

  it("reads: one well-formed offset at most; live modes need one", () => {
    const q = (s: string) => parseReadQuery(new URLSearchParams(s));
    expect(q("")).toMatchObject({ ok: true, value: { from: { kind: "start" }, live: "catch-up" } });
    expect(q("offset=now&live=sse")).toMatchObject({ ok: true, value: { from: { kind: "now" }, live: "sse" } });
    for (const bad of ["offset=", "offset=a&offset=b", "live=long-poll", "live=sse", "offset=-1&live=ws"]) expect(q(bad).ok, bad).toBe(false);
    expect(q("offset=-1&unknown=1").ok).toBe(true);
  });

  it("Stream-Seq orders byte-wise", () => {
    expect(seqAfter("10", "09")).toBe(true);
    expect(seqAfter("10", "2")).toBe(false);
    expect(seqAfter("b", "B")).toBe(true);
    expect(seqAfter("a", "a")).toBe(false);
    expect(seqAfter("ab", "a")).toBe(true);
  });
});

describe("append check order", () => {
  const meta = (over: Partial<StreamMeta> = {}): StreamMeta => ({
    generation: "g",
    contentType: "application/json",
    closed: false,
    tail: 3,
    lastAccessMs: 0,
    forkSubOffset: 0,
    inheritEnd: 0,
    refCount: 0,
    softDeleted: false,
    ...over,
  });
  const body = (s: string) => new TextEncoder().encode(s);
  it("closed before content type, content type before producer, producer before Stream-Seq, Stream-Seq before JSON", () => {
    const producer = { id: "p", epoch: 0, seq: 0 };
    expect(planAppend(meta({ closed: true }), undefined, { contentType: "text/plain", body: body("x"), close: false })).toMatchObject({ refused: true, status: 409, headers: { "stream-closed": "true" } });
    expect(planAppend(meta(), undefined, { contentType: "text/plain", body: body("x"), close: false, producer: { ...producer, seq: 4 } })).toMatchObject({ refused: true, status: 409 });
    // A producer's duplicate wins over a Stream-Seq that would conflict.
    expect(planAppend(meta({ lastStreamSeq: "5" }), { epoch: 0, lastSeq: 0 }, { contentType: "application/json", body: body("{oops"), close: false, producer, streamSeq: "1" })).toMatchObject({ refused: false, write: false, status: 204 });
    expect(planAppend(meta({ lastStreamSeq: "5" }), undefined, { contentType: "application/json", body: body("{oops"), close: false, streamSeq: "1" })).toMatchObject({ refused: true, status: 409 });
    expect(planAppend(meta(), undefined, { contentType: "application/json", body: body("{oops"), close: false })).toMatchObject({ refused: true, status: 400 });
    expect(planAppend(meta(), undefined, { contentType: "application/json; charset=utf-8", body: body("[1,[2]]"), close: false, producer })).toMatchObject({ refused: false, write: true, status: 200, count: 2 });
  });
});
