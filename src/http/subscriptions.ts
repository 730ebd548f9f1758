// HTTP handlers for /v1/subscriptions: create, list, describe, alter, pause, resume, reset offsets, delete. A
// subscription is its group: creating one needs admin on the group of its name and read on each of its topics (and
// write on its dead-letter topic, and read on a shared one's share group); describing needs read on the group; changing
// it, admin (the route table checks).
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { allowed } from "../auth/acl";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import {
  alterSubscription,
  createSubscription,
  deleteSubscription,
  describeSubscription,
  listSubscriptions,
  pauseSubscription,
  resetSubscriptionOffsets,
  resumeSubscription,
} from "../service/subscriptions";
import { authorize, principalOf } from "./auth";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";

const body = (request: IRequest) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE");
const optionalBody = (request: IRequest) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE", true);
const name = (request: IRequest) => pathParam(request.params, "name");

export async function handleCreateSubscription(request: IRequest, env: Env): Promise<Response> {
  const input = (await body(request)) as { name?: unknown; topics?: unknown; deadLetterTopic?: unknown; shareGroup?: unknown } | null;
  const principal = principalOf(request);
  if (typeof input?.name === "string") authorize(principal, "group", input.name, "admin");
  if (Array.isArray(input?.topics)) for (const t of input.topics) if (typeof t === "string") authorize(principal, "topic", t, "read");
  if (typeof input?.deadLetterTopic === "string") authorize(principal, "topic", input.deadLetterTopic, "write");
  // A shared subscription leases from its share group as a poller does: the same group read a poll needs.
  if (typeof input?.shareGroup === "string") authorize(principal, "group", input.shareGroup, "read");
  return json(await createSubscription(env, input), 201);
}

/** Lists the subscriptions this token may read. */
export async function handleListSubscriptions(request: IRequest, env: Env): Promise<Response> {
  const principal = principalOf(request);
  return json({ subscriptions: (await listSubscriptions(env)).filter((s) => allowed(principal, "group", s.name, "read")) });
}

export async function handleDescribeSubscription(request: IRequest, env: Env): Promise<Response> {
  return json(await describeSubscription(env, name(request)));
}

export async function handleAlterSubscription(request: IRequest, env: Env): Promise<Response> {
  const input = (await body(request)) as { deadLetterTopic?: unknown } | null;
  if (typeof input?.deadLetterTopic === "string") authorize(principalOf(request), "topic", input.deadLetterTopic, "write");
  return json(await alterSubscription(env, name(request), input));
}

// Pause and resume take no fields; a body, when sent, is read whole (one cut short is refused) and must be {}.
export async function handlePauseSubscription(request: IRequest, env: Env): Promise<Response> {
  return json(await pauseSubscription(env, name(request), await optionalBody(request)));
}

export async function handleResumeSubscription(request: IRequest, env: Env): Promise<Response> {
  return json(await resumeSubscription(env, name(request), await optionalBody(request)));
}

export async function handleResetSubscriptionOffsets(request: IRequest, env: Env): Promise<Response> {
  const input = await body(request);
  const topic = (input as { topic?: unknown } | null)?.topic;
  if (typeof topic === "string") authorize(principalOf(request), "topic", topic, "read");
  return json(await resetSubscriptionOffsets(env, name(request), input));
}

export async function handleDeleteSubscription(request: IRequest, env: Env): Promise<Response> {
  return json(await deleteSubscription(env, name(request)));
}
