// Reading share-group requests (src/share-protocol.ts): the config (PUT whole, PATCH in part), polls, acknowledgements
// and resets. Every malformed field is 400 INVALID_REQUEST naming it; every bound comes from limits.ts.
import { KafkaError } from "../errors";
import type { Encoding } from "../log/record";
import {
  DEFAULT_SHARE_DELIVERY_COUNT_LIMIT,
  DEFAULT_SHARE_LOCK_DURATION_MS,
  DEFAULT_SHARE_MAX_RECORD_LOCKS,
  DEFAULT_SHARE_HEARTBEAT_INTERVAL_MS,
  DEFAULT_SHARE_POLL_MAX_RECORDS,
  DEFAULT_SHARE_SESSION_TIMEOUT_MS,
  MAX_MEMBER_ID_LENGTH,
  MAX_SHARE_HEARTBEAT_INTERVAL_MS,
  MAX_SHARE_SESSION_TIMEOUT_MS,
  MAX_SUBSCRIBED_TOPICS,
  MIN_SHARE_HEARTBEAT_INTERVAL_MS,
  MIN_SHARE_SESSION_TIMEOUT_MS,
  MAX_FETCH_WAIT_MS,
  MAX_SHARE_ACKS_PER_REQUEST,
  MAX_SHARE_DELIVERY_COUNT_LIMIT,
  MAX_SHARE_LOCK_DURATION_MS,
  MAX_SHARE_MAX_RECORD_LOCKS,
  MAX_SHARE_POLL_MAX_RECORDS,
  MAX_SHARE_POLL_TOPICS,
  MAX_SHARE_REJECT_REASON_LENGTH,
  MAX_SHARE_RELEASE_DELAY_MS,
  MAX_TIMESTAMP_MS,
  MIN_SHARE_DELIVERY_COUNT_LIMIT,
  MIN_SHARE_LOCK_DURATION_MS,
  MIN_SHARE_MAX_RECORD_LOCKS,
} from "../limits";
import type { OffsetSpec } from "../protocol";
import type { AcknowledgeType, ShareGroupConfig } from "../share-protocol";
import { sessionConfig, type ShareHeartbeatRequest } from "../group/share-members";
import { parseLeaseId } from "../share/share-state";
import { parseEncoding, parseIsolation } from "./request-params";
import { checkTopicName } from "./topics";
import { integerField, requireObject } from "./validate";

const CONFIG_FIELDS = ["lockDurationMs", "deliveryCountLimit", "maxRecordLocks", "autoOffsetReset", "isolation", "deadLetterTopic", "deadLetterCopyRecord", "sessionTimeoutMs", "heartbeatIntervalMs"] as const;

export function defaultShareGroupConfig(): ShareGroupConfig {
  return {
    lockDurationMs: DEFAULT_SHARE_LOCK_DURATION_MS,
    deliveryCountLimit: DEFAULT_SHARE_DELIVERY_COUNT_LIMIT,
    maxRecordLocks: DEFAULT_SHARE_MAX_RECORD_LOCKS,
    autoOffsetReset: "latest",
    isolation: "read_uncommitted",
    deadLetterTopic: null,
    deadLetterCopyRecord: false,
    sessionTimeoutMs: DEFAULT_SHARE_SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: DEFAULT_SHARE_HEARTBEAT_INTERVAL_MS,
  };
}

