// GET /metrics' cluster gauges, gathered from the objects that keep the facts: each partition's leader (describe),
// each group's coordinator (committed offsets, lag status), each subscription's partition objects and each share
// group's share-partitions. Fan-out is bounded (PARTITION_FANOUT_CONCURRENCY at a time) and answers are cached per
// isolate for METRICS_CACHE_MS per query, so a scrape of N partitions costs at most N partition calls (plus, per
// group, its coordinator and its topics' partitions' high watermarks) per cache period.
// docs/observability.md lists each metric with its Kafka JMX counterpart.
import type { Env } from "../env";
import { MAX_USAGE_NAMES, METRICS_CACHE_ENTRIES, METRICS_CACHE_MS, PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { KafkaError } from "../errors";
import { controllerStub, replicaClient } from "../names";
import { mapBounded } from "../concurrency";
import type { PartitionDescription } from "../protocol";
import type { Family, Sample } from "../log/prometheus";
import type { PartitionLagStatus } from "../log/lag-status";
import { callPartition, topicMetadata } from "./metadata";
import { listTopics, checkTopicName } from "./topics";
import { checkGroupId, groupOffsets, listGroups } from "./groups";
import { electionFamilies, groupCounterFamilies, partitionCounterFamilies, type CountedGroup, type CountedPartition } from "./counter-families";
import { subscriptionFamilies } from "./subscription-families";
import { shareGroupFamilies } from "./share-families";
import type { ElectionCount } from "../controller/election-counts";

const LAG_STATUSES: readonly PartitionLagStatus[] = ["OK", "WARNING", "STOPPED", "STALL", "REWIND"];
const GROUP_STATES = ["EMPTY", "ASSIGNING", "RECONCILING", "STABLE"] as const;

const cache = new Map<string, { atMs: number; families: Promise<Family[]> }>();

/** The gauges for these topics and groups (none named: every topic and group), from cache when fresh. */
export function clusterGauges(env: Env, topics: readonly string[], groups: readonly string[], nowMs = Date.now()): Promise<Family[]> {
  for (const [kind, names] of [["topic", topics], ["group", groups]] as const) {
    if (names.length > MAX_USAGE_NAMES) throw new KafkaError("INVALID_REQUEST", `at most ${MAX_USAGE_NAMES} ${kind} parameters per scrape, got ${names.length}`, { field: kind, max: MAX_USAGE_NAMES });
  }
  topics.forEach(checkTopicName);
  groups.forEach(checkGroupId);
  const key = JSON.stringify([[...topics].sort(), [...groups].sort()]);
  const hit = cache.get(key);
  if (hit !== undefined && nowMs - hit.atMs < METRICS_CACHE_MS) return hit.families;
  const families = gather(env, topics, groups);
  cache.delete(key);
  cache.set(key, { atMs: nowMs, families });
  if (cache.size > METRICS_CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  families.catch(() => cache.delete(key)); // a failed scrape is not cached
  return families;
}

async function gather(env: Env, topics: readonly string[], groups: readonly string[]): Promise<Family[]> {
  const everything = topics.length === 0 && groups.length === 0;
  const topicNames = everything ? (await listTopics(env)).map((t) => t.name) : topics;
  // Members come from the groups' summaries (one coordinator call each, through the controller's registry).
  const summaries = everything || groups.length > 0 ? await listGroups(env) : [];
  const groupIds = everything ? summaries.map((g) => g.groupId) : groups;
  const members = new Map(summaries.map((g) => [g.groupId, g.members]));
  const ofType = (type: string) => summaries.filter((g) => g.type === type && groupIds.includes(g.groupId)).map((g) => g.groupId);
  const [partitions, groupFamilies, elections, subscriptions, shareGroups] = await Promise.all([
    partitionFamilies(env, topicNames),
    groupFamiliesOf(env, groupIds, members),
    topicNames.length === 0 ? [] : electionFamiliesOf(env, everything ? [] : [...topicNames]),
    subscriptionFamilies(env, ofType("subscription")),
    shareGroupFamilies(env, ofType("share")),
  ]);
  return [...partitions, ...groupFamilies, ...elections, ...subscriptions, ...shareGroups];
}

async function electionFamiliesOf(env: Env, topics: string[]): Promise<Family[]> {
  const answer = (await controllerStub(env).leaderElections(topics)) as { sinceMs: number; elections: ElectionCount[] };
  return electionFamilies(answer.sinceMs, answer.elections);
}

async function partitionFamilies(env: Env, topics: readonly string[]): Promise<Family[]> {
  const rows: { topic: string; partition: number; d: PartitionDescription | undefined }[] = [];
  for (const topic of topics) {
    const meta = await topicMetadata(env, topic);
    const described = await mapBounded(meta.partitionCount, PARTITION_FANOUT_CONCURRENCY, (p) =>
      // A partition no replica answers for is offline: reported, not a failed scrape.
      callPartition(env, topic, p, (ref) => replicaClient(env, ref).describe(ref, true)).catch(() => undefined),
    );
    described.forEach((d, partition) => rows.push({ topic, partition, d }));
  }
  const online = rows.filter((r) => r.d !== undefined) as { topic: string; partition: number; d: PartitionDescription }[];
  const of = (value: (d: PartitionDescription) => number): Sample[] => online.map((r) => ({ labels: { topic: r.topic, partition: r.partition }, value: value(r.d) }));
  return [
    { name: "edgelog_partition_log_start_offset", help: "First offset of the partition's log.", type: "gauge", samples: of((d) => d.logStartOffset) },
    { name: "edgelog_partition_high_watermark", help: "Offset after the last record every in-sync replica has.", type: "gauge", samples: of((d) => d.highWatermark) },
    { name: "edgelog_partition_log_end_offset", help: "Offset the next record appended will get.", type: "gauge", samples: of((d) => d.logEndOffset) },
    { name: "edgelog_partition_last_stable_offset", help: "Offset before the first record of a transaction still open.", type: "gauge", samples: of((d) => d.lastStableOffset) },
    { name: "edgelog_partition_replicas", help: "Replicas assigned to the partition.", type: "gauge", samples: of((d) => d.replicas.length) },
    { name: "edgelog_partition_in_sync_replicas", help: "Replicas in the partition's ISR.", type: "gauge", samples: of((d) => d.isr.length) },
    { name: "edgelog_partition_under_replicated", help: "1 when the ISR is smaller than the replica set.", type: "gauge", samples: of((d) => (d.isr.length < d.replicas.length ? 1 : 0)) },
    {
      name: "edgelog_partition_offline",
      help: "1 when no replica of the partition answered.",
      type: "gauge",
      samples: rows.map((r) => ({ labels: { topic: r.topic, partition: r.partition }, value: r.d === undefined ? 1 : 0 })),
    },
    { name: "edgelog_partition_local_bytes", help: "Record bytes stored in the partition's SQLite.", type: "gauge", samples: of((d) => d.localBytes) },
    { name: "edgelog_partition_tiered_bytes", help: "Record bytes tiered to R2.", type: "gauge", samples: of((d) => d.tieredBytes) },
    ...partitionCounterFamilies(online.flatMap((r): CountedPartition[] => (r.d.counters ? [{ topic: r.topic, partition: r.partition, replica: r.d.leader, counters: r.d.counters }] : []))),
  ];
}

async function groupFamiliesOf(env: Env, groupIds: readonly string[], members: ReadonlyMap<string, number>): Promise<Family[]> {
  // Groups one at a time: each fans out to its own topics' partitions already (bounded there).
  const offsets = await mapBounded(groupIds.length, 1, (i) => groupOffsets(env, groupIds[i]!, true).catch(() => undefined));
  const counted: CountedGroup[] = [];
  const committed: Sample[] = [];
  const lag: Sample[] = [];
  const status: Sample[] = [];
  const state: Sample[] = [];
  const groupStatus: Sample[] = [];
  const memberCounts: Sample[] = [];
  for (const g of offsets) {
    if (g === undefined) continue; // deleted between list and scrape
    memberCounts.push({ labels: { group: g.groupId }, value: members.get(g.groupId) ?? 0 });
    if (g.coordinator) counted.push({ group: g.groupId, ...g.coordinator });
    for (const s of GROUP_STATES) state.push({ labels: { group: g.groupId, state: s }, value: g.state === s ? 1 : 0 });
    for (const s of ["OK", "WARNING", "ERROR"]) groupStatus.push({ labels: { group: g.groupId, status: s }, value: g.status === s ? 1 : 0 });
    for (const t of g.topics) {
      for (const p of t.partitions) {
        if (p.committedOffset === null) continue;
        const labels = { group: g.groupId, topic: t.topic, partition: p.partition };
        committed.push({ labels, value: p.committedOffset });
        lag.push({ labels, value: p.lag ?? 0 });
        for (const s of LAG_STATUSES) status.push({ labels: { ...labels, status: s }, value: p.status === s ? 1 : 0 });
      }
    }
  }
  return [
    { name: "edgelog_group_committed_offset", help: "The group's committed offset for the partition.", type: "gauge", samples: committed },
    { name: "edgelog_group_lag", help: "Records between the committed offset and the high watermark.", type: "gauge", samples: lag },
    { name: "edgelog_group_lag_status", help: "1 for the partition's Burrow-style lag status, 0 for the others.", type: "gauge", samples: status },
    { name: "edgelog_group_status", help: "1 for the group's Burrow-style lag status (its worst partition's), 0 for the others.", type: "gauge", samples: groupStatus },
    { name: "edgelog_group_state", help: "1 for the group's KIP-848 state, 0 for the others.", type: "gauge", samples: state },
    { name: "edgelog_group_members", help: "Members in the group.", type: "gauge", samples: memberCounts },
    ...groupCounterFamilies(counted),
  ];
}
