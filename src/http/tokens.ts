// HTTP handlers for the token store (cluster admin only): POST /v1/tokens, GET /v1/tokens, DELETE /v1/tokens/{id}.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import { forgetTokenAnswer } from "../service/token-cache";
import { createToken, listTokens, revokeToken } from "../service/tokens";
import { pathParam, queryParam, readJson } from "./parse";
import { json } from "./respond";

export async function handleCreateToken(request: IRequest, env: Env): Promise<Response> {
  return json(await createToken(env, await readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE")), 201);
}

export async function handleListTokens(request: IRequest, env: Env): Promise<Response> {
  return json(await listTokens(env, { limit: queryParam(request.query, "limit"), after: queryParam(request.query, "after") }));
}

export async function handleRevokeToken(request: IRequest, env: Env): Promise<Response> {
  const { sha256, ...revoked } = await revokeToken(env, pathParam(request.params, "id"));
  // Stops at once here and at this location; elsewhere within TOKEN_CACHE_MS.
  await forgetTokenAnswer(sha256);
  return json(revoked);
}
