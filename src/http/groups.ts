// HTTP handlers for /v1/groups: heartbeat (join, heartbeat, leave), commit, committed offsets with lag, reset
// (replay), list, describe, delete.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES, MAX_COMMIT_REQUEST_BYTES } from "../limits";
import { alterGroup, commitOffsets, deleteGroup, describeGroup, groupOffsets, heartbeat, listGroups, resetOffsets, type GroupOffsets } from "../service/groups";
import { allowed } from "../auth/acl";
import { authorize, principalOf } from "./auth";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";
import { groupLagStatus } from "../log/lag-status";

const body = (request: IRequest) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE");
const group = (request: IRequest) => pathParam(request.params, "group");

/** Each string in `names` that is a topic needs read on it; malformed input is left to the service's validation. */
function authorizeTopics(request: IRequest, names: unknown): void {
  if (!Array.isArray(names)) return;
  for (const name of names) if (typeof name === "string") authorize(principalOf(request), "topic", name, "read");
}

export async function handleHeartbeat(request: IRequest, env: Env): Promise<Response> {
  const input = await body(request);
  authorizeTopics(request, (input as { subscribedTopics?: unknown } | null)?.subscribedTopics);
  return json(await heartbeat(env, group(request), input));
}

export async function handleCommit(request: IRequest, env: Env): Promise<Response> {
  const input = await readJson(request, MAX_COMMIT_REQUEST_BYTES, "REQUEST_TOO_LARGE");
  const offsets = (input as { offsets?: unknown } | null)?.offsets;
  if (Array.isArray(offsets)) authorizeTopics(request, offsets.map((o) => (o as { topic?: unknown } | null)?.topic));
  return json(await commitOffsets(env, group(request), input));
}

/** Lag of only the topics this token may describe (a group may span topics the caller cannot see). */
function visible(request: IRequest, offsets: GroupOffsets): GroupOffsets {
  const principal = principalOf(request);
  const topics = offsets.topics.filter((t) => allowed(principal, "topic", t.topic, "describe"));
  const status = groupLagStatus(topics.flatMap((t) => t.partitions.map((p) => p.status)));
  return { ...offsets, topics, totalLag: topics.reduce((n, t) => n + t.lag, 0), status };
}

export async function handleGroupOffsets(request: IRequest, env: Env): Promise<Response> {
  return json(visible(request, await groupOffsets(env, group(request))));
}

/** Burrow-style lag status: the group's and each visible partition's, with the lag and commit window they rest on. */
export async function handleGroupStatus(request: IRequest, env: Env): Promise<Response> {
  const offsets = visible(request, await groupOffsets(env, group(request)));
  const partitions = offsets.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, status: p.status, committedOffset: p.committedOffset, highWatermark: p.highWatermark, lag: p.lag })));
  return json({ groupId: offsets.groupId, state: offsets.state, status: offsets.status, totalLag: offsets.totalLag, partitions });
}

export async function handleResetOffsets(request: IRequest, env: Env): Promise<Response> {
  const input = await body(request);
  authorizeTopics(request, [(input as { topic?: unknown } | null)?.topic]);
  return json(await resetOffsets(env, group(request), input));
}

/** Lists the groups this token may read. */
export async function handleListGroups(request: IRequest, env: Env): Promise<Response> {
  const principal = principalOf(request);
  return json({ groups: (await listGroups(env)).filter((g) => allowed(principal, "group", g.groupId, "read")) });
}

export async function handleDescribeGroup(request: IRequest, env: Env): Promise<Response> {
  const described = await describeGroup(env, group(request));
  return json({ ...described, lag: visible(request, described.lag) });
}

export async function handleAlterGroup(request: IRequest, env: Env): Promise<Response> {
  return json(await alterGroup(env, group(request), await body(request)));
}

export async function handleDeleteGroup(request: IRequest, env: Env): Promise<Response> {
  return json(await deleteGroup(env, group(request)));
}