/** PUT's body (absent fields take their defaults) or PATCH's (absent fields keep `base`'s values). */
export function parseShareGroupConfig(input: unknown, stored: ShareGroupConfig = defaultShareGroupConfig()): ShareGroupConfig {
  const body = input === undefined ? {} : requireObject(input, "share group config", CONFIG_FIELDS);
  const has = (f: string) => body[f] !== undefined;
  const base = { ...stored, ...sessionConfig(stored) };
  const config: ShareGroupConfig = {
    lockDurationMs: has("lockDurationMs") ? integerField(body.lockDurationMs, "lockDurationMs", MIN_SHARE_LOCK_DURATION_MS, MAX_SHARE_LOCK_DURATION_MS) : base.lockDurationMs,
    deliveryCountLimit: has("deliveryCountLimit") ? integerField(body.deliveryCountLimit, "deliveryCountLimit", MIN_SHARE_DELIVERY_COUNT_LIMIT, MAX_SHARE_DELIVERY_COUNT_LIMIT) : base.deliveryCountLimit,
    maxRecordLocks: has("maxRecordLocks") ? integerField(body.maxRecordLocks, "maxRecordLocks", MIN_SHARE_MAX_RECORD_LOCKS, MAX_SHARE_MAX_RECORD_LOCKS) : base.maxRecordLocks,
    autoOffsetReset: has("autoOffsetReset") ? parseAutoOffsetReset(body.autoOffsetReset) : base.autoOffsetReset,
    isolation: has("isolation") ? parseIsolation(body.isolation) : base.isolation,
    deadLetterTopic: body.deadLetterTopic === null ? null : has("deadLetterTopic") ? parseDeadLetterTopic(body.deadLetterTopic) : base.deadLetterTopic,
    deadLetterCopyRecord: has("deadLetterCopyRecord") ? booleanField(body.deadLetterCopyRecord, "deadLetterCopyRecord") : base.deadLetterCopyRecord,
    sessionTimeoutMs: has("sessionTimeoutMs") ? integerField(body.sessionTimeoutMs, "sessionTimeoutMs", MIN_SHARE_SESSION_TIMEOUT_MS, MAX_SHARE_SESSION_TIMEOUT_MS) : base.sessionTimeoutMs,
    heartbeatIntervalMs: has("heartbeatIntervalMs") ? integerField(body.heartbeatIntervalMs, "heartbeatIntervalMs", MIN_SHARE_HEARTBEAT_INTERVAL_MS, MAX_SHARE_HEARTBEAT_INTERVAL_MS) : base.heartbeatIntervalMs,
  };
  // Kafka's rule: a member told to heartbeat less often than its session lasts would be expired between heartbeats.
  if (config.heartbeatIntervalMs >= config.sessionTimeoutMs) {
    throw new KafkaError("INVALID_CONFIG", `heartbeatIntervalMs (${config.heartbeatIntervalMs}) must be less than sessionTimeoutMs (${config.sessionTimeoutMs})`, { field: "heartbeatIntervalMs" });
  }
  return config;
}

/** POST /v1/share-groups/{group}/heartbeat {memberId?, memberEpoch, subscribedTopicNames?} (KIP-932's ShareGroupHeartbeat). */
export function parseShareHeartbeat(input: unknown): ShareHeartbeatRequest {
  const body = requireObject(input, "heartbeat request", ["memberId", "memberEpoch", "subscribedTopicNames"]);
  const memberEpoch = integerField(body.memberEpoch, "memberEpoch", -1, Number.MAX_SAFE_INTEGER);
  let subscribedTopicNames: string[] | null = null;
  if (body.subscribedTopicNames !== undefined && body.subscribedTopicNames !== null) {
    const names = body.subscribedTopicNames;
    if (!Array.isArray(names)) throw new KafkaError("INVALID_REQUEST", "subscribedTopicNames must be an array of topic names", { field: "subscribedTopicNames" });
    if (names.length > MAX_SUBSCRIBED_TOPICS) throw new KafkaError("INVALID_REQUEST", `a member subscribes to at most ${MAX_SUBSCRIBED_TOPICS} topics, got ${names.length}`, { field: "subscribedTopicNames", max: MAX_SUBSCRIBED_TOPICS });
    subscribedTopicNames = [...new Set(names.map((t) => checkTopicName(t)))];
  }
  if (memberEpoch === 0 && (subscribedTopicNames === null || subscribedTopicNames.length === 0)) {
    throw new KafkaError("INVALID_REQUEST", "a join (memberEpoch 0) needs subscribedTopicNames", { field: "subscribedTopicNames" });
  }
  const memberId = body.memberId === undefined || body.memberId === null ? null : parseMemberId(body.memberId);
  if (memberId === null && memberEpoch !== 0) throw new KafkaError("INVALID_REQUEST", "memberId is required unless joining (memberEpoch 0)", { field: "memberId" });
  return { memberId, memberEpoch, subscribedTopicNames };
}

