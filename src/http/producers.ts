// HTTP handler for POST /v1/producers (InitProducerId). An empty body asks for a new producer id.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import { initProducer } from "../service/producers";
import { allowedOnAny } from "../auth/acl";
import { authorize, principalOf } from "./auth";
import { readJson } from "./parse";
import { json } from "./respond";

/** Kafka grants InitProducerId to IDEMPOTENT_WRITE on the cluster or WRITE on any topic. */
export async function handleInitProducer(request: IRequest, env: Env): Promise<Response> {
  const principal = principalOf(request);
  if (!allowedOnAny(principal, "topic", "write")) authorize(principal, "cluster", "cluster", "write");
  return json(await initProducer(env, await readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE", true)));
}
