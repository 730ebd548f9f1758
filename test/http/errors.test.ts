// The error table test (DESIGN §6): every error type this build can raise is provoked over HTTP, one row per case.
// Each row checks the status, the documented body shape {"error":{type, code, message, retriable[, details]}}, and
// that code, status and retriable come from src/errors.ts's ERRORS table. After every row the test proves the bad
// request changed nothing: the fixture topics' metadata (ids, partition counts, configs), every partition's records
// and high watermark, and the fixture consumer group (members, epochs, committed offsets) read back exactly as
// before; the last test shows the idempotent producer's sequence did not move either. A coverage check keeps the
// table honest: every type in ERRORS is either provoked here or listed, with the reason, as unreachable over HTTP.
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { ERRORS, type ErrorType } from "../../src/errors";
import {
  MAX_ADMIN_REQUEST_BYTES,
  MAX_COMMIT_METADATA_BYTES,
  MAX_FETCH_MAX_BYTES,
  MAX_FETCH_MAX_RECORDS,
  MAX_FETCH_WAIT_MS,
  MAX_HEADER_KEY_BYTES,
  MAX_HEADERS_PER_RECORD,
  MAX_KEY_BYTES,
  MAX_MEMBER_ID_LENGTH,
  MAX_OFFSETS_PER_COMMIT,
  MAX_PARTITIONS_PER_TOPIC,
  MAX_PRODUCE_REQUEST_BYTES,
  MAX_PRODUCER_EPOCH,
  MAX_REBALANCE_TIMEOUT_MS,
  MAX_RECORD_BYTES,
  MAX_RECORDS_PER_REQUEST,
  MAX_SESSION_TIMEOUT_MS,
  MAX_STORED_RECORD_BYTES,
  MAX_SUBSCRIBED_TOPICS,
  MAX_TIMESTAMP_MS,
  MAX_TOPIC_NAME_LENGTH,
  MIN_SESSION_TIMEOUT_MS,
  MAX_REPLICATION_FACTOR,
} from "../../src/limits";
import { api, createTopic, fetchFrom, produceTo, uniqueTopic, type ApiResponse } from "../helpers";

// ---------------------------------------------------------------------------------------------------------------
// Fixtures: topics the bad requests aim at. Names are fixed at load time so the table can name them.

/** Two partitions with records in both; the target of most bad requests. */
const V = uniqueTopic("victim");
/** cleanup.policy=compact: keyless records are refused. */
const C = uniqueTopic("compacted");
/** max.message.bytes=100. */
const S = uniqueTopic("small");
/** Exists so that the same name with '.' for '_' collides. */
const DOTTED = `coll.${crypto.randomUUID().slice(0, 8)}`;
/** Replication factor 2, min.insync.replicas 2, replica 1 down and out of the ISR: acks=all is refused. */
const R = uniqueTopic("replicated");
/** Replication factor 2 with both replicas down. */
const D = uniqueTopic("down");
/** Replication factor 2, replica 0 down after replica 1 took over. */
const E = uniqueTopic("failed-over");
/** A topic that never exists. */
const MISSING = uniqueTopic("missing");
/** A consumer group with one live member that owns both partitions of V and has committed V/0. */
const G = uniqueTopic("group");
/** A group that never exists. */
const NO_GROUP = uniqueTopic("nogroup");
/** A share group with the default config (never polled: nothing leased). */
const SG = uniqueTopic("share");
/** An idempotent producer that wrote one batch to V/1 at epoch 0 and, after an epoch bump, one at epoch 1 (seq 0). */
let producer = { producerId: -1, producerEpoch: -1 };
const P1 = `/v1/topics/${V}/partitions/1/records`;
const idem = (producerEpoch: number, baseSequence: number, recs: unknown[] = [{ value: "dup?" }]) => () => ({
  records: recs,
  producer: { producerId: producer.producerId, producerEpoch, baseSequence },
});
/** A transactional id initialized twice by beforeAll: its first identity is fenced, its current one has no transaction. */
const TXN = uniqueTopic("txn");
let fencedTxn = { producerId: -1, producerEpoch: -1 };
let currentTxn = { producerId: -1, producerEpoch: -1 };
/** G's member, known once beforeAll has joined it (bodies that name it are built when their row runs). */
let member: { memberId: string; memberEpoch: number } = { memberId: "", memberEpoch: -1 };

const FIXTURE_PARTITIONS: Array<[string, number]> = [
  [V, 2],
  [C, 1],
  [S, 1],
  [DOTTED, 1],
];

const P0 = `/v1/topics/${V}/partitions/0/records`;
const TP = `/v1/topics/${V}/records`;
const FETCH = (query: string) => `/v1/topics/${V}/partitions/0/records?${query}`;
const OFFSETS = (query: string) => `/v1/topics/${V}/partitions/0/offsets?${query}`;
const HB = `/v1/groups/${G}/heartbeat`;
const COMMIT = `/v1/groups/${G}/offsets`;
const join = (extra: Record<string, unknown> = {}) => ({ memberEpoch: 0, subscribedTopics: [V], ...extra });
const commitOf = (offsets: unknown[], by: "member" | "admin" = "member") => () =>
  by === "member" ? { memberId: member.memberId, memberEpoch: member.memberEpoch, offsets } : { offsets };
/** Records already in V/0 before any bad request: the high watermark every 416 must report. */
const V0_RECORDS = 3;

// ---------------------------------------------------------------------------------------------------------------
// The table.

type Body = unknown | (() => unknown);

interface Case {
  name: string;
  method: string;
  path: string;
  /** JSON-serialized unless a string or bytes (sent as is). A function builds large bodies lazily. */
  body?: Body;
  headers?: Record<string, string>;
  status: number;
  type: ErrorType;
  /** A subset the error's details must contain. */
  details?: Record<string, unknown>;
}

const rec = (r: Record<string, unknown>) => ({ records: [r] });
const x = (n: number) => "x".repeat(n);