function parseMemberId(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > MAX_MEMBER_ID_LENGTH || !/^[\x21-\x7e]+$/.test(value)) {
    throw new KafkaError("INVALID_REQUEST", `memberId must be 1 to ${MAX_MEMBER_ID_LENGTH} printable ASCII characters`, { field: "memberId" });
  }
  return value;
}

function parseAutoOffsetReset(value: unknown): ShareGroupConfig["autoOffsetReset"] {
  if (value === "earliest" || value === "latest") return value;
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const o = requireObject(value, "autoOffsetReset", ["timestamp"]);
    return { timestamp: integerField(o.timestamp, "autoOffsetReset.timestamp", 0, MAX_TIMESTAMP_MS) };
  }
  throw new KafkaError("INVALID_REQUEST", `autoOffsetReset must be "earliest", "latest" or {"timestamp": ms}, got ${JSON.stringify(value)}`, { field: "autoOffsetReset" });
}

/** KIP-1191: names starting "__" are internal topics, never a dead-letter topic. */
function parseDeadLetterTopic(value: unknown): string {
  const topic = checkTopicName(value);
  if (topic.startsWith("__")) throw new KafkaError("INVALID_CONFIG", `deadLetterTopic '${topic}' starts with "__": internal topics cannot take dead letters`, { field: "deadLetterTopic" });
  return topic;
}

function booleanField(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") throw new KafkaError("INVALID_REQUEST", `${name} must be true or false`, { field: name });
  return value;
}

export interface ParsedAck {
  leaseId: string;
  topic: string;
  partition: number;
  offset: number;
  acquisitionId: number;
  type: AcknowledgeType;
  delayMs?: number;
  reason?: string;
}

const ACK_TYPES: readonly string[] = ["accept", "release", "reject", "renew"];

export function parseAcknowledgements(value: unknown): ParsedAck[] {
  if (!Array.isArray(value)) throw new KafkaError("INVALID_REQUEST", "acknowledgements must be an array of {leaseId, type, delayMs?, reason?}", { field: "acknowledgements" });
  if (value.length > MAX_SHARE_ACKS_PER_REQUEST) {
    throw new KafkaError("INVALID_REQUEST", `${value.length} acknowledgements in one request, the maximum is ${MAX_SHARE_ACKS_PER_REQUEST}`, { field: "acknowledgements", max: MAX_SHARE_ACKS_PER_REQUEST });
  }
  return value.map((item, i) => {
    const where = `acknowledgements[${i}]`;
    const a = requireObject(item, where, ["leaseId", "type", "delayMs", "reason"]);
    const lease = typeof a.leaseId === "string" ? parseLeaseId(a.leaseId) : undefined;
    if (lease === undefined) throw new KafkaError("INVALID_REQUEST", `${where}.leaseId must be a lease id from a poll (<topic>:<partition>:<offset>:<acquisition>), got ${JSON.stringify(a.leaseId)?.slice(0, 100)}`, { field: `${where}.leaseId` });
    if (typeof a.type !== "string" || !ACK_TYPES.includes(a.type)) {
      throw new KafkaError("INVALID_REQUEST", `${where}.type must be one of ${ACK_TYPES.join(", ")}, got ${JSON.stringify(a.type)?.slice(0, 100)}`, { field: `${where}.type` });
    }
    const type = a.type as AcknowledgeType;
    if (a.delayMs !== undefined && type !== "release") throw new KafkaError("INVALID_REQUEST", `${where}.delayMs is for release only`, { field: `${where}.delayMs` });
    if (a.reason !== undefined && type !== "reject") throw new KafkaError("INVALID_REQUEST", `${where}.reason is for reject only`, { field: `${where}.reason` });
    if (a.reason !== undefined && (typeof a.reason !== "string" || a.reason.length > MAX_SHARE_REJECT_REASON_LENGTH)) {
      throw new KafkaError("INVALID_REQUEST", `${where}.reason must be a string of at most ${MAX_SHARE_REJECT_REASON_LENGTH} characters`, { field: `${where}.reason`, max: MAX_SHARE_REJECT_REASON_LENGTH });
    }
    return {
      leaseId: a.leaseId as string,
      ...lease,
      type,
      ...(a.delayMs === undefined ? {} : { delayMs: integerField(a.delayMs, `${where}.delayMs`, 0, MAX_SHARE_RELEASE_DELAY_MS) }),
      ...(a.reason === undefined ? {} : { reason: a.reason as string }),
    };
  });
}

