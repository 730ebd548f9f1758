// The Durable Streams endpoint: `/ds/v1/stream/<name>` (PUT create, POST append or close, GET catch-up, long-poll or
// SSE, HEAD, DELETE; docs/durable-streams.md). Parses with the leaf modules, authorizes the stream as a topic resource
// (same tokens and ACLs), calls the service layer, and answers the protocol's statuses and headers.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { numberSetting } from "../settings";
import { authorize, checkQuota, debitQuota, principalOf } from "../http/auth";
import type { Principal } from "../auth/acl";
import { DS_LONG_POLL_MS, DS_MAX_APPEND_BYTES } from "../limits";
import { appendStream, createStream, deleteStream, headStream, readStream } from "../service/streams";
import { dsResponse, etagOf, metadataHeaders, refusalResponse, tailHeaders } from "./answers";
import { isJsonType } from "./media-type";
import { formatOffset, nextCursor } from "./offsets";
import { parseAppend, parseCreate, parseReadQuery } from "./request-headers";
import { DS_ROUTES, DS_STREAM_PREFIX, DS_STREAM_ROUTE } from "./routes";
import { serveSse } from "./sse-pump";
import { MAX_ENCODED_STREAM_NAME, streamTopicName } from "../log/stream-topic";


/** Catch-up reads of a range are immutable apart from the tail; the reference's caching advice (P§10). */
const CATCH_UP_CACHE = "public, max-age=60, stale-while-revalidate=300";

export function isStreamPath(pathname: string): boolean {
  return pathname.startsWith(DS_STREAM_PREFIX);
}

/** The deployment's DS long-poll wait (src/settings.ts's rule: a malformed value fails loudly, not silently). */
export function longPollMs(env: Env): number {
  return numberSetting(env.DS_LONG_POLL_MS, "DS_LONG_POLL_MS", DS_LONG_POLL_MS);
}

/** Reads the whole body; past the limit it keeps draining (answering mid-upload would reset the client's connection). */
async function readBody(request: Request): Promise<Uint8Array | "too large"> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch {
      throw new KafkaError("INVALID_REQUEST", "request body ended early: the connection closed before the whole body arrived, or its chunked encoding is broken");
    }
    if (chunk.done) break;
    total += chunk.value.byteLength;
    if (total <= DS_MAX_APPEND_BYTES) chunks.push(chunk.value);
  }
  if (total > DS_MAX_APPEND_BYTES) return "too large";
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

const TOO_LARGE = { status: 413, message: `a stream request body is at most ${DS_MAX_APPEND_BYTES} bytes` };

/** Every answer about a stream that exists names its edgelog topic (Edgelog-Topic), readable through the /v1 API. */
export async function handleStream(request: IRequest, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const stream = url.pathname.slice(DS_STREAM_PREFIX.length);
  // One route for every stream name (slashes included): counted in /metrics as the documented pattern.
  request.route = DS_STREAM_ROUTE;
  if (stream === "") return refusalResponse({ status: 404, message: "no stream named" });
  const topic = streamTopicName(stream);
  const response = await serveStream(request, env, url, stream, topic);
  if (topic !== undefined && response.status < 300 && request.method !== "DELETE") response.headers.set("edgelog-topic", topic);
  return response;
}

