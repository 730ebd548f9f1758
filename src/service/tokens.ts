// The token store's admin operations: create (the token is shown once, only its SHA-256 is kept), list, revoke.
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import { parseAcls, parseQuotas } from "../auth/acl";
import { newToken, sha256Hex } from "../auth/tokens";
import type { StoredToken } from "../auth/stored-token";
import { controllerStub } from "../names";
import { requireObject } from "./validate";

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

export async function listTokens(env: Env): Promise<StoredToken[]> {
  return (await controllerStub(env).listTokens()) as StoredToken[];
}

export async function revokeToken(env: Env, id: string): Promise<StoredToken> {
  return unwrap((await controllerStub(env).revokeToken(id)) as Result<StoredToken>);
}
