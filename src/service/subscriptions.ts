// Subscriptions over HTTP and RPC: create, list, describe, alter, pause, resume, reset offsets, delete. A subscription
// lives in its group's coordinator (group/subscription-home.ts), which fans out to its partitions' delivery objects;
// this layer checks requests (subscription-request.ts), that topics exist, and joins each partition's delivery status
// with the group's committed offsets and the partition's high watermark for lag.
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import type { StoredSubscription } from "../group/subscription-home";
import { mapBounded } from "../concurrency";
import { PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { controllerStub, groupCoordinatorStub } from "../names";
import type { DeliveryObjectStatus, SharedDeliveryStatus, SubscriptionConfig, SubscriptionDescription, SubscriptionPartitionStatus, SubscriptionState, SubscriptionTarget } from "../subscription-protocol";
import { requireObject } from "./validate";
import { checkGroupId, groupOffsets, resetOffsets } from "./groups";
import { objectCall, topicMetadata } from "./metadata";
import { describeShareGroup, shareGroup } from "./share-groups";
import { parseSubscription, parseSubscriptionChange } from "./subscription-request";

export interface SubscriptionSummary {
  name: string;
  state: SubscriptionState;
  mode: "ordered" | "shared";
  topics: string[];
  target: { type: SubscriptionTarget["type"] };
  totalLag: number;
}

type CoordinatorStub = ReturnType<typeof groupCoordinatorStub>;

async function home<T>(env: Env, name: string, call: (stub: CoordinatorStub) => Promise<unknown>): Promise<T> {
  return unwrap(await objectCall(() => call(groupCoordinatorStub(env, name)) as Promise<Result<T>>, "COORDINATOR_NOT_AVAILABLE", `subscription ${name}'s coordinator`));
}

/** Creates a subscription: its topics (and dead-letter topic) must exist. Answers its description and, for a webhook,
 *  the secret (shown this once). */
export async function createSubscription(env: Env, input: unknown): Promise<{ subscription: SubscriptionDescription; secret?: string }> {
  const { config, secret } = parseSubscription(env, input);
  await checkTopics(env, config);
  // Shared mode leases from a share group that must exist (GROUP_ID_NOT_FOUND otherwise): its config rules leases,
  // the delivery count limit and the dead-letter topic.
  if (config.mode === "shared") await shareGroup(env, config.shareGroup!, true);
  await home<StoredSubscription>(env, config.name, (c) => c.createSubscription(config.name, config));
  const subscription = await describeSubscription(env, config.name);
  return secret === undefined ? { subscription } : { subscription, secret };
}

export async function listSubscriptions(env: Env): Promise<SubscriptionSummary[]> {
  const names = (await controllerStub(env).listGroups("subscription")) as string[];
  const found = await mapBounded(names.length, PARTITION_FANOUT_CONCURRENCY, async (i) => {
    const name = names[i]!;
    const stored = await objectCall(() => groupCoordinatorStub(env, name).subscription(name) as Promise<Result<StoredSubscription>>, "COORDINATOR_NOT_AVAILABLE", `subscription ${name}`);
    if (!stored.ok) return undefined;
    const lag = await groupOffsets(env, name).then((o) => o.totalLag, () => -1);
    return { name, state: stored.value.state, mode: stored.value.config.mode ?? "ordered", topics: stored.value.config.topics, target: { type: stored.value.config.target.type }, totalLag: lag };
  });
  return found.filter((s): s is SubscriptionSummary => s !== undefined);
}

export async function describeSubscription(env: Env, name: string): Promise<SubscriptionDescription> {
  checkGroupId(name);
  const stored = await home<StoredSubscription>(env, name, (c) => c.subscription(name));
  if (stored.config.mode === "shared") {
    const [topics, group] = await Promise.all([home<DeliveryObjectStatus[]>(env, name, (c) => c.subscriptionStatuses(name)), describeShareGroup(env, stored.config.shareGroup!).catch((e: unknown) => (e instanceof KafkaError ? { error: e.body } : Promise.reject(e)))]);
    const totalLag = "totalLag" in group ? group.totalLag : 0;
    return { name, state: stored.state, mode: "shared", config: withoutSecret(stored.config), createdMs: stored.createdMs, partitions: [], topics: topics as SharedDeliveryStatus[], shareGroup: group, totalLag };
  }
  const [statuses, offsets] = await Promise.all([home<SubscriptionPartitionStatus[]>(env, name, (c) => c.subscriptionStatuses(name)), groupOffsets(env, name)]);
  const lagOf = new Map(offsets.topics.flatMap((t) => t.partitions.map((p) => [`${t.topic}/${p.partition}`, p] as const)));
  const partitions = statuses.map((s) => {
    const o = lagOf.get(`${s.topic}/${s.partition}`);
    return { ...s, committedOffset: o?.committedOffset ?? null, highWatermark: o?.highWatermark ?? -1, lag: o?.lag ?? null };
  });
  return { name, state: stored.state, mode: "ordered", config: withoutSecret(stored.config), createdMs: stored.createdMs, partitions, totalLag: offsets.totalLag };
}

export async function alterSubscription(env: Env, name: string, input: unknown): Promise<SubscriptionDescription> {
  checkGroupId(name);
  const stored = await home<StoredSubscription>(env, name, (c) => c.subscription(name));
  const config = parseSubscriptionChange(env, stored.config, input);
  await checkTopics(env, config);
  await home<StoredSubscription>(env, name, (c) => c.alterSubscription(name, config));
  return describeSubscription(env, name);
}

/** Stops deliveries within one batch: answers once every partition's batch in flight is done and committed. */
export async function pauseSubscription(env: Env, name: string, input?: unknown): Promise<SubscriptionDescription> {
  checkGroupId(name);
  if (input !== undefined) requireObject(input, "a pause request", []);
  await home<StoredSubscription>(env, name, (c) => c.pauseSubscription(name));
  return describeSubscription(env, name);
}

export async function resumeSubscription(env: Env, name: string, input?: unknown): Promise<SubscriptionDescription> {
  checkGroupId(name);
  if (input !== undefined) requireObject(input, "a resume request", []);
  await home<StoredSubscription>(env, name, (c) => c.resumeSubscription(name));
  return describeSubscription(env, name);
}

/** Replay: the group's reset (only while paused), which also fences commits from before it. */
export async function resetSubscriptionOffsets(env: Env, name: string, input: unknown): Promise<{ topic: string; partitions: { partition: number; offset: number }[] }> {
  checkGroupId(name);
  const stored = await home<StoredSubscription>(env, name, (c) => c.subscription(name));
  if (stored.config.mode === "shared") {
    const group = stored.config.shareGroup!;
    throw new KafkaError("INVALID_REQUEST", `subscription '${name}' is shared: where it is, is its share group's (reset it with POST /v1/share-groups/${group}/offsets/reset)`, { groupId: name, shareGroup: group });
  }
  if (stored.state === "running") throw new KafkaError("NON_EMPTY_GROUP", `subscription '${name}' is running; pause it before resetting its offsets`, { groupId: name, state: "running" });
  return resetOffsets(env, name, input);
}

export async function deleteSubscription(env: Env, name: string): Promise<{ name: string }> {
  checkGroupId(name);
  return home<{ name: string }>(env, name, (c) => c.deleteSubscription(name));
}

async function checkTopics(env: Env, config: SubscriptionConfig): Promise<void> {
  for (const topic of config.topics) await topicMetadata(env, topic, true);
  if (config.deadLetterTopic !== null) {
    try {
      await topicMetadata(env, config.deadLetterTopic, true);
    } catch (error) {
      if (error instanceof KafkaError && error.body.type === "UNKNOWN_TOPIC_OR_PARTITION") {
        throw new KafkaError("UNKNOWN_TOPIC_OR_PARTITION", `deadLetterTopic '${config.deadLetterTopic}' does not exist: create it first`, { field: "deadLetterTopic", topic: config.deadLetterTopic });
      }
      throw error;
    }
  }
}

/** A webhook's secret is shown once, at creation: never in a description. */
function withoutSecret(config: SubscriptionConfig): SubscriptionConfig {
  if (config.target.type !== "webhook") return config;
  const { secret: _secret, ...target } = config.target;
  return { ...config, target };
}
