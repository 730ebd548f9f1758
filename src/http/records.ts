// HTTP handlers for records: produce (topic-level and partition-level), fetch (JSON, long-poll), the SSE live
// tail (Accept: text/event-stream), which resumes from Last-Event-ID: the next offset to read, and the WebSocket
// tail (Upgrade: websocket, src/tail.ts), which resumes from ?offset=<nextOffset>.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { ScannedProduceBody } from "../log/scan-produce-body";
import { MAX_PRODUCE_REQUEST_BYTES, SSE_MAX_DURATION_MS, SSE_POLL_WAIT_MS } from "../limits";
import { fetchRecords, parseReadRequest, tailRecords } from "../service/fetch";
import { parsePartition } from "../service/request-params";
import { openTail } from "../service/tail-client";
import { produce, produceRuns, type ProduceAnswer, type ProduceResult } from "../service/produce";
import { checkTopicName } from "../service/topics";
import type { ReadRequest } from "../protocol";
import { offeredTailProtocols, TAIL_SUBPROTOCOL } from "../log/tail-subprotocol";
import { RECORDS_MEDIA_TYPE } from "../log/record-frame";
import { authorize, checkQuota, debitQuota, principalOf } from "./auth";
import { pathParam, queryParam, readProduceBody } from "./parse";
import { errorResponse, JSON_HEADERS, jsonBytes } from "./respond";
import { noteError, noteTraffic } from "./request-log";

export async function handleProduce(request: IRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const topic = checkTopicName(pathParam(request.params, "topic"));
  const partition = request.params.partition === undefined ? undefined : parsePartition(pathParam(request.params, "partition"));
  const answer = parseProduceAnswer(queryParam(request.query, "results"));
  const principal = principalOf(request);
  checkQuota(principal, "produce");
  const { value: body, bytes } = await readProduceBody(request, MAX_PRODUCE_REQUEST_BYTES, "RECORD_LIST_TOO_LARGE");
  debitQuota(principal, "produce", bytes);
  const fields = body instanceof ScannedProduceBody ? body.fields : body;
  const transactionalId = (fields as { transaction?: { transactionalId?: unknown } } | null)?.transaction?.transactionalId;
  if (typeof transactionalId === "string") authorize(principal, "transactionalId", transactionalId, "write");
  const background = (work: Promise<unknown>) => ctx.waitUntil(work);
  if (answer === "runs") {
    const outcome = await produceRuns(env, topic, body, background, partition);
    if (!outcome.ok) {
      noteError(request, outcome.error.type);
      return errorResponse(outcome.error);
    }
    let written = 0;
    for (const run of outcome.value.runs) if (!("error" in run)) written += run.count;
    noteTraffic(request, written, bytes);
    return new Response(JSON.stringify({ runs: outcome.value.runs }), { status: outcome.value.status, headers: JSON_HEADERS });
  }
  const outcome = await produce(env, topic, body, background, partition);
  // No record written (every partition failed): the first failure's status and body.
  if (!outcome.ok) {
    noteError(request, outcome.error.type);
    return errorResponse(outcome.error);
  }
  noteTraffic(request, outcome.value.results.filter((r) => !("error" in r)).length, bytes);
  return new Response(resultsJson(outcome.value.results), { status: outcome.value.status, headers: JSON_HEADERS });
}

/** `?results=`: `records` (the default, one answer per record) or `runs` (one per run of records, docs/api.md). */
export function parseProduceAnswer(value: string | undefined): ProduceAnswer {
  if (value === undefined || value === "records") return "records";
  if (value === "runs") return "runs";
  throw new KafkaError("INVALID_REQUEST", `results must be "records" or "runs", got ${JSON.stringify(value)}`, { field: "results" });
}

/**
 * `{"results":[...]}` as JSON.stringify would write it, built from templates: about twice as fast for a
 * thousand acks (number-to-string of the shared timestamp is done once, not per record).
 */
function resultsJson(results: readonly ProduceResult[]): string {
  const parts = new Array<string>(results.length);
  let lastTs = NaN;
  let lastTsText = "";
  for (let i = 0; i < results.length; i++) {
    const r = results[i]!;
    if ("error" in r) {
      parts[i] = JSON.stringify(r);
      continue;
    }
    if (r.timestamp !== lastTs) lastTsText = String((lastTs = r.timestamp));
    parts[i] = `{"partition":${r.partition},"offset":${r.offset},"timestamp":${lastTsText}}`;
  }
  return `{"results":[${parts.join(",")}]}`;
}

