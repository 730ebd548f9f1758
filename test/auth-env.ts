// Calls through the real Worker with authentication on, as a deployment runs it: EDGELOG_ENV production and one
// admin token in the EDGELOG_TOKENS secret (its hash); the token store's tests create the rest through /v1/tokens.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import worker from "../src/index";
import { sha256Hex } from "../src/auth/tokens";
import type { Env } from "../src/env";

/** Admin and read on the cluster: the token store's routes and the cluster's reads. */
export const CLUSTER_ADMIN_ACLS = [{ resource: "cluster", name: "cluster", operations: ["admin", "read"] }];

/** The test environment with auth on and `adminToken` in the secret as `name`, holding `acls`. */
export async function authOnEnv(name: string, adminToken: string, acls: unknown[] = CLUSTER_ADMIN_ACLS): Promise<Env> {
  const admin = { name, sha256: await sha256Hex(adminToken), acls };
  return { ...(env as unknown as Env), EDGELOG_ENV: "production", EDGELOG_AUTH: undefined, EDGELOG_TOKENS: JSON.stringify([admin]) };
}

/** One request through the Worker with `token`, its JSON answer and status. */
export async function callAs(e: Env, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://edgelog.test${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }) as Request<unknown, IncomingRequestCfProperties>, e, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: await response.json() };
}
