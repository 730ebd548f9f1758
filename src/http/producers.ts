// HTTP handler for POST /v1/producers (InitProducerId). An empty body asks for a new producer id.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import { initProducer } from "../service/producers";
import { readJson } from "./parse";
import { json } from "./respond";

export async function handleInitProducer(request: IRequest, env: Env): Promise<Response> {
  return json(await initProducer(env, await readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE", true)));
}
