// Consumer groups over stateless HTTP: validates requests, calls the group's coordinator, and joins committed
// offsets with the partitions' high watermarks for lag (lag = highWatermark - committed, as kafka-consumer-groups
// reports it). Members are records in the coordinator, so any router instance serves any member.
import type { GroupOffsets, PartitionLag, TopicLag } from "../log/group-lag";
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import { ASSIGNORS, type AssignorName } from "../group/assignors";
import type { TopicPartitions } from "../group/assignment";
import type { CommittedOffset, DescribedGroup, GroupDescription, GroupSummary, OffsetCommit } from "../log/group-description";
import type { HeartbeatRequest, HeartbeatResponse } from "../group/group-state";
import type { GroupCounts } from "../group/group-counters";
import { utf8ByteLength } from "../log/base64";
import { isPlainObject } from "../log/plain-object";
import { topicNameError } from "../log/topic-name";
import {
  MAX_COMMIT_METADATA_BYTES,
  MAX_MEMBER_ID_LENGTH,
  MAX_OFFSETS_PER_COMMIT,
  MAX_REBALANCE_TIMEOUT_MS,
  MAX_SUBSCRIBED_TOPICS,
  MAX_TIMESTAMP_MS,
  PARTITION_FANOUT_CONCURRENCY,
} from "../limits";
import { settings } from "../settings";
import { controllerStub, groupCoordinatorStub, replicaClient } from "../names";
import { mapBounded } from "../concurrency";
import type { TopicMetadata } from "../protocol";
import { callPartition, metadataWithPartition, objectCall, topicMetadata } from "./metadata";
import { integerField, onlyFields, requireObject } from "./validate";
import { groupLagStatus, partitionLagStatus } from "../log/lag-status";
import { MAX_LAG_STOPPED_AFTER_MS } from "../limits";

type CoordinatorStub = ReturnType<typeof groupCoordinatorStub>;

/** Calls a group's coordinator; a call that throws (object reset or unreachable) is a retriable COORDINATOR_NOT_AVAILABLE. */
async function coordinator<T>(env: Env, groupId: string, call: (stub: CoordinatorStub) => Promise<unknown>): Promise<T> {
  return unwrap(await objectCall(() => call(groupCoordinatorStub(env, groupId)) as Promise<Result<T>>, "COORDINATOR_NOT_AVAILABLE", `group coordinator ${groupId}`));
}

/** Group ids follow the topic name rules: safe in paths, logs and object names. */
export function checkGroupId(groupId: unknown): string {
  const error = topicNameError(groupId, "group id");
  if (error !== undefined) throw new KafkaError("INVALID_GROUP_ID", error, { groupId: typeof groupId === "string" ? groupId.slice(0, 300) : null });
  return groupId as string;
}

function sessionBounds(env: Env): [number, number] {
  const s = settings(env);
  return [s.groupMinSessionTimeoutMs, s.groupMaxSessionTimeoutMs];
}

