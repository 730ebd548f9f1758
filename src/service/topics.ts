// Topic administration: create, list, describe, alter config, add partitions, delete. Validates requests (from
// HTTP or RPC alike), calls the controller, and fans describe out to the partition objects.
import type { Env } from "../env";
import { KafkaError, unwrap } from "../errors";
import { defaultTopicConfig, parseConfigChanges } from "../log/topic-config";
import { topicNameError } from "../log/topic-name";
import { isStreamTopic } from "../log/stream-topic";
import { MAX_PARTITIONS_PER_TOPIC, MAX_REPLICATION_FACTOR, PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { controllerStub, replicaClient } from "../names";
import { mapBounded } from "../concurrency";
import type { PartitionDescription, TopicMetadata } from "../protocol";
import { callPartition, forget, remember, topicMetadata } from "./metadata";
import { integerField, requireObject } from "./validate";

/** Cloudflare's location hints (docs: durable-objects/reference/data-location). */
export const LOCATION_HINTS = ["wnam", "enam", "sam", "weur", "eeur", "apac", "oc", "afr", "me"] as const;

export interface TopicSummary {
  name: string;
  topicId: string;
  partitionCount: number;
  replicationFactor: number;
  placement: string[];
  config: Record<string, string>;
}

export interface TopicDescription extends TopicSummary {
  /** Every config's default, so a reader can tell which of `config`'s values differ from it. */
  configDefaults: Record<string, string>;
  partitions: PartitionDescription[];
}

export function summary(meta: TopicMetadata): TopicSummary {
  return {
    name: meta.name,
    topicId: meta.topicId,
    partitionCount: meta.partitionCount,
    replicationFactor: meta.replicationFactor,
    placement: meta.placement,
    config: meta.config,
  };
}

export function checkTopicName(name: unknown): string {
  const error = topicNameError(name);
  if (error !== undefined) throw new KafkaError("INVALID_TOPIC_EXCEPTION", error, { topic: typeof name === "string" ? name.slice(0, 300) : null });
  return name as string;
}

/** A Durable Stream's topic (src/log/stream-topic.ts) is made, altered, grown and deleted only through the DS API,
 *  which keeps the stream and its topic in step (topic configs would not apply to it). */
function refuseStreamTopic(topic: string, what: string): void {
  if (isStreamTopic(topic)) throw new KafkaError("INVALID_TOPIC_EXCEPTION", `topic names starting '__ds.' or '__ds_' are reserved for Durable Streams (/ds/v1/stream/...): ${what}`, { topic });
}

export async function createTopic(env: Env, input: unknown): Promise<TopicSummary> {
  const body = requireObject(input, "create topic request", ["name", "partitions", "replicationFactor", "placement", "config"]);
  const name = checkTopicName(body.name);
  refuseStreamTopic(name, "a PUT of a stream creates its topic");
  const partitions = partitionCount(body.partitions, 1);
  const replicationFactor = replicationFactorField(body.replicationFactor);
  const placement = placementField(body.placement, env.EDGELOG_REPLICA_PLACEMENT);
  const parsed = parseConfigChanges(body.config, false);
  if ("errors" in parsed) throw new KafkaError("INVALID_CONFIG", parsed.errors.join("; "), { errors: parsed.errors });
  checkMinInsync(parsed.change.set["min.insync.replicas"], replicationFactor);
  const meta = unwrap(await controllerStub(env).createTopic({ name, partitions, replicationFactor, placement, config: parsed.change.set }));
  remember(meta);
  return summary(meta);
}

export async function listTopics(env: Env): Promise<TopicSummary[]> {
  return (await controllerStub(env).listTopics()).map(summary);
}

export async function describeTopic(env: Env, topic: string): Promise<TopicDescription> {
  checkTopicName(topic);
  const meta = await topicMetadata(env, topic, true);
  const partitions = await mapBounded(meta.partitionCount, PARTITION_FANOUT_CONCURRENCY, (p) =>
    callPartition(env, topic, p, (ref) => replicaClient(env, ref).describe(ref)),
  );
  return { ...summary(meta), configDefaults: defaultTopicConfig(), partitions };
}

export async function alterTopicConfig(env: Env, topic: string, input: unknown): Promise<TopicSummary> {
  checkTopicName(topic);
  refuseStreamTopic(topic, "a stream's topic takes no config (it lives as long as the stream)");
  const body = requireObject(input, "alter config request", ["config"]);
  if (body.config === undefined) throw new KafkaError("INVALID_REQUEST", "alter config request needs a config object");
  const parsed = parseConfigChanges(body.config, true);
  if ("errors" in parsed) throw new KafkaError("INVALID_CONFIG", parsed.errors.join("; "), { errors: parsed.errors });
  if (parsed.change.set["min.insync.replicas"] !== undefined) checkMinInsync(parsed.change.set["min.insync.replicas"], (await topicMetadata(env, topic, true)).replicationFactor);
  const meta = unwrap(await controllerStub(env).alterConfig(topic, parsed.change));
  remember(meta);
  return summary(meta);
}

export async function addPartitions(env: Env, topic: string, input: unknown): Promise<TopicSummary> {
  checkTopicName(topic);
  refuseStreamTopic(topic, "a stream's topic has one partition");
  const body = requireObject(input, "add partitions request", ["count"]);
  const count = partitionCount(body.count);
  const meta = unwrap(await controllerStub(env).addPartitions(topic, count));
  remember(meta);
  return summary(meta);
}

export async function deleteTopic(env: Env, topic: string): Promise<TopicSummary> {
  checkTopicName(topic);
  refuseStreamTopic(topic, "a DELETE of the stream deletes its topic");
  forget(topic);
  const meta = unwrap(await controllerStub(env).deleteTopic(topic));
  return summary(meta);
}

function partitionCount(value: unknown, fallback?: number): number {
  try {
    return integerField(value, "partitions", 1, MAX_PARTITIONS_PER_TOPIC, fallback);
  } catch (error) {
    if (!(error instanceof KafkaError)) throw error;
    throw new KafkaError("INVALID_PARTITIONS", `partition count must be an integer from 1 to ${MAX_PARTITIONS_PER_TOPIC}, got ${JSON.stringify(value ?? null)}`, {
      maxPartitions: MAX_PARTITIONS_PER_TOPIC,
    });
  }
}

function replicationFactorField(value: unknown): number {
  if (value === undefined || value === null) return 1;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > MAX_REPLICATION_FACTOR) {
    throw new KafkaError("INVALID_REPLICATION_FACTOR", `replicationFactor must be an integer from 1 to ${MAX_REPLICATION_FACTOR}, got ${JSON.stringify(value)}`, {
      maxReplicationFactor: MAX_REPLICATION_FACTOR,
    });
  }
  return value;
}