async function serveStream(request: IRequest, env: Env, url: URL, stream: string, topic: string | undefined): Promise<Response> {
  const principal = principalOf(request);
  const route = DS_ROUTES.find((r) => r.method === request.method);
  if (route === undefined) {
    return refusalResponse({ status: 405, message: `${request.method} is not allowed on a stream`, headers: { allow: "GET, HEAD, POST, PUT, DELETE, OPTIONS" } });
  }
  authorize(principal, "topic", stream, route.operation);
  switch (request.method) {
    case "PUT": {
      const body = await readBody(request);
      if (body === "too large") return refusalResponse(TOO_LARGE);
      const parsed = parseCreate(stream, request.headers, body);
      if (!parsed.ok) return refusalResponse({ status: 400, message: parsed.message });
      // The stream is a topic: its name, encoded, must fit a topic name (src/log/stream-topic.ts).
      if (topic === undefined) return refusalResponse({ status: 400, message: `the stream name is too long: encoded as a topic name it exceeds ${MAX_ENCODED_STREAM_NAME} characters` });
      // Forking reads the source: the caller needs read on it too.
      if (parsed.value.fork !== undefined) authorize(principal, "topic", parsed.value.fork.source, "read");
      const outcome = await createStream(env, stream, topic, parsed.value);
      if (outcome.refused) return refusalResponse(outcome);
      return dsResponse(null, outcome.created ? 201 : 200, {
        ...metadataHeaders(outcome.info),
        ...(outcome.created ? { location: url.href } : {}),
      });
    }
    case "POST": {
      // Appends and reads are charged to the token's byte quotas, as produce and fetch are.
      checkQuota(principal, "produce");
      const body = await readBody(request);
      if (body === "too large") return refusalResponse(TOO_LARGE);
      debitQuota(principal, "produce", body.byteLength);
      const parsed = parseAppend(request.headers, body);
      if (!parsed.ok) return refusalResponse({ status: 400, message: parsed.message });
      const outcome = await appendStream(env, stream, parsed.value);
      if (outcome.refused) return refusalResponse(outcome);
      return dsResponse(null, outcome.status, {
        ...tailHeaders(outcome.info),
        ...(outcome.producer === undefined ? {} : { "producer-epoch": String(outcome.producer.epoch), "producer-seq": String(outcome.producer.seq) }),
      });
    }
    case "HEAD": {
      const outcome = await headStream(env, stream);
      if (outcome.refused) return dsResponse(null, outcome.status, {});
      return dsResponse(null, 200, { ...metadataHeaders(outcome.info), "cache-control": "no-store" });
    }
    case "DELETE": {
      const outcome = await deleteStream(env, stream, topic ?? "");
      return outcome.refused ? refusalResponse(outcome) : dsResponse(null, 204, {});
    }
    default:
      checkQuota(principal, "fetch");
      return handleRead(request, env, stream, url, principal);
  }
}

async function handleRead(request: Request, env: Env, stream: string, url: URL, principal: Principal): Promise<Response> {
  const query = parseReadQuery(url.searchParams);
  if (!query.ok) return refusalResponse({ status: 400, message: query.message });
  const { from, live, cursor } = query.value;
  if (live === "sse") return serveSse(env, stream, from, cursor, longPollMs(env), (bytes) => debitQuota(principal, "fetch", bytes));
  const outcome = await readStream(env, stream, { from, waitMs: live === "long-poll" ? longPollMs(env) : 0 });
  if (outcome.refused) return refusalResponse(outcome);
  debitQuota(principal, "fetch", outcome.data.byteLength);
  const { info } = outcome;
  const closedEnd = info.closed && outcome.upToDate;
  const liveHeaders: Record<string, string> = live === "long-poll" && !info.closed ? { "stream-cursor": nextCursor(Date.now(), cursor) } : {};
  if (live === "long-poll" && outcome.next === outcome.start) {
    // Nothing new: the wait timed out, or the stream is closed at its end (EOF, answered at once).
    return dsResponse(null, 204, {
      "stream-next-offset": formatOffset(outcome.next),
      "stream-up-to-date": "true",
      ...(closedEnd ? { "stream-closed": "true" } : {}),
      ...liveHeaders,
    });
  }
  const json = isJsonType(info.contentType);
  const headers: Record<string, string> = {
    "content-type": info.contentType,
    "stream-next-offset": formatOffset(outcome.next),
    ...(outcome.upToDate ? { "stream-up-to-date": "true" } : {}),
    ...(closedEnd ? { "stream-closed": "true" } : {}),
    ...liveHeaders,
  };
  if (from.kind === "now" && outcome.next === outcome.start) return dsResponse(json ? "[]" : null, 200, { ...headers, "cache-control": "no-store" });
  const etag = etagOf(info, outcome.start, outcome.next, closedEnd);
  headers.etag = etag;
  headers["cache-control"] = live === "long-poll" ? "no-store" : CATCH_UP_CACHE;
  if (request.headers.get("if-none-match") === etag) return dsResponse(null, 304, headers);
  const body = json ? `[${new TextDecoder().decode(outcome.data)}]` : outcome.data;
  return dsResponse(body, 200, headers);
}