export function parseHeartbeat(env: Env, input: unknown): HeartbeatRequest {
  const body = requireObject(input, "heartbeat request", ["memberId", "memberEpoch", "subscribedTopics", "ownedPartitions", "sessionTimeoutMs", "rebalanceTimeoutMs", "assignor"]);
  const memberEpoch = integerField(body.memberEpoch, "memberEpoch", -2, 2_147_483_647);
  if (memberEpoch === -2) throw new KafkaError("INVALID_REQUEST", "memberEpoch -2 is for static members, which edgelog does not support; leave with -1");
  let memberId: string | null = null;
  if (body.memberId !== undefined && body.memberId !== null) {
    if (typeof body.memberId !== "string" || body.memberId.length === 0 || body.memberId.length > MAX_MEMBER_ID_LENGTH || !/^[\x21-\x7e]+$/.test(body.memberId)) {
      throw new KafkaError("INVALID_REQUEST", `memberId must be 1 to ${MAX_MEMBER_ID_LENGTH} printable ASCII characters`, { field: "memberId" });
    }
    memberId = body.memberId;
  }
  if (memberEpoch !== 0 && memberId === null) throw new KafkaError("INVALID_REQUEST", `memberId is required with memberEpoch ${memberEpoch}`, { field: "memberId" });
  let subscribedTopics: string[] | null = null;
  if (body.subscribedTopics !== undefined && body.subscribedTopics !== null) {
    if (!Array.isArray(body.subscribedTopics)) throw new KafkaError("INVALID_REQUEST", "subscribedTopics must be an array of topic names", { field: "subscribedTopics" });
    if (body.subscribedTopics.length > MAX_SUBSCRIBED_TOPICS) {
      throw new KafkaError("INVALID_REQUEST", `subscribedTopics has ${body.subscribedTopics.length} topics, the maximum is ${MAX_SUBSCRIBED_TOPICS}`, { field: "subscribedTopics", max: MAX_SUBSCRIBED_TOPICS });
    }
    for (const t of body.subscribedTopics) {
      const error = topicNameError(t);
      if (error) throw new KafkaError("INVALID_TOPIC_EXCEPTION", `subscribedTopics: ${error}`, { field: "subscribedTopics" });
    }
    subscribedTopics = body.subscribedTopics as string[];
  }
  const ownedPartitions = body.ownedPartitions === undefined || body.ownedPartitions === null ? null : parseTopicPartitions(body.ownedPartitions, "ownedPartitions");
  if (memberEpoch === 0) {
    if (subscribedTopics === null || subscribedTopics.length === 0) throw new KafkaError("INVALID_REQUEST", "joining (memberEpoch 0) needs a non-empty subscribedTopics", { field: "subscribedTopics" });
    if (ownedPartitions !== null && ownedPartitions.some((t) => t.partitions.length > 0)) {
      throw new KafkaError("INVALID_REQUEST", "joining (memberEpoch 0) must not report owned partitions", { field: "ownedPartitions" });
    }
  } else if (subscribedTopics !== null && subscribedTopics.length === 0) {
    throw new KafkaError("INVALID_REQUEST", "subscribedTopics must not be empty; leave with memberEpoch -1", { field: "subscribedTopics" });
  }
  let sessionTimeoutMs: number | null = null;
  if (body.sessionTimeoutMs !== undefined && body.sessionTimeoutMs !== null) {
    const [min, max] = sessionBounds(env);
    const n = body.sessionTimeoutMs;
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new KafkaError("INVALID_SESSION_TIMEOUT", `sessionTimeoutMs must be an integer from ${min} to ${max}`, { min, max });
    }
    sessionTimeoutMs = n;
  }
  const rebalanceTimeoutMs = body.rebalanceTimeoutMs === undefined || body.rebalanceTimeoutMs === null ? null : integerField(body.rebalanceTimeoutMs, "rebalanceTimeoutMs", 1, MAX_REBALANCE_TIMEOUT_MS);
  let assignor: AssignorName | null = null;
  if (body.assignor !== undefined && body.assignor !== null) {
    if (!ASSIGNORS.includes(body.assignor as AssignorName)) throw new KafkaError("UNSUPPORTED_ASSIGNOR", `assignor must be one of ${ASSIGNORS.join(", ")}, got ${JSON.stringify(body.assignor)}`);
    assignor = body.assignor as AssignorName;
  }
  return { memberId, memberEpoch, subscribedTopics, ownedPartitions, sessionTimeoutMs, rebalanceTimeoutMs, assignor };
}

function parseTopicPartitions(input: unknown, field: string): TopicPartitions {
  if (!Array.isArray(input)) throw new KafkaError("INVALID_REQUEST", `${field} must be an array of {topic, partitions}`, { field });
  return input.map((entry, i) => {
    if (!isPlainObject(entry) || typeof entry.topic !== "string" || !Array.isArray(entry.partitions)) {
      throw new KafkaError("INVALID_REQUEST", `${field}[${i}] must be {topic, partitions: number[]}`, { field });
    }
    return { topic: entry.topic, partitions: entry.partitions.map((p) => integerField(p, `${field}[${i}].partitions`, 0, 2_147_483_647)) };
  });
}

export async function heartbeat(env: Env, groupId: string, input: unknown): Promise<HeartbeatResponse> {
  const request = parseHeartbeat(env, input);
  return coordinator<HeartbeatResponse>(env, checkGroupId(groupId), (c) => c.heartbeat(groupId, request));
}

