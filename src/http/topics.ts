// HTTP handlers for /v1/topics: create, list, describe, alter config, add partitions, delete.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import { addPartitions, alterTopicConfig, createTopic, deleteTopic, describeTopic, listTopics } from "../service/topics";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";

const body = (request: IRequest) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE");

export async function handleCreateTopic(request: IRequest, env: Env): Promise<Response> {
  return json(await createTopic(env, await body(request)), 201);
}

export async function handleListTopics(_request: IRequest, env: Env): Promise<Response> {
  return json({ topics: await listTopics(env) });
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