export async function handleFetch(request: IRequest, env: Env, ctx: ExecutionContext): Promise<Response> {
  const topic = checkTopicName(pathParam(request.params, "topic"));
  const partition = parsePartition(pathParam(request.params, "partition"));
  const q = request.query;
  const read = parseReadRequest({
    offset: queryParam(q, "offset"),
    maxRecords: queryParam(q, "maxRecords"),
    maxBytes: queryParam(q, "maxBytes"),
    maxWaitMs: queryParam(q, "maxWaitMs"),
    encoding: queryParam(q, "encoding"),
    isolation: queryParam(q, "isolation"),
  });
  const principal = principalOf(request);
  checkQuota(principal, "fetch");
  // A WebSocket tail (src/tail.ts): the partition object takes the socket; errors before the upgrade are plain HTTP.
  if ((request.headers.get("upgrade") ?? "").toLowerCase() === "websocket") {
    const opened = await openTail(env, topic, partition, read);
    // A browser that offered the tail's subprotocol (src/tail.ts) fails the handshake unless the answer selects it.
    if (!offeredTailProtocols(request.headers.get("sec-websocket-protocol")).tail) return opened;
    return new Response(null, { status: 101, webSocket: opened.webSocket, headers: { "sec-websocket-protocol": TAIL_SUBPROTOCOL } });
  }
  if ((request.headers.get("accept") ?? "").includes("text/event-stream")) {
    const lastEventId = request.headers.get("last-event-id");
    if (lastEventId !== null) read.offset = parseReadRequest({ offset: lastEventId }).offset;
    return liveTail(env, ctx, topic, partition, read, (bytes) => debitQuota(principal, "fetch", bytes), request.signal);
  }
  const binary = prefersRecordFrame(request.headers.get("accept"));
  const result = await fetchRecords(env, topic, partition, binary ? { ...read, format: "binary" } : read, request.signal);
  debitQuota(principal, "fetch", result.body.length);
  noteTraffic(request, result.recordCount, result.body.length);
  // Caches must key on Accept: the same URL answers JSON or the record frame.
  if (binary) return new Response(result.body, { headers: { "content-type": RECORDS_MEDIA_TYPE, vary: "Accept" } });
  return jsonBytes(result.body, 200, { vary: "Accept" });
}

/**
 * Whether a fetch answers with the record frame: when Accept names its media type with a q above 0 and at least the
 * q of any JSON range it also names (application/json, application/* or any type). Anything else, a missing Accept
 * included, gets JSON: never 406, so curl and browsers keep working whatever they send.
 */
export function prefersRecordFrame(accept: string | null): boolean {
  if (accept === null || !accept.toLowerCase().includes(RECORDS_MEDIA_TYPE)) return false;
  let frameQ = 0;
  let jsonQ = 0;
  for (const range of accept.split(",")) {
    const [type = "", ...params] = range.split(";").map((p) => p.trim().toLowerCase());
    let q = 1;
    for (const p of params) if (p.startsWith("q=")) q = Number(p.slice(2));
    if (!Number.isFinite(q)) continue;
    if (type === RECORDS_MEDIA_TYPE) frameQ = Math.max(frameQ, q);
    else if (type === "application/json" || type === "application/*" || type === "*/*") jsonQ = Math.max(jsonQ, q);
  }
  return frameQ > 0 && frameQ >= jsonQ;
}

/**
 * SSE: each event is one fetch answer, `id` = the next offset to read, so a reconnecting EventSource resumes
 * exactly where it stopped. The stream ends after SSE_MAX_DURATION_MS; clients reconnect with Last-Event-ID.
 */
async function liveTail(env: Env, ctx: ExecutionContext, topic: string, partition: number, read: ReadRequest, charge: (bytes: number) => void, signal: AbortSignal): Promise<Response> {
  // The first fetch runs before answering, so an unknown topic or a bad offset is a plain HTTP error.
  const first = await fetchRecords(env, topic, partition, { ...read, maxWaitMs: 0 });
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const event = (id: number, body: Uint8Array) => {
    const head = encoder.encode(`id: ${id}\nevent: records\ndata: `);
    const out = new Uint8Array(head.length + body.length + 2);
    out.set(head);
    out.set(body, head.length);
    out.set([10, 10], head.length + body.length);
    return out;
  };
  const pump = async () => {
    try {
      await writer.write(encoder.encode(`retry: 1000\n\n`));
      if (first.recordCount > 0) {
        charge(first.body.length);
        await writer.write(event(first.nextOffset, first.body));
      }
      // Records as they arrive, waited for outside the partition object; a keep-alive comment every SSE_POLL_WAIT_MS.
      for await (const next of tailRecords(env, topic, partition, { ...read, offset: first.nextOffset }, SSE_POLL_WAIT_MS, Date.now() + SSE_MAX_DURATION_MS, signal)) {
        if (next === "idle") {
          await writer.write(encoder.encode(`: keep-alive\n\n`));
          continue;
        }
        charge(next.body.length);
        await writer.write(event(next.nextOffset, next.body));
      }
    } catch (error) {
      // A reader that went away makes write() reject; anything else is told to the reader as an error event.
      // Named "failure", not "error": EventSource fires its own "error" event for connection trouble.
      if (error instanceof KafkaError) await writer.write(encoder.encode(`event: failure\ndata: ${JSON.stringify({ error: error.body })}\n\n`)).catch(() => {});
    } finally {
      await writer.close().catch(() => {});
    }
  };
  ctx.waitUntil(pump());
  return new Response(readable, { headers: { "content-type": "text/event-stream", "cache-control": "no-cache" } });
}
