// The router's topic metadata cache, in isolate memory. Entries live METADATA_MAX_AGE_MS; a partition object that
// sees a request routed with an older metadata version (or a deleted topic id) says so, and the caller refreshes
// here and retries once. The controller is thereby off the hot path.
import type { Env } from "../env";
import { errorBody, KafkaError, type ErrorBody, type Result } from "../errors";
import { METADATA_MAX_AGE_MS } from "../limits";
import { controllerStub } from "../names";
import type { PartitionRef, TopicMetadata } from "../protocol";

const cache = new Map<string, { meta: TopicMetadata; fetchedMs: number }>();

/** Metadata for a topic (cached unless `fresh`); throws UNKNOWN_TOPIC_OR_PARTITION. */
export async function topicMetadata(env: Env, topic: string, fresh = false): Promise<TopicMetadata> {
  const hit = cache.get(topic);
  if (!fresh && hit && Date.now() - hit.fetchedMs < METADATA_MAX_AGE_MS) return hit.meta;
  const result = (await controllerStub(env).getTopic(topic)) as Result<TopicMetadata>;
  if (!result.ok) {
    cache.delete(topic);
    throw KafkaError.from(result.error);
  }
  remember(result.value);
  return result.value;
}

export function remember(meta: TopicMetadata): void {
  cache.set(meta.name, { meta, fetchedMs: Date.now() });
}

export function forget(topic: string): void {
  cache.delete(topic);
}

/** The ref of a partition's leader, as this metadata has it. */
export function partitionRef(meta: TopicMetadata, partition: number): PartitionRef {
  const lead = meta.leadership?.[partition];
  const replica = lead?.leader ?? 0;
  const hint = meta.placement.length > 0 ? meta.placement[replica % meta.placement.length] : undefined;
  return {
    topic: meta.name,
    topicId: meta.topicId,
    partition,
    version: meta.version,
    replica,
    leaderEpoch: lead?.leaderEpoch ?? 0,
    ...(hint === undefined ? {} : { locationHint: hint }),
  };
}

/**
 * Errors that mean "your metadata is out of date" and that nothing was done: refresh and retry once. (A leader that
 * lost its leadership after appending answers with `ambiguous` set: that one is not retried here.)
 */
export function isStaleMetadata(error: ErrorBody): boolean {
  if (error.details?.ambiguous === true) return false;
  return (
    error.type === "STALE_METADATA" ||
    error.type === "UNKNOWN_TOPIC_ID" ||
    error.type === "UNKNOWN_TOPIC_OR_PARTITION" ||
    error.type === "NOT_LEADER_OR_FOLLOWER" ||
    error.type === "FENCED_LEADER_EPOCH" ||
    error.type === "UNKNOWN_LEADER_EPOCH"
  );
}

/**
 * The partition's leader did not answer: ask the controller to elect another from the ISR (it first checks that the
 * leader really does not answer). Answers the metadata to use next, or undefined when no leader could be elected.
 */
export async function failover(env: Env, meta: TopicMetadata, partition: number): Promise<TopicMetadata | undefined> {
  if (meta.replicationFactor <= 1) return undefined;
  try {
    const seenEpoch = meta.leadership?.[partition]?.leaderEpoch ?? 0;
    const elected = (await controllerStub(env).electLeader(meta.topicId, partition, "unavailable", seenEpoch)) as Result<TopicMetadata>;
    if (elected.ok) {
      remember(elected.value);
      return elected.value;
    }
    if (elected.error.type === "ELECTION_NOT_NEEDED") return await topicMetadata(env, meta.name, true);
    console.error(`no new leader for ${meta.name}/${partition}: ${elected.error.type} ${elected.error.message}`);
    return undefined;
  } catch (error) {
    console.error(`leader election for ${meta.name}/${partition} failed: ${String(error)}`);
    return undefined;
  }
}

/** Throws UNKNOWN_TOPIC_OR_PARTITION unless 0 <= partition < count, refreshing stale metadata once first. */
export async function metadataWithPartition(env: Env, topic: string, partition: number): Promise<TopicMetadata> {
  let meta = await topicMetadata(env, topic);
  if (partition >= meta.partitionCount) meta = await topicMetadata(env, topic, true);
  if (partition >= meta.partitionCount) {
    throw new KafkaError("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' has ${meta.partitionCount} partitions, there is no partition ${partition}`, {
      topic,
      partition,
      partitionCount: meta.partitionCount,
    });
  }
  return meta;
}

/**
 * Calls one partition with cached metadata; on a stale-metadata answer refreshes and calls once more.
 * Throws the final error as a KafkaError.
 */
export async function callPartition<T>(env: Env, topic: string, partition: number, call: (ref: PartitionRef) => Promise<Result<T>>): Promise<T> {
  let meta = await metadataWithPartition(env, topic, partition);
  let thrown = false;
  let result = await objectCall(() => call(partitionRef(meta, partition)), "KAFKA_STORAGE_ERROR", `partition ${topic}/${partition}`, () => (thrown = true));
  if (!result.ok && thrown) {
    // The leader did not answer: with replicas, elect another and ask it (these calls are safe to repeat).
    const next = await failover(env, meta, partition);
    if (next !== undefined) result = await objectCall(() => call(partitionRef(next, partition)), "KAFKA_STORAGE_ERROR", `partition ${topic}/${partition}`);
  } else if (!result.ok && isStaleMetadata(result.error)) {
    meta = await topicMetadata(env, topic, true);
    if (partition >= meta.partitionCount) throw KafkaError.from(result.error);
    result = await objectCall(() => call(partitionRef(meta, partition)), "KAFKA_STORAGE_ERROR", `partition ${topic}/${partition}`);
  }
  if (!result.ok) throw KafkaError.from(result.error);
  return result.value;
}

/**
 * A Durable Object call that threw (the object was reset, overloaded, or unreachable) becomes a retriable
 * operating error instead of a 500: the caller may retry.
 */
export async function objectCall<T>(
  call: () => Promise<Result<T>>,
  type: "KAFKA_STORAGE_ERROR" | "COORDINATOR_NOT_AVAILABLE",
  what: string,
  threw?: () => void,
): Promise<Result<T>> {
  try {
    return await call();
  } catch (error) {
    threw?.();
    console.error(`${what} failed: ${error instanceof Error ? error.stack : String(error)}`);
    return { ok: false, error: errorBody(type, `${what} is unavailable; retry`) };
  }
}
