// Parses the Durable Streams request headers and query (P§5) into the typed requests of protocol.ts, or the protocol's
// 400. Strict on purpose: the conformance suite sends "+1", "1e3", "0x1", leading zeros and floats and expects 400. A
// leaf: Headers and URLSearchParams in, plain data out.
import { DS_MAX_TTL_SECONDS } from "../limits";
import { DEFAULT_CONTENT_TYPE } from "./media-type";
import { parseOffset, type ParsedOffset } from "./offsets";
import type { AppendStreamRequest, CreateStreamRequest, ForkSpec, ProducerTuple } from "./protocol";

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const bad = (message: string): { ok: false; message: string } => ({ ok: false, message });

const TTL = /^(0|[1-9]\d*)$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const UNSIGNED = /^(0|[1-9]\d*)$/;

/** Only the exact value "true" (any case) closes; anything else is ignored, not an error (P§5.1). */
export function closedHeader(headers: Headers): boolean {
  return headers.get("stream-closed")?.trim().toLowerCase() === "true";
}

/** Stream-Forked-From names the source by its path (`/v1/stream/x`, the suite's form, or with the `/ds` base). */
export function parseFork(headers: Headers): Parsed<ForkSpec | undefined> {
  const from = headers.get("stream-forked-from");
  const offsetText = headers.get("stream-fork-offset")?.trim();
  const subText = headers.get("stream-fork-sub-offset")?.trim();
  if (from === null) {
    if (offsetText !== undefined || subText !== undefined) return bad("Stream-Fork-Offset and Stream-Fork-Sub-Offset need Stream-Forked-From");
    return { ok: true, value: undefined };
  }
  let path = from.trim();
  if (/^https?:\/\//i.test(path)) path = new URL(path).pathname;
  if (path.startsWith("/ds/")) path = path.slice(3);
  if (!path.startsWith("/v1/stream/") || path.length === "/v1/stream/".length) return bad("Stream-Forked-From must be a stream's path");
  let offset: ParsedOffset | undefined;
  if (offsetText !== undefined) {
    offset = parseOffset(offsetText);
    if (offset === undefined) return bad("malformed Stream-Fork-Offset");
  }
  let subOffset = 0;
  if (subText !== undefined) {
    if (!UNSIGNED.test(subText) || !Number.isSafeInteger(Number(subText))) return bad("Stream-Fork-Sub-Offset must be a non-negative integer");
    subOffset = Number(subText);
    if (subOffset > 0 && offset === undefined) return bad("Stream-Fork-Sub-Offset needs Stream-Fork-Offset");
  }
  return {
    ok: true,
    value: { source: path.slice("/v1/stream/".length), ...(offsetText === undefined ? {} : { offsetText }), ...(offset === undefined ? {} : { offset }), subOffset },
  };
}

export function parseCreate(self: string, headers: Headers, body: Uint8Array): Parsed<CreateStreamRequest> {
  const fork = parseFork(headers);
  if (!fork.ok) return fork;
  const ttl = headers.get("stream-ttl");
  const expires = headers.get("stream-expires-at");
  if (ttl !== null && expires !== null) return bad("send Stream-TTL or Stream-Expires-At, not both");
  let ttlSeconds: number | undefined;
  if (ttl !== null) {
    if (!TTL.test(ttl.trim()) || Number(ttl) > DS_MAX_TTL_SECONDS) return bad(`Stream-TTL must be whole seconds from 0 to ${DS_MAX_TTL_SECONDS}`);
    ttlSeconds = Number(ttl);
  }
  let expiresAt: CreateStreamRequest["expiresAt"];
  if (expires !== null) {
    const text = expires.trim();
    const ms = RFC3339.test(text) ? Date.parse(text) : NaN;
    if (!Number.isFinite(ms)) return bad("Stream-Expires-At must be an RFC 3339 timestamp");
    expiresAt = { text, ms };
  }
  const contentType = headers.get("content-type")?.trim();
  return {
    ok: true,
    value: {
      self,
      ...(fork.value === undefined ? {} : { fork: fork.value }),
      contentType: contentType === undefined || contentType === "" ? DEFAULT_CONTENT_TYPE : contentType,
      contentTypeGiven: contentType !== undefined && contentType !== "",
      ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      closed: closedHeader(headers),
      body,
    },
  };
}

function producerNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (!UNSIGNED.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Producer-Id, Producer-Epoch and Producer-Seq come together or not at all (P§5.2.1). */
export function parseProducer(headers: Headers): Parsed<ProducerTuple | undefined> {
  const id = headers.get("producer-id");
  const epoch = headers.get("producer-epoch");
  const seq = headers.get("producer-seq");
  if (id === null && epoch === null && seq === null) return { ok: true, value: undefined };
  if (id === null || epoch === null || seq === null) return bad("Producer-Id, Producer-Epoch and Producer-Seq must be sent together");
  if (id.trim() === "") return bad("Producer-Id must not be empty");
  const e = producerNumber(epoch);
  const s = producerNumber(seq);
  if (e === undefined) return bad("Producer-Epoch must be a non-negative integer");
  if (s === undefined) return bad("Producer-Seq must be a non-negative integer");
  return { ok: true, value: { id, epoch: e, seq: s } };
}

export function parseAppend(headers: Headers, body: Uint8Array): Parsed<AppendStreamRequest> {
  const close = closedHeader(headers);
  if (body.byteLength === 0 && !close) return bad("an append needs a body (or Stream-Closed: true to close)");
  const contentType = headers.get("content-type")?.trim();
  if (body.byteLength > 0 && (contentType === undefined || contentType === "")) return bad("an append with a body needs a Content-Type");
  const producer = parseProducer(headers);
  if (!producer.ok) return producer;
  const streamSeq = headers.get("stream-seq");
  return {
    ok: true,
    value: {
      ...(contentType === undefined || contentType === "" ? {} : { contentType }),
      body,
      close,
      ...(streamSeq === null ? {} : { streamSeq }),
      ...(producer.value === undefined ? {} : { producer: producer.value }),
    },
  };
}

export type LiveMode = "catch-up" | "long-poll" | "sse";

export interface ReadQuery {
  from: ParsedOffset;
  live: LiveMode;
  cursor: string | null;
}

/** `offset` once at most and well-formed; live modes need one (P§5.7, §5.8); unknown parameters are ignored. */
export function parseReadQuery(params: URLSearchParams): Parsed<ReadQuery> {
  const offsets = params.getAll("offset");
  if (offsets.length > 1) return bad("send offset once");
  const liveParam = params.get("live");
  const live: LiveMode | undefined = liveParam === null ? "catch-up" : liveParam === "long-poll" || liveParam === "sse" ? liveParam : undefined;
  if (live === undefined) return bad("live must be long-poll or sse");
  if (offsets.length === 0) {
    if (live !== "catch-up") return bad(`live=${live} needs an offset`);
    return { ok: true, value: { from: { kind: "start" }, live, cursor: params.get("cursor") } };
  }
  const from = parseOffset(offsets[0]!);
  if (from === undefined) return bad("malformed offset");
  return { ok: true, value: { from, live, cursor: params.get("cursor") } };
}
