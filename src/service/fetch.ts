// Fetch and ListOffsets for one partition. Reads never move a position: a fetch names its offset and is safe
// to retry; committing is a separate call (consumer groups).
import type { Env } from "../env";
import { KafkaError } from "../errors";
import type { Encoding } from "../log/record";
import {
  DEFAULT_FETCH_MAX_BYTES,
  DEFAULT_FETCH_MAX_RECORDS,
  MAX_FETCH_MAX_BYTES,
  MAX_FETCH_MAX_RECORDS,
  MAX_FETCH_WAIT_MS,
  MAX_TIMESTAMP_MS,
} from "../limits";
import { replicaClient } from "../names";
import type { ListedOffset, OffsetSpec, ReadRequest, ReadResult } from "../protocol";
import { callPartition } from "./metadata";
import { parseEncoding } from "./produce";
import { integerField, onlyFields, requireObject } from "./validate";

export interface FetchParams {
  offset?: unknown;
  maxRecords?: unknown;
  maxBytes?: unknown;
  maxWaitMs?: unknown;
  encoding?: unknown;
}

export function parseReadRequest(params: FetchParams): ReadRequest {
  const offset = params.offset === undefined || params.offset === null || params.offset === "" ? undefined : integerField(params.offset, "offset", 0, Number.MAX_SAFE_INTEGER);
  return {
    offset,
    maxRecords: integerField(params.maxRecords, "maxRecords", 1, MAX_FETCH_MAX_RECORDS, DEFAULT_FETCH_MAX_RECORDS),
    maxBytes: integerField(params.maxBytes, "maxBytes", 1, MAX_FETCH_MAX_BYTES, DEFAULT_FETCH_MAX_BYTES),
    maxWaitMs: integerField(params.maxWaitMs, "maxWaitMs", 0, MAX_FETCH_WAIT_MS, 0),
    encoding: parseEncoding(params.encoding) as Encoding,
  };
}

export function parsePartition(value: unknown): number {
  return integerField(value, "partition", 0, Number.MAX_SAFE_INTEGER);
}

export async function fetchRecords(env: Env, topic: string, partition: number, request: ReadRequest): Promise<ReadResult> {
  return callPartition(env, topic, partition, (ref) => replicaClient(env, ref).read(ref, request));
}

/** `at`: "earliest", "latest", Kafka's sentinels -2 / -1, or a timestamp in ms. */
export function parseOffsetSpec(at: unknown): OffsetSpec {
  if (at === "earliest" || at === "-2" || at === -2) return "earliest";
  if (at === "latest" || at === "-1" || at === -1) return "latest";
  if (at === undefined || at === null || at === "") throw new KafkaError("INVALID_REQUEST", 'at is required: "earliest", "latest" or a timestamp in ms', { field: "at" });
  return { timestamp: integerField(at, "at", 0, MAX_TIMESTAMP_MS) };
}

export async function listOffsets(env: Env, topic: string, partition: number, spec: OffsetSpec): Promise<ListedOffset> {
  return callPartition(env, topic, partition, (ref) => replicaClient(env, ref).listOffsets(ref, spec));
}

/** Kafka's DeleteRecords: {beforeOffset} moves the partition's logStartOffset (at most to its high watermark). */
export async function deleteRecords(env: Env, topic: string, partition: number, input: unknown): Promise<{ partition: number; logStartOffset: number }> {
  const body = requireObject(input, "delete-records request");
  onlyFields(body, ["beforeOffset"], "delete-records request");
  const beforeOffset = integerField(body.beforeOffset, "beforeOffset", 0, Number.MAX_SAFE_INTEGER);
  const result = await callPartition(env, topic, partition, (ref) => replicaClient(env, ref).deleteRecords(ref, beforeOffset));
  return { partition, logStartOffset: result.logStartOffset };
}
