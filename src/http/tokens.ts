// HTTP handlers for the token store (cluster admin only): POST /v1/tokens, GET /v1/tokens, DELETE /v1/tokens/{id}.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import { forgetStoreTokens } from "../service/token-cache";
import { createToken, listTokens, revokeToken } from "../service/tokens";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";

export async function handleCreateToken(request: IRequest, env: Env): Promise<Response> {
  const created = await createToken(env, await readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE"));
  await forgetStoreTokens();
  return json(created, 201);
}

export async function handleListTokens(_request: IRequest, env: Env): Promise<Response> {
  return json({ tokens: await listTokens(env) });
}

export async function handleRevokeToken(request: IRequest, env: Env): Promise<Response> {
  const revoked = await revokeToken(env, pathParam(request.params, "id"));
  await forgetStoreTokens();
  return json(revoked);
}
