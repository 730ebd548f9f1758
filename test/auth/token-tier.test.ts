// The token store's location tier (service/token-cache.ts, issue 23): a cold isolate at a location whose copy is young
// costs no controller request, one whose copy is too old costs exactly one; and a token revoked through another
// location stops working within TOKEN_CACHE_MS however the copy travelled (the copy keeps the time the controller
// answered it). "Another isolate at the same location" is this isolate with its own copy forgotten.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { sha256Hex } from "../../src/auth/tokens";
import type { Env } from "../../src/env";
import { TOKEN_CACHE_MS } from "../../src/limits";
import { controllerStub } from "../../src/names";
import { forgetIsolateTokens, tokenClock, tokenStoreReads } from "../../src/service/token-cache";

const ADMIN = "edl_admin_token_for_the_tier_test_only";

async function authEnv(): Promise<Env> {
  const admin = { name: "tier-admin", sha256: await sha256Hex(ADMIN), acls: [{ resource: "cluster", name: "cluster", operations: ["admin", "read"] }] };
  return { ...(env as unknown as Env), EDGELOG_ENV: "production", EDGELOG_AUTH: undefined, EDGELOG_TOKENS: JSON.stringify([admin]) };
}

async function call(e: Env, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  if (body !== undefined) headers["content-type"] = "application/json";
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://edgelog.test${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }) as Request<unknown, IncomingRequestCfProperties>, e, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: await response.json() };
}

describe("token store location tier", () => {
  it("a cold isolate takes its location's young copy; a revocation elsewhere holds within TOKEN_CACHE_MS", async () => {
    const e = await authEnv();
    const created = await call(e, ADMIN, "POST", "/v1/tokens", { name: `tier-${crypto.randomUUID().slice(0, 8)}`, acls: [{ resource: "cluster", name: "cluster", operations: ["read"] }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const token = created.body.token as string;
    // The first use reads the controller once (the creating call dropped this location's copy) and leaves a copy.
    let reads = tokenStoreReads();
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    expect(tokenStoreReads()).toBe(reads + 1);
    // Cold isolates at this location: no controller request while the copy is young.
    reads = tokenStoreReads();
    for (let i = 0; i < 3; i++) {
      forgetIsolateTokens();
      expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    }
    expect(tokenStoreReads()).toBe(reads);
    // Revoked through another location (straight at the controller: this location's copy is untouched).
    expect(await controllerStub(env).revokeToken(created.body.id)).toMatchObject({ ok: true });
    tokenClock.advance(TOKEN_CACHE_MS - 1_000);
    forgetIsolateTokens(); // a cold isolate takes the copy: still within the bound, the token still works
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    expect(tokenStoreReads()).toBe(reads);
    // Past the bound the copy is too old for every isolate, however it came by it: one controller read, then 401.
    tokenClock.advance(1_000);
    const refused = await call(e, token, "GET", "/v1/usage");
    expect(refused.status).toBe(401);
    expect(refused.body.error.type).toBe("SASL_AUTHENTICATION_FAILED");
    expect(tokenStoreReads()).toBe(reads + 1);
    forgetIsolateTokens();
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(401); // the next cold isolate: the fresh copy, no read
    expect(tokenStoreReads()).toBe(reads + 1);
  });
});
