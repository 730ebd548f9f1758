// The token store's bounds (issue 23): MAX_STORED_TOKENS in the registry (rows seeded straight into the controller's
// table, as 100,000 creates would leave them), MAX_TOKEN_LIST_PAGE for GET /v1/tokens (walked to the end by
// nextAfter), and TOKEN_ANSWER_CACHE_ENTRIES answers per router isolate.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { authOnEnv, callAs } from "../auth-env";
import type { Controller } from "../../src/controller/Controller";
import { TokenAnswers } from "../../src/auth/token-answers";
import type { Env } from "../../src/env";
import { MAX_STORED_TOKENS, MAX_TOKEN_LIST_PAGE, TOKEN_ANSWER_CACHE_ENTRIES } from "../../src/limits";
import { controllerStub } from "../../src/names";

const ADMIN = "edl_admin_token_for_the_token_limits_test";

const authEnv = (): Promise<Env> => authOnEnv("limits-admin", ADMIN);

const call = (e: Env, method: string, path: string, body?: unknown) => callAs(e, ADMIN, method, path, body);

const ACLS = [{ resource: "cluster", name: "cluster", operations: ["read"] }];

/** Fills the registry up to `count` tokens (names seed-000000..., hashes made up: no router will present them). */
async function seed(count: number): Promise<void> {
  await runInDurableObject(controllerStub(env), (_c: Controller, state) => {
    const have = state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM tokens").one().n;
    for (let i = have; i < count; i++) {
      const n = String(i).padStart(6, "0");
      state.storage.sql.exec(
        "INSERT INTO tokens (id, name, sha256, acls, quotas, created_ms) VALUES (?, ?, ?, ?, ?, ?)",
        `seed-id-${n}`, `seed-${n}`, `${"0".repeat(58)}${n}`, JSON.stringify(ACLS), "{}", 1,
      );
    }
  });
}

describe("token store limits", () => {
  it(`MAX_STORED_TOKENS (${MAX_STORED_TOKENS.toLocaleString("en-US")}): the last create fits, the next is refused, and the list pages through all`, async () => {
    const e = await authEnv();
    await seed(MAX_STORED_TOKENS - 1);
    const last = await call(e, "POST", "/v1/tokens", { name: "zz-last", acls: ACLS });
    expect(last.status, JSON.stringify(last.body)).toBe(201);
    const over = await call(e, "POST", "/v1/tokens", { name: "zz-over", acls: ACLS });
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ type: "POLICY_VIOLATION", retriable: false });
    expect(over.body.error.message).toContain(`the maximum is ${MAX_STORED_TOKENS}`);
    // Nothing acknowledged changed: the last token still works, and revoking one makes room again.
    const token = last.body.token as string;
    const used = await callAs(e, token, "GET", "/v1/usage");
    expect(used.status).toBe(200);

    // Every page holds MAX_TOKEN_LIST_PAGE by default; nextAfter walks to the end, each name once, in order.
    let after: string | undefined;
    let pages = 0;
    let listed = 0;
    let previous = "";
    do {
      const page = await call(e, "GET", `/v1/tokens${after === undefined ? "" : `?after=${encodeURIComponent(after)}`}`);
      expect(page.status).toBe(200);
      const names = page.body.tokens.map((t: { name: string }) => t.name) as string[];
      expect(names.length).toBeLessThanOrEqual(MAX_TOKEN_LIST_PAGE);
      if (page.body.nextAfter !== undefined) expect(names.length).toBe(MAX_TOKEN_LIST_PAGE);
      expect(names[0]! > previous).toBe(true);
      previous = names[names.length - 1]!;
      listed += names.length;
      pages++;
      after = page.body.nextAfter;
    } while (after !== undefined);
    expect(listed).toBe(MAX_STORED_TOKENS);
    expect(pages).toBe(Math.ceil(MAX_STORED_TOKENS / MAX_TOKEN_LIST_PAGE));
    expect(previous).toBe("zz-last");

    expect((await call(e, "DELETE", `/v1/tokens/${last.body.id}`)).status).toBe(200);
    expect((await call(e, "POST", "/v1/tokens", { name: "zz-again", acls: ACLS })).status).toBe(201);
  });

  it(`GET /v1/tokens?limit: ${MAX_TOKEN_LIST_PAGE} is the most, over it is refused; a smaller page says where to go on`, async () => {
    const e = await authEnv();
    await seed(5);
    const atLimit = await call(e, "GET", `/v1/tokens?limit=${MAX_TOKEN_LIST_PAGE}`);
    expect(atLimit.status).toBe(200);
    const over = await call(e, "GET", `/v1/tokens?limit=${MAX_TOKEN_LIST_PAGE + 1}`);
    expect(over.status).toBe(400);
    expect(over.body.error).toMatchObject({ type: "INVALID_REQUEST", details: { field: "limit" } });
    for (const bad of ["0", "x", "-1"]) expect((await call(e, "GET", `/v1/tokens?limit=${bad}`)).status).toBe(400);
    expect((await call(e, "GET", `/v1/tokens?after=${"a".repeat(64)}`)).status).toBe(200); // a name's length: at the bound
    expect((await call(e, "GET", `/v1/tokens?after=${"a".repeat(65)}`)).body.error).toMatchObject({ type: "INVALID_REQUEST", details: { field: "after" } });
    const first = await call(e, "GET", "/v1/tokens?limit=2");
    expect(first.body.tokens).toHaveLength(2);
    expect(first.body.nextAfter).toBe(first.body.tokens[1].name);
    const second = await call(e, "GET", `/v1/tokens?limit=2&after=${first.body.nextAfter}`);
    expect(second.body.tokens[0].name > first.body.nextAfter).toBe(true);
    const four = await call(e, "GET", "/v1/tokens?limit=4");
    expect(four.body.tokens.map((t: { name: string }) => t.name)).toEqual([...first.body.tokens, ...second.body.tokens].map((t: { name: string }) => t.name));
  });

  it(`TOKEN_ANSWER_CACHE_ENTRIES (${TOKEN_ANSWER_CACHE_ENTRIES.toLocaleString("en-US")}): at the bound every answer stays; past it the one kept longest goes`, () => {
    const answers = new TokenAnswers(TOKEN_ANSWER_CACHE_ENTRIES);
    for (let i = 0; i < TOKEN_ANSWER_CACHE_ENTRIES; i++) answers.set(`h${i}`, { record: null, answeredMs: i });
    expect(answers.size).toBe(TOKEN_ANSWER_CACHE_ENTRIES);
    expect(answers.get("h0")).toEqual({ record: null, answeredMs: 0 });
    // h0 answered again: it is now the newest, so h1 is the one to go.
    answers.set("h0", { record: null, answeredMs: TOKEN_ANSWER_CACHE_ENTRIES });
    answers.set("over", { record: null, answeredMs: TOKEN_ANSWER_CACHE_ENTRIES + 1 });
    expect(answers.size).toBe(TOKEN_ANSWER_CACHE_ENTRIES);
    expect(answers.get("h1")).toBeUndefined();
    expect(answers.get("h0")?.answeredMs).toBe(TOKEN_ANSWER_CACHE_ENTRIES);
    expect(answers.get("over")).toBeDefined();
  });
});
