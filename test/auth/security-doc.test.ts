// docs/security.md's permission table is checked against the Worker, so the page cannot drift from the code. The
// table is imported at build time (vite's `?raw`: tests in workerd cannot read files). It must list every route of the
// router and no other; and for each endpoint, with auth on, a token holding exactly what its "needs" cell says (and
// each operation that implies it: admin for read, any for describe) succeeds, while tokens that each lack one part of
// it (the nearest miss: write for read, read+write for admin, a lookalike name for describe) get the 403 of that
// resource. The TypeScript client's producer is also run with a write-only token, as the page says it can be.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import securityDoc from "../../docs/security.md?raw";
import worker from "../../src/index";
import { ROUTES } from "../../src/http/router";
import { DS_ROUTES } from "../../src/streams/routes";
import { sha256Hex } from "../../src/auth/tokens";
import type { Acl, Operation, Requirement, ResourceType } from "../../src/auth/acl";
import { Edgelog } from "../../src/client/edgelog";
import type { Env } from "../../src/env";

// ---- the table -------------------------------------------------------------------------------------------------

/** One permission of a "needs" cell: on the path's resource (or the cluster), one named in the body, or any topic. */
interface Grant {
  resource: ResourceType;
  operation: Requirement;
  on: "path" | "body" | "any";
}
/** Alternatives (", or "), any one of which is enough. */
type Clause = Grant[];
interface Endpoint {
  method: string;
  /** As the page writes it, e.g. /v1/topics/{topic}; "*" for OPTIONS on any path. */
  path: string;
  /** Every clause is needed (" + "); "nothing" needs no token, "token" any valid one. */
  needs: "nothing" | "token" | Clause[];
}

function parseGrant(text: string): Grant {
  const m = /^(topic|group|cluster|transactionalId) (read|write|admin|describe)(?: on (any topic|each `[^`]+`|`[^`]+`))?$/.exec(text);
  if (!m) throw new Error(`docs/security.md permission table: cannot read "${text}" (write e.g. "topic read", "group read + topic read on \`topic\`")`);
  return { resource: m[1] as ResourceType, operation: m[2] as Requirement, on: m[3] === undefined ? "path" : m[3] === "any topic" ? "any" : "body" };
}

