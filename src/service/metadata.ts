// The router's topic metadata cache, in isolate memory. An entry is refreshed when something says the topic changed,
// not on a timer: a partition object that sees a request routed with an older metadata version (or a deleted topic
// id, or an old leader epoch) says so, and the caller refreshes here and retries once. Every replica hears of a change
// from the controller (retried until delivered, controller/notices.ts), so the first call after it is told. A request
// the router refuses from the topic's config without calling a partition asks once more (refusalRecheck). A replica's
// STALE_METADATA carries the metadata it read when told of the change (metadataAfter): the router takes it from there,
// so a change to a topic every isolate uses costs the controller no read per isolate. Entries
// older than METADATA_MAX_AGE_MS (an hour) are read again in case a notice was lost to a bug: a safety net, not a
// refresh schedule. The controller is thereby off the hot path (docs/scale.md).
import type { Env } from "../env";
import { clientError, errorBody, KafkaError, type ErrorBody, type Result } from "../errors";
import { Clock } from "../clock";
import { METADATA_MAX_AGE_MS } from "../limits";
import { controllerStub } from "../names";
import type { PartitionRef, TopicMetadata } from "../protocol";

/** A request refused from cached config re-reads the topic at most this often per topic and isolate: a loosened
 *  config (a larger max.message.bytes) is honoured within it, and refused requests cannot drive the controller. */
export const REFUSAL_RECHECK_MS = 10_000;

/** The cache's clock: tests move it forward (an entry's age) instead of sleeping. */
export const metadataClock = new Clock();

const cache = new Map<string, { meta: TopicMetadata; fetchedMs: number; recheckedMs: number }>();

/** Controller reads this isolate made for metadata (tests: nothing is read again without a change). */
let reads = 0;
export function metadataReads(): number {
  return reads;
}

/** Metadata for a topic (cached unless `fresh`); throws UNKNOWN_TOPIC_OR_PARTITION. */
export async function topicMetadata(env: Env, topic: string, fresh = false): Promise<TopicMetadata> {
  const hit = cache.get(topic);
  if (!fresh && hit && metadataClock.now() - hit.fetchedMs < METADATA_MAX_AGE_MS) return hit.meta;
  reads++;
  const result = (await controllerStub(env).getTopic(topic)) as Result<TopicMetadata>;
  if (!result.ok) {
    cache.delete(topic);
    throw KafkaError.from(result.error);
  }
  remember(result.value);
  return result.value;
}

/**
 * Reads a topic this isolate has not cached, while the caller authenticates the request that names it (the router
 * starts it only when authentication itself must wait on a read of the token store): a cold isolate's first request
 * then waits on one round trip, not two in a row (docs/scale.md). It only fills the cache, which the request's
 * handler reads once authenticated; a failure is left for that read to report. The promise is the request's own
 * (never shared with another request, whose end would cancel it).
 */
export async function prefetchTopic(env: Env, topic: string): Promise<void> {
  if (cache.has(topic)) return;
  try {
    await topicMetadata(env, topic);
  } catch {
    // Unknown topic, or the controller did not answer: the handler's own read says so, if the request gets that far.
  }
}

export function remember(meta: TopicMetadata): void {
  const now = metadataClock.now();
  cache.set(meta.name, { meta, fetchedMs: now, recheckedMs: now });
}

/**
 * A request was refused from `meta`'s config: the topic's current metadata if it is newer (the caller tries again with
 * it), else undefined. Reads the controller at most every REFUSAL_RECHECK_MS per topic.
 */
export async function newerMetadata(env: Env, meta: TopicMetadata): Promise<TopicMetadata | undefined> {
  const hit = cache.get(meta.name);
  const now = metadataClock.now();
  if (hit !== undefined && now - hit.recheckedMs < REFUSAL_RECHECK_MS) return hit.meta.version > meta.version ? hit.meta : undefined;
  const fresh = await topicMetadata(env, meta.name, true);
  return fresh.version > meta.version ? fresh : undefined;
}

/**
 * The metadata to retry with after `error` refused a call routed with `meta`: the newer metadata a replica's refusal
 * carried (STALE_METADATA, or a new leader's NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH: partition-role.ts), else
 * the controller's.
 */
export async function metadataAfter(env: Env, error: ErrorBody, meta: TopicMetadata): Promise<TopicMetadata> {
  const carried = isStaleMetadata(error) ? (error.details?.metadata as TopicMetadata | undefined) : undefined;
  if (carried === undefined || carried.topicId !== meta.topicId || carried.name !== meta.name || carried.version <= meta.version) return topicMetadata(env, meta.name, true);
  const hit = cache.get(meta.name);
  if (hit !== undefined && hit.meta.topicId === carried.topicId && hit.meta.version >= carried.version) return hit.meta;
  remember(carried);
  return carried;
}

export function forget(topic: string): void {
  cache.delete(topic);
}

/** Drops every cached topic `match` picks (a schema change made through this isolate: schema-validation.ts). */
export function forgetMatching(match: (meta: TopicMetadata) => boolean): void {
  for (const [name, entry] of cache) if (match(entry.meta)) cache.delete(name);
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
    meta = await metadataAfter(env, result.error, meta);
    if (partition >= meta.partitionCount) throw KafkaError.from(clientError(result.error));
    result = await objectCall(() => call(partitionRef(meta, partition)), "KAFKA_STORAGE_ERROR", `partition ${topic}/${partition}`);
  }
  if (!result.ok) throw KafkaError.from(clientError(result.error));
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