export interface PollRequest {
  /** Empty when the poll names a member: its assignment says which share-partitions to ask. */
  topics: string[];
  member: { memberId: string; memberEpoch: number | null } | null;
  maxRecords: number;
  maxWaitMs: number;
  encoding: Encoding;
  acknowledgements: ParsedAck[];
}

export function parsePoll(input: unknown): PollRequest {
  const body = requireObject(input, "poll request", ["topics", "maxRecords", "maxWaitMs", "encoding", "acknowledgements", "memberId", "memberEpoch"]);
  const member = body.memberId === undefined ? null : { memberId: parseMemberId(body.memberId), memberEpoch: body.memberEpoch === undefined ? null : integerField(body.memberEpoch, "memberEpoch", 1, Number.MAX_SAFE_INTEGER) };
  if (member === null && body.memberEpoch !== undefined) throw new KafkaError("INVALID_REQUEST", "memberEpoch goes with memberId", { field: "memberEpoch" });
  // A member's poll may leave out topics (its assignment names them) or name some to narrow it.
  const topics: unknown = member !== null && body.topics === undefined ? [] : body.topics;
  if (!Array.isArray(topics) || (topics.length === 0 && member === null)) throw new KafkaError("INVALID_REQUEST", "topics must be a non-empty array of topic names", { field: "topics" });
  if (topics.length > MAX_SHARE_POLL_TOPICS) throw new KafkaError("INVALID_REQUEST", `a poll names at most ${MAX_SHARE_POLL_TOPICS} topics, got ${topics.length}`, { field: "topics", max: MAX_SHARE_POLL_TOPICS });
  return {
    topics: [...new Set(topics.map((t) => checkTopicName(t)))],
    member,
    maxRecords: integerField(body.maxRecords, "maxRecords", 1, MAX_SHARE_POLL_MAX_RECORDS, DEFAULT_SHARE_POLL_MAX_RECORDS),
    maxWaitMs: integerField(body.maxWaitMs, "maxWaitMs", 0, MAX_FETCH_WAIT_MS, 0),
    encoding: parseEncoding(body.encoding),
    acknowledgements: body.acknowledgements === undefined ? [] : parseAcknowledgements(body.acknowledgements),
  };
}

/** A reset's target: "earliest", "latest", {timestamp} or {offset}. */
export function parseResetTarget(input: unknown): { topic: string; to: OffsetSpec | { offset: number } } {
  const body = requireObject(input, "reset request", ["topic", "to"]);
  const topic = checkTopicName(body.topic);
  const to = body.to;
  if (to === "earliest" || to === "latest") return { topic, to };
  if (typeof to === "object" && to !== null && !Array.isArray(to)) {
    const o = requireObject(to, "to", ["timestamp", "offset"]);
    if (o.timestamp !== undefined && o.offset === undefined) return { topic, to: { timestamp: integerField(o.timestamp, "to.timestamp", 0, MAX_TIMESTAMP_MS) } };
    if (o.offset !== undefined && o.timestamp === undefined) return { topic, to: { offset: integerField(o.offset, "to.offset", 0, Number.MAX_SAFE_INTEGER) } };
  }
  throw new KafkaError("INVALID_REQUEST", `to must be "earliest", "latest", {"timestamp": ms} or {"offset": n}, got ${JSON.stringify(to)?.slice(0, 100)}`, { field: "to" });
}
