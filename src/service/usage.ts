// GET /v1/usage: what the controller, the named topics' partition objects and the named groups' coordinators have
// consumed of Cloudflare's billed items since their instances started (src/usage.ts counts them). The bench turns
// the totals into dollars (scripts/bench/compare-cost.mjs).
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { MAX_USAGE_NAMES, PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { controllerStub, groupCoordinatorStub, partitionLogStub, sharedDeliveryName, sharePartitionStub, subscriptionPartitionName, subscriptionPartitionStub } from "../names";
import { mapBounded } from "../concurrency";
import type { UsageCounts } from "../usage";
import { checkGroupId } from "./groups";
import { shareGroup } from "./share-groups";
import { topicMetadata } from "./metadata";
import { checkTopicName } from "./topics";

export interface UsageReport {
  controller: UsageCounts;
  topics: { topic: string; partitions: UsageCounts[] }[];
  groups: { groupId: string; usage: UsageCounts }[];
  /** The sum over every object above. */
  total: UsageCounts & { objects: number };
}

export async function usage(env: Env, topics: readonly string[], groups: readonly string[]): Promise<UsageReport> {
  for (const [kind, names] of [["topic", topics], ["group", groups]] as const) {
    if (names.length > MAX_USAGE_NAMES) throw new KafkaError("INVALID_REQUEST", `at most ${MAX_USAGE_NAMES} ${kind} parameters per usage request, got ${names.length}`, { field: kind, max: MAX_USAGE_NAMES });
  }
  topics.forEach(checkTopicName);
  groups.forEach(checkGroupId);
  const metas = await Promise.all(topics.map((t) => topicMetadata(env, t, true)));
  const [controller, partitions, coordinators] = await Promise.all([
    controllerStub(env).usage(),
    Promise.all(metas.map((m) => mapBounded(m.partitionCount, PARTITION_FANOUT_CONCURRENCY, (p) => partitionUsage(env, m.topicId, p, m.replicationFactor)))),
    Promise.all(groups.map((g) => groupUsage(env, g))),
  ]);
  const all = [controller, ...partitions.flat(), ...coordinators.flat()];
  const total = { requests: 0, rowsRead: 0, rowsWritten: 0, r2ClassA: 0, r2ClassB: 0, activeMs: 0, objects: all.length };
  for (const u of all) for (const k of ["requests", "rowsRead", "rowsWritten", "r2ClassA", "r2ClassB", "activeMs"] as const) total[k] += u[k];
  return {
    controller,
    topics: metas.map((m, i) => ({ topic: m.name, partitions: partitions[i]! })),
    groups: groups.map((groupId, i) => ({ groupId, usage: sumOf(coordinators[i]!) })),
    total,
  };
}

/** A group's coordinator, and for a subscription's group its delivery objects too (each billed): one per partition, or
 *  for a shared subscription one per topic and the share group's share-partitions it leases from; for a share group
 *  its share-partition objects. */
async function groupUsage(env: Env, groupId: string): Promise<UsageCounts[]> {
  const { subscriptionTopics, subscriptionShareGroup: shareGroup, ...coordinator } = (await groupCoordinatorStub(env, groupId).usage()) as UsageCounts & { subscriptionTopics?: string[]; subscriptionShareGroup?: string };
  if (subscriptionTopics === undefined) return [coordinator, ...(await sharePartitionsUsage(env, groupId))];
  const calls: (() => Promise<unknown>)[] = [];
  for (const topic of subscriptionTopics) {
    const meta = await topicMetadata(env, topic).catch(() => undefined);
    if (meta === undefined) continue;
    if (shareGroup !== undefined) calls.push(() => subscriptionPartitionStub(env, sharedDeliveryName(groupId, meta.topicId)).usage());
    for (let p = 0; p < meta.partitionCount; p++) {
      if (shareGroup === undefined) calls.push(() => subscriptionPartitionStub(env, subscriptionPartitionName(groupId, meta.topicId, p)).usage());
      else calls.push(() => sharePartitionStub(env, shareGroup, meta.topicId, p).usage());
    }
  }
  const objects = await mapBounded(calls.length, PARTITION_FANOUT_CONCURRENCY, (i) => (calls[i]!() as Promise<UsageCounts>).catch(() => ZERO));
  return [coordinator, ...objects];
}

/** A share group's share-partition objects (every one polled so far, as the group lists them); none for another kind
 *  of group (the lookup answers not found). */
async function sharePartitionsUsage(env: Env, groupId: string): Promise<UsageCounts[]> {
  // Fresh: the cached copy may predate share-partitions polled since (it lists those the group knows).
  const stored = await shareGroup(env, groupId, true).catch(() => undefined);
  if (stored === undefined) return [];
  const parts = stored.partitions;
  return mapBounded(parts.length, PARTITION_FANOUT_CONCURRENCY, (i) => (sharePartitionStub(env, groupId, parts[i]!.topicId, parts[i]!.partition).usage() as Promise<UsageCounts>).catch(() => ZERO));
}

const ZERO: UsageCounts = { requests: 0, rowsRead: 0, rowsWritten: 0, r2ClassA: 0, r2ClassB: 0, activeMs: 0 };

function sumOf(counts: readonly UsageCounts[]): UsageCounts {
  const sum = { ...ZERO };
  for (const u of counts) for (const k of ["requests", "rowsRead", "rowsWritten", "r2ClassA", "r2ClassB", "activeMs"] as const) sum[k] += u[k];
  return sum;
}

/** A partition's usage: all its replicas together (each is a billed object). A replica that does not answer counts 0. */
async function partitionUsage(env: Env, topicId: string, partition: number, replicationFactor: number): Promise<UsageCounts> {
  const replicas = await Promise.all(
    Array.from({ length: replicationFactor }, (_, r) => (partitionLogStub(env, topicId, partition, r).usage() as Promise<UsageCounts>).catch(() => undefined)),
  );
  const sum: UsageCounts = { requests: 0, rowsRead: 0, rowsWritten: 0, r2ClassA: 0, r2ClassB: 0, activeMs: 0 };
  for (const k of ["requests", "rowsRead", "rowsWritten", "r2ClassA", "r2ClassB", "activeMs"] as const) {
    sum[k] = replicas.reduce((n, u) => n + (u?.[k] ?? 0), 0);
  }
  return sum;
}
