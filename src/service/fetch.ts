// Fetch and ListOffsets for one partition. Reads never move a position: a fetch names its offset and is safe
// to retry; committing is a separate call (consumer groups).
import type { Env } from "../env";
import { KafkaError } from "../errors";
import {
  DEFAULT_FETCH_MAX_BYTES,
  DEFAULT_FETCH_MAX_RECORDS,
  MAX_FETCH_MAX_BYTES,
  MAX_FETCH_MAX_RECORDS,
  MAX_FETCH_WAIT_MS,
  MAX_TIMESTAMP_MS,
  MAX_WATCH_ATTEMPTS,
} from "../limits";
import { replicaClient } from "../names";
import type { IsolationLevel, ListedOffset, OffsetSpec, ReadRequest, ReadResult } from "../protocol";
import { callPartition } from "./metadata";
import { openWatch } from "./watch-client";
import { parseEncoding, parseIsolation } from "./request-params";
import { integerField, onlyFields, requireObject } from "./validate";

export interface FetchParams {
  offset?: unknown;
  maxRecords?: unknown;
  maxBytes?: unknown;
  maxWaitMs?: unknown;
  encoding?: unknown;
  isolation?: unknown;
}

export function parseReadRequest(params: FetchParams): ReadRequest {
  const offset = params.offset === undefined || params.offset === null || params.offset === "" ? undefined : integerField(params.offset, "offset", 0, Number.MAX_SAFE_INTEGER);
  return {
    offset,
    maxRecords: integerField(params.maxRecords, "maxRecords", 1, MAX_FETCH_MAX_RECORDS, DEFAULT_FETCH_MAX_RECORDS),
    maxBytes: integerField(params.maxBytes, "maxBytes", 1, MAX_FETCH_MAX_BYTES, DEFAULT_FETCH_MAX_BYTES),
    maxWaitMs: integerField(params.maxWaitMs, "maxWaitMs", 0, MAX_FETCH_WAIT_MS, 0),
    encoding: parseEncoding(params.encoding),
    ...(params.isolation === undefined || params.isolation === null ? {} : { isolation: parseIsolation(params.isolation) }),
  };
}


/**
 * A fetch: records at once, or (maxWaitMs > 0) the first records to arrive within maxWaitMs, waited for outside the
 * partition object so that it can hibernate meanwhile (src/watch.ts). `signal` (the client's request.signal) ends the
 * wait when the client goes away, so the partition forgets the reader at once.
 */
export async function fetchRecords(env: Env, topic: string, partition: number, request: ReadRequest, signal?: AbortSignal): Promise<ReadResult> {
  if (request.maxWaitMs === 0) return readNow(env, topic, partition, request);
  const deadline = Date.now() + request.maxWaitMs;
  let last: ReadResult | undefined;
  // A socket the partition closes without a wake (it was evicted, or is going away) is watched again for the time left.
  for (let attempt = 0; attempt < MAX_WATCH_ATTEMPTS && (last === undefined || Date.now() < deadline); attempt++) {
    const watch = await callPartition(env, topic, partition, (ref) => openWatch(env, ref, { ...request, offset: last?.nextOffset ?? request.offset, maxWaitMs: 0 }, "once"));
    if (watch.socket === undefined) return watch.result;
    last = watch.result;
    const woke = await watch.socket.next(deadline - Date.now(), signal);
    watch.socket.close();
    if (woke === "timeout" || woke === "gone") return last;
    last = await readNow(env, topic, partition, { ...request, offset: last.nextOffset });
    if (last.recordCount > 0) return last;
  }
  return last!;
}

/** A read that does not wait. */
export function readNow(env: Env, topic: string, partition: number, request: ReadRequest): Promise<ReadResult> {
  return callPartition(env, topic, partition, (ref) => replicaClient(env, ref).read(ref, { ...request, maxWaitMs: 0 }));
}

/**
 * A live tail from `request.offset`: yields each non-empty answer as records arrive, and "idle" after every
 * `idleMs` without any (the caller sends a keep-alive), until `untilMs` or until `signal` says the client went away.
 * One socket waits for all appends while the partition hibernates; a closed one is replaced.
 */
export async function* tailRecords(
  env: Env,
  topic: string,
  partition: number,
  request: ReadRequest,
  idleMs: number,
  untilMs: number,
  signal?: AbortSignal,
): AsyncGenerator<ReadResult | "idle"> {
  let offset = request.offset;
  while (Date.now() < untilMs && !signal?.aborted) {
    const watch = await callPartition(env, topic, partition, (ref) => openWatch(env, ref, { ...request, offset, maxWaitMs: 0 }, "tail"));
    offset = watch.result.nextOffset;
    if (watch.socket === undefined) {
      if (watch.result.recordCount > 0) yield watch.result;
      else {
        // No room to park: poll no faster than the keep-alive.
        await new Promise((resolve) => setTimeout(resolve, Math.min(idleMs, Math.max(0, untilMs - Date.now()))));
        yield "idle";
      }
      continue;
    }
    try {
      for (;;) {
        const woke = await watch.socket.next(Math.min(idleMs, untilMs - Date.now()), signal);
        if (woke === "gone") return;
        if (woke === "closed") break;
        if (woke === "timeout") {
          if (Date.now() >= untilMs) return;
          yield "idle";
          continue;
        }
        // Woken: catch up with everything the high watermark passed.
        for (;;) {
          const next = await readNow(env, topic, partition, { ...request, offset });
          if (next.recordCount === 0) break;
          offset = next.nextOffset;
          yield next;
        }
      }
    } finally {
      watch.socket.close();
    }
  }
}

/** `at`: "earliest", "latest", Kafka's sentinels -2 / -1, or a timestamp in ms. */
export function parseOffsetSpec(at: unknown): OffsetSpec {
  if (at === "earliest" || at === "-2" || at === -2) return "earliest";
  if (at === "latest" || at === "-1" || at === -1) return "latest";
  if (at === undefined || at === null || at === "") throw new KafkaError("INVALID_REQUEST", 'at is required: "earliest", "latest" or a timestamp in ms', { field: "at" });
  return { timestamp: integerField(at, "at", 0, MAX_TIMESTAMP_MS) };
}

export async function listOffsets(env: Env, topic: string, partition: number, spec: OffsetSpec, isolation: IsolationLevel = "read_uncommitted"): Promise<ListedOffset> {
  return callPartition(env, topic, partition, (ref) => replicaClient(env, ref).listOffsets(ref, spec, isolation));
}

/** Kafka's DeleteRecords: {beforeOffset} moves the partition's logStartOffset (at most to its high watermark). */
export async function deleteRecords(env: Env, topic: string, partition: number, input: unknown): Promise<{ partition: number; logStartOffset: number }> {
  const body = requireObject(input, "delete-records request");
  onlyFields(body, ["beforeOffset"], "delete-records request");
  const beforeOffset = integerField(body.beforeOffset, "beforeOffset", 0, Number.MAX_SAFE_INTEGER);
  const result = await callPartition(env, topic, partition, (ref) => replicaClient(env, ref).deleteRecords(ref, beforeOffset));
  return { partition, logStartOffset: result.logStartOffset };
}
