// Share groups over HTTP and RPC: create or replace (PUT), alter (PATCH), describe, delete, and reset offsets. The
// config lives in the group's coordinator (group/share-home.ts); routers keep it until a share-partition answers that
// it changed (STALE_SHARE_GROUP carrying the new config, which the router caches without asking the coordinator), so
// the poll path never calls the coordinator; SHARE_GROUP_CONFIG_CACHE_MS is only a safety net. Describe and reset fan
// out to the share-partitions (src/share/).
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import { mapBounded } from "../concurrency";
import { PARTITION_FANOUT_CONCURRENCY, SHARE_GROUP_CONFIG_CACHE_MS } from "../limits";
import { Clock } from "../clock";
import { controllerStub, groupCoordinatorStub, sharePartitionStub } from "../names";
import type { ShareGroupConfig, SharePartitionStatus, StoredShareGroup } from "../share-protocol";
import type { ShareCall } from "../share/SharePartition";
import type { ShareHomeRequest } from "../group/share-home";
import type { MemberAssignment, ShareHeartbeatResponse, ShareMemberDescription, ShareMembershipRequest, TopicPartitionList } from "../group/share-members";
import { checkGroupId } from "./groups";
import { objectCall, topicMetadata } from "./metadata";
import { parseResetTarget, parseShareGroupConfig, parseShareHeartbeat } from "./share-request";

const cache = new Map<string, { stored: StoredShareGroup; fetchedMs: number }>();
/** The cache's clock: tests move it forward (an entry's age) instead of sleeping. */
export const shareGroupClock = new Clock();
let coordinatorReads = 0;
/** How many times this isolate read a share group's config from its coordinator (tests count them). */
export const shareGroupReads = (): number => coordinatorReads;

async function home(env: Env, group: string, request: ShareHomeRequest): Promise<StoredShareGroup> {
  if (request.op === "get") coordinatorReads++;
  const stored = unwrap(await objectCall(() => groupCoordinatorStub(env, group).share(group, request) as Promise<Result<StoredShareGroup>>, "COORDINATOR_NOT_AVAILABLE", `share group ${group}'s coordinator`));
  if (request.op === "delete") cache.delete(group);
  else cache.set(group, { stored, fetchedMs: shareGroupClock.now() });
  return stored;
}

/** The group's config (cached unless `fresh`); GROUP_ID_NOT_FOUND when there is no such share group. */
export async function shareGroup(env: Env, group: string, fresh = false): Promise<StoredShareGroup> {
  const hit = cache.get(group);
  if (!fresh && hit !== undefined && shareGroupClock.now() - hit.fetchedMs < SHARE_GROUP_CONFIG_CACHE_MS) return hit.stored;
  try {
    return await home(env, group, { op: "get" });
  } catch (error) {
    cache.delete(group);
    throw error;
  }
}

/**
 * A call to a share-partition with the group's config. A STALE_SHARE_GROUP answer either carries the newer config of
 * the same incarnation (the share-partition was told of a change: cached from the answer, no coordinator read) or
 * means the group was created again (read from the coordinator); either way the call goes once more.
 */
export async function callSharePartition<T>(env: Env, group: string, topic: string, topicId: string, partition: number, call: (c: ShareCall) => Promise<unknown>): Promise<T> {
  let stored = await shareGroup(env, group);
  const make = (s: StoredShareGroup): ShareCall => ({ group, topic, topicId, partition, generation: s.generation, configVersion: s.configVersion ?? 0, config: s.config });
  const what = `share-partition ${group} ${topic}/${partition}`;
  let result = await objectCall(() => call(make(stored)) as Promise<Result<T>>, "KAFKA_STORAGE_ERROR", what);
  if (!result.ok && result.error.type === "STALE_SHARE_GROUP") {
    stored = newerConfig(group, stored, result.error.details) ?? (await shareGroup(env, group, true));
    result = await objectCall(() => call(make(stored)) as Promise<Result<T>>, "KAFKA_STORAGE_ERROR", what);
  }
  return unwrap(result);
}

