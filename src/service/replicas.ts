// Replica administration: Kafka's ElectLeaders (preferred or unclean) for one partition, and the fault switch that
// makes one replica unavailable, for tests and local failover drills. The switch exists only when EDGELOG_ENV is
// test, development or bench: a production deployment answers 404 as if the route did not exist.
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import { isPlainObject } from "../log/plain-object";
import { MAX_SUBSCRIPTION_MAX_RETRIES } from "../limits";
import { controllerStub, partitionLogStub, subscriptionPartitionName, subscriptionPartitionStub } from "../names";
import { checkGroupId } from "./groups";
import type { TopicMetadata } from "../protocol";
import { metadataWithPartition, partitionRef, remember } from "./metadata";
import { integerField, requireObject } from "./validate";
import { checkTopicName } from "./topics";

/** Configurations where the fault switch exists (never production: a deployment without EDGELOG_ENV is production). */
const FAULT_ENVIRONMENTS = new Set(["test", "development", "bench"]);

export interface ElectionOutcome {
  topic: string;
  partition: number;
  leader: number;
  leaderEpoch: number;
  isr: number[];
}

/** POST /v1/topics/{topic}/partitions/{p}/elect {type?: "preferred" | "unclean"}. */
export async function electLeader(env: Env, topic: string, partition: number, input: unknown): Promise<ElectionOutcome> {
  checkTopicName(topic);
  const body = input === undefined || input === null ? {} : requireObject(input, "election request", ["type"]);
  const type = body.type ?? "preferred";
  if (type !== "preferred" && type !== "unclean") throw new KafkaError("INVALID_REQUEST", `type must be "preferred" or "unclean", got ${JSON.stringify(type)}`, { field: "type" });
  const meta = await metadataWithPartition(env, topic, partition);
  if (meta.replicationFactor <= 1) {
    throw new KafkaError("ELECTION_NOT_NEEDED", `topic '${topic}' has one replica per partition: replica 0 always leads`, { topic, partition });
  }
  const elected = unwrap((await controllerStub(env).electLeader(meta.topicId, partition, type)) as Result<TopicMetadata>);
  remember(elected);
  return outcome(elected, partition);
}

/**
 * POST /v1/faults {topic, partition, replica, down}: makes one replica unreachable (down) or restarts it (up).
 * {subscription, topic, partition, failDeliveries}: that subscription partition's next `failDeliveries` deliveries
 * fail before reaching the target (an upload, a call, a webhook that failed), to test its retries.
 */
export async function setFault(env: Env, input: unknown): Promise<Record<string, unknown>> {
  if (!FAULT_ENVIRONMENTS.has(env.EDGELOG_ENV ?? "production")) {
    throw new KafkaError("NOT_FOUND", "no route for POST /v1/faults; see docs/api.md");
  }
  if (isPlainObject(input) && "subscription" in input) return subscriptionFault(env, input);
  const body = requireObject(input, "fault request", ["topic", "partition", "replica", "down"]);
  const topic = checkTopicName(body.topic);
  const partition = integerField(body.partition, "partition", 0, Number.MAX_SAFE_INTEGER);
  const meta = await metadataWithPartition(env, topic, partition);
  const replica = integerField(body.replica, "replica", 0, meta.replicationFactor - 1);
  if (typeof body.down !== "boolean") throw new KafkaError("INVALID_REQUEST", "down must be true or false", { field: "down" });
  await partitionLogStub(env, meta.topicId, partition, replica).setFault(body.down);
  return { topic, partition, replica, down: body.down };
}

async function subscriptionFault(env: Env, input: unknown): Promise<Record<string, unknown>> {
  const body = requireObject(input, "fault request", ["subscription", "topic", "partition", "failDeliveries"]);
  const subscription = checkGroupId(body.subscription);
  const topic = checkTopicName(body.topic);
  const partition = integerField(body.partition, "partition", 0, Number.MAX_SAFE_INTEGER);
  const failDeliveries = integerField(body.failDeliveries, "failDeliveries", 0, MAX_SUBSCRIPTION_MAX_RETRIES + 1);
  const meta = await metadataWithPartition(env, topic, partition);
  const known = (await subscriptionPartitionStub(env, subscriptionPartitionName(subscription, meta.topicId, partition)).injectFailures(failDeliveries)) as boolean;
  if (!known) throw new KafkaError("GROUP_ID_NOT_FOUND", `subscription '${subscription}' does not deliver ${topic}/${partition}`, { groupId: subscription });
  return { subscription, topic, partition, failDeliveries };
}

function outcome(meta: TopicMetadata, partition: number): ElectionOutcome {
  const lead = meta.leadership?.[partition];
  return { topic: meta.name, partition, leader: partitionRef(meta, partition).replica, leaderEpoch: lead?.leaderEpoch ?? 0, isr: lead?.isr ?? [0] };
}
