// Security end to end: the Worker's own handler with auth on (an env variant of the test bindings), tokens from the
// EDGELOG_TOKENS secret and from the token store. One table of endpoint x token -> expected status covers every
// endpoint; then 401s, revocation, fail-closed defaults, quotas, CORS, and that no token reaches a response.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { sha256Hex } from "../../src/auth/tokens";
import type { Env } from "../../src/env";

const uid = crypto.randomUUID().slice(0, 8);
const T = `orders-${uid}`; // writer and reader may use it
const O = `other-${uid}`; // nobody but admin
const SCRATCH = `orders-scratch-${uid}`; // admin mutates it
const G = `g-${uid}`;

const TOKENS = {
  admin: "edl_admin_secret_token_for_tests_only",
  writer: "edl_writer_secret_token_for_tests_only",
  reader: "edl_reader_secret_token_for_tests_only",
  nothing: "edl_nothing_secret_token_for_tests_only",
  limited: "edl_limited_secret_token_for_tests_only",
  subscriber: "edl_subscriber_secret_token_for_tests_only",
} as const;
type Who = keyof typeof TOKENS | "anonymous";

let authEnv: Env;

async function secret(): Promise<string> {
  const entry = async (name: keyof typeof TOKENS, acls: unknown[], quotas?: unknown) => ({ name, sha256: await sha256Hex(TOKENS[name]), acls, ...(quotas ? { quotas } : {}) });
  return JSON.stringify([
    await entry("admin", [
      { resource: "cluster", name: "cluster", operations: ["admin"] },
      { resource: "topic", name: "*", operations: ["admin"] },
      { resource: "group", name: "*", operations: ["admin"] },
    ]),
    await entry("writer", [{ resource: "topic", name: "orders", patternType: "prefixed", operations: ["write"] }]),
    await entry("reader", [
      { resource: "topic", name: T, operations: ["read"] },
      { resource: "group", name: "g-", patternType: "prefixed", operations: ["read"] },
    ]),
    await entry("nothing", []),
    await entry("limited", [{ resource: "topic", name: "*", operations: ["read", "write"] }], { requestsPerSecond: 2 }),
    // May create subscriptions named s-… on T, but read no share group.
    await entry("subscriber", [
      { resource: "topic", name: T, operations: ["read"] },
      { resource: "group", name: "s-", patternType: "prefixed", operations: ["admin"] },
    ]),
  ]);
}