/** The config a share-partition's STALE_SHARE_GROUP carried, when it is of the cached incarnation and newer. */
function newerConfig(group: string, stored: StoredShareGroup, details: Record<string, unknown> | undefined): StoredShareGroup | undefined {
  const d = details as { generation?: number; configVersion?: number; config?: ShareGroupConfig } | undefined;
  if (d?.config === undefined || d.generation !== stored.generation || (d.configVersion ?? 0) <= (stored.configVersion ?? 0)) return undefined;
  const hit = cache.get(group);
  const next: StoredShareGroup = { ...(hit?.stored ?? stored), config: d.config, configVersion: d.configVersion };
  // The entry keeps its age: the safety net still re-reads the coordinator on its schedule.
  if (hit === undefined || hit.stored.generation !== stored.generation || (hit.stored.configVersion ?? 0) < (d.configVersion ?? 0)) cache.set(group, { stored: next, fetchedMs: hit?.fetchedMs ?? shareGroupClock.now() });
  return next;
}

/** The coordinator's membership RPC (share-members.ts); never on the poll path of a poll that names no member. */
async function membership<T>(env: Env, group: string, request: ShareMembershipRequest): Promise<T> {
  return unwrap(await objectCall(() => groupCoordinatorStub(env, group).shareMembership(group, request) as Promise<Result<T>>, "COORDINATOR_NOT_AVAILABLE", `share group ${group}'s coordinator`));
}

/** POST /v1/share-groups/{group}/heartbeat: KIP-932's ShareGroupHeartbeat (join with memberEpoch 0, leave with -1). */
export async function shareHeartbeat(env: Env, group: string, input: unknown): Promise<ShareHeartbeatResponse> {
  checkGroupId(group);
  return membership<ShareHeartbeatResponse>(env, group, { op: "heartbeat", heartbeat: parseShareHeartbeat(input) });
}

/** A poll naming a member: the share-partitions assigned to it (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH otherwise). The
 *  group's config comes along, refreshing the router's cache. */
export async function memberAssignment(env: Env, group: string, memberId: string, memberEpoch: number | null): Promise<TopicPartitionList[]> {
  const answer = await membership<MemberAssignment>(env, group, { op: "assignment", memberId, memberEpoch });
  cache.set(group, { stored: answer.group, fetchedMs: shareGroupClock.now() });
  return answer.topicPartitions;
}

export interface ShareGroupDescription {
  groupId: string;
  config: ShareGroupConfig;
  createdMs: number;
  /** Members (optional membership): with their assignments. Empty when every poller polls by topic. */
  members: ShareMemberDescription[];
  partitions: SharePartitionStatus[];
  totalLag: number;
}

/** PUT: creates the group (201) or replaces its whole config (200); absent fields take their defaults. */
export async function putShareGroup(env: Env, group: string, input: unknown): Promise<{ created: boolean; description: ShareGroupDescription }> {
  checkGroupId(group);
  const config = parseShareGroupConfig(input);
  await checkDeadLetterTopic(env, config);
  const existed = await shareGroup(env, group, true).then(() => true, (e: unknown) => (isNotFound(e) ? false : Promise.reject(e)));
  await home(env, group, { op: "put", config, mustExist: false });
  return { created: !existed, description: await describeShareGroup(env, group) };
}

/** PATCH: changes the fields given. */
export async function alterShareGroup(env: Env, group: string, input: unknown): Promise<ShareGroupDescription> {
  checkGroupId(group);
  const current = await shareGroup(env, group, true);
  const config = parseShareGroupConfig(input, current.config);
  await checkDeadLetterTopic(env, config);
  await home(env, group, { op: "put", config, mustExist: true });
  return describeShareGroup(env, group);
}

export async function describeShareGroup(env: Env, group: string): Promise<ShareGroupDescription> {
  const { stored, partitions } = await sharePartitionStatuses(env, group);
  const members = await membership<ShareMemberDescription[]>(env, group, { op: "members" });
  return { groupId: group, config: stored.config, createdMs: stored.createdMs, members, partitions, totalLag: partitions.reduce((n, s) => n + s.lag, 0) };
}

/** Every share-partition the group has polled, as describe shows it (GET /metrics reads these too): the
 *  coordinator once, then each share-partition, which asks its partition for the high watermark. */
