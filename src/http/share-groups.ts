// HTTP handlers for /v1/share-groups (KIP-932 share groups, docs/share-groups.md): config (PUT, GET, PATCH, DELETE),
// heartbeat (optional membership), poll, acknowledgements and offsets/reset. The route table checks the group
// permission; polling also needs read on each topic polled and a heartbeat on each topic subscribed (a member's poll
// names none: it polls what it subscribed to), and a dead-letter topic needs write (checked here, where the body names them).
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { allowed } from "../auth/acl";
import { MAX_ADMIN_REQUEST_BYTES, MAX_SHARE_REQUEST_BYTES } from "../limits";
import { alterShareGroup, deleteShareGroup, describeShareGroup, listShareGroups, putShareGroup, resetShareGroupOffsets, shareHeartbeat } from "../service/share-groups";
import { acknowledgeShare, pollShare } from "../service/share-poll";
import { authorize, principalOf } from "./auth";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";

const group = (request: IRequest) => pathParam(request.params, "group");
const adminBody = (request: IRequest) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE");
const optionalAdminBody = (request: IRequest) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE", true);

function authorizeDeadLetterTopic(request: IRequest, input: unknown): void {
  const topic = (input as { deadLetterTopic?: unknown } | null)?.deadLetterTopic;
  if (typeof topic === "string") authorize(principalOf(request), "topic", topic, "write");
}

export async function handleListShareGroups(request: IRequest, env: Env): Promise<Response> {
  const principal = principalOf(request);
  return json({ shareGroups: (await listShareGroups(env)).filter((g) => allowed(principal, "group", g, "read")) });
}

export async function handlePutShareGroup(request: IRequest, env: Env): Promise<Response> {
  const input = await optionalAdminBody(request);
  authorizeDeadLetterTopic(request, input);
  const { created, description } = await putShareGroup(env, group(request), input ?? {});
  return json(description, created ? 201 : 200);
}

export async function handleDescribeShareGroup(request: IRequest, env: Env): Promise<Response> {
  return json(await describeShareGroup(env, group(request)));
}

export async function handleAlterShareGroup(request: IRequest, env: Env): Promise<Response> {
  const input = await adminBody(request);
  authorizeDeadLetterTopic(request, input);
  return json(await alterShareGroup(env, group(request), input));
}

export async function handleDeleteShareGroup(request: IRequest, env: Env): Promise<Response> {
  return json(await deleteShareGroup(env, group(request)));
}

export async function handleShareGroupHeartbeat(request: IRequest, env: Env): Promise<Response> {
  const input = await adminBody(request);
  const topics = (input as { subscribedTopicNames?: unknown } | null)?.subscribedTopicNames;
  if (Array.isArray(topics)) for (const t of topics) if (typeof t === "string") authorize(principalOf(request), "topic", t, "read");
  return json(await shareHeartbeat(env, group(request), input));
}

export async function handlePollShareGroup(request: IRequest, env: Env): Promise<Response> {
  const input = await readJson(request, MAX_SHARE_REQUEST_BYTES, "REQUEST_TOO_LARGE");
  const topics = (input as { topics?: unknown } | null)?.topics;
  if (Array.isArray(topics)) for (const t of topics) if (typeof t === "string") authorize(principalOf(request), "topic", t, "read");
  return json(await pollShare(env, group(request), input, request.signal));
}

export async function handleAcknowledgeShareGroup(request: IRequest, env: Env): Promise<Response> {
  const input = await readJson(request, MAX_SHARE_REQUEST_BYTES, "REQUEST_TOO_LARGE");
  return json(await acknowledgeShare(env, group(request), input));
}

export async function handleResetShareGroupOffsets(request: IRequest, env: Env): Promise<Response> {
  const input = await adminBody(request);
  const topic = (input as { topic?: unknown } | null)?.topic;
  if (typeof topic === "string") authorize(principalOf(request), "topic", topic, "read");
  return json(await resetShareGroupOffsets(env, group(request), input));
}
