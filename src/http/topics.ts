// HTTP handlers for /v1/topics: create, list, describe, alter config, add partitions, delete.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import { addPartitions, alterTopicConfig, createTopic, deleteTopic, describeTopic, listTopics } from "../service/topics";
import { allowed } from "../auth/acl";
import { authorize, authorizeAny, principalOf } from "./auth";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";

const body = (request: IRequest) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE");

export async function handleCreateTopic(request: IRequest, env: Env): Promise<Response> {
  const input = await body(request);
  const name = (input as { name?: unknown } | null)?.name;
  // A bad name is a 400 from validation; a good one needs admin on it (Kafka's CREATE on the topic).
  if (typeof name === "string") authorize(principalOf(request), "topic", name, "admin");
  else authorizeAny(principalOf(request), "topic", "admin");
  return json(await createTopic(env, input), 201);
}

/** Lists the topics this token may describe (Kafka shows only authorized topics). */
export async function handleListTopics(request: IRequest, env: Env): Promise<Response> {
  const principal = principalOf(request);
  return json({ topics: (await listTopics(env)).filter((t) => allowed(principal, "topic", t.name, "describe")) });
}

export async function handleDescribeTopic(request: IRequest, env: Env): Promise<Response> {
  return json(await describeTopic(env, pathParam(request.params, "topic")));
}

export async function handleAlterTopic(request: IRequest, env: Env): Promise<Response> {
  return json(await alterTopicConfig(env, pathParam(request.params, "topic"), await body(request)));
}

export async function handleAddPartitions(request: IRequest, env: Env): Promise<Response> {
  return json(await addPartitions(env, pathParam(request.params, "topic"), await body(request)));
}

export async function handleDeleteTopic(request: IRequest, env: Env): Promise<Response> {
  return json(await deleteTopic(env, pathParam(request.params, "topic")));
}
