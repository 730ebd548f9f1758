// The only file that builds Durable Object names and stubs. Names embed the topic id (a UUID), so a topic
// deleted and created again under the same name never reuses the old partition objects.
// Every replica of a partition is a PartitionLog object (one class in two roles, leader and follower): replica 0 keeps
// the name a partition had before replication existed, replica i > 0 is "<topicId>/<partition>/replica/<i>".
import type { Env } from "./env";
import type { PartitionRef } from "./protocol";

export function partitionLogName(topicId: string, partition: number, replica = 0): string {
  return replica === 0 ? `${topicId}/${partition}` : `${topicId}/${partition}/replica/${replica}`;
}

/** A replica's stub; the location hint places the object when this call creates it (later calls cannot move it). */
export function partitionLogStub(env: Env, topicId: string, partition: number, replica = 0, locationHint?: string) {
  const id = env.PARTITION_LOG.idFromName(partitionLogName(topicId, partition, replica));
  return locationHint === undefined ? env.PARTITION_LOG.get(id) : env.PARTITION_LOG.get(id, { locationHint: locationHint as DurableObjectLocationHint });
}

/** The stub of the replica a ref addresses. */
export function replicaStub(env: Env, ref: PartitionRef) {
  return partitionLogStub(env, ref.topicId, ref.partition, ref.replica, ref.locationHint);
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
