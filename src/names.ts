// The only file that builds Durable Object names and stubs. Names embed the topic id (a UUID), so a topic
// deleted and created again under the same name never reuses the old partition objects.
// Every replica of a partition is a PartitionLog object (one class in two roles, leader and follower): replica 0 keeps
// the name a partition had before replication existed, replica i > 0 is "<topicId>/<partition>/replica/<i>".
import type { Env } from "./env";
import type { PartitionLog } from "./partition/PartitionLog";
import type { DurableStream } from "./streams/DurableStream";
import type { TokenShard } from "./token-shard/TokenShard";
import { tokenShardIndex } from "./auth/token-shard-index";
import type { PartitionRef } from "./protocol";
import { streamOfTopic } from "./log/stream-topic";
import { isUnavailable, ObjectUnavailable, type Unavailable } from "./unavailable";

export function partitionLogName(topicId: string, partition: number, replica = 0): string {
  return replica === 0 ? `${topicId}/${partition}` : `${topicId}/${partition}/replica/${replica}`;
}

/** A replica's raw stub; the location hint places the object when this call creates it (later calls cannot move it).
 *  Tests use it with runInDurableObject; code calls a replica through partitionLogClient. */
export function partitionLogStub(env: Env, topicId: string, partition: number, replica = 0, locationHint?: string) {
  const id = env.PARTITION_LOG.idFromName(partitionLogName(topicId, partition, replica));
  return locationHint === undefined ? env.PARTITION_LOG.get(id) : env.PARTITION_LOG.get(id, { locationHint: locationHint as DurableObjectLocationHint });
}

/** A method of an object's RPC surface as its callers see it: plain data back, an unavailable object a throw. */
type Reachable<F> = F extends (...args: infer A) => infer R ? (...args: A) => Promise<Exclude<Awaited<R>, Unavailable>> : never;

type RpcMethods<T> = { [K in keyof T as T[K] extends (...args: never[]) => unknown ? K : never]: Reachable<T[K]> };

/** A partition replica's RPC surface, minus the Durable Object's own handlers. */
export type PartitionLogClient = Omit<RpcMethods<PartitionLog>, "alarm" | "fetch" | "webSocketMessage" | "webSocketClose" | "webSocketError">;

/** A replica's stub whose calls throw ObjectUnavailable when the replica answers UNAVAILABLE (its fault switch is
 *  down), exactly as a call to an unreachable object throws. */
export function partitionLogClient(env: Env, topicId: string, partition: number, replica = 0, locationHint?: string): PartitionLogClient {
  return reachable(partitionLogStub(env, topicId, partition, replica, locationHint)) as unknown as PartitionLogClient;
}

/** The raw stub of the replica a ref addresses (for its fetch handler: watch requests, src/watch.ts). A Durable
 *  Stream's topic (src/log/stream-topic.ts) is served by the stream's own object, which answers the partition's
 *  read surface for its one partition. */
export function replicaStub(env: Env, ref: PartitionRef) {
  const stream = streamOfTopic(ref.topic);
  if (stream !== undefined) return durableStreamStub(env, stream) as unknown as ReturnType<typeof partitionLogStub>;
  return partitionLogStub(env, ref.topicId, ref.partition, ref.replica, ref.locationHint);
}

/** The client of the replica a ref addresses (a Durable Stream's topic: the stream's object, as replicaStub). */
export function replicaClient(env: Env, ref: PartitionRef): PartitionLogClient {
  if (streamOfTopic(ref.topic) !== undefined) return reachable(replicaStub(env, ref)) as unknown as PartitionLogClient;
  return partitionLogClient(env, ref.topicId, ref.partition, ref.replica, ref.locationHint);
}

function reachable<T extends object>(stub: T): T {
  return new Proxy(stub, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property);
      if (typeof property !== "string" || property === "then" || typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const result: unknown = await Reflect.apply(value, target, args);
        if (isUnavailable(result)) throw new ObjectUnavailable(result.edgelogUnavailable);
        return result;
      };
    },
  });
}

/** One controller per deployment. */
export const CONTROLLER_NAME = "controller";

export function controllerStub(env: Env) {
  return env.CONTROLLER.get(env.CONTROLLER.idFromName(CONTROLLER_NAME));
}