async function call(who: Who, method: string, path: string, body?: unknown, extraEnv: Partial<Env> = {}, headers: Record<string, string> = {}) {
  const h: Record<string, string> = { ...headers };
  if (who !== "anonymous") h.authorization = `Bearer ${TOKENS[who]}`;
  if (body !== undefined) h["content-type"] = "application/json";
  const request = new Request(`http://edgelog.test${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, { ...authEnv, ...extraEnv }, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // metrics: text
  }
  return { status: response.status, body: parsed, headers: response.headers, text };
}

beforeAll(async () => {
  authEnv = { ...(env as unknown as Env), EDGELOG_ENV: "production", EDGELOG_AUTH: undefined, EDGELOG_TOKENS: await secret() };
  for (const [name, partitions] of [[T, 2], [O, 1], [SCRATCH, 1]] as const) {
    const r = await call("admin", "POST", "/v1/topics", { name, partitions });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
  }
  expect((await call("admin", "POST", `/v1/topics/${T}/records`, { records: [{ key: "k", value: "v" }] })).status).toBe(200);
  expect((await call("admin", "POST", `/v1/groups/${G}/offsets`, { offsets: [{ topic: T, partition: 0, offset: 0 }] })).status).toBe(200);
});

// [who, method, path, body, expected status, expected error type]
type Row = [Who, string, string, unknown, number, string?];
const rows = (): Row[] => [
  ["anonymous", "GET", "/healthz", undefined, 200],
  ["anonymous", "GET", "/metrics", undefined, 401, "SASL_AUTHENTICATION_FAILED"],
  ["reader", "GET", "/metrics", undefined, 403, "CLUSTER_AUTHORIZATION_FAILED"],
  ["admin", "GET", "/metrics", undefined, 200],
  ["reader", "GET", `/v1/usage?topic=${T}&group=${G}`, undefined, 403, "CLUSTER_AUTHORIZATION_FAILED"],
  ["admin", "GET", `/v1/usage?topic=${T}&group=${G}`, undefined, 200],
  ["reader", "POST", "/v1/topics", { name: `orders-new-${uid}` }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["writer", "POST", "/v1/topics", { name: `orders-new-${uid}` }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["admin", "POST", "/v1/topics", { name: `orders-new-${uid}` }, 201],
  ["anonymous", "GET", "/v1/topics", undefined, 401, "SASL_AUTHENTICATION_FAILED"],
  ["nothing", "GET", "/v1/topics", undefined, 200],
  ["reader", "GET", `/v1/topics/${T}`, undefined, 200],
  // Describing needs any permission on the topic (Kafka's WRITE implies DESCRIBE); none at all is refused.
  ["writer", "GET", `/v1/topics/${T}`, undefined, 200],
  ["nothing", "GET", `/v1/topics/${T}`, undefined, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["reader", "GET", `/v1/topics/${O}`, undefined, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["writer", "PATCH", `/v1/topics/${SCRATCH}`, { config: { "retention.ms": 1000 } }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["admin", "PATCH", `/v1/topics/${SCRATCH}`, { config: { "retention.ms": 1000 } }, 200],
  ["reader", "POST", `/v1/topics/${SCRATCH}/partitions`, { count: 2 }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["admin", "POST", `/v1/topics/${SCRATCH}/partitions`, { count: 2 }, 200],
  ["writer", "POST", `/v1/topics/${T}/records`, { records: [{ value: "w" }] }, 200],
  ["reader", "POST", `/v1/topics/${T}/records`, { records: [{ value: "w" }] }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["writer", "POST", `/v1/topics/${O}/records`, { records: [{ value: "w" }] }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["writer", "POST", `/v1/topics/${T}/partitions/1/records`, { records: [{ value: "w" }] }, 200],
  ["nothing", "POST", `/v1/topics/${T}/partitions/1/records`, { records: [{ value: "w" }] }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["reader", "GET", `/v1/topics/${T}/partitions/0/records?offset=0`, undefined, 200],
  ["writer", "GET", `/v1/topics/${T}/partitions/0/records?offset=0`, undefined, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["reader", "GET", `/v1/topics/${T}/partitions/0/offsets?at=latest`, undefined, 200],
  ["writer", "GET", `/v1/topics/${T}/partitions/0/offsets?at=latest`, undefined, 200],
  ["nothing", "GET", `/v1/topics/${T}/partitions/0/offsets?at=latest`, undefined, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["writer", "GET", `/v1/topics/${O}/partitions/0/offsets?at=latest`, undefined, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["writer", "POST", "/v1/producers", {}, 200],
  ["reader", "POST", "/v1/producers", {}, 403, "CLUSTER_AUTHORIZATION_FAILED"],
  ["nothing", "GET", "/v1/groups", undefined, 200],
  ["reader", "GET", `/v1/groups/${G}`, undefined, 200],
  ["writer", "GET", `/v1/groups/${G}`, undefined, 403, "GROUP_AUTHORIZATION_FAILED"],
  ["reader", "GET", `/v1/groups/${G}/offsets`, undefined, 200],
  ["writer", "GET", `/v1/groups/${G}/offsets`, undefined, 403, "GROUP_AUTHORIZATION_FAILED"],
  ["reader", "POST", `/v1/groups/${G}/heartbeat`, { memberEpoch: 0, subscribedTopics: [O] }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["writer", "POST", `/v1/groups/${G}/heartbeat`, { memberEpoch: 0, subscribedTopics: [T] }, 403, "GROUP_AUTHORIZATION_FAILED"],
  ["reader", "POST", `/v1/groups/${G}/offsets`, { offsets: [{ topic: O, partition: 0, offset: 0 }] }, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["reader", "POST", `/v1/groups/${G}/offsets`, { offsets: [{ topic: T, partition: 0, offset: 1 }] }, 200],
  ["reader", "POST", `/v1/groups/${G}/offsets/reset`, { topic: T, to: "earliest" }, 403, "GROUP_AUTHORIZATION_FAILED"],
  ["admin", "POST", `/v1/groups/${G}/offsets/reset`, { topic: T, to: "earliest" }, 200],
  // A shared subscription leases from its share group as a poll does: group read on it too.
  ["subscriber", "POST", "/v1/subscriptions", { name: `s-${uid}`, topics: [T], mode: "shared", shareGroup: `other-${uid}`, target: { type: "service", binding: "TEST_CONSUMER" } }, 403, "GROUP_AUTHORIZATION_FAILED"],
  ["reader", "DELETE", `/v1/groups/${G}`, undefined, 403, "GROUP_AUTHORIZATION_FAILED"],
  ["reader", "GET", "/v1/tokens", undefined, 403, "CLUSTER_AUTHORIZATION_FAILED"],
  ["admin", "GET", "/v1/tokens", undefined, 200],
  ["writer", "POST", "/v1/tokens", { name: `t-${uid}`, acls: [] }, 403, "CLUSTER_AUTHORIZATION_FAILED"],
  ["reader", "DELETE", "/v1/tokens/some-id", undefined, 403, "CLUSTER_AUTHORIZATION_FAILED"],
  ["writer", "DELETE", `/v1/topics/${SCRATCH}`, undefined, 403, "TOPIC_AUTHORIZATION_FAILED"],
  ["admin", "DELETE", `/v1/topics/${SCRATCH}`, undefined, 200],
  ["admin", "DELETE", `/v1/groups/${G}`, undefined, 200],
];

describe("endpoint x token permission", () => {
  it("answers every row of the table as expected", async () => {
    for (const [who, method, path, body, status, type] of rows()) {
      const r = await call(who, method, path, body);
      expect([r.status, r.body?.error?.type], `${who} ${method} ${path}`).toEqual([status, type]);
      if (status === 401) expect(r.headers.get("www-authenticate")).toContain("Bearer");
      // No token ever reaches a response.
      for (const token of Object.values(TOKENS)) expect(r.text).not.toContain(token);
    }
  });

  it("shows a group's lag only for topics the token may describe", async () => {
    const hidden = `secret-${uid}`;
    const g = `g-lag-${uid}`;
    expect((await call("admin", "POST", "/v1/topics", { name: hidden, partitions: 1 })).status).toBe(201);
    expect((await call("admin", "POST", `/v1/groups/${g}/offsets`, { offsets: [{ topic: T, partition: 0, offset: 0 }, { topic: hidden, partition: 0, offset: 0 }] })).status).toBe(200);
    const asAdmin = (await call("admin", "GET", `/v1/groups/${g}/offsets`)).body.topics.map((t: any) => t.topic);
    expect(asAdmin).toEqual([T, hidden].sort());
    expect((await call("reader", "GET", `/v1/groups/${g}/offsets`)).body.topics.map((t: any) => t.topic)).toEqual([T]);
    expect((await call("reader", "GET", `/v1/groups/${g}`)).body.lag.topics.map((t: any) => t.topic)).toEqual([T]);
  });

  it("lists only what a token may describe: any operation on a topic lists it", async () => {
    const topics = (await call("reader", "GET", "/v1/topics")).body.topics.map((t: any) => t.name);
    expect(topics).toContain(T);
    expect(topics).not.toContain(O);
    const written = (await call("writer", "GET", "/v1/topics")).body.topics.map((t: any) => t.name);
    expect(written).toContain(T);
    expect(written).not.toContain(O);
    expect((await call("nothing", "GET", "/v1/topics")).body.topics).toEqual([]);
  });
});

describe("authentication", () => {
  it("takes the Bearer scheme in any case", async () => {
    expect((await call("anonymous", "GET", `/v1/topics/${T}`, undefined, {}, { authorization: `bearer ${TOKENS.reader}` })).status).toBe(200);
  });

  it("refuses a missing, malformed or unknown token with 401", async () => {
    for (const authorization of ["", "Basic abc", "Bearer", "Bearer not-a-token", `Bearer ${TOKENS.admin}x`]) {
      const r = await call("anonymous", "GET", "/v1/topics", undefined, {}, authorization ? { authorization } : {});
      expect(r.status, authorization).toBe(401);
      expect(r.body.error).toMatchObject({ type: "SASL_AUTHENTICATION_FAILED", code: 58, retriable: false });
    }
  });

  it("fails closed: no tokens configured refuses everything; auth=off is ignored in production", async () => {
    const none = await call("admin", "GET", "/v1/topics", undefined, { EDGELOG_TOKENS: undefined });
    expect(none.status).toBe(401);
    expect(none.body.error.message).toContain("no tokens configured");
    expect((await call("anonymous", "GET", "/v1/topics", undefined, { EDGELOG_AUTH: "off", EDGELOG_ENV: "production" })).status).toBe(401);
    expect((await call("anonymous", "GET", "/v1/topics", undefined, { EDGELOG_AUTH: "off", EDGELOG_ENV: "development" })).status).toBe(200);
    expect((await call("anonymous", "GET", "/v1/topics", undefined, { EDGELOG_TOKENS: "not json" })).status).toBe(401);
  });

  it("creates store tokens shown once, honours their ACLs, and stops them at once when revoked", async () => {
    const created = await call("admin", "POST", "/v1/tokens", { name: `ci-${uid}`, acls: [{ resource: "topic", name: T, operations: ["read"] }] });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^edl_[A-Za-z0-9_-]{43}$/);
    const token = created.body.token as string;
    const listed = await call("admin", "GET", "/v1/tokens");
    expect(listed.text).not.toContain(token);
    expect(listed.body.tokens.find((t: any) => t.name === `ci-${uid}`)).toMatchObject({ id: created.body.id, acls: [{ resource: "topic", name: T }] });
    const use = (path: string) => call("anonymous", "GET", path, undefined, {}, { authorization: `Bearer ${token}` });
    expect((await use(`/v1/topics/${T}/partitions/0/offsets?at=latest`)).status).toBe(200);
    expect((await use(`/v1/topics/${O}/partitions/0/offsets?at=latest`)).status).toBe(403);
    const dup = await call("admin", "POST", "/v1/tokens", { name: `ci-${uid}`, acls: [] });
    expect(dup.status).toBe(400);
    const bad = await call("admin", "POST", "/v1/tokens", { name: `x-${uid}`, acls: [{ resource: "planet", name: "x", operations: ["read"] }] });
    expect(bad.body.error.type).toBe("INVALID_REQUEST");
    expect((await call("admin", "DELETE", `/v1/tokens/${created.body.id}`)).status).toBe(200);
    expect((await use(`/v1/topics/${T}/partitions/0/offsets?at=latest`)).status).toBe(401);
    expect((await call("admin", "DELETE", `/v1/tokens/${created.body.id}`)).status).toBe(404);
  });
});

describe("quotas", () => {
  it("answers 429 THROTTLING_QUOTA_EXCEEDED with Retry-After when a token is over its request rate", async () => {
    const statuses: number[] = [];
    let throttled: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await call("limited", "GET", `/v1/topics/${T}/partitions/0/offsets?at=latest`);
      statuses.push(r.status);
      if (r.status === 429) throttled ??= r;
    }
    expect(statuses.slice(0, 2)).toEqual([200, 200]);
    expect(statuses).toContain(429);
    expect(throttled!.body.error).toMatchObject({ type: "THROTTLING_QUOTA_EXCEEDED", code: 89, retriable: true });
    expect(Number(throttled!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });
});

describe("CORS", () => {
  it("answers preflights and adds headers only for configured origins", async () => {
    const cors = { EDGELOG_CORS_ORIGINS: "https://app.example, https://admin.example" };
    const ok = await call("anonymous", "OPTIONS", "/v1/topics", undefined, cors, { origin: "https://app.example", "access-control-request-method": "POST" });
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(ok.headers.get("access-control-allow-headers")).toContain("authorization");
    const no = await call("anonymous", "OPTIONS", "/v1/topics", undefined, cors, { origin: "https://evil.example" });
    expect(no.headers.get("access-control-allow-origin")).toBeNull();
    const get = await call("reader", "GET", `/v1/topics/${T}`, undefined, cors, { origin: "https://admin.example" });
    expect(get.headers.get("access-control-allow-origin")).toBe("https://admin.example");
    const other = await call("reader", "GET", `/v1/topics/${T}`, undefined, cors, { origin: "https://evil.example" });
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });
});
