// The token answers' location tier (service/token-cache.ts, issue 23): a cold isolate at a location holding a young
// answer for its token costs no shard lookup, one whose answer is too old costs exactly one; and a token revoked
// through another location stops working within TOKEN_CACHE_MS however the answer travelled (it keeps the time its
// shard gave it). "Another isolate at the same location" is this isolate with its own answers forgotten.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { authOnEnv, callAs } from "../auth-env";
import { sha256Hex } from "../../src/auth/tokens";
import type { Env } from "../../src/env";
import { TOKEN_CACHE_MS } from "../../src/limits";
import { controllerStub } from "../../src/names";
import { forgetIsolateTokens, STORE_MISS_REFRESH_MS, tokenClock, tokenShardReads } from "../../src/service/token-cache";

const ADMIN = "edl_admin_token_for_the_tier_test_only";

const authEnv = (): Promise<Env> => authOnEnv("tier-admin", ADMIN);

const call = callAs;

describe("token answers' location tier", () => {
  it("a cold isolate takes its location's young answer; a revocation elsewhere holds within TOKEN_CACHE_MS", async () => {
    const e = await authEnv();
    const created = await call(e, ADMIN, "POST", "/v1/tokens", { name: `tier-${crypto.randomUUID().slice(0, 8)}`, acls: [{ resource: "cluster", name: "cluster", operations: ["read"] }] });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const token = created.body.token as string;
    // The first use asks the token's shard once and leaves the answer at this location.
    let reads = tokenShardReads();
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    expect(tokenShardReads()).toBe(reads + 1);
    // Warm: no lookup at all. Cold isolates at this location: no shard lookup while the answer is young.
    reads = tokenShardReads();
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      forgetIsolateTokens();
      expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    }
    expect(tokenShardReads()).toBe(reads);
    // Revoked through another location (straight at the controller: this location's answer is untouched).
    expect(await controllerStub(env).revokeToken(created.body.id)).toMatchObject({ ok: true });
    tokenClock.advance(TOKEN_CACHE_MS - 1_000);
    forgetIsolateTokens(); // a cold isolate takes the answer: still within the bound, the token still works
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    expect(tokenShardReads()).toBe(reads);
    // Past the bound the answer is too old for every isolate, however it came by it: one shard lookup, then 401.
    tokenClock.advance(1_000);
    const refused = await call(e, token, "GET", "/v1/usage");
    expect(refused.status).toBe(401);
    expect(refused.body.error.type).toBe("SASL_AUTHENTICATION_FAILED");
    expect(tokenShardReads()).toBe(reads + 1);
    forgetIsolateTokens();
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(401); // the next cold isolate: the location's answer
    expect(tokenShardReads()).toBe(reads + 1);
  });

  it("an unknown token's answer is kept STORE_MISS_REFRESH_MS, so a token made through another isolate works within it", async () => {
    const e = await authEnv();
    const name = `late-${crypto.randomUUID().slice(0, 8)}`;
    // A token this test makes itself, stored straight through the controller (as another isolate's create would be).
    const token = `edl_${crypto.randomUUID().replaceAll("-", "")}_late`;
    const refused = await call(e, token, "GET", "/v1/usage");
    expect(refused.status).toBe(401);
    const reads = tokenShardReads();
    expect(await controllerStub(env).createToken(name, await sha256Hex(token), [{ resource: "cluster", name: "cluster", patternType: "literal", operations: ["read"] }], {})).toMatchObject({ ok: true });
    // Within the bound the unknown answer stands (here and for cold isolates at this location) ...
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(401);
    forgetIsolateTokens();
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(401);
    expect(tokenShardReads()).toBe(reads);
    // ... and past it the shard is asked again: the token works.
    tokenClock.advance(STORE_MISS_REFRESH_MS);
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    expect(tokenShardReads()).toBe(reads + 1);
  });
});