export async function commitOffsets(env: Env, groupId: string, input: unknown): Promise<{ committed: number }> {
  checkGroupId(groupId);
  const body = requireObject(input, "commit request", ["memberId", "memberEpoch", "offsets"]);
  const { memberId, memberEpoch } = parseMember(body);
  const offsets = await parseOffsetCommits(env, body.offsets);
  await noteHighWatermarks(env, offsets);
  return await coordinator<{ committed: number }>(env, groupId, (c) => c.commitOffsets(groupId, memberId, memberEpoch, offsets));
}

/** Each commit's partition high watermark now, so the coordinator's lag-status window knows the lag at commit time
 *  (Burrow reads it from the brokers the same way). One partition call per committed partition, in parallel; a
 *  partition that does not answer leaves the lag unknown rather than failing the commit. */
async function noteHighWatermarks(env: Env, offsets: OffsetCommit[]): Promise<void> {
  await mapBounded(offsets.length, PARTITION_FANOUT_CONCURRENCY, async (i) => {
    const o = offsets[i]!;
    o.highWatermark = await callPartition(env, o.topic, o.partition, (ref) => replicaClient(env, ref).listOffsets(ref, "latest"))
      .then((r) => r.offset)
      .catch(() => null);
  });
}

/** A commit's optional memberId and memberEpoch (absent: an admin commit to a group with no members). */
export function parseMember(body: Record<string, unknown>): { memberId: string | null; memberEpoch: number | null } {
  if (body.memberId !== undefined && body.memberId !== null && (typeof body.memberId !== "string" || body.memberId.length === 0 || body.memberId.length > MAX_MEMBER_ID_LENGTH)) {
    throw new KafkaError("INVALID_REQUEST", `memberId must be a string of 1 to ${MAX_MEMBER_ID_LENGTH} characters`, { field: "memberId" });
  }
  const memberId = (body.memberId as string | undefined) ?? null;
  const memberEpoch = body.memberEpoch === undefined || body.memberEpoch === null ? null : integerField(body.memberEpoch, "memberEpoch", -1, 2_147_483_647);
  return { memberId, memberEpoch };
}

/** A commit's offsets [{topic, partition, offset, metadata?}], each naming a partition that exists (its topic id noted). */
export async function parseOffsetCommits(env: Env, input: unknown): Promise<OffsetCommit[]> {
  if (!Array.isArray(input) || input.length === 0) throw new KafkaError("INVALID_REQUEST", "offsets must be a non-empty array of {topic, partition, offset, metadata?}", { field: "offsets" });
  if (input.length > MAX_OFFSETS_PER_COMMIT) {
    throw new KafkaError("INVALID_REQUEST", `${input.length} offsets in one commit, the maximum is ${MAX_OFFSETS_PER_COMMIT}`, { max: MAX_OFFSETS_PER_COMMIT });
  }
  const offsets: OffsetCommit[] = [];
  for (let i = 0; i < input.length; i++) {
    const o: unknown = input[i];
    if (!isPlainObject(o)) throw new KafkaError("INVALID_REQUEST", `offsets[${i}] must be an object`);
    onlyFields(o, ["topic", "partition", "offset", "metadata"], `offsets[${i}]`);
    const error = topicNameError(o.topic);
    if (error) throw new KafkaError("INVALID_TOPIC_EXCEPTION", `offsets[${i}].topic: ${error}`);
    const partition = integerField(o.partition, `offsets[${i}].partition`, 0, 2_147_483_647);
    const offset = integerField(o.offset, `offsets[${i}].offset`, 0, Number.MAX_SAFE_INTEGER);
    const metadata = o.metadata === undefined || o.metadata === null ? "" : o.metadata;
    if (typeof metadata !== "string") throw new KafkaError("INVALID_REQUEST", `offsets[${i}].metadata must be a string`);
    const metadataBytes = utf8ByteLength(metadata);
    if (metadataBytes > MAX_COMMIT_METADATA_BYTES) {
      throw new KafkaError("OFFSET_METADATA_TOO_LARGE", `offsets[${i}].metadata is ${metadataBytes} bytes, the maximum is ${MAX_COMMIT_METADATA_BYTES}`, { index: i });
    }
    offsets.push({ topic: o.topic as string, topicId: "", partition, offset, metadata });
  }
  // Commits name partitions that exist (a typo would otherwise be a silent, never-read offset), and record which
  // incarnation of the topic they belong to.
  for (const o of offsets) o.topicId = (await metadataWithPartition(env, o.topic, o.partition)).topicId;
  return offsets;
}

