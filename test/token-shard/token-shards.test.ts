// Token shards (issue 23, src/token-shard/): the controller copies every create and revoke to the token's shard
// before it answers; a copy that does not arrive stays on record (pending_token_copies) and the controller's alarm
// retries it; every change carries a version, so a late create never brings back a revoked token. Faults are the
// shard's own fault switch: calls to it throw as calls to an unreachable object do.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { authOnEnv, callAs } from "../auth-env";
import type { Controller } from "../../src/controller/Controller";
import { sha256Hex } from "../../src/auth/tokens";
import { tokenShardIndex } from "../../src/auth/token-shard-index";
import type { Env } from "../../src/env";
import { TOKEN_CACHE_MS, TOKEN_SHARDS } from "../../src/limits";
import { controllerStub, tokenShardStub } from "../../src/names";
import { forgetIsolateTokens, tokenClock } from "../../src/service/token-cache";
import { TOKEN_TOMBSTONE_MS, type TokenShard } from "../../src/token-shard/TokenShard";

const ADMIN = "edl_admin_token_for_the_token_shard_test";
const READ = [{ resource: "cluster" as const, name: "cluster", patternType: "literal" as const, operations: ["read" as const] }];

const authEnv = (): Promise<Env> => authOnEnv("shard-admin", ADMIN);

const call = callAs;

const shardOf = (sha256: string) => tokenShardStub(env, tokenShardIndex(sha256));
const pendingCopies = () =>
  runInDurableObject(controllerStub(env), (_c: Controller, state) => state.storage.sql.exec<{ sha256: string; version: number }>("SELECT sha256, version FROM pending_token_copies").toArray());