/** One coordinator per consumer group. */
export function groupCoordinatorName(groupId: string): string {
  return `group/${groupId}`;
}

export function groupCoordinatorStub(env: Env, groupId: string) {
  return env.GROUP_COORDINATOR.get(env.GROUP_COORDINATOR.idFromName(groupCoordinatorName(groupId)));
}

/** One object per subscription partition: `subscription/<name>/<topicId>/<partition>` (a recreated topic gets new
 *  ones). Partitions keep this name in their waits (partition/durable-watches.ts) and wake the object by it. */
export function subscriptionPartitionName(subscription: string, topicId: string, partition: number): string {
  return `subscription/${subscription}/${topicId}/${partition}`;
}

/** A shared subscription's one delivery object per topic: `subscription/<name>/<topicId>/shared` (the same class as
 *  the partitions' objects, and woken by every partition of the topic by this name). */
export function sharedDeliveryName(subscription: string, topicId: string): string {
  return `subscription/${subscription}/${topicId}/shared`;
}

/** One coordinator per transactional id (src/transaction/): `txn/<transactionalId>`. */
export function transactionCoordinatorName(transactionalId: string): string {
  return `txn/${transactionalId}`;
}

export function transactionCoordinatorStub(env: Env, transactionalId: string) {
  return env.TRANSACTION_COORDINATOR.get(env.TRANSACTION_COORDINATOR.idFromName(transactionCoordinatorName(transactionalId)));
}

export function subscriptionPartitionStub(env: Env, name: string) {
  return env.SUBSCRIPTION_PARTITION.get(env.SUBSCRIPTION_PARTITION.idFromName(name));
}

/** One schema registry per deployment (src/registry/): Confluent's ids are global, so one object owns them all. */
export const SCHEMA_REGISTRY_NAME = "schema-registry";

export function schemaRegistryStub(env: Env) {
  return env.SCHEMA_REGISTRY.get(env.SCHEMA_REGISTRY.idFromName(SCHEMA_REGISTRY_NAME));
}

/** One object per share-partition (KIP-932's SharePartitionKey: group, topic id, partition):
 *  `share/<group>/<topicId>/<partition>`. Group ids never hold '/', so names never collide. */
export function sharePartitionName(groupId: string, topicId: string, partition: number): string {
  return `share/${groupId}/${topicId}/${partition}`;
}

export function sharePartitionStub(env: Env, groupId: string, topicId: string, partition: number) {
  return env.SHARE_PARTITION.get(env.SHARE_PARTITION.idFromName(sharePartitionName(groupId, topicId, partition)));
}

/** One object per Durable Stream (src/streams/): `ds/<stream name>`. The prefix keeps DS names apart from every other
 *  object name; the stream name is the URL path after /ds/v1/stream/, as sent. */
export function durableStreamName(stream: string): string {
  return `ds/${stream}`;
}

export function durableStreamStub(env: Env, stream: string): DurableObjectStub<DurableStream> {
  return env.DURABLE_STREAM.get(env.DURABLE_STREAM.idFromName(durableStreamName(stream)));
}

/** The token shard holding a token's hash record (src/token-shard/): `token-shard/<index>`, the index from the hash's
 *  prefix (auth/token-shard-index.ts). */
export function tokenShardName(index: number): string {
  return `token-shard/${index}`;
}

/** A token shard's RPC surface: plain data back, an unavailable shard a throw (as for replicas). */
export type TokenShardClient = Omit<RpcMethods<TokenShard>, "alarm" | "fetch">;

export function tokenShardStub(env: Env, index: number): DurableObjectStub<TokenShard> {
  return env.TOKEN_SHARD.get(env.TOKEN_SHARD.idFromName(tokenShardName(index)));
}

/** The shard of a token's hash, whose calls throw ObjectUnavailable when its fault switch is down. */
export function tokenShardClient(env: Env, index: number): TokenShardClient {
  return reachable(tokenShardStub(env, index)) as unknown as TokenShardClient;
}

/** The shard that holds this hash. */
export function tokenShardOf(env: Env, sha256: string): TokenShardClient {
  return tokenShardClient(env, tokenShardIndex(sha256));
}
