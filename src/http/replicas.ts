// HTTP handlers for replica administration: leader election and the fault switch (service/replicas.ts).
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import { parsePartition } from "../service/request-params";
import { electLeader, setFault } from "../service/replicas";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";

export async function handleElectLeader(request: IRequest, env: Env): Promise<Response> {
  const partition = parsePartition(pathParam(request.params, "partition"));
  const input = await readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE", true);
  return json(await electLeader(env, pathParam(request.params, "topic"), partition, input));
}

export async function handleFault(request: IRequest, env: Env): Promise<Response> {
  return json(await setFault(env, await readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE")));
}
