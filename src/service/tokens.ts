// The token store's admin operations: create (the token is shown once, only its SHA-256 is kept), list (a page at a
// time, by name), revoke.
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import { parseAcls, parseQuotas } from "../auth/acl";
import { newToken, sha256Hex } from "../auth/tokens";
import type { HashedStoredToken, StoredToken } from "../auth/stored-token";
import type { TokenPage } from "../controller/tokens";
import { MAX_TOKEN_LIST_PAGE } from "../limits";
import { controllerStub } from "../names";
import { integerField, requireObject } from "./validate";

export async function createToken(env: Env, input: unknown): Promise<StoredToken & { token: string }> {
  const body = requireObject(input, "token request", ["name", "acls", "quotas"]);
  if (typeof body.name !== "string" || !/^[a-zA-Z0-9._-]{1,64}$/.test(body.name)) {
    throw new KafkaError("INVALID_REQUEST", "name must be 1 to 64 characters of [a-zA-Z0-9._-]", { field: "name" });
  }
  const acls = parseAcls(body.acls);
  if (typeof acls === "string") throw new KafkaError("INVALID_REQUEST", acls, { field: "acls" });
  const quotas = parseQuotas(body.quotas);
  if (typeof quotas === "string") throw new KafkaError("INVALID_REQUEST", quotas, { field: "quotas" });
  const token = newToken();
  const stored = unwrap((await controllerStub(env).createToken(body.name, await sha256Hex(token), acls, quotas)) as Result<StoredToken>);
  return { ...stored, token };
}

/** A page of the list: `limit` (1 to MAX_TOKEN_LIST_PAGE, the default) tokens by name after the name `after`. */
export async function listTokens(env: Env, params: { limit?: unknown; after?: unknown }): Promise<TokenPage> {
  const limit = integerField(params.limit, "limit", 1, MAX_TOKEN_LIST_PAGE, MAX_TOKEN_LIST_PAGE);
  const after = params.after;
  if (after !== undefined && (typeof after !== "string" || after.length > 64)) {
    throw new KafkaError("INVALID_REQUEST", "after must be a token name (at most 64 characters): the nextAfter of the previous page", { field: "after" });
  }
  return (await controllerStub(env).listTokens(limit, after)) as TokenPage;
}

/** Revokes a token; answers it with its hash (the router drops its answers about it; the hash is never shown). */
export async function revokeToken(env: Env, id: string): Promise<HashedStoredToken> {
  return unwrap((await controllerStub(env).revokeToken(id)) as Result<HashedStoredToken>);
}
