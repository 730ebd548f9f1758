// A Durable Stream read as its edgelog topic's one partition (src/log/stream-topic.ts): the partition read surface the
// fetch route, consumer groups, subscriptions and tails call (src/names.ts routes a stream topic's calls to the
// stream's object). Every append is one batch of records: a byte stream's append is one record whose value is the appended bytes
// (text, or base64 when the fetch asks encoding=base64), a JSON stream's message is one record whose value is the
// message's JSON text; keys are null, headers empty, timestamps the append time. Offsets are the DS offsets' second
// part, so both APIs name the same record by the same number. No cloudflare:* imports.
import { bytesToBase64 } from "../log/base64";
import { fail, ok, type Result } from "../errors";
import { encodeRecordFrame } from "../log/record-frame";
import type { ListedOffset, OffsetSpec, PartitionDescription, PartitionRef, ReadRequest, ReadResult } from "../protocol";
import { isJsonType } from "./media-type";
import type { RawRow } from "./protocol";
import type { StreamMeta } from "./stream-store";

const decoder = new TextDecoder();
/** A one-record piece of the binary frame starts at 0. */
const ZERO_POSITION = new Uint32Array([0]);
const encoder = new TextEncoder();

/** What a topic read needs of the stream object. */
export interface StreamTopicHost {
  meta(): StreamMeta | undefined;
  /** Records [from, until) up to maxBytes (at least one row), fork parent's included. */
  rows(meta: StreamMeta, from: number, until: number, maxBytes: number): Promise<RawRow[]>;
}

/** The stream's metadata when the ref addresses it: a stream deleted, or recreated under a new topic id, is gone. */
export function checkRef(meta: StreamMeta | undefined, ref: PartitionRef): Result<StreamMeta> {
  if (ref.partition !== 0) return fail("UNKNOWN_TOPIC_OR_PARTITION", `a stream's topic has one partition, 0; not ${ref.partition}`, { topic: ref.topic, partition: ref.partition });
  if (meta === undefined || meta.topicId !== ref.topicId) return fail("UNKNOWN_TOPIC_ID", `the stream no longer belongs to topic id ${ref.topicId}`);
  return ok(meta);
}

/** A fetch of the stream's records, in the fetch route's answer shape. */
export async function readAsTopic(host: StreamTopicHost, ref: PartitionRef, request: ReadRequest): Promise<Result<ReadResult>> {
  const checked = checkRef(host.meta(), ref);
  if (!checked.ok) return checked;
  const meta = checked.value;
  const offset = request.offset ?? 0;
  if (offset > meta.tail) {
    return fail("OFFSET_OUT_OF_RANGE", `offset ${offset} is outside [logStartOffset 0, highWatermark ${meta.tail}]`, { offset, logStartOffset: 0, highWatermark: meta.tail });
  }
  const json = isJsonType(meta.contentType);
  const pieces: string[] = [];
  let next = offset;
  let bytes = 0;
  const rows = offset < meta.tail ? await host.rows(meta, offset, meta.tail, request.maxBytes) : [];
  outer: for (const row of rows) {
    const values = json ? messagesOf(row.data) : [request.encoding === "base64" ? bytesToBase64(row.data) : decoder.decode(row.data)];
    for (let i = 0; i < values.length; i++) {
      const piece = `{"offset":${row.base + i},"timestamp":${row.appendMs ?? -1},"key":null,"value":${JSON.stringify(
        json && request.encoding === "base64" ? bytesToBase64(encoder.encode(values[i]!)) : values[i],
      )},"headers":[]}`;
      if (pieces.length >= request.maxRecords || (pieces.length > 0 && bytes + piece.length > request.maxBytes)) break outer;
      pieces.push(piece);
      bytes += piece.length;
      next = row.base + i + 1;
    }
  }
  // The fetch's format (docs/api.md): the binary record frame carries the same record JSON, one length each.
  const body =
    request.format === "binary"
      ? encodeRecordFrame(
          pieces.map((piece) => ({ bytes: encoder.encode(piece), positions: ZERO_POSITION, first: 0, count: 1 })),
          { nextOffset: next, highWatermark: meta.tail, logStartOffset: 0, lastStableOffset: undefined, encoding: request.encoding },
        )
      : encoder.encode(`{"records":[${pieces.join(",")}],"nextOffset":${next},"highWatermark":${meta.tail},"logStartOffset":0}`);
  return ok({ body, recordCount: pieces.length, nextOffset: next, highWatermark: meta.tail, logStartOffset: 0 });
}

/** ListOffsets: earliest 0, latest the tail, by time the first append at or after it. */
export async function listAsTopic(host: StreamTopicHost, ref: PartitionRef, spec: OffsetSpec): Promise<Result<ListedOffset>> {
  const checked = checkRef(host.meta(), ref);
  if (!checked.ok) return checked;
  const meta = checked.value;
  if (spec === "earliest") return ok({ offset: 0, timestamp: -1 });
  if (spec === "latest") return ok({ offset: meta.tail, timestamp: -1 });
  // Appends are in time order: a scan from the start finds the first; bounded by the stream's own reads' budget.
  let at = 0;
  while (at < meta.tail) {
    const rows = await host.rows(meta, at, meta.tail, 1024 * 1024);
    if (rows.length === 0) break;
    for (const row of rows) {
      if ((row.appendMs ?? -1) >= spec.timestamp) return ok({ offset: row.base, timestamp: row.appendMs! });
      at = row.base + row.count;
    }
  }
  return ok({ offset: -1, timestamp: -1 });
}

/** Describe: one replica (the stream object), always in sync; the log is all local. */
export function describeAsTopic(meta: StreamMeta, databaseBytes: number, waitingReaders: number): PartitionDescription {
  return {
    partition: 0,
    leader: 0,
    leaderEpoch: 0,
    replicas: [0],
    isr: [0],
    logStartOffset: 0,
    highWatermark: meta.tail,
    lastStableOffset: meta.tail,
    openTransactions: 0,
    logEndOffset: meta.tail,
    bytes: databaseBytes,
    batches: 0,
    localBytes: databaseBytes,
    tieredBytes: 0,
    tieredStoredBytes: 0,
    localSegments: 1,
    databaseBytes,
    tieredSegments: 0,
    waitingReaders,
  };
}

/** Appends through the topic API are refused: DS's own rules (closed streams, producers, Stream-Seq) guard appends. */
export function refuseTopicWrite(ref: PartitionRef): Result<never> {
  return fail("INVALID_TOPIC_EXCEPTION", `topic '${ref.topic}' is a Durable Stream: append to it with the Durable Streams API (POST /ds/v1/stream/...)`, { topic: ref.topic });
}

function messagesOf(data: Uint8Array): string[] {
  return (JSON.parse(`[${decoder.decode(data)}]`) as unknown[]).map((v) => JSON.stringify(v));
}