/** Committed offsets of every topic the group committed or subscribes to, with each partition's high watermark and lag. */
/** `withCoordinator`: also the coordinator's epochs and counters (GET /metrics; the HTTP answer leaves them out). */
export async function groupOffsets(env: Env, groupId: string, withCoordinator = false): Promise<GroupOffsets & { coordinator?: CoordinatorFigures }> {
  checkGroupId(groupId);
  const data = await coordinator<{ offsets: CommittedOffset[]; subscribedTopics: string[]; state: string; nowMs: number; lagStoppedAfterMs: number } & CoordinatorFigures>(env, groupId, (c) => c.committedOffsets(groupId));
  const nowMs = data.nowMs; // the coordinator's clock, the one its commit times were taken on
  const byTopic = new Map<string, Map<number, CommittedOffset>>();
  for (const t of data.subscribedTopics) byTopic.set(t, new Map());
  for (const o of data.offsets) {
    if (!byTopic.has(o.topic)) byTopic.set(o.topic, new Map());
    byTopic.get(o.topic)!.set(o.partition, o);
  }
  const topics: TopicLag[] = [];
  for (const [topic, all] of [...byTopic].sort(([a], [b]) => (a < b ? -1 : 1))) {
    let meta: TopicMetadata;
    try {
      meta = await topicMetadata(env, topic);
    } catch (error) {
      if (error instanceof KafkaError && error.body.type === "UNKNOWN_TOPIC_OR_PARTITION") continue; // a deleted topic has no lag
      throw error;
    }
    const count = meta.partitionCount;
    // Offsets committed against an earlier topic of the same name do not apply to this one (Kafka deletes them).
    const committed = new Map([...all].filter(([, o]) => o.topicId === meta.topicId));
    const partitions = await mapBounded(count, PARTITION_FANOUT_CONCURRENCY, async (p) => {
      const hw = (await callPartition(env, topic, p, (ref) => replicaClient(env, ref).listOffsets(ref, "latest"))).offset;
      const c = committed.get(p);
      const lag = c === undefined ? null : Math.max(0, hw - c.committedOffset);
      const status = partitionLagStatus(c?.recentCommits ?? [], lag, c?.commitMs ?? null, nowMs, { stoppedAfterMs: data.lagStoppedAfterMs });
      return { partition: p, committedOffset: c?.committedOffset ?? null, metadata: c?.metadata ?? null, highWatermark: hw, lag, status };
    });
    topics.push({ topic, partitions, lag: partitions.reduce((sum, p) => sum + (p.lag ?? 0), 0) });
  }
  const status = groupLagStatus(topics.flatMap((t) => t.partitions.map((p) => p.status)));
  const figures = withCoordinator ? { coordinator: { groupEpoch: data.groupEpoch, assignmentEpoch: data.assignmentEpoch, counters: data.counters } } : {};
  return { groupId, state: data.state, topics, totalLag: topics.reduce((sum, t) => sum + t.lag, 0), status, ...figures };
}

export interface CoordinatorFigures {
  groupEpoch: number;
  assignmentEpoch: number;
  counters: GroupCounts;
}