const CASES: Case[] = [
  // --- request bodies: framing -------------------------------------------------------------------------------
  { name: "produce: malformed JSON", method: "POST", path: P0, body: '{"records": [', status: 400, type: "INVALID_REQUEST" },
  { name: "produce: trailing garbage after JSON", method: "POST", path: P0, body: '{"records":[{"value":"a"}]} x', status: 400, type: "INVALID_REQUEST" },
  { name: "produce: body is a JSON array", method: "POST", path: P0, body: "[]", status: 400, type: "INVALID_REQUEST" },
  { name: "produce: body is a JSON string", method: "POST", path: P0, body: '"records"', status: 400, type: "INVALID_REQUEST" },
  { name: "produce: body is a JSON number", method: "POST", path: P0, body: "42", status: 400, type: "INVALID_REQUEST" },
  { name: "produce: body is JSON null", method: "POST", path: P0, body: "null", status: 400, type: "INVALID_REQUEST" },
  { name: "produce: empty body", method: "POST", path: P0, body: "", status: 400, type: "INVALID_REQUEST" },
  { name: "produce: no body at all", method: "POST", path: P0, status: 400, type: "INVALID_REQUEST" },
  { name: "produce: body is not UTF-8", method: "POST", path: P0, body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), status: 400, type: "INVALID_REQUEST" },
  { name: "produce: Content-Type text/plain", method: "POST", path: P0, body: rec({ value: "a" }), headers: { "content-type": "text/plain" }, status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
  { name: "produce: Content-Type form-urlencoded", method: "POST", path: P0, body: rec({ value: "a" }), headers: { "content-type": "application/x-www-form-urlencoded" }, status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
  { name: "produce: Content-Type application/jsonx", method: "POST", path: TP, body: rec({ value: "a" }), headers: { "content-type": "application/jsonx" }, status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
  { name: "create: Content-Type text/plain", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("ct"), partitions: 1 }, headers: { "content-type": "text/plain" }, status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
  { name: "create: empty body", method: "POST", path: "/v1/topics", body: "", status: 400, type: "INVALID_REQUEST" },
  { name: "create: malformed JSON", method: "POST", path: "/v1/topics", body: "{name:", status: 400, type: "INVALID_REQUEST" },
  { name: "create: body is an array", method: "POST", path: "/v1/topics", body: [{ name: uniqueTopic("arr") }], status: 400, type: "INVALID_REQUEST" },
  { name: "alter: malformed JSON", method: "PATCH", path: `/v1/topics/${V}`, body: "{", status: 400, type: "INVALID_REQUEST" },
  { name: "add partitions: body is a string", method: "POST", path: `/v1/topics/${V}/partitions`, body: '"3"', status: 400, type: "INVALID_REQUEST" },

  // --- produce: the request's own fields --------------------------------------------------------------------
  { name: "produce: records missing", method: "POST", path: P0, body: {}, status: 400, type: "INVALID_REQUEST" },
  { name: "produce: records is an object", method: "POST", path: P0, body: { records: { value: "a" } }, status: 400, type: "INVALID_REQUEST" },
  { name: "produce: records is a string", method: "POST", path: P0, body: { records: "a" }, status: 400, type: "INVALID_REQUEST" },
  { name: "produce: records is null", method: "POST", path: P0, body: { records: null }, status: 400, type: "INVALID_REQUEST" },
  { name: "produce: records empty", method: "POST", path: P0, body: { records: [] }, status: 400, type: "INVALID_REQUEST" },
  { name: "produce: topic-level, records empty", method: "POST", path: TP, body: { records: [] }, status: 400, type: "INVALID_REQUEST" },
  { name: "produce: unknown request field", method: "POST", path: P0, body: { records: [{ value: "a" }], compression: "gzip" }, status: 400, type: "INVALID_REQUEST", details: { field: "compression" } },
  { name: "produce: acks 2", method: "POST", path: P0, body: { records: [{ value: "a" }], acks: 2 }, status: 400, type: "INVALID_REQUIRED_ACKS" },
  { name: "produce: acks 'leader'", method: "POST", path: TP, body: { records: [{ value: "a" }], acks: "leader" }, status: 400, type: "INVALID_REQUIRED_ACKS" },
  { name: "produce: acks true", method: "POST", path: P0, body: { records: [{ value: "a" }], acks: true }, status: 400, type: "INVALID_REQUIRED_ACKS" },
  { name: "produce: encoding 'hex'", method: "POST", path: P0, body: { records: [{ value: "a" }], encoding: "hex" }, status: 400, type: "INVALID_REQUEST", details: { field: "encoding" } },
  { name: "produce: acks=0 does not hide a bad record", method: "POST", path: P0, body: { records: [{ value: 1 }], acks: 0 }, status: 400, type: "INVALID_REQUEST" },

  // --- produce: each record field with the wrong type or value ---------------------------------------------
  { name: "record: not an object", method: "POST", path: P0, body: { records: ["a"] }, status: 400, type: "INVALID_REQUEST", details: { index: 0 } },
  { name: "record: null", method: "POST", path: P0, body: { records: [null] }, status: 400, type: "INVALID_REQUEST", details: { index: 0 } },
  { name: "record: value missing", method: "POST", path: P0, body: rec({ key: "k" }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: value a number", method: "POST", path: P0, body: rec({ value: 1 }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: value an object", method: "POST", path: P0, body: rec({ value: { a: 1 } }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: value a boolean", method: "POST", path: TP, body: rec({ value: true }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: key an object", method: "POST", path: P0, body: rec({ key: { a: 1 }, value: "v" }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: key a number", method: "POST", path: TP, body: rec({ key: 7, value: "v" }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: key an array", method: "POST", path: P0, body: rec({ key: ["k"], value: "v" }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: headers an object", method: "POST", path: P0, body: rec({ value: "v", headers: { a: "b" } }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: headers a string", method: "POST", path: P0, body: rec({ value: "v", headers: "a=b" }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: header not an object", method: "POST", path: P0, body: rec({ value: "v", headers: ["a"] }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: header null", method: "POST", path: P0, body: rec({ value: "v", headers: [null] }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: header key missing", method: "POST", path: P0, body: rec({ value: "v", headers: [{ value: "1" }] }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: header key a number", method: "POST", path: P0, body: rec({ value: "v", headers: [{ key: 1, value: "1" }] }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: header value a number", method: "POST", path: P0, body: rec({ value: "v", headers: [{ key: "h", value: 1 }] }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: header value missing", method: "POST", path: P0, body: rec({ value: "v", headers: [{ key: "h" }] }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: header unknown field", method: "POST", path: P0, body: rec({ value: "v", headers: [{ key: "h", value: "1", ts: 1 }] }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: header key empty", method: "POST", path: P0, body: rec({ value: "v", headers: [{ key: "", value: "1" }] }), status: 400, type: "INVALID_RECORD", details: { headerKeyBytes: 0 } },
  { name: "record: timestamp negative", method: "POST", path: P0, body: rec({ value: "v", timestamp: -1 }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: timestamp fractional", method: "POST", path: P0, body: rec({ value: "v", timestamp: 1.5 }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: timestamp a string", method: "POST", path: P0, body: rec({ value: "v", timestamp: "1700000000000" }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: timestamp above MAX_TIMESTAMP_MS", method: "POST", path: P0, body: `{"records":[{"value":"v","timestamp":${MAX_TIMESTAMP_MS + 1}}]}`, status: 400, type: "INVALID_TIMESTAMP" },
  { name: "record: partition negative", method: "POST", path: TP, body: rec({ value: "v", partition: -1 }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: partition fractional", method: "POST", path: TP, body: rec({ value: "v", partition: 0.5 }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: partition a string", method: "POST", path: TP, body: rec({ value: "v", partition: "0" }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: partition differs from the path's", method: "POST", path: P0, body: rec({ value: "v", partition: 1 }), status: 400, type: "INVALID_REQUEST" },
  { name: "record: unknown field", method: "POST", path: P0, body: rec({ value: "v", offset: 3 }), status: 400, type: "INVALID_REQUEST" },
  {
    name: "record: one bad record after good ones refuses the whole request",
    method: "POST",
    path: TP,
    body: { records: [{ value: "ok0", partition: 0 }, { value: "ok1", partition: 1 }, { key: "k" }] },
    status: 400,
    type: "INVALID_REQUEST",
    details: { index: 2 },
  },
  { name: "base64: value not base64", method: "POST", path: P0, body: { encoding: "base64", records: [{ value: "not base64!" }] }, status: 400, type: "INVALID_REQUEST" },
  { name: "base64: value missing padding", method: "POST", path: P0, body: { encoding: "base64", records: [{ value: "YWJj" + "ZA" }] }, status: 400, type: "INVALID_REQUEST" },
  { name: "base64: key not base64", method: "POST", path: TP, body: { encoding: "base64", records: [{ key: "a*b=", value: "AA==" }] }, status: 400, type: "INVALID_REQUEST" },
  { name: "base64: header value not base64", method: "POST", path: P0, body: { encoding: "base64", records: [{ value: "AA==", headers: [{ key: "h", value: "%%%%" }] }] }, status: 400, type: "INVALID_REQUEST" },
  { name: "compacted: null key", method: "POST", path: `/v1/topics/${C}/partitions/0/records`, body: rec({ key: null, value: "v" }), status: 400, type: "INVALID_RECORD" },
  { name: "compacted: key absent, topic-level", method: "POST", path: `/v1/topics/${C}/records`, body: { records: [{ key: "k", value: "v" }, { value: "v" }] }, status: 400, type: "INVALID_RECORD", details: { index: 1 } },

  // --- produce: sizes ---------------------------------------------------------------------------------------
  { name: "size: record over the topic's max.message.bytes (100)", method: "POST", path: `/v1/topics/${S}/partitions/0/records`, body: rec({ value: x(101) }), status: 413, type: "MESSAGE_TOO_LARGE", details: { recordBytes: 101, maxMessageBytes: 100 } },
  { name: "size: record over MAX_RECORD_BYTES", method: "POST", path: P0, body: () => rec({ value: x(MAX_RECORD_BYTES + 1) }), status: 413, type: "MESSAGE_TOO_LARGE", details: { recordBytes: MAX_RECORD_BYTES + 1, maxMessageBytes: MAX_RECORD_BYTES } },
  { name: "size: stored JSON over MAX_STORED_RECORD_BYTES (escapes)", method: "POST", path: P0, body: () => rec({ value: "\u0001".repeat(400_000) }), status: 413, type: "MESSAGE_TOO_LARGE", details: { maxStoredRecordBytes: MAX_STORED_RECORD_BYTES } },
  { name: "size: key over MAX_KEY_BYTES", method: "POST", path: TP, body: () => rec({ key: x(MAX_KEY_BYTES + 1), value: "v" }), status: 413, type: "MESSAGE_TOO_LARGE", details: { keyBytes: MAX_KEY_BYTES + 1 } },
  { name: "size: too many headers", method: "POST", path: P0, body: () => rec({ value: "v", headers: Array.from({ length: MAX_HEADERS_PER_RECORD + 1 }, (_, i) => ({ key: `h${i}`, value: "" })) }), status: 400, type: "INVALID_RECORD" },
  { name: "size: header key too long", method: "POST", path: P0, body: () => rec({ value: "v", headers: [{ key: x(MAX_HEADER_KEY_BYTES + 1), value: "" }] }), status: 400, type: "INVALID_RECORD" },
  {
    name: "size: too many records",
    method: "POST",
    path: P0,
    body: () => ({ records: Array.from({ length: MAX_RECORDS_PER_REQUEST + 1 }, () => ({ value: "v" })) }),
    status: 413,
    type: "RECORD_LIST_TOO_LARGE",
    details: { records: MAX_RECORDS_PER_REQUEST + 1, maxRecords: MAX_RECORDS_PER_REQUEST },
  },
  { name: "size: produce body over MAX_PRODUCE_REQUEST_BYTES", method: "POST", path: P0, body: () => `{"records":[{"value":"v"}]}${" ".repeat(MAX_PRODUCE_REQUEST_BYTES)}`, status: 413, type: "RECORD_LIST_TOO_LARGE", details: { maxBytes: MAX_PRODUCE_REQUEST_BYTES } },
  { name: "size: admin body over MAX_ADMIN_REQUEST_BYTES", method: "POST", path: "/v1/topics", body: () => `{"name":"${uniqueTopic("big")}"}${" ".repeat(MAX_ADMIN_REQUEST_BYTES)}`, status: 413, type: "REQUEST_TOO_LARGE", details: { maxBytes: MAX_ADMIN_REQUEST_BYTES } },
  { name: "size: alter body over MAX_ADMIN_REQUEST_BYTES", method: "PATCH", path: `/v1/topics/${V}`, body: () => `{"config":{"retention.ms":1}}${" ".repeat(MAX_ADMIN_REQUEST_BYTES)}`, status: 413, type: "REQUEST_TOO_LARGE" },

  // --- unknown topics and partitions ------------------------------------------------------------------------
  { name: "unknown topic: produce (partition path)", method: "POST", path: `/v1/topics/${MISSING}/partitions/0/records`, body: rec({ value: "v" }), status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION", details: { topic: MISSING } },
  { name: "unknown topic: produce (topic path)", method: "POST", path: `/v1/topics/${MISSING}/records`, body: rec({ value: "v" }), status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION", details: { topic: MISSING } },
  { name: "unknown topic: fetch", method: "GET", path: `/v1/topics/${MISSING}/partitions/0/records`, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "unknown topic: offsets", method: "GET", path: `/v1/topics/${MISSING}/partitions/0/offsets?at=latest`, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "unknown topic: describe", method: "GET", path: `/v1/topics/${MISSING}`, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "unknown topic: alter", method: "PATCH", path: `/v1/topics/${MISSING}`, body: { config: { "retention.ms": 1000 } }, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "unknown topic: add partitions", method: "POST", path: `/v1/topics/${MISSING}/partitions`, body: { count: 4 }, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "unknown topic: delete", method: "DELETE", path: `/v1/topics/${MISSING}`, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "unknown partition: produce (path)", method: "POST", path: `/v1/topics/${V}/partitions/2/records`, body: rec({ value: "v" }), status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION", details: { partition: 2, partitionCount: 2 } },
  {
    name: "unknown partition: produce (record field) refuses the whole request",
    method: "POST",
    path: TP,
    body: { records: [{ value: "ok", partition: 0 }, { value: "no", partition: 2 }] },
    status: 404,
    type: "UNKNOWN_TOPIC_OR_PARTITION",
    details: { partition: 2, partitionCount: 2 },
  },
  { name: "unknown partition: fetch", method: "GET", path: `/v1/topics/${V}/partitions/2/records?offset=0`, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION", details: { partition: 2, partitionCount: 2 } },
  { name: "unknown partition: offsets", method: "GET", path: `/v1/topics/${V}/partitions/99/offsets?at=earliest`, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION", details: { partition: 99 } },

  // --- fetch and ListOffsets parameters ---------------------------------------------------------------------
  {
    name: "fetch: offset past the high watermark",
    method: "GET",
    path: FETCH(`offset=${V0_RECORDS + 1}`),
    status: 416,
    type: "OFFSET_OUT_OF_RANGE",
    details: { offset: V0_RECORDS + 1, logStartOffset: 0, highWatermark: V0_RECORDS },
  },
  {
    name: "fetch: offset far past the high watermark",
    method: "GET",
    path: FETCH(`offset=${Number.MAX_SAFE_INTEGER}`),
    status: 416,
    type: "OFFSET_OUT_OF_RANGE",
    details: { logStartOffset: 0, highWatermark: V0_RECORDS },
  },
  { name: "fetch: offset negative", method: "GET", path: FETCH("offset=-1"), status: 400, type: "INVALID_REQUEST", details: { field: "offset" } },
  { name: "fetch: offset fractional", method: "GET", path: FETCH("offset=1.5"), status: 400, type: "INVALID_REQUEST", details: { field: "offset" } },
  { name: "fetch: offset not numeric", method: "GET", path: FETCH("offset=abc"), status: 400, type: "INVALID_REQUEST", details: { field: "offset" } },
  { name: "fetch: offset in exponent form", method: "GET", path: FETCH("offset=1e3"), status: 400, type: "INVALID_REQUEST", details: { field: "offset" } },
  { name: "fetch: offset beyond a safe integer", method: "GET", path: FETCH("offset=99999999999999999"), status: 400, type: "INVALID_REQUEST", details: { field: "offset" } },
  { name: "fetch: offset repeated", method: "GET", path: FETCH("offset=0&offset=1"), status: 400, type: "INVALID_REQUEST", details: { field: "offset" } },
  { name: "fetch: maxRecords 0", method: "GET", path: FETCH("maxRecords=0"), status: 400, type: "INVALID_REQUEST", details: { field: "maxRecords", min: 1, max: MAX_FETCH_MAX_RECORDS } },
  { name: "fetch: maxRecords over the limit", method: "GET", path: FETCH(`maxRecords=${MAX_FETCH_MAX_RECORDS + 1}`), status: 400, type: "INVALID_REQUEST", details: { field: "maxRecords" } },
  { name: "fetch: maxRecords not numeric", method: "GET", path: FETCH("maxRecords=all"), status: 400, type: "INVALID_REQUEST", details: { field: "maxRecords" } },
  { name: "fetch: maxBytes 0", method: "GET", path: FETCH("maxBytes=0"), status: 400, type: "INVALID_REQUEST", details: { field: "maxBytes", min: 1, max: MAX_FETCH_MAX_BYTES } },
  { name: "fetch: maxBytes over the limit", method: "GET", path: FETCH(`maxBytes=${MAX_FETCH_MAX_BYTES + 1}`), status: 400, type: "INVALID_REQUEST", details: { field: "maxBytes" } },
  { name: "fetch: maxBytes repeated", method: "GET", path: FETCH("maxBytes=10&maxBytes=10"), status: 400, type: "INVALID_REQUEST", details: { field: "maxBytes" } },
  { name: "fetch: maxWaitMs negative", method: "GET", path: FETCH("maxWaitMs=-1"), status: 400, type: "INVALID_REQUEST", details: { field: "maxWaitMs" } },
  { name: "fetch: maxWaitMs over the limit", method: "GET", path: FETCH(`maxWaitMs=${MAX_FETCH_WAIT_MS + 1}`), status: 400, type: "INVALID_REQUEST", details: { field: "maxWaitMs", max: MAX_FETCH_WAIT_MS } },
  { name: "fetch: maxWaitMs fractional", method: "GET", path: FETCH("maxWaitMs=0.5"), status: 400, type: "INVALID_REQUEST", details: { field: "maxWaitMs" } },
  { name: "fetch: encoding 'hex'", method: "GET", path: FETCH("encoding=hex"), status: 400, type: "INVALID_REQUEST", details: { field: "encoding" } },
  { name: "fetch: partition negative", method: "GET", path: `/v1/topics/${V}/partitions/-1/records`, status: 400, type: "INVALID_REQUEST", details: { field: "partition" } },
  { name: "fetch: partition fractional", method: "GET", path: `/v1/topics/${V}/partitions/0.5/records`, status: 400, type: "INVALID_REQUEST", details: { field: "partition" } },
  { name: "fetch: partition not numeric", method: "GET", path: `/v1/topics/${V}/partitions/first/records`, status: 400, type: "INVALID_REQUEST", details: { field: "partition" } },
  { name: "produce: partition in the path not numeric", method: "POST", path: `/v1/topics/${V}/partitions/zero/records`, body: rec({ value: "v" }), status: 400, type: "INVALID_REQUEST", details: { field: "partition" } },
  { name: "fetch: Last-Event-ID not an offset (SSE)", method: "GET", path: FETCH("offset=0"), headers: { accept: "text/event-stream", "last-event-id": "x" }, status: 400, type: "INVALID_REQUEST", details: { field: "offset" } },
  { name: "fetch: SSE past the high watermark is a plain 416", method: "GET", path: FETCH(`offset=${V0_RECORDS + 5}`), headers: { accept: "text/event-stream" }, status: 416, type: "OFFSET_OUT_OF_RANGE", details: { highWatermark: V0_RECORDS } },
  { name: "offsets: at missing", method: "GET", path: OFFSETS(""), status: 400, type: "INVALID_REQUEST", details: { field: "at" } },
  { name: "offsets: at empty", method: "GET", path: OFFSETS("at="), status: 400, type: "INVALID_REQUEST", details: { field: "at" } },
  { name: "offsets: at a word", method: "GET", path: OFFSETS("at=newest"), status: 400, type: "INVALID_REQUEST", details: { field: "at" } },
  { name: "offsets: at a negative other than -1/-2", method: "GET", path: OFFSETS("at=-3"), status: 400, type: "INVALID_REQUEST", details: { field: "at" } },
  { name: "offsets: at fractional", method: "GET", path: OFFSETS("at=1.5"), status: 400, type: "INVALID_REQUEST", details: { field: "at" } },
  { name: "offsets: at above MAX_TIMESTAMP_MS", method: "GET", path: OFFSETS(`at=${MAX_TIMESTAMP_MS + 1}`), status: 400, type: "INVALID_REQUEST", details: { field: "at" } },
  { name: "offsets: at repeated", method: "GET", path: OFFSETS("at=earliest&at=latest"), status: 400, type: "INVALID_REQUEST", details: { field: "at" } },
  { name: "offsets: partition negative", method: "GET", path: `/v1/topics/${V}/partitions/-2/offsets?at=latest`, status: 400, type: "INVALID_REQUEST", details: { field: "partition" } },

  // --- paths: percent-encoding and topic names --------------------------------------------------------------
  { name: "path: bad percent-encoding in the topic (fetch)", method: "GET", path: "/v1/topics/%ZZ/partitions/0/records", status: 400, type: "INVALID_REQUEST" },
  { name: "path: truncated UTF-8 percent-encoding (describe)", method: "GET", path: "/v1/topics/%E0%A4%A", status: 400, type: "INVALID_REQUEST" },
  { name: "path: bad percent-encoding in the partition", method: "GET", path: `/v1/topics/${V}/partitions/%ZZ/records`, status: 400, type: "INVALID_REQUEST" },
  { name: "path: bad percent-encoding (produce)", method: "POST", path: "/v1/topics/a%G1/records", body: rec({ value: "v" }), status: 400, type: "INVALID_REQUEST" },
  { name: "path: bad percent-encoding (delete)", method: "DELETE", path: "/v1/topics/%", status: 400, type: "INVALID_REQUEST" },
  { name: "path: topic name too long (describe)", method: "GET", path: `/v1/topics/${x(MAX_TOPIC_NAME_LENGTH + 1)}`, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "path: topic name too long (produce)", method: "POST", path: `/v1/topics/${x(MAX_TOPIC_NAME_LENGTH + 1)}/records`, body: rec({ value: "v" }), status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "path: illegal character, encoded space (fetch)", method: "GET", path: "/v1/topics/a%20b/partitions/0/records", status: 400, type: "INVALID_TOPIC_EXCEPTION", details: { topic: "a b" } },
  { name: "path: illegal character, encoded slash (alter)", method: "PATCH", path: `/v1/topics/${V}%2Fx`, body: { config: { "retention.ms": 1 } }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "path: illegal character (delete)", method: "DELETE", path: "/v1/topics/a*b", status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "path: illegal character (add partitions)", method: "POST", path: "/v1/topics/a%3Ab/partitions", body: { count: 3 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "path: illegal character (offsets)", method: "GET", path: "/v1/topics/%C3%A9/partitions/0/offsets?at=latest", status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name empty", method: "POST", path: "/v1/topics", body: { name: "", partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name '.'", method: "POST", path: "/v1/topics", body: { name: ".", partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name '..'", method: "POST", path: "/v1/topics", body: { name: "..", partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name too long", method: "POST", path: "/v1/topics", body: { name: x(MAX_TOPIC_NAME_LENGTH + 1), partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name with a space", method: "POST", path: "/v1/topics", body: { name: "a b", partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name with a slash", method: "POST", path: "/v1/topics", body: { name: "a/b", partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name with a non-ASCII letter", method: "POST", path: "/v1/topics", body: { name: "café", partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name missing", method: "POST", path: "/v1/topics", body: { partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name a number", method: "POST", path: "/v1/topics", body: { name: 42, partitions: 1 }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "create: name collides ('.' vs '_')", method: "POST", path: "/v1/topics", body: { name: DOTTED.replace(".", "_") }, status: 400, type: "INVALID_TOPIC_EXCEPTION", details: { collidesWith: DOTTED } },
  { name: "create: topic already exists", method: "POST", path: "/v1/topics", body: { name: V, partitions: 5 }, status: 409, type: "TOPIC_ALREADY_EXISTS", details: { topic: V } },
  { name: "create: compacted topic already exists, other config", method: "POST", path: "/v1/topics", body: { name: C, partitions: 1, config: { "cleanup.policy": "delete" } }, status: 409, type: "TOPIC_ALREADY_EXISTS" },

  // --- create: partitions, replication factor, config, fields -----------------------------------------------
  { name: "create: partitions 0", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("p"), partitions: 0 }, status: 400, type: "INVALID_PARTITIONS" },
  { name: "create: partitions negative", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("p"), partitions: -1 }, status: 400, type: "INVALID_PARTITIONS" },
  { name: "create: partitions fractional", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("p"), partitions: 1.5 }, status: 400, type: "INVALID_PARTITIONS" },
  { name: "create: partitions not a number", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("p"), partitions: "many" }, status: 400, type: "INVALID_PARTITIONS" },
  { name: "create: partitions over the limit", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("p"), partitions: MAX_PARTITIONS_PER_TOPIC + 1 }, status: 400, type: "INVALID_PARTITIONS", details: { maxPartitions: MAX_PARTITIONS_PER_TOPIC } },
  { name: "create: replicationFactor over MAX_REPLICATION_FACTOR", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("rf"), partitions: 1, replicationFactor: MAX_REPLICATION_FACTOR + 1 }, status: 400, type: "INVALID_REPLICATION_FACTOR" },
  { name: "create: replicationFactor fractional", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("rf"), partitions: 1, replicationFactor: 1.5 }, status: 400, type: "INVALID_REPLICATION_FACTOR" },
  { name: "create: placement names an unknown location hint", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("rf"), replicationFactor: 2, placement: ["mars"] }, status: 400, type: "INVALID_REQUEST" },
  { name: "create: placement longer than MAX_REPLICATION_FACTOR", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("rf"), replicationFactor: 2, placement: Array(MAX_REPLICATION_FACTOR + 1).fill("enam") }, status: 400, type: "INVALID_REQUEST" },
  { name: "create: min.insync.replicas above the replication factor", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("rf"), replicationFactor: 2, config: { "min.insync.replicas": 3 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "alter: min.insync.replicas above the replication factor", method: "PATCH", path: `/v1/topics/${R}`, body: { config: { "min.insync.replicas": 3 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "produce acks=all with fewer in-sync replicas than min.insync.replicas", method: "POST", path: `/v1/topics/${R}/partitions/0/records`, body: { records: [{ value: "x" }], acks: "all" }, status: 503, type: "NOT_ENOUGH_REPLICAS", details: { isr: [0], minInsyncReplicas: 2 } },
  { name: "produce to a partition whose replicas are all down", method: "POST", path: `/v1/topics/${D}/partitions/0/records`, body: { records: [{ value: "x" }] }, status: 503, type: "KAFKA_STORAGE_ERROR" },
  { name: "fetch from a partition whose replicas are all down", method: "GET", path: `/v1/topics/${D}/partitions/0/records?offset=0`, status: 503, type: "KAFKA_STORAGE_ERROR" },
  { name: "elect unclean when no replica answers", method: "POST", path: `/v1/topics/${D}/partitions/0/elect`, body: { type: "unclean" }, status: 503, type: "LEADER_NOT_AVAILABLE" },
  { name: "elect preferred when replica 0 already leads", method: "POST", path: `/v1/topics/${R}/partitions/0/elect`, body: { type: "preferred" }, status: 409, type: "ELECTION_NOT_NEEDED" },
  { name: "elect on a topic with one replica", method: "POST", path: `/v1/topics/${V}/partitions/0/elect`, status: 409, type: "ELECTION_NOT_NEEDED" },
  { name: "elect preferred when replica 0 is down", method: "POST", path: `/v1/topics/${E}/partitions/0/elect`, body: { type: "preferred" }, status: 503, type: "PREFERRED_LEADER_NOT_AVAILABLE" },
  { name: "elect: unknown type", method: "POST", path: `/v1/topics/${R}/partitions/0/elect`, body: { type: "dirty" }, status: 400, type: "INVALID_REQUEST" },
  { name: "faults: replica out of range", method: "POST", path: "/v1/faults", body: { topic: R, partition: 0, replica: 2, down: true }, status: 400, type: "INVALID_REQUEST" },
  { name: "faults: down not a boolean", method: "POST", path: "/v1/faults", body: { topic: R, partition: 0, replica: 1, down: "yes" }, status: 400, type: "INVALID_REQUEST" },
  { name: "faults: unknown topic", method: "POST", path: "/v1/faults", body: { topic: MISSING, partition: 0, replica: 0, down: true }, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "create: replicationFactor 0", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("rf"), partitions: 1, replicationFactor: 0 }, status: 400, type: "INVALID_REPLICATION_FACTOR" },
  { name: "create: unknown config key", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: { "retention.hours": 1 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: retention.ms not an integer", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: { "retention.ms": "soon" } }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: retention.ms below -1", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: { "retention.ms": -2 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: cleanup.policy unknown", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: { "cleanup.policy": "archive" } }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: max.message.bytes above the ceiling", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: { "max.message.bytes": MAX_RECORD_BYTES + 1 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: min.cleanable.dirty.ratio above 1", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: { "min.cleanable.dirty.ratio": 1.5 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: boolean config 'yes'", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: { "unclean.leader.election.enable": "yes" } }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: config value an object", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: { "retention.ms": { ms: 1 } } }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: config an array", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("cfg"), config: [["retention.ms", 1]] }, status: 400, type: "INVALID_CONFIG" },
  { name: "create: unknown field", method: "POST", path: "/v1/topics", body: { name: uniqueTopic("f"), partitions: 1, replicas: 1 }, status: 400, type: "INVALID_REQUEST", details: { field: "replicas" } },

  // --- alter config and add partitions on an existing topic -------------------------------------------------
  { name: "alter: unknown config key", method: "PATCH", path: `/v1/topics/${V}`, body: { config: { "retention.hours": 1 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "alter: a good and a bad config together", method: "PATCH", path: `/v1/topics/${V}`, body: { config: { "retention.ms": 1000, "segment.bytes": 1 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "alter: max.message.bytes above the ceiling", method: "PATCH", path: `/v1/topics/${S}`, body: { config: { "max.message.bytes": MAX_RECORD_BYTES + 1 } }, status: 400, type: "INVALID_CONFIG" },
  { name: "alter: message.timestamp.type unknown", method: "PATCH", path: `/v1/topics/${V}`, body: { config: { "message.timestamp.type": "BrokerTime" } }, status: 400, type: "INVALID_CONFIG" },
  { name: "alter: config null", method: "PATCH", path: `/v1/topics/${V}`, body: { config: null }, status: 400, type: "INVALID_CONFIG" },
  { name: "alter: config missing", method: "PATCH", path: `/v1/topics/${V}`, body: {}, status: 400, type: "INVALID_REQUEST" },
  { name: "alter: unknown field", method: "PATCH", path: `/v1/topics/${V}`, body: { config: {}, partitions: 4 }, status: 400, type: "INVALID_REQUEST", details: { field: "partitions" } },
  { name: "add partitions: same count", method: "POST", path: `/v1/topics/${V}/partitions`, body: { count: 2 }, status: 400, type: "INVALID_PARTITIONS", details: { partitionCount: 2, requested: 2 } },
  { name: "add partitions: fewer", method: "POST", path: `/v1/topics/${V}/partitions`, body: { count: 1 }, status: 400, type: "INVALID_PARTITIONS", details: { partitionCount: 2, requested: 1 } },
  { name: "add partitions: 0", method: "POST", path: `/v1/topics/${V}/partitions`, body: { count: 0 }, status: 400, type: "INVALID_PARTITIONS" },
  { name: "add partitions: negative", method: "POST", path: `/v1/topics/${V}/partitions`, body: { count: -3 }, status: 400, type: "INVALID_PARTITIONS" },
  { name: "add partitions: fractional", method: "POST", path: `/v1/topics/${V}/partitions`, body: { count: 2.5 }, status: 400, type: "INVALID_PARTITIONS" },
  { name: "add partitions: over the limit", method: "POST", path: `/v1/topics/${V}/partitions`, body: { count: MAX_PARTITIONS_PER_TOPIC + 1 }, status: 400, type: "INVALID_PARTITIONS" },
  { name: "add partitions: count missing", method: "POST", path: `/v1/topics/${V}/partitions`, body: {}, status: 400, type: "INVALID_PARTITIONS" },
  { name: "add partitions: unknown field", method: "POST", path: `/v1/topics/${V}/partitions`, body: { count: 3, assignments: [] }, status: 400, type: "INVALID_REQUEST", details: { field: "assignments" } },

  // --- routes and methods -----------------------------------------------------------------------------------
  { name: "route: unknown version", method: "GET", path: "/v2/topics", status: 404, type: "NOT_FOUND" },
  { name: "route: root", method: "GET", path: "/", status: 404, type: "NOT_FOUND" },
  { name: "route: unknown resource under a topic", method: "GET", path: `/v1/topics/${V}/configs`, status: 404, type: "NOT_FOUND" },
  { name: "route: a partition has no describe", method: "GET", path: `/v1/topics/${V}/partitions/0`, status: 404, type: "NOT_FOUND" },
  { name: "route: unknown resource", method: "POST", path: "/v1/brokers", body: {}, status: 404, type: "NOT_FOUND" },
  { name: "method: PUT on /v1/topics", method: "PUT", path: "/v1/topics", body: { name: uniqueTopic("put") }, status: 405, type: "METHOD_NOT_ALLOWED", details: { allowed: ["POST", "GET"] } },
  { name: "method: DELETE on /v1/topics", method: "DELETE", path: "/v1/topics", status: 405, type: "METHOD_NOT_ALLOWED" },
  { name: "method: POST on a topic", method: "POST", path: `/v1/topics/${V}`, body: { config: {} }, status: 405, type: "METHOD_NOT_ALLOWED" },
  { name: "method: PUT on a topic", method: "PUT", path: `/v1/topics/${V}`, body: { config: {} }, status: 405, type: "METHOD_NOT_ALLOWED" },
  { name: "method: GET on partitions", method: "GET", path: `/v1/topics/${V}/partitions`, status: 405, type: "METHOD_NOT_ALLOWED", details: { allowed: ["POST"] } },
  { name: "method: DELETE on records", method: "DELETE", path: P0, status: 405, type: "METHOD_NOT_ALLOWED" },
  { name: "method: GET on topic-level records", method: "GET", path: TP, status: 405, type: "METHOD_NOT_ALLOWED", details: { allowed: ["POST"] } },
  { name: "method: POST on offsets", method: "POST", path: OFFSETS("at=latest"), body: {}, status: 405, type: "METHOD_NOT_ALLOWED", details: { allowed: ["GET"] } },
  { name: "method: POST on /healthz", method: "POST", path: "/healthz", body: {}, status: 405, type: "METHOD_NOT_ALLOWED" },

  // --- consumer groups --------------------------------------------------------------------------------------
  { name: "group: describe a group that does not exist", method: "GET", path: `/v1/groups/${NO_GROUP}`, status: 404, type: "GROUP_ID_NOT_FOUND", details: { groupId: NO_GROUP } },
  { name: "group: offsets of a group that does not exist", method: "GET", path: `/v1/groups/${NO_GROUP}/offsets`, status: 404, type: "GROUP_ID_NOT_FOUND" },
  { name: "group: delete a group that does not exist", method: "DELETE", path: `/v1/groups/${NO_GROUP}`, status: 404, type: "GROUP_ID_NOT_FOUND" },
  { name: "group: id with a space (describe)", method: "GET", path: "/v1/groups/a%20b", status: 400, type: "INVALID_GROUP_ID", details: { groupId: "a b" } },
  { name: "group: id with an illegal character (heartbeat)", method: "POST", path: "/v1/groups/a*b/heartbeat", body: join(), status: 400, type: "INVALID_GROUP_ID" },
  { name: "group: id too long (commit)", method: "POST", path: `/v1/groups/${x(MAX_TOPIC_NAME_LENGTH + 1)}/offsets`, body: { offsets: [{ topic: V, partition: 0, offset: 0 }] }, status: 400, type: "INVALID_GROUP_ID" },
  { name: "group: id with an encoded slash (delete)", method: "DELETE", path: "/v1/groups/a%2Fb", status: 400, type: "INVALID_GROUP_ID" },
  { name: "group: bad percent-encoding in the id", method: "GET", path: "/v1/groups/%ZZ", status: 400, type: "INVALID_REQUEST" },
  { name: "heartbeat: malformed JSON", method: "POST", path: HB, body: "{", status: 400, type: "INVALID_REQUEST" },
  { name: "heartbeat: Content-Type text/plain", method: "POST", path: HB, body: join(), headers: { "content-type": "text/plain" }, status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
  { name: "heartbeat: memberEpoch missing", method: "POST", path: HB, body: { subscribedTopics: [V] }, status: 400, type: "INVALID_REQUEST", details: { field: "memberEpoch" } },
  { name: "heartbeat: memberEpoch fractional", method: "POST", path: HB, body: () => ({ memberId: member.memberId, memberEpoch: 1.5 }), status: 400, type: "INVALID_REQUEST", details: { field: "memberEpoch" } },
  { name: "heartbeat: memberEpoch -2 (static members)", method: "POST", path: HB, body: () => ({ memberId: member.memberId, memberEpoch: -2 }), status: 400, type: "INVALID_REQUEST" },
  { name: "heartbeat: memberEpoch 1 without memberId", method: "POST", path: HB, body: { memberEpoch: 1 }, status: 400, type: "INVALID_REQUEST", details: { field: "memberId" } },
  { name: "heartbeat: memberId too long", method: "POST", path: HB, body: join({ memberId: x(MAX_MEMBER_ID_LENGTH + 1) }), status: 400, type: "INVALID_REQUEST", details: { field: "memberId" } },
  { name: "heartbeat: memberId not printable ASCII", method: "POST", path: HB, body: join({ memberId: "m e" }), status: 400, type: "INVALID_REQUEST", details: { field: "memberId" } },
  { name: "heartbeat: join without subscribedTopics", method: "POST", path: HB, body: { memberEpoch: 0 }, status: 400, type: "INVALID_REQUEST", details: { field: "subscribedTopics" } },
  { name: "heartbeat: subscribedTopics not an array", method: "POST", path: HB, body: join({ subscribedTopics: V }), status: 400, type: "INVALID_REQUEST", details: { field: "subscribedTopics" } },
  { name: "heartbeat: too many subscribedTopics", method: "POST", path: HB, body: join({ subscribedTopics: Array.from({ length: MAX_SUBSCRIBED_TOPICS + 1 }, (_, i) => `t${i}`) }), status: 400, type: "INVALID_REQUEST", details: { max: MAX_SUBSCRIBED_TOPICS } },
  { name: "heartbeat: subscribed topic name illegal", method: "POST", path: HB, body: join({ subscribedTopics: ["a b"] }), status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "heartbeat: join reporting owned partitions", method: "POST", path: HB, body: join({ ownedPartitions: [{ topic: V, partitions: [0] }] }), status: 400, type: "INVALID_REQUEST", details: { field: "ownedPartitions" } },
  { name: "heartbeat: ownedPartitions malformed", method: "POST", path: HB, body: () => ({ memberId: member.memberId, memberEpoch: member.memberEpoch, ownedPartitions: [V] }), status: 400, type: "INVALID_REQUEST", details: { field: "ownedPartitions" } },
  { name: "heartbeat: unknown field", method: "POST", path: HB, body: join({ groupInstanceId: "i" }), status: 400, type: "INVALID_REQUEST", details: { field: "groupInstanceId" } },
  { name: "heartbeat: sessionTimeoutMs below the minimum", method: "POST", path: HB, body: join({ sessionTimeoutMs: MIN_SESSION_TIMEOUT_MS - 1 }), status: 400, type: "INVALID_SESSION_TIMEOUT" },
  { name: "heartbeat: sessionTimeoutMs above the maximum", method: "POST", path: HB, body: join({ sessionTimeoutMs: MAX_SESSION_TIMEOUT_MS + 1 }), status: 400, type: "INVALID_SESSION_TIMEOUT" },
  { name: "heartbeat: sessionTimeoutMs a string", method: "POST", path: HB, body: join({ sessionTimeoutMs: "45000" }), status: 400, type: "INVALID_SESSION_TIMEOUT" },
  { name: "heartbeat: rebalanceTimeoutMs 0", method: "POST", path: HB, body: join({ rebalanceTimeoutMs: 0 }), status: 400, type: "INVALID_REQUEST", details: { field: "rebalanceTimeoutMs" } },
  { name: "heartbeat: rebalanceTimeoutMs above the maximum", method: "POST", path: HB, body: join({ rebalanceTimeoutMs: MAX_REBALANCE_TIMEOUT_MS + 1 }), status: 400, type: "INVALID_REQUEST", details: { field: "rebalanceTimeoutMs" } },
  { name: "heartbeat: unknown assignor", method: "POST", path: HB, body: join({ assignor: "sticky" }), status: 400, type: "UNSUPPORTED_ASSIGNOR" },
  { name: "heartbeat: unknown member", method: "POST", path: HB, body: { memberId: "nobody", memberEpoch: 1 }, status: 409, type: "UNKNOWN_MEMBER_ID", details: { memberId: "nobody" } },
  { name: "heartbeat: unknown member leaving", method: "POST", path: HB, body: { memberId: "nobody", memberEpoch: -1 }, status: 409, type: "UNKNOWN_MEMBER_ID" },
  { name: "heartbeat: unknown member of a group that does not exist", method: "POST", path: `/v1/groups/${NO_GROUP}/heartbeat`, body: { memberId: "nobody", memberEpoch: 3 }, status: 409, type: "UNKNOWN_MEMBER_ID" },
  { name: "heartbeat: epoch ahead of the member's", method: "POST", path: HB, body: () => ({ memberId: member.memberId, memberEpoch: member.memberEpoch + 5 }), status: 409, type: "FENCED_MEMBER_EPOCH" },
  { name: "commit: body is an array", method: "POST", path: COMMIT, body: [], status: 400, type: "INVALID_REQUEST" },
  { name: "commit: offsets missing", method: "POST", path: COMMIT, body: () => ({ memberId: member.memberId, memberEpoch: member.memberEpoch }), status: 400, type: "INVALID_REQUEST", details: { field: "offsets" } },
  { name: "commit: offsets empty", method: "POST", path: COMMIT, body: commitOf([]), status: 400, type: "INVALID_REQUEST", details: { field: "offsets" } },
  { name: "commit: unknown field", method: "POST", path: COMMIT, body: () => ({ ...commitOf([{ topic: V, partition: 0, offset: 1 }])(), generationId: 1 }), status: 400, type: "INVALID_REQUEST", details: { field: "generationId" } },
  { name: "commit: memberId a number", method: "POST", path: COMMIT, body: () => ({ memberId: 7, memberEpoch: member.memberEpoch, offsets: [{ topic: V, partition: 0, offset: 1 }] }), status: 400, type: "INVALID_REQUEST", details: { field: "memberId" } },
  { name: "commit: memberId too long", method: "POST", path: COMMIT, body: () => ({ memberId: x(MAX_MEMBER_ID_LENGTH + 1), memberEpoch: member.memberEpoch, offsets: [{ topic: V, partition: 0, offset: 1 }] }), status: 400, type: "INVALID_REQUEST", details: { field: "memberId" } },
  { name: "commit: memberEpoch below -1", method: "POST", path: COMMIT, body: () => ({ memberId: member.memberId, memberEpoch: -2, offsets: [{ topic: V, partition: 0, offset: 1 }] }), status: 400, type: "INVALID_REQUEST", details: { field: "memberEpoch" } },
  { name: "commit: offset entry not an object", method: "POST", path: COMMIT, body: commitOf([5]), status: 400, type: "INVALID_REQUEST" },
  { name: "commit: offset entry unknown field", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: 0, offset: 1, leaderEpoch: 0 }]), status: 400, type: "INVALID_REQUEST", details: { field: "leaderEpoch" } },
  { name: "commit: offset negative", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: 0, offset: -1 }]), status: 400, type: "INVALID_REQUEST" },
  { name: "commit: offset fractional", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: 0, offset: 1.5 }]), status: 400, type: "INVALID_REQUEST" },
  { name: "commit: partition negative", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: -1, offset: 1 }]), status: 400, type: "INVALID_REQUEST" },
  { name: "commit: metadata not a string", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: 0, offset: 1, metadata: 7 }]), status: 400, type: "INVALID_REQUEST" },
  { name: "commit: topic name illegal", method: "POST", path: COMMIT, body: commitOf([{ topic: "a b", partition: 0, offset: 1 }]), status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "commit: unknown topic", method: "POST", path: COMMIT, body: commitOf([{ topic: MISSING, partition: 0, offset: 1 }]), status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "commit: unknown partition", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: 2, offset: 1 }]), status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION", details: { partition: 2 } },
  { name: "commit: metadata over MAX_COMMIT_METADATA_BYTES", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: 0, offset: 1, metadata: "é".repeat(MAX_COMMIT_METADATA_BYTES / 2) + "x" }]), status: 413, type: "OFFSET_METADATA_TOO_LARGE", details: { index: 0 } },
  { name: "commit: too many offsets", method: "POST", path: COMMIT, body: () => commitOf(Array.from({ length: MAX_OFFSETS_PER_COMMIT + 1 }, () => ({ topic: V, partition: 0, offset: 1 })))(), status: 400, type: "INVALID_REQUEST", details: { max: MAX_OFFSETS_PER_COMMIT } },
  { name: "commit: body over 4 MiB", method: "POST", path: COMMIT, body: () => `{"offsets":[]}${" ".repeat(4 * 1024 * 1024)}`, status: 413, type: "REQUEST_TOO_LARGE" },
  { name: "commit: stale member epoch", method: "POST", path: COMMIT, body: () => ({ memberId: member.memberId, memberEpoch: member.memberEpoch + 1, offsets: [{ topic: V, partition: 0, offset: 1 }] }), status: 409, type: "STALE_MEMBER_EPOCH" },
  { name: "commit: a partition the member does not own", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: 0, offset: 1 }, { topic: C, partition: 0, offset: 1 }]), status: 409, type: "PARTITION_NOT_ASSIGNED" },
  { name: "commit: unknown member", method: "POST", path: COMMIT, body: { memberId: "nobody", memberEpoch: 1, offsets: [{ topic: V, partition: 0, offset: 1 }] }, status: 409, type: "UNKNOWN_MEMBER_ID" },
  { name: "commit: admin commit while the group has members", method: "POST", path: COMMIT, body: commitOf([{ topic: V, partition: 0, offset: 1 }], "admin"), status: 409, type: "UNKNOWN_MEMBER_ID" },
  { name: "commit: member commit to a group that does not exist", method: "POST", path: `/v1/groups/${NO_GROUP}/offsets`, body: { memberId: "nobody", memberEpoch: 1, offsets: [{ topic: V, partition: 0, offset: 1 }] }, status: 409, type: "UNKNOWN_MEMBER_ID" },
  { name: "reset: group has members", method: "POST", path: `/v1/groups/${G}/offsets/reset`, body: { topic: V, to: "earliest" }, status: 409, type: "NON_EMPTY_GROUP", details: { groupId: G, members: 1 } },
  { name: "reset: 'to' unknown", method: "POST", path: `/v1/groups/${G}/offsets/reset`, body: { topic: V, to: "beginning" }, status: 400, type: "INVALID_REQUEST", details: { field: "to" } },
  { name: "reset: 'to' with two keys", method: "POST", path: `/v1/groups/${G}/offsets/reset`, body: { topic: V, to: { offset: 1, timestamp: 1 } }, status: 400, type: "INVALID_REQUEST", details: { field: "to" } },
  { name: "reset: offset negative", method: "POST", path: `/v1/groups/${G}/offsets/reset`, body: { topic: V, to: { offset: -1 } }, status: 400, type: "INVALID_REQUEST" },
  { name: "reset: partition out of range", method: "POST", path: `/v1/groups/${G}/offsets/reset`, body: { topic: V, to: "earliest", partitions: [2] }, status: 400, type: "INVALID_REQUEST" },
  { name: "reset: topic name illegal", method: "POST", path: `/v1/groups/${G}/offsets/reset`, body: { topic: "", to: "earliest" }, status: 400, type: "INVALID_TOPIC_EXCEPTION" },
  { name: "reset: unknown topic", method: "POST", path: `/v1/groups/${G}/offsets/reset`, body: { topic: MISSING, to: "latest" }, status: 404, type: "UNKNOWN_TOPIC_OR_PARTITION" },
  { name: "reset: body over MAX_ADMIN_REQUEST_BYTES", method: "POST", path: `/v1/groups/${G}/offsets/reset`, body: () => `{"topic":"${V}","to":"earliest"}${" ".repeat(MAX_ADMIN_REQUEST_BYTES)}`, status: 413, type: "REQUEST_TOO_LARGE" },
  { name: "subscription: named after an existing consumer group", method: "POST", path: "/v1/subscriptions", body: { name: G, topics: [V], target: { type: "service", binding: "TEST_CONSUMER" } }, status: 409, type: "INCONSISTENT_GROUP_PROTOCOL", details: { groupId: G } },
  { name: "group: delete a group with members", method: "DELETE", path: `/v1/groups/${G}`, status: 409, type: "NON_EMPTY_GROUP", details: { members: 1 } },
  { name: "method: PUT on a group", method: "PUT", path: `/v1/groups/${G}`, body: {}, status: 405, type: "METHOD_NOT_ALLOWED", details: { allowed: ["GET", "PATCH", "DELETE"] } },
  { name: "method: GET on heartbeat", method: "GET", path: HB, status: 405, type: "METHOD_NOT_ALLOWED", details: { allowed: ["POST"] } },

  // --- idempotent producers ---------------------------------------------------------------------------------
  { name: "producers: id never issued", method: "POST", path: "/v1/producers", body: { producerId: 999_999_999 }, status: 404, type: "UNKNOWN_PRODUCER_ID", details: { producerId: 999_999_999 } },
  { name: "producers: id negative", method: "POST", path: "/v1/producers", body: { producerId: -1 }, status: 400, type: "INVALID_REQUEST", details: { field: "producerId" } },
  { name: "producers: id fractional", method: "POST", path: "/v1/producers", body: { producerId: 1.5 }, status: 400, type: "INVALID_REQUEST", details: { field: "producerId" } },
  { name: "producers: unknown field", method: "POST", path: "/v1/producers", body: { transactionalId: "tx" }, status: 400, type: "INVALID_REQUEST", details: { field: "transactionalId" } },
  { name: "producers: body an array", method: "POST", path: "/v1/producers", body: [], status: 400, type: "INVALID_REQUEST" },
  { name: "producers: malformed JSON", method: "POST", path: "/v1/producers", body: "{", status: 400, type: "INVALID_REQUEST" },
  { name: "producers: Content-Type text/plain", method: "POST", path: "/v1/producers", body: "{}", headers: { "content-type": "text/plain" }, status: 415, type: "UNSUPPORTED_MEDIA_TYPE" },
  { name: "producers: GET is not allowed", method: "GET", path: "/v1/producers", status: 405, type: "METHOD_NOT_ALLOWED", details: { allowed: ["POST"] } },
  { name: "idempotent: producer not an object", method: "POST", path: P1, body: { records: [{ value: "v" }], producer: 7 }, status: 400, type: "INVALID_REQUEST" },
  { name: "idempotent: producer unknown field", method: "POST", path: P1, body: () => ({ ...idem(1, 1)(), producer: { ...idem(1, 1)().producer, transactional: true } }), status: 400, type: "INVALID_REQUEST", details: { field: "transactional" } },
  { name: "idempotent: producerId missing", method: "POST", path: P1, body: { records: [{ value: "v" }], producer: { producerEpoch: 0, baseSequence: 0 } }, status: 400, type: "INVALID_REQUEST", details: { field: "producer.producerId" } },
  { name: "idempotent: producerEpoch above int16", method: "POST", path: P1, body: () => idem(MAX_PRODUCER_EPOCH + 1, 1)(), status: 400, type: "INVALID_REQUEST", details: { field: "producer.producerEpoch" } },
  { name: "idempotent: baseSequence negative", method: "POST", path: P1, body: () => idem(1, -1)(), status: 400, type: "INVALID_REQUEST", details: { field: "producer.baseSequence" } },
  { name: "idempotent: baseSequence fractional", method: "POST", path: P1, body: () => idem(1, 0.5)(), status: 400, type: "INVALID_REQUEST", details: { field: "producer.baseSequence" } },
  { name: "idempotent: records for two partitions", method: "POST", path: TP, body: () => idem(1, 1, [{ value: "a", partition: 0 }, { value: "b", partition: 1 }])(), status: 400, type: "INVALID_REQUEST", details: { partitions: [0, 1] } },
  { name: "idempotent: the fenced epoch", method: "POST", path: P1, body: idem(0, 1), status: 409, type: "INVALID_PRODUCER_EPOCH" },
  { name: "idempotent: a sequence gap", method: "POST", path: P1, body: idem(1, 5), status: 409, type: "OUT_OF_ORDER_SEQUENCE_NUMBER", details: { expectedSequence: 1, receivedSequence: 5 } },
  { name: "idempotent: a sequence from the past that is no cached batch", method: "POST", path: P1, body: idem(1, 0, [{ value: "a" }, { value: "b" }]), status: 409, type: "OUT_OF_ORDER_SEQUENCE_NUMBER", details: { expectedSequence: 1, receivedSequence: 0 } },
  { name: "idempotent: a new epoch not starting at 0", method: "POST", path: P1, body: idem(2, 3), status: 409, type: "OUT_OF_ORDER_SEQUENCE_NUMBER", details: { expectedSequence: 0, receivedSequence: 3 } },
  { name: "idempotent: a bad record refuses the batch before sequences are checked", method: "POST", path: P1, body: idem(1, 1, [{ value: 1 }]), status: 400, type: "INVALID_REQUEST" },
  { name: "transactions: commit with no transaction", method: "POST", path: `/v1/transactions/${TXN}/commit`, body: () => currentTxn, status: 409, type: "INVALID_TXN_STATE" },
  { name: "transactions: the fenced incarnation commits", method: "POST", path: `/v1/transactions/${TXN}/commit`, body: () => fencedTxn, status: 409, type: "PRODUCER_FENCED" },
  { name: "transactions: unknown transactional id", method: "POST", path: `/v1/transactions/${TXN}-none/abort`, body: { producerId: 1, producerEpoch: 0 }, status: 404, type: "TRANSACTIONAL_ID_NOT_FOUND" },
  { name: "transactions: describe an unknown id", method: "GET", path: `/v1/transactions/${TXN}-none`, status: 404, type: "TRANSACTIONAL_ID_NOT_FOUND" },
  { name: "transactions: timeout 0", method: "POST", path: `/v1/transactions/${TXN}-t/init`, body: { transactionTimeoutMs: 0 }, status: 400, type: "INVALID_TRANSACTION_TIMEOUT" },
  { name: "transactions: timeout past transaction.max.timeout.ms", method: "POST", path: `/v1/transactions/${TXN}-t/init`, body: { transactionTimeoutMs: 900_001 }, status: 400, type: "INVALID_TRANSACTION_TIMEOUT" },
  { name: "transactions: producer and transaction fields together", method: "POST", path: P0, body: () => ({ records: [{ value: "v" }], producer: { ...currentTxn, baseSequence: 0 }, transaction: { transactionalId: TXN, ...currentTxn, baseSequence: 0 } }), status: 400, type: "INVALID_REQUEST", details: { field: "transaction" } },
  { name: "transactions: a transactional produce with acks 0", method: "POST", path: P0, body: () => ({ acks: 0, records: [{ value: "v" }], transaction: { transactionalId: TXN, ...currentTxn, baseSequence: 0 } }), status: 400, type: "INVALID_REQUEST", details: { field: "acks" } },
  { name: "transactions: a transactional produce of the fenced incarnation", method: "POST", path: P0, body: () => ({ records: [{ value: "v" }], transaction: { transactionalId: TXN, ...fencedTxn, baseSequence: 0 } }), status: 409, type: "PRODUCER_FENCED" },
  { name: "share: acknowledge a lease nobody was given", method: "POST", path: `/v1/share-groups/${SG}/acknowledgements`, body: { acknowledgements: [{ leaseId: `${V}:0:0:1`, type: "accept" }] }, status: 409, type: "INVALID_RECORD_STATE", details: { offset: 0 } },
  { name: "share: a share group named after a consumer group", method: "PUT", path: `/v1/share-groups/${G}`, body: {}, status: 409, type: "INCONSISTENT_GROUP_PROTOCOL", details: { groupId: G, kind: "consumer group" } },
  { name: "share: a consumer group named after a share group", method: "POST", path: `/v1/groups/${SG}/heartbeat`, body: { memberEpoch: 0, subscribedTopics: [V] }, status: 409, type: "INCONSISTENT_GROUP_PROTOCOL", details: { groupId: SG, kind: "share" } },
  { name: "share: describe an unknown share group", method: "GET", path: `/v1/share-groups/${NO_GROUP}`, status: 404, type: "GROUP_ID_NOT_FOUND", details: { groupId: NO_GROUP } },
  { name: "share: poll an unknown share group", method: "POST", path: `/v1/share-groups/${NO_GROUP}/poll`, body: { topics: [V] }, status: 404, type: "GROUP_ID_NOT_FOUND" },
  { name: "share: acknowledgement type unknown", method: "POST", path: `/v1/share-groups/${SG}/acknowledgements`, body: { acknowledgements: [{ leaseId: `${V}:0:0:1`, type: "ack" }] }, status: 400, type: "INVALID_REQUEST", details: { field: "acknowledgements[0].type" } },
  { name: "share: lease id malformed", method: "POST", path: `/v1/share-groups/${SG}/acknowledgements`, body: { acknowledgements: [{ leaseId: "nope", type: "accept" }] }, status: 400, type: "INVALID_REQUEST", details: { field: "acknowledgements[0].leaseId" } },
  { name: "share: release delay over 12 h", method: "POST", path: `/v1/share-groups/${SG}/acknowledgements`, body: { acknowledgements: [{ leaseId: `${V}:0:0:1`, type: "release", delayMs: 43_200_001 }] }, status: 400, type: "INVALID_REQUEST", details: { max: 43_200_000 } },
  { name: "share: lockDurationMs under 1 s", method: "PATCH", path: `/v1/share-groups/${SG}`, body: { lockDurationMs: 999 }, status: 400, type: "INVALID_REQUEST", details: { field: "lockDurationMs", min: 1_000 } },
  { name: "share: deliveryCountLimit over 10", method: "PATCH", path: `/v1/share-groups/${SG}`, body: { deliveryCountLimit: 11 }, status: 400, type: "INVALID_REQUEST", details: { field: "deliveryCountLimit", max: 10 } },
  { name: "share: a dead-letter topic that did not opt in", method: "PATCH", path: `/v1/share-groups/${SG}`, body: { deadLetterTopic: V }, status: 400, type: "INVALID_CONFIG", details: { field: "deadLetterTopic" } },
  { name: "share: poll maxRecords 0", method: "POST", path: `/v1/share-groups/${SG}/poll`, body: { topics: [V], maxRecords: 0 }, status: 400, type: "INVALID_REQUEST", details: { field: "maxRecords" } },
  { name: "fetch: an unknown isolation level", method: "GET", path: FETCH("isolation=serializable"), status: 400, type: "INVALID_REQUEST", details: { field: "isolation" } },
];

/**
 * Types no HTTP request can raise in this build, with the reason. Kept next to the table so that a new error type
 * must either get a row above or a reason here. Keyed by string so a renamed type fails the coverage check, not
 * the type-check.
 */
const NOT_PROVOKABLE: Record<string, { reason: string }> = {
  UNKNOWN_SERVER_ERROR: { reason: "only programmer errors (failed assertions) answer 500" },
  REQUEST_TIMED_OUT: { reason: "the records were written (the error says so), which this table forbids: provoked in test/http/acks-timeout.test.ts" },
  NOT_LEADER_OR_FOLLOWER: { reason: "answered by a replica that stopped leading; the router refreshes and retries unless the write was ambiguous: provoked in test/partition/replication.test.ts" },
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { reason: "the records were written (the error says so), which this table forbids: provoked in test/partition/replication.test.ts" },
  FENCED_LEADER_EPOCH: { reason: "internal: a stale leader or a stale route; the router refreshes its metadata and retries: provoked in test/partition/replication.test.ts" },
  UNKNOWN_LEADER_EPOCH: { reason: "internal: a replica not yet told of a new leader epoch; the leader or router retries" },
  ELIGIBLE_LEADERS_NOT_AVAILABLE: { reason: "internal: an election after the router found the leader unreachable; the client sees the retriable KAFKA_STORAGE_ERROR" },
  SUBSCRIPTION_ALREADY_EXISTS: { reason: "needs a subscription, whose deliveries would change the fixture group-free topics' state: provoked in test/subscription/subscriptions.test.ts" },
  COORDINATOR_NOT_AVAILABLE: { reason: "only when a call to a group coordinator throws (object reset or unreachable)" },
  POLICY_VIOLATION: { reason: "only at MAX_TOPICS or MAX_GROUPS (10,000 each): too slow for a unit test" },
  GROUP_MAX_SIZE_REACHED: { reason: "only at MAX_MEMBERS_PER_GROUP (1,000 joins): provoked in limits.test.ts" },
  UNKNOWN_TOPIC_ID: { reason: "internal: the router refreshes its metadata and retries; never reaches a client" },
  STALE_METADATA: { reason: "internal: the router refreshes its metadata and retries; never reaches a client" },
  STALE_SHARE_GROUP: { reason: "internal: a share group's config changed or it was created again; the router takes the new config and retries" },
  // This suite runs with auth off (the test config's explicit setting); test/auth/permissions.test.ts turns it on.
  SASL_AUTHENTICATION_FAILED: { reason: "auth is off in this suite: provoked in test/auth/permissions.test.ts" },
  TOPIC_AUTHORIZATION_FAILED: { reason: "auth is off in this suite: provoked in test/auth/permissions.test.ts" },
  GROUP_AUTHORIZATION_FAILED: { reason: "auth is off in this suite: provoked in test/auth/permissions.test.ts" },
  CLUSTER_AUTHORIZATION_FAILED: { reason: "auth is off in this suite: provoked in test/auth/permissions.test.ts" },
  THROTTLING_QUOTA_EXCEEDED: { reason: "auth is off in this suite (no token, no quota): provoked in test/auth/permissions.test.ts" },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: { reason: "auth is off in this suite: provoked in test/auth/security-doc.test.ts" },
  CONCURRENT_TRANSACTIONS: { reason: "needs a transaction whose markers are still pending (a participant down): provoked in test/transaction/fencing.test.ts" },
  TRANSACTION_ABORTABLE: { reason: "needs the coordinator's timeout to pass (its clock moved, its alarm run): provoked in test/transaction/fencing.test.ts" },
};

// ---------------------------------------------------------------------------------------------------------------
// Helpers.

async function send(method: string, path: string, body?: Body, headers: Record<string, string> = {}): Promise<ApiResponse> {
  const value = typeof body === "function" ? (body as () => unknown)() : body;
  const init: RequestInit = { method, headers: { ...headers } };
  if (value !== undefined) {
    init.body = typeof value === "string" || value instanceof Uint8Array ? value : JSON.stringify(value);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const response = await exports.default.fetch(new Request(`http://edgelog.test${path}`, init));
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // left as text: the shape check below then fails with the text in its message
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** The documented error shape, with code, status and retriable from the ERRORS table. */
function expectErrorBody(r: ApiResponse, type: ErrorType, details?: Record<string, unknown>): void {
  const shown = JSON.stringify(r.body).slice(0, 600);
  expect(r.status, shown).toBe(ERRORS[type].status);
  expect(r.headers.get("content-type") ?? "", shown).toMatch(/^application\/json/);
  expect(typeof r.body === "object" && r.body !== null && !Array.isArray(r.body), shown).toBe(true);
  expect(Object.keys(r.body), shown).toEqual(["error"]);
  const error = r.body.error;
  const keys = Object.keys(error).sort();
  expect(keys, shown).toEqual("details" in error ? ["code", "details", "message", "retriable", "type"] : ["code", "message", "retriable", "type"]);
  expect(error.type, shown).toBe(type);
  expect(error.code, shown).toBe(ERRORS[type].code);
  expect(error.retriable, shown).toBe(ERRORS[type].retriable);
  expect(typeof error.message, shown).toBe("string");
  expect(error.message.length, shown).toBeGreaterThan(0);
  if ("details" in error) {
    expect(typeof error.details === "object" && error.details !== null && !Array.isArray(error.details), shown).toBe(true);
  }
  if (details !== undefined) {
    expect("details" in error, shown).toBe(true);
    expect(error.details, shown).toMatchObject(details);
  }
}

interface Snapshot {
  topics: unknown;
  partitions: Record<string, unknown>;
  groups: unknown;
  /** G described: members with epochs, assignments and last heartbeats; committed offsets with lag. */
  group: unknown;
}

/** Everything a bad request could have changed: topic metadata (ids, counts, configs), every fixture partition, the groups. */
async function snapshot(): Promise<Snapshot> {
  const list = await api("GET", "/v1/topics");
  expect(list.status).toBe(200);
  const partitions: Record<string, unknown> = {};
  for (const [topic, count] of FIXTURE_PARTITIONS) {
    for (let p = 0; p < count; p++) {
      const f = await fetchFrom(topic, p, { offset: 0, maxRecords: MAX_FETCH_MAX_RECORDS, maxBytes: MAX_FETCH_MAX_BYTES });
      expect(f.status, JSON.stringify(f.body)).toBe(200);
      partitions[`${topic}/${p}`] = f.body;
    }
  }
  const groups = await api("GET", "/v1/groups");
  expect(groups.status).toBe(200);
  const group = await api("GET", `/v1/groups/${G}`);
  expect(group.status, JSON.stringify(group.body)).toBe(200);
  return { topics: list.body.topics, partitions, groups: groups.body, group: group.body };
}

// ---------------------------------------------------------------------------------------------------------------

describe("every error type over HTTP", () => {
  let before: Snapshot;

  beforeAll(async () => {
    await createTopic(V, 2);
    await createTopic(C, 1, { "cleanup.policy": "compact" });
    await createTopic(S, 1, { "max.message.bytes": 100 });
    await createTopic(DOTTED, 1);
    expect((await api("PUT", `/v1/share-groups/${SG}`, {})).status).toBe(201);
    // Replicated fixtures, put in their failure states with the fault switch.
    for (const t of [R, D, E]) expect((await api("POST", "/v1/topics", { name: t, replicationFactor: 2, config: t === R ? { "min.insync.replicas": 2 } : {} })).status).toBe(201);
    expect((await api("POST", "/v1/faults", { topic: R, partition: 0, replica: 1, down: true })).status).toBe(200);
    expect((await produceTo(R, 0, [{ value: "shrinks the ISR" }], { acks: "all" })).body.error.type).toBe("NOT_ENOUGH_REPLICAS_AFTER_APPEND");
    for (const replica of [0, 1]) expect((await api("POST", "/v1/faults", { topic: D, partition: 0, replica, down: true })).status).toBe(200);
    expect((await api("POST", "/v1/faults", { topic: E, partition: 0, replica: 0, down: true })).status).toBe(200);
    expect((await produceTo(E, 0, [{ value: "moves the leader" }])).status).toBe(503);
    expect((await api("GET", `/v1/topics/${E}`)).body.partitions[0].leader).toBe(1);
    const headers = [{ key: "h", value: "1" }, { key: "h", value: "2" }];
    expect((await produceTo(V, 0, [{ key: "a", value: "one", headers, timestamp: 1000 }, { value: null, timestamp: 2000 }, { key: "é", value: "trois" }])).status).toBe(200);
    expect((await produceTo(V, 1, [{ key: "b", value: "uno" }, { value: "dos", headers: [{ key: "x", value: null }] }])).status).toBe(200);
    expect((await produceTo(C, 0, [{ key: "k1", value: "v1" }, { key: "k2", value: null }])).status).toBe(200);
    expect((await produceTo(S, 0, [{ value: x(100) }])).status).toBe(200);
    // An idempotent producer: one batch at epoch 0, then (after an epoch bump) one at epoch 1, both on V/1.
    const issued = await api("POST", "/v1/producers");
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    producer = issued.body;
    expect((await api("POST", P1, idem(0, 0, [{ value: "idem-0" }])())).status).toBe(200);
    const bumped = await api("POST", "/v1/producers", { producerId: producer.producerId });
    expect(bumped.body).toEqual({ producerId: producer.producerId, producerEpoch: 1 });
    producer = bumped.body;
    expect((await api("POST", P1, idem(1, 0, [{ value: "idem-1" }])())).status).toBe(200);
    // TXN: initialized twice, so its first identity is a fenced incarnation's.
    fencedTxn = (await api("POST", `/v1/transactions/${TXN}/init`)).body;
    currentTxn = (await api("POST", `/v1/transactions/${TXN}/init`)).body;
    expect(currentTxn).toEqual({ producerId: fencedTxn.producerId, producerEpoch: fencedTxn.producerEpoch + 1 });
    // G: one member owning both partitions of V, with a committed offset on V/0.
    const joined = await api("POST", HB, join({ sessionTimeoutMs: MAX_SESSION_TIMEOUT_MS }));
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    member = { memberId: joined.body.memberId, memberEpoch: joined.body.memberEpoch };
    expect(joined.body.assignment).toEqual([{ topic: V, partitions: [0, 1] }]);
    const committed = await api("POST", COMMIT, commitOf([{ topic: V, partition: 0, offset: 2, metadata: "fixture" }])());
    expect(committed.status, JSON.stringify(committed.body)).toBe(200);
    before = await snapshot();
    expect((before.group as { members: unknown[] }).members).toHaveLength(1);
    const v0 = before.partitions[`${V}/0`] as { highWatermark: number; records: unknown[] };
    expect(v0.highWatermark).toBe(V0_RECORDS);
    expect(v0.records).toHaveLength(V0_RECORDS);
  });

  it.each(CASES)("$name → $status $type", async (c) => {
    expect(ERRORS[c.type].status, "the row's status must be the table's").toBe(c.status);
    const r = await send(c.method, c.path, c.body, c.headers);
    expectErrorBody(r, c.type, c.details);
    // Nothing changed: same topics, ids, partition counts and configs; same records and high watermarks.
    expect(await snapshot()).toEqual(before);
  });

  it("provokes every type in ERRORS, except the ones listed with a reason as unreachable", () => {
    const provoked = new Set<string>(CASES.map((c) => c.type));
    for (const type of Object.keys(ERRORS)) {
      expect(provoked.has(type) || NOT_PROVOKABLE[type] !== undefined, `${type} has no row and no reason`).toBe(true);
      expect(provoked.has(type) && NOT_PROVOKABLE[type] !== undefined, `${type} is provoked but listed as unreachable`).toBe(false);
    }
    for (const type of Object.keys(NOT_PROVOKABLE)) expect(type in ERRORS, `${type} is not in ERRORS any more`).toBe(true);
  });

  it("the fixtures are still readable and writable after all the bad requests", async () => {
    const p = await produceTo(V, 0, [{ value: "after" }]);
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.results).toEqual([{ partition: 0, offset: V0_RECORDS, timestamp: expect.any(Number) }]);
    const f = await fetchFrom(V, 0, { offset: V0_RECORDS });
    expect(f.body.records.map((r: { value: string }) => r.value)).toEqual(["after"]);
    // The refused idempotent batches moved no sequence: the next one in order is accepted, a retry of the last is a duplicate.
    const v1End = (before.partitions[`${V}/1`] as { highWatermark: number }).highWatermark;
    const retry = await api("POST", P1, idem(1, 0, [{ value: "idem-1" }])());
    expect(retry.body.results).toEqual([{ partition: 1, offset: v1End - 1, timestamp: expect.any(Number) }]);
    const next = await api("POST", P1, idem(1, 1, [{ value: "idem-2" }])());
    expect(next.status, JSON.stringify(next.body)).toBe(200);
    expect(next.body.results[0].offset).toBe(v1End);
    // None of the refused commits or resets touched G's committed offset.
    const o = await api("GET", `/v1/groups/${G}/offsets`);
    expect(o.body.topics[0].partitions[0]).toMatchObject({ partition: 0, committedOffset: 2, metadata: "fixture" });
  });
});
