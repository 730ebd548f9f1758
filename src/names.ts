// The only file that builds Durable Object names and stubs. Names embed the topic id (a UUID), so a topic
// deleted and created again under the same name never reuses the old partition objects.
import type { Env } from "./env";

export function partitionLogName(topicId: string, partition: number): string {
  return `${topicId}/${partition}`;
}

export function partitionLogStub(env: Env, topicId: string, partition: number) {
  return env.PARTITION_LOG.get(env.PARTITION_LOG.idFromName(partitionLogName(topicId, partition)));
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