function permissionTable(doc: string): Endpoint[] {
  const section = doc.split("\n## Permissions per endpoint\n")[1]?.split("\n## ")[0];
  if (section === undefined) throw new Error("docs/security.md has no '## Permissions per endpoint' section");
  const rows = section.split("\n").filter((line) => line.startsWith("|")).slice(2); // after the header and |---|
  if (rows.length === 0) throw new Error("docs/security.md: the permission table has no rows");
  return rows.flatMap((row) => {
    const [endpoints, needsText] = row.split("|").slice(1, -1).map((cell) => cell.trim());
    const found = [...endpoints!.matchAll(/`(GET|HEAD|POST|PATCH|PUT|DELETE|OPTIONS)(?: (\/[^`]*))?`/g)];
    if (found.length === 0) throw new Error(`docs/security.md permission table: no endpoint in "${endpoints}"`);
    const needs: Endpoint["needs"] =
      needsText === "nothing (no token)" ? "nothing" : needsText === "any valid token" ? "token" : needsText!.split(" + ").map((clause) => clause.split(", or ").map(parseGrant));
    return found.map((m) => ({ method: m[1]!, path: m[2] ?? "*", needs }));
  });
}

const TABLE = permissionTable(securityDoc);
const key = (e: { method: string; path: string }) => `${e.method} ${e.path}`;

// ---- what the test sends to each endpoint ---------------------------------------------------------------------

const uid = crypto.randomUUID().slice(0, 8);
/** The resources one endpoint's calls name: its own, so a call that deletes or alters cannot disturb another row. */
interface Resources {
  topic: string;
  group: string;
  txn: string;
  tokenId: string;
}
let tokenNames = 0;
/**
 * A request that succeeds when permitted (or, with `permitted`, gets that answer from the operation itself). Every
 * POST and PATCH endpoint needs one here (the test fails otherwise).
 */
const REQUESTS: Record<
  string,
  {
    query?: string;
    body?: (r: Resources) => unknown;
    replicationFactor?: number;
    noTopic?: boolean;
    permitted?: [number, string];
    /** The endpoint's group is a subscription: "create" leaves it to the call, "exists" creates it, "paused" pauses it too. */
    subscription?: "create" | "exists" | "paused";
    /** The endpoint's group is a share group: "create" leaves it to the call, "exists" creates it. */
    share?: "create" | "exists";
    /** The endpoint's stream (Durable Streams, named like its topic) exists before the calls, in JSON mode. */
    stream?: boolean;
    /** What an admin undoes after each permitted call, so the next holder's call can succeed too. */
    undo?: (r: Resources) => [string, string];
  }
> = {
  "POST /v1/topics": { body: (r) => ({ name: r.topic, partitions: 1 }), noTopic: true },
  "PATCH /v1/topics/{topic}": { body: () => ({ config: { "retention.ms": 60_000 } }) },
  "POST /v1/topics/{topic}/partitions": { body: () => ({ count: 2 }) },
  "POST /v1/topics/{topic}/records": { body: () => ({ records: [{ value: "v" }] }) },
  "POST /v1/topics/{topic}/partitions/{p}/records": { body: () => ({ records: [{ value: "v" }] }) },
  "GET /v1/topics/{topic}/partitions/{p}/records": { query: "?offset=0" },
  "GET /v1/topics/{topic}/partitions/{p}/offsets": { query: "?at=latest" },
  "POST /v1/topics/{topic}/partitions/{p}/delete-records": { body: () => ({ beforeOffset: 1 }) },
  // Replica 0 leads a healthy partition already: the election itself says so.
  "POST /v1/topics/{topic}/partitions/{p}/elect": { body: () => ({ type: "preferred" }), replicationFactor: 2, permitted: [409, "ELECTION_NOT_NEEDED"] },
  "POST /v1/faults": { body: (r) => ({ topic: r.topic, partition: 0, replica: 0, down: false }) },
  "POST /v1/producers": { body: () => ({}) },
  "POST /v1/groups/{group}/heartbeat": { body: (r) => ({ memberEpoch: 0, subscribedTopics: [r.topic] }) },
  "POST /v1/groups/{group}/offsets": { body: (r) => ({ offsets: [{ topic: r.topic, partition: 0, offset: 1 }] }) },
  "PATCH /v1/groups/{group}": { body: () => ({ lagStoppedAfterMs: 60_000 }) },
  "POST /v1/groups/{group}/offsets/reset": { body: (r) => ({ topic: r.topic, to: "earliest" }) },
  "POST /v1/tokens": { body: () => ({ name: `doc-${uid}-${++tokenNames}`, acls: [] }) },
  "POST /v1/subscriptions": {
    body: (r) => ({ name: r.group, topics: [r.topic], target: { type: "service", binding: "TEST_CONSUMER" } }),
    subscription: "create",
    undo: (r) => ["DELETE", `/v1/subscriptions/${r.group}`],
  },
  "GET /v1/subscriptions/{name}": { subscription: "exists" },
  "PATCH /v1/subscriptions/{name}": { body: () => ({ maxBatchSize: 10 }), subscription: "exists" },
  "DELETE /v1/subscriptions/{name}": { subscription: "exists" },
  "POST /v1/subscriptions/{name}/pause": { body: () => ({}), subscription: "exists" },
  "POST /v1/subscriptions/{name}/resume": { body: () => ({}), subscription: "paused" },
  "POST /v1/subscriptions/{name}/offsets/reset": { body: (r) => ({ topic: r.topic, to: "earliest" }), subscription: "paused" },
  "PUT /v1/share-groups/{group}": { body: () => ({ lockDurationMs: 60_000 }), share: "create" },
  "GET /v1/share-groups/{group}": { share: "exists" },
  "PATCH /v1/share-groups/{group}": { body: () => ({ deliveryCountLimit: 4 }), share: "exists" },
  "DELETE /v1/share-groups/{group}": { share: "exists", undo: (r) => ["PUT", `/v1/share-groups/${r.group}`] },
  // A join that leaves at once is not possible in one request: the member stays until its session ends.
  "POST /v1/share-groups/{group}/heartbeat": { body: (r) => ({ memberEpoch: 0, subscribedTopicNames: [r.topic] }), share: "exists" },
  "POST /v1/share-groups/{group}/poll": { body: (r) => ({ topics: [r.topic] }), share: "exists" },
  // A lease nobody was given: the acknowledgement itself refuses it.
  "POST /v1/share-groups/{group}/acknowledgements": { body: (r) => ({ acknowledgements: [{ leaseId: `${r.topic}:0:0:1`, type: "accept" }] }), share: "exists", permitted: [409, "INVALID_RECORD_STATE"] },
  "POST /v1/share-groups/{group}/offsets/reset": { body: (r) => ({ topic: r.topic, to: "earliest" }), share: "exists" },
  // Only init makes a transactional id: the others reach a coordinator that does not know theirs.
  "POST /v1/transactions/{transactionalId}/init": { body: () => ({}) },
  "POST /v1/transactions/{transactionalId}/begin": { body: () => ({ producerId: 0, producerEpoch: 0 }), permitted: [404, "TRANSACTIONAL_ID_NOT_FOUND"] },
  "POST /v1/transactions/{transactionalId}/offsets": {
    body: (r) => ({ producerId: 0, producerEpoch: 0, groupId: r.group, offsets: [{ topic: r.topic, partition: 0, offset: 1 }] }),
    permitted: [404, "TRANSACTIONAL_ID_NOT_FOUND"],
  },
  "POST /v1/transactions/{transactionalId}/commit": { body: () => ({ producerId: 0, producerEpoch: 0 }), permitted: [404, "TRANSACTIONAL_ID_NOT_FOUND"] },
  "POST /v1/transactions/{transactionalId}/abort": { body: () => ({ producerId: 0, producerEpoch: 0 }), permitted: [404, "TRANSACTIONAL_ID_NOT_FOUND"] },
  "GET /v1/transactions/{transactionalId}": { permitted: [404, "TRANSACTIONAL_ID_NOT_FOUND"] },
  // Durable Streams: the first holder creates the stream (201), the others re-create it alike (200).
  "PUT /ds/v1/stream/{stream}": { body: () => [] },
  "POST /ds/v1/stream/{stream}": { body: () => ({ a: 1 }), stream: true },
  "GET /ds/v1/stream/{stream}": { query: "?offset=-1", stream: true },
  "HEAD /ds/v1/stream/{stream}": { stream: true },
  "DELETE /ds/v1/stream/{stream}": { stream: true, undo: (r) => ["PUT", `/ds/v1/stream/${r.topic}`] },
};

const resources = new Map<string, Resources>(TABLE.map((e, i) => [key(e), { topic: `doc-${i}-${uid}`, group: `doc-g-${i}-${uid}`, txn: `doc-x-${i}-${uid}`, tokenId: "" }]));

function urlOf(e: Endpoint, r: Resources): string {
  const path = e.path === "*" ? "/v1/topics" : e.path.replace("{topic}", r.topic).replace("{p}", "0").replace("{group}", r.group).replace("{name}", r.group).replace("{transactionalId}", r.txn).replace("{id}", r.tokenId).replace("{stream}", r.topic);
  return path + (REQUESTS[key(e)]?.query ?? "");
}

// ---- tokens ----------------------------------------------------------------------------------------------------

const IMPLIED_BY: Record<Requirement, Operation[]> = { read: ["read", "admin"], write: ["write", "admin"], admin: ["admin"], describe: ["read", "write", "admin"] };
/** The operations that come closest to `operation` without granting it. */
const NEAREST_MISS: Record<Requirement, Operation[]> = { read: ["write"], write: ["read"], admin: ["read", "write"], describe: [] };
const FAILURE = { topic: "TOPIC_AUTHORIZATION_FAILED", group: "GROUP_AUTHORIZATION_FAILED", cluster: "CLUSTER_AUTHORIZATION_FAILED", transactionalId: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", subject: "TOPIC_AUTHORIZATION_FAILED" } as const;

function aclName(grant: Grant, r: Resources): string {
  if (grant.resource === "cluster") return "cluster";
  if (grant.on === "any") return `any-${uid}`;
  return grant.resource === "topic" ? r.topic : grant.resource === "transactionalId" ? r.txn : r.group;
}
const acl = (grant: Grant, r: Resources, operations: Operation[], name = aclName(grant, r)): Acl => ({ resource: grant.resource, name, patternType: "literal", operations });

/** Tokens that hold what the clauses need: the first alternative of each at its own operation, then each alternative at each operation implying it. */
function holders(clauses: Clause[], r: Resources): Acl[][] {
  const base = clauses.map((c) => acl(c[0]!, r, [IMPLIED_BY[c[0]!.operation][0]!]));
  const out = new Map<string, Acl[]>([[JSON.stringify(base), base]]);
  clauses.forEach((clause, i) => {
    for (const grant of clause) {
      for (const op of IMPLIED_BY[grant.operation]) {
        const acls = base.map((a, j) => (j === i ? acl(grant, r, [op]) : a));
        out.set(JSON.stringify(acls), acls);
      }
    }
  });
  return [...out.values()];
}

/** For each clause, a token with every other clause and only the nearest miss of this one; and the errors it may get. */
function lackers(clauses: Clause[], r: Resources): { acls: Acl[]; types: string[]; lacking: string }[] {
  return clauses.map((clause, i) => {
    const others = clauses.filter((_, j) => j !== i).map((c) => acl(c[0]!, r, [IMPLIED_BY[c[0]!.operation][0]!]));
    // describe is implied by any operation, so the nearest miss is admin on a name that only looks alike.
    const misses = clause.map((g) => (g.operation === "describe" ? acl(g, r, ["admin"], `${aclName(g, r)}x`) : acl(g, r, NEAREST_MISS[g.operation])));
    return { acls: [...others, ...misses], types: clause.map((g) => FAILURE[g.resource]), lacking: clause.map((g) => `${g.resource} ${g.operation}`).join(" or ") };
  });
}

interface Token {
  secret: string;
  name: string;
  acls: Acl[];
}
const tokens: Token[] = [];
function token(name: string, acls: Acl[]): Token {
  const t = { secret: `edl_doc_${tokens.length}_${uid}`, name, acls };
  tokens.push(t);
  return t;
}

const ADMIN = token("doc-admin", [
  { resource: "cluster", name: "cluster", patternType: "literal", operations: ["admin"] },
  { resource: "topic", name: "*", patternType: "literal", operations: ["admin"] },
  { resource: "group", name: "*", patternType: "literal", operations: ["admin"] },
]);
const NOTHING = token("doc-nothing", []);

interface Check {
  endpoint: Endpoint;
  holders: Token[];
  lackers: { token: Token | undefined; types: string[]; lacking: string }[];
}
const checks: Check[] = TABLE.map((endpoint) => {
  const r = resources.get(key(endpoint))!;
  if (endpoint.needs === "nothing") return { endpoint, holders: [], lackers: [] };
  if (endpoint.needs === "token") return { endpoint, holders: [NOTHING], lackers: [{ token: undefined, types: ["SASL_AUTHENTICATION_FAILED"], lacking: "a token" }] };
  const name = (kind: string, i: number) => `${key(endpoint)} ${kind} ${i}`;
  return {
    endpoint,
    holders: holders(endpoint.needs, r).map((acls, i) => token(name("holder", i), acls)),
    lackers: lackers(endpoint.needs, r).map((l, i) => ({ ...l, token: token(name("lacker", i), l.acls) })),
  };
});

// ---- calling the Worker ----------------------------------------------------------------------------------------

let authEnv: Env;

async function call(who: Token | undefined, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (who) headers.authorization = `Bearer ${who.secret}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method === "OPTIONS") Object.assign(headers, { origin: "https://example.com", "access-control-request-method": "GET" });
  const request = new Request(`http://edgelog.test${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, authEnv, ctx);
  await waitOnExecutionContext(ctx);
  const text = await response.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics, an empty 204)
  }
  return { status: response.status, body: parsed, text };
}

async function asAdmin(method: string, path: string, body?: unknown) {
  const r = await call(ADMIN, method, path, body);
  expect(r.status, `setup: ${method} ${path}: ${r.text}`).toBeLessThan(300);
  return r.body;
}

beforeAll(async () => {
  // Auth on (no EDGELOG_AUTH, tokens in the secret) in the test environment, where the fault switch exists.
  const secret = await Promise.all(tokens.map(async (t) => ({ name: t.name, sha256: await sha256Hex(t.secret), acls: t.acls })));
  authEnv = { ...(env as unknown as Env), EDGELOG_ENV: "test", EDGELOG_AUTH: undefined, EDGELOG_TOKENS: JSON.stringify(secret) };
  for (const endpoint of TABLE) {
    const r = resources.get(key(endpoint))!;
    const request = REQUESTS[key(endpoint)];
    if (request?.noTopic) continue;
    await asAdmin("POST", "/v1/topics", { name: r.topic, partitions: 1, replicationFactor: request?.replicationFactor ?? 1 });
    await asAdmin("POST", `/v1/topics/${r.topic}/records`, { records: [{ value: "a" }, { value: "b" }] });
    if (request?.share !== undefined) {
      if (request.share === "exists") await asAdmin("PUT", `/v1/share-groups/${r.group}`, {});
    } else if (request?.subscription === undefined) await asAdmin("POST", `/v1/groups/${r.group}/offsets`, { offsets: [{ topic: r.topic, partition: 0, offset: 0 }] });
    else if (request.subscription !== "create") {
      await asAdmin("POST", "/v1/subscriptions", { name: r.group, topics: [r.topic], target: { type: "service", binding: "TEST_CONSUMER" } });
      if (request.subscription === "paused") await asAdmin("POST", `/v1/subscriptions/${r.group}/pause`);
    }
    if (request?.stream) await asAdmin("PUT", `/ds/v1/stream/${r.topic}`, []);
    if (endpoint.path.includes("{id}")) r.tokenId = (await asAdmin("POST", "/v1/tokens", { name: `doc-victim-${uid}`, acls: [] })).id;
  }
});

describe("docs/security.md's permission table", () => {
  it("lists every route of the router, and only those", () => {
    const toRoute = (path: string) => path.replace("{p}", ":partition").replace(/\{(\w+)\}/g, ":$1");
    const documented = TABLE.filter((e) => e.method !== "OPTIONS").map((e) => `${e.method} ${toRoute(e.path)}`);
    const routed = [...ROUTES, ...DS_ROUTES].map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual(routed.sort());
    expect(TABLE.some((e) => e.method === "OPTIONS")).toBe(true);
  });

  it("has a request for every endpoint that takes a body", () => {
    for (const e of TABLE) if (["POST", "PATCH", "PUT"].includes(e.method)) expect(REQUESTS[key(e)]?.body, key(e)).toBeDefined();
  });

  it.each(checks.map((c) => [key(c.endpoint), c] as const))("%s: refused without what its row needs, allowed with it", async (_name, check) => {
    const { endpoint } = check;
    const r = resources.get(key(endpoint))!;
    const body = () => REQUESTS[key(endpoint)]?.body?.(r);
    // Refusals first: they change nothing, so the resources are still as set up when the holders run.
    for (const lacker of check.lackers) {
      const got = await call(lacker.token, endpoint.method, urlOf(endpoint, r), body());
      const what = `${key(endpoint)} by a token lacking ${lacker.lacking} (${JSON.stringify(lacker.token?.acls ?? "no token")}): ${got.text}`;
      expect(got.status, what).toBe(lacker.token ? 403 : 401);
      expect(lacker.types, what).toContain(got.body?.error?.type);
    }
    const permitted = REQUESTS[key(endpoint)]?.permitted;
    for (const holder of check.holders.length > 0 ? check.holders : [undefined]) {
      const got = await call(holder, endpoint.method, urlOf(endpoint, r), body());
      const what = `${key(endpoint)} by ${JSON.stringify(holder?.acls ?? "no token")}: ${got.text}`;
      if (permitted) expect([got.status, got.body?.error?.type], what).toEqual(permitted);
      else expect(got.status, what).toBeLessThan(300);
      const undo = REQUESTS[key(endpoint)]?.undo?.(r);
      if (undo !== undefined) await asAdmin(undo[0], undo[1]);
    }
  });
});

describe("what the page says about describe", () => {
  it("a write-only token sees its topic in the list, and the client's producer needs no more", async () => {
    const r = resources.get("POST /v1/topics/{topic}/records")!;
    const writer = tokens.find((t) => t.name === "POST /v1/topics/{topic}/records holder 0")!;
    expect(writer.acls).toEqual([{ resource: "topic", name: r.topic, patternType: "literal", operations: ["write"] }]);
    expect((await call(writer, "GET", "/v1/topics")).body.topics.map((t: { name: string }) => t.name)).toEqual([r.topic]);
    const client = new Edgelog({ url: "http://edgelog.test", token: writer.secret, fetch: (input, init) => worker.fetch(new Request(input, init) as Request<unknown, IncomingRequestCfProperties>, authEnv, createExecutionContext()) });
    const producer = client.producer({ idempotent: true, lingerMs: 1 });
    const sent = await producer.send(r.topic, [{ key: "k", value: "by the client" }]);
    await producer.close();
    expect(sent[0]!.offset).toBeGreaterThanOrEqual(2);
  });
});