export async function sharePartitionStatuses(env: Env, group: string): Promise<{ stored: StoredShareGroup; partitions: SharePartitionStatus[] }> {
  checkGroupId(group);
  const stored = await shareGroup(env, group, true);
  const statuses = await mapBounded(stored.partitions.length, PARTITION_FANOUT_CONCURRENCY, (i) => {
    const p = stored.partitions[i]!;
    return callSharePartition<SharePartitionStatus>(env, group, p.topic, p.topicId, p.partition, (c) => sharePartitionStub(env, group, p.topicId, p.partition).status(c));
  });
  statuses.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return { stored, partitions: statuses };
}

export async function listShareGroups(env: Env): Promise<string[]> {
  return (await controllerStub(env).listGroups("share")) as string[];
}

/** Deletes the group, its share-partitions' state (leases included) and its registry entry. */
export async function deleteShareGroup(env: Env, group: string): Promise<{ groupId: string }> {
  checkGroupId(group);
  await home(env, group, { op: "delete" });
  return { groupId: group };
}

/**
 * Moves the SPSO of every partition of a topic (kafka-share-groups --reset-offsets), only while the group is empty:
 * no members (KIP-932's empty group) and, since pollers need not be members, no record leased or being
 * dead-lettered: checked on every partition first, and again by each as it resets.
 */
export async function resetShareGroupOffsets(env: Env, group: string, input: unknown): Promise<{ topic: string; partitions: { partition: number; offset: number }[] }> {
  checkGroupId(group);
  const { topic, to } = parseResetTarget(input);
  await shareGroup(env, group, true);
  const members = await membership<ShareMemberDescription[]>(env, group, { op: "members" });
  if (members.length > 0) {
    throw new KafkaError("NON_EMPTY_GROUP", `share group '${group}' has ${members.length} active member(s): stop them (or let their sessions end) first`, { groupId: group, members: members.length });
  }
  const meta = await topicMetadata(env, topic, true);
  const stub = (p: number) => sharePartitionStub(env, group, meta.topicId, p);
  const statuses = await mapBounded(meta.partitionCount, PARTITION_FANOUT_CONCURRENCY, (p) => callSharePartition<SharePartitionStatus>(env, group, topic, meta.topicId, p, (c) => stub(p).status(c)));
  const busy = statuses.filter((s) => s.inFlight.acquired > 0 || s.inFlight.archiving > 0);
  if (busy.length > 0) {
    throw new KafkaError("NON_EMPTY_GROUP", `share group '${group}' has records leased or being dead-lettered on ${topic} partitions ${busy.map((s) => s.partition).join(", ")}: acknowledge them or let their leases end first`, { groupId: group, partitions: busy.map((s) => s.partition) });
  }
  const partitions = await mapBounded(meta.partitionCount, PARTITION_FANOUT_CONCURRENCY, (p) => callSharePartition<{ partition: number; offset: number }>(env, group, topic, meta.topicId, p, (c) => stub(p).reset(c, to)));
  return { topic, partitions };
}

/** KIP-1191's guard: the dead-letter topic exists and opted in (errors.deadletterqueue.group.enable=true). */
async function checkDeadLetterTopic(env: Env, config: ShareGroupConfig): Promise<void> {
  const topic = config.deadLetterTopic;
  if (topic === null) return;
  let meta;
  try {
    meta = await topicMetadata(env, topic, true);
  } catch (error) {
    if (isUnknownTopic(error)) throw new KafkaError("UNKNOWN_TOPIC_OR_PARTITION", `deadLetterTopic '${topic}' does not exist: create it first (with errors.deadletterqueue.group.enable=true)`, { field: "deadLetterTopic", topic });
    throw error;
  }
  if (meta.config["errors.deadletterqueue.group.enable"] !== "true") {
    throw new KafkaError("INVALID_CONFIG", `deadLetterTopic '${topic}' does not take share groups' dead letters: set its config errors.deadletterqueue.group.enable=true first`, { field: "deadLetterTopic", topic });
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof KafkaError && error.body.type === "GROUP_ID_NOT_FOUND";
}

function isUnknownTopic(error: unknown): boolean {
  return error instanceof KafkaError && error.body.type === "UNKNOWN_TOPIC_OR_PARTITION";
}