/** Location hints for the replicas (replica i: placement[i % length]); default from EDGELOG_REPLICA_PLACEMENT. */
function placementField(value: unknown, fallback: string | undefined): string[] {
  const hints = value === undefined || value === null ? (fallback ?? "").split(",").map((h) => h.trim()).filter((h) => h !== "") : value;
  const known = LOCATION_HINTS as readonly string[];
  if (!Array.isArray(hints) || hints.length > MAX_REPLICATION_FACTOR || !hints.every((h) => typeof h === "string" && known.includes(h))) {
    throw new KafkaError("INVALID_REQUEST", `placement must be a list of at most ${MAX_REPLICATION_FACTOR} location hints from ${known.join(", ")}, got ${JSON.stringify(hints).slice(0, 200)}`, {
      field: "placement",
      locationHints: known,
    });
  }
  return hints as string[];
}

/** min.insync.replicas above the replication factor would refuse every acks=all write: refused up front. */
function checkMinInsync(value: string | undefined, replicationFactor: number): void {
  if (value !== undefined && Number(value) > replicationFactor) {
    throw new KafkaError("INVALID_CONFIG", `min.insync.replicas ${value} is more than the replication factor ${replicationFactor}`, {
      minInsyncReplicas: Number(value),
      replicationFactor,
    });
  }
}
