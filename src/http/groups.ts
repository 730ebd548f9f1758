// HTTP handlers for /v1/groups: heartbeat (join, heartbeat, leave), commit, committed offsets with lag, reset
// (replay), list, describe, delete.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES, MAX_COMMIT_REQUEST_BYTES } from "../limits";
import { commitOffsets, deleteGroup, describeGroup, groupOffsets, heartbeat, listGroups, resetOffsets } from "../service/groups";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";

const body = (request: IRequest) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE");
const group = (request: IRequest) => pathParam(request.params, "group");

export async function handleHeartbeat(request: IRequest, env: Env): Promise<Response> {
  return json(await heartbeat(env, group(request), await body(request)));
}

export async function handleCommit(request: IRequest, env: Env): Promise<Response> {
  return json(await commitOffsets(env, group(request), await readJson(request, MAX_COMMIT_REQUEST_BYTES, "REQUEST_TOO_LARGE")));
}

export async function handleGroupOffsets(request: IRequest, env: Env): Promise<Response> {
  return json(await groupOffsets(env, group(request)));
}

export async function handleResetOffsets(request: IRequest, env: Env): Promise<Response> {
  return json(await resetOffsets(env, group(request), await body(request)));
}

export async function handleListGroups(_request: IRequest, env: Env): Promise<Response> {
  return json({ groups: await listGroups(env) });
}

export async function handleDescribeGroup(request: IRequest, env: Env): Promise<Response> {
  return json(await describeGroup(env, group(request)));
}

export async function handleDeleteGroup(request: IRequest, env: Env): Promise<Response> {
  return json(await deleteGroup(env, group(request)));
}