/** Replay: set a topic's committed offsets to earliest, latest, the first offset at a time, or an offset (clamped). */
export async function resetOffsets(env: Env, groupId: string, input: unknown): Promise<{ topic: string; partitions: { partition: number; offset: number }[] }> {
  checkGroupId(groupId);
  const body = requireObject(input, "reset request", ["topic", "to", "partitions"]);
  const error = topicNameError(body.topic);
  if (error) throw new KafkaError("INVALID_TOPIC_EXCEPTION", error);
  const topic = body.topic as string;
  const to = body.to;
  type Target = "earliest" | "latest" | { timestamp: number } | { offset: number };
  let target: Target;
  if (to === "earliest" || to === "latest") target = to;
  else if (isPlainObject(to) && Object.keys(to).length === 1 && "timestamp" in to) target = { timestamp: integerField(to.timestamp, "to.timestamp", 0, MAX_TIMESTAMP_MS) };
  else if (isPlainObject(to) && Object.keys(to).length === 1 && "offset" in to) target = { offset: integerField(to.offset, "to.offset", 0, Number.MAX_SAFE_INTEGER) };
  else throw new KafkaError("INVALID_REQUEST", 'to must be "earliest", "latest", {"timestamp": ms} or {"offset": n}', { field: "to" });
  const meta = await topicMetadata(env, topic);
  let partitions = Array.from({ length: meta.partitionCount }, (_, p) => p);
  if (body.partitions !== undefined) {
    if (!Array.isArray(body.partitions) || body.partitions.length === 0) throw new KafkaError("INVALID_REQUEST", "partitions must be a non-empty array of partition numbers");
    partitions = body.partitions.map((p) => integerField(p, "partitions[]", 0, meta.partitionCount - 1));
  }
  // Refuse early if the group is live; the coordinator checks again when it writes.
  const summary = await objectCall(() => groupCoordinatorStub(env, groupId).summary(groupId) as Promise<Result<GroupSummary>>, "COORDINATOR_NOT_AVAILABLE", `group coordinator ${groupId}`);
  if (summary.ok && summary.value.members > 0) {
    throw new KafkaError("NON_EMPTY_GROUP", `group '${groupId}' has ${summary.value.members} active member(s); stop its consumers before resetting offsets`, { groupId, members: summary.value.members });
  }
  const offsets = await mapBounded(partitions.length, PARTITION_FANOUT_CONCURRENCY, async (i) => {
    const p = partitions[i]!;
    const listed = (spec: "earliest" | "latest" | { timestamp: number }) => callPartition(env, topic, p, (ref) => replicaClient(env, ref).listOffsets(ref, spec));
    if (target === "earliest" || target === "latest") return { partition: p, offset: (await listed(target)).offset };
    if ("timestamp" in target) {
      const found = (await listed(target)).offset;
      return { partition: p, offset: found >= 0 ? found : (await listed("latest")).offset }; // no record that late: the end, like kafka-consumer-groups
    }
    const [start, end] = [(await listed("earliest")).offset, (await listed("latest")).offset];
    return { partition: p, offset: Math.min(Math.max(target.offset, start), end) };
  });
  return await coordinator<{ topic: string; partitions: { partition: number; offset: number }[] }>(env, groupId, (c) => c.resetOffsets(groupId, topic, meta.topicId, offsets));
}

export async function listGroups(env: Env): Promise<GroupSummary[]> {
  const ids = (await controllerStub(env).listGroups()) as string[];
  const summaries = await mapBounded(ids.length, PARTITION_FANOUT_CONCURRENCY, (i) =>
    objectCall(() => groupCoordinatorStub(env, ids[i]!).summary(ids[i]!) as Promise<Result<GroupSummary>>, "COORDINATOR_NOT_AVAILABLE", `group coordinator ${ids[i]}`),
  );
  return summaries.flatMap((s) => (s.ok ? [s.value] : []));
}

export async function describeGroup(env: Env, groupId: string): Promise<DescribedGroup> {
  checkGroupId(groupId);
  const description = await coordinator<GroupDescription>(env, groupId, (c) => c.describe(groupId));
  return { ...description, lag: await groupOffsets(env, groupId) };
}

/** Alters a group's settings: today its lag-status threshold, lagStoppedAfterMs (docs/observability.md). */
export async function alterGroup(env: Env, groupId: string, input: unknown): Promise<{ groupId: string; lagStoppedAfterMs: number }> {
  checkGroupId(groupId);
  const body = requireObject(input, "alter group request", ["lagStoppedAfterMs"]);
  const lagStoppedAfterMs = integerField(body.lagStoppedAfterMs, "lagStoppedAfterMs", 1_000, MAX_LAG_STOPPED_AFTER_MS);
  return await coordinator<{ groupId: string; lagStoppedAfterMs: number }>(env, groupId, (c) => c.alterGroup(groupId, { lagStoppedAfterMs }));
}

export async function deleteGroup(env: Env, groupId: string): Promise<{ groupId: string }> {
  checkGroupId(groupId);
  return await coordinator<{ groupId: string }>(env, groupId, (c) => c.deleteGroup(groupId));
}

export type { GroupOffsets, PartitionLag, TopicLag };