describe("token shards", () => {
  it("spread hashes over every shard by prefix", async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 2_000; i++) seen.add(tokenShardIndex(await sha256Hex(`token-${i}`)));
    expect(seen.size).toBe(TOKEN_SHARDS);
    expect(tokenShardIndex("00000000" + "0".repeat(56))).toBe(0);
    expect(tokenShardIndex("ffffffff" + "0".repeat(56))).toBe(0xffffffff % TOKEN_SHARDS);
  });

  it("hold a created token's copy before the create answers, and lose it before the revoke answers", async () => {
    const e = await authEnv();
    const created = await call(e, ADMIN, "POST", "/v1/tokens", { name: `sh-${crypto.randomUUID().slice(0, 8)}`, acls: READ });
    expect(created.status).toBe(201);
    expect(created.body.sha256).toBeUndefined(); // the hash is never shown
    const sha256 = await sha256Hex(created.body.token);
    expect(await shardOf(sha256).lookup(sha256)).toMatchObject({ id: created.body.id, name: created.body.name, sha256, acls: READ });
    expect(await pendingCopies()).toEqual([]);
    const revoked = await call(e, ADMIN, "DELETE", `/v1/tokens/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: created.body.id, name: created.body.name });
    expect(revoked.body.sha256).toBeUndefined();
    expect(await shardOf(sha256).lookup(sha256)).toBeNull();
    // The isolate that revoked it refuses it at once.
    expect((await call(e, created.body.token, "GET", "/v1/usage")).status).toBe(401);
  });

  it("a revoke whose shard is down is answered, kept on record, and delivered by the alarm: the token stops within TOKEN_CACHE_MS of it", async () => {
    const e = await authEnv();
    const created = await call(e, ADMIN, "POST", "/v1/tokens", { name: `down-${crypto.randomUUID().slice(0, 8)}`, acls: READ });
    const token = created.body.token as string;
    const sha256 = await sha256Hex(token);
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    await shardOf(sha256).setFault(true);
    // Revoked through another location (straight at the controller): this isolate keeps its answer.
    expect(await controllerStub(env).revokeToken(created.body.id)).toMatchObject({ ok: true });
    expect((await pendingCopies()).map((p) => p.sha256)).toContain(sha256);
    expect(await runInDurableObject(controllerStub(env), (_c: Controller, state) => state.storage.getAlarm())).not.toBeNull();
    // The registry no longer lists it; a retry while the shard is still down keeps it on record.
    expect((await call(e, ADMIN, "GET", "/v1/tokens")).body.tokens.map((t: { id: string }) => t.id)).not.toContain(created.body.id);
    await runDurableObjectAlarm(controllerStub(env));
    expect((await pendingCopies()).map((p) => p.sha256)).toContain(sha256);
    // Meanwhile the shard cannot say it is revoked: routers keep their last answer (none was removed from the shard).
    tokenClock.advance(TOKEN_CACHE_MS);
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    // The shard is back: the alarm removes the copy, and within TOKEN_CACHE_MS every isolate refuses the token.
    await shardOf(sha256).setFault(false);
    await runDurableObjectAlarm(controllerStub(env));
    expect((await pendingCopies()).map((p) => p.sha256)).not.toContain(sha256);
    expect(await shardOf(sha256).lookup(sha256)).toBeNull();
    tokenClock.advance(TOKEN_CACHE_MS);
    forgetIsolateTokens();
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(401);
  });

  it("a create whose shard is down works once the alarm copies it; revoked before that, it never works", async () => {
    const e = await authEnv();
    const token = `edl_${crypto.randomUUID().replaceAll("-", "")}_shard_down`;
    const sha256 = await sha256Hex(token);
    await shardOf(sha256).setFault(true);
    const created = (await controllerStub(env).createToken(`late-${crypto.randomUUID().slice(0, 8)}`, sha256, READ, {})) as { ok: true; value: { id: string } };
    expect(created.ok).toBe(true);
    expect((await pendingCopies()).map((p) => p.sha256)).toContain(sha256);
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(401); // not in its shard yet
    await shardOf(sha256).setFault(false);
    await runDurableObjectAlarm(controllerStub(env));
    expect((await pendingCopies()).map((p) => p.sha256)).not.toContain(sha256);
    tokenClock.advance(TOKEN_CACHE_MS);
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);

    // Another, revoked while its shard is down: the create's copy and the removal both wait; only the removal is sent.
    const other = `edl_${crypto.randomUUID().replaceAll("-", "")}_revoked_first`;
    const otherSha = await sha256Hex(other);
    await shardOf(otherSha).setFault(true);
    const made = (await controllerStub(env).createToken(`gone-${crypto.randomUUID().slice(0, 8)}`, otherSha, READ, {})) as { ok: true; value: { id: string } };
    const createVersion = (await pendingCopies()).find((p) => p.sha256 === otherSha)!.version;
    expect(await controllerStub(env).revokeToken(made.value.id)).toMatchObject({ ok: true });
    const removeVersion = (await pendingCopies()).find((p) => p.sha256 === otherSha)!.version;
    expect(removeVersion).toBeGreaterThan(createVersion);
    await shardOf(otherSha).setFault(false);
    // The create's copy arriving late (an RPC still in flight) after the removal changes nothing.
    await runDurableObjectAlarm(controllerStub(env));
    expect(await shardOf(otherSha).apply([{ sha256: otherSha, version: createVersion, record: { id: made.value.id, name: "gone", sha256: otherSha, acls: READ, quotas: {}, createdMs: 0 } }])).toBe(0);
    expect(await shardOf(otherSha).lookup(otherSha)).toBeNull();
    forgetIsolateTokens();
    tokenClock.advance(TOKEN_CACHE_MS);
    expect((await call(e, other, "GET", "/v1/usage")).status).toBe(401);
  });

  it("a shard applies only newer versions, and drops a tombstone TOKEN_TOMBSTONE_MS after the removal", async () => {
    const sha256 = await sha256Hex(`direct-${crypto.randomUUID()}`);
    const shard = shardOf(sha256);
    const record = (name: string) => ({ id: crypto.randomUUID(), name, sha256, acls: READ, quotas: {}, createdMs: 1 });
    expect(await shard.apply([{ sha256, version: 5, record: record("v5") }])).toBe(1);
    expect(await shard.apply([{ sha256, version: 5, record: record("again") }])).toBe(0);
    expect(await shard.apply([{ sha256, version: 4, record: record("older") }])).toBe(0);
    expect(await shard.lookup(sha256)).toMatchObject({ name: "v5" });
    expect(await shard.apply([{ sha256, version: 6, record: null }])).toBe(1);
    expect(await shard.lookup(sha256)).toBeNull();
    const tombstones = () =>
      runInDurableObject(shard, (_s: TokenShard, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM token_copies WHERE sha256 = ?", sha256).one().n);
    expect(await tombstones()).toBe(1);
    // Just younger than the bound it stays (an older copy still in flight is refused) ...
    await runInDurableObject(shard, (_s: TokenShard, state) => state.storage.sql.exec("UPDATE token_copies SET changed_ms = ? WHERE sha256 = ?", Date.now() - TOKEN_TOMBSTONE_MS + 60_000, sha256));
    await shard.apply([]);
    expect(await tombstones()).toBe(1);
    expect(await shard.apply([{ sha256, version: 5, record: record("late") }])).toBe(0);
    // ... past it, the next change the shard takes removes it.
    await runInDurableObject(shard, (_s: TokenShard, state) => state.storage.sql.exec("UPDATE token_copies SET changed_ms = ? WHERE sha256 = ?", Date.now() - TOKEN_TOMBSTONE_MS - 1, sha256));
    await shard.apply([]);
    expect(await tombstones()).toBe(0);
  });

  it("an unreachable shard leaves an isolate its last answer, and refuses tokens it never answered for", async () => {
    const e = await authEnv();
    const created = await call(e, ADMIN, "POST", "/v1/tokens", { name: `keep-${crypto.randomUUID().slice(0, 8)}`, acls: READ });
    const token = created.body.token as string;
    const sha256 = await sha256Hex(token);
    await shardOf(sha256).setFault(true);
    try {
      forgetIsolateTokens();
      tokenClock.advance(TOKEN_CACHE_MS);
      expect((await call(e, token, "GET", "/v1/usage")).status).toBe(401); // never answered here: fail closed
    } finally {
      await shardOf(sha256).setFault(false);
    }
    expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200);
    await shardOf(sha256).setFault(true);
    try {
      tokenClock.advance(TOKEN_CACHE_MS);
      expect((await call(e, token, "GET", "/v1/usage")).status).toBe(200); // its last answer
    } finally {
      await shardOf(sha256).setFault(false);
    }
  });
});
