// Hostile input: 100,000 generated requests (fast-check, fixed seed) against every endpoint: malformed and truncated
// JSON, duplicate fields, deep nesting, huge / negative / NaN / fractional numbers, unicode and path tricks in names,
// wrong content types, stray headers. Never a 5xx, never a hang; afterwards every record acknowledged before or
// during the fuzz reads back unchanged at its offset, and offsets stay contiguous.
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, createTopic, produceTo, readAll } from "../helpers";

const REQUESTS = 100_000;
const CONCURRENCY = 16;
const HANG_MS = 15_000;
const VICTIM = `fuzz-victim-${crypto.randomUUID().slice(0, 8)}`;

const hostileName = fc.oneof(
  fc.constantFrom("", ".", "..", "%2e%2e", "a%2Fb", "%", "%zz", "%00", "a b", "é", "😀", "x".repeat(250), "__consumer_offsets", "a.b", "a_b", "-", "CON", "null", "undefined"),
  fc.string({ maxLength: 20 }),
  fc.stringMatching(/^[a-zA-Z0-9._-]{1,30}$/),
  fc.string({ unit: "binary", maxLength: 10 }).map((s) => encodeURIComponent(s)),
);
const partitionParam = fc.oneof({ weight: 3, arbitrary: fc.constantFrom("0", "1", "2") }, fc.constantFrom("0", "1", "2", "-1", "1.5", "NaN", "1e3", "99999999999999999999", "abc", "", "0x1", " 1"), fc.nat({ max: 5000 }).map(String));
const number = fc.oneof(
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, 2 ** 53, 2 ** 63, 1e-300, 30_000, 30_001, 10_000, 10_001),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);
const scalar = fc.oneof(number, fc.string({ maxLength: 30 }), fc.boolean(), fc.constant(null), fc.string({ unit: "binary", maxLength: 10 }));
const json = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof({ depthSize: "small", maxDepth: 4 }, scalar, fc.array(tie("value"), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie("value"), { maxKeys: 4 })),
})).value;
const header = fc.record({ key: fc.oneof(fc.string({ maxLength: 10 }), scalar), value: fc.oneof(fc.string({ maxLength: 10 }), scalar) }, { requiredKeys: [] });
/** Mostly well-formed records (so many produces succeed and their acks are checked), some hostile. */
const record = fc.oneof(
  { weight: 3, arbitrary: fc.record({ key: fc.option(fc.string({ maxLength: 12 }), { nil: null }), value: fc.option(fc.string({ maxLength: 40 }), { nil: null }), headers: fc.array(fc.record({ key: fc.string({ minLength: 1, maxLength: 5 }), value: fc.option(fc.string({ maxLength: 5 }), { nil: null }) }), { maxLength: 2 }) }) },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        key: fc.oneof(fc.string({ maxLength: 12 }), fc.constant(null), scalar),
        value: fc.oneof(fc.string({ maxLength: 40 }), fc.constant(null), scalar, fc.constant("AAAA")),
        headers: fc.oneof(fc.array(header, { maxLength: 3 }), scalar),
        timestamp: fc.oneof(number, fc.string({ maxLength: 5 })),
        partition: fc.oneof(fc.integer({ min: -2, max: 4 }), scalar),
        extra: scalar,
      },
      { requiredKeys: [] },
    ),
  },
);
const hostileProduceBody = fc.record(
  {
    records: fc.oneof({ weight: 4, arbitrary: fc.array(record, { maxLength: 5 }) }, { weight: 1, arbitrary: scalar }, { weight: 1, arbitrary: json }),
    acks: fc.oneof(fc.constantFrom(0, 1, -1, "all", 2, "1"), scalar),
    encoding: fc.oneof(fc.constantFrom("text", "base64", "utf8"), scalar),
    producer: fc.oneof(fc.record({ producerId: number, producerEpoch: number, baseSequence: number }), scalar),
    junk: scalar,
  },
  { requiredKeys: [] },
);
const produceBody = fc.oneof(
  { weight: 1, arbitrary: fc.record({ records: fc.array(record, { minLength: 1, maxLength: 5 }), acks: fc.constantFrom(1, "all", -1) }, { requiredKeys: ["records"] }) },
  { weight: 1, arbitrary: hostileProduceBody },
);
const adminBody = fc.record(
  {
    name: fc.oneof(hostileName, scalar),
    partitions: fc.oneof(fc.integer({ min: -2, max: 8 }), number, scalar),
    count: fc.oneof(fc.integer({ min: -2, max: 8 }), number, scalar),
    config: fc.oneof(fc.dictionary(fc.constantFrom("retention.ms", "cleanup.policy", "max.message.bytes", "nope", "segment.bytes"), scalar), scalar),
    replicationFactor: fc.oneof(fc.constantFrom(1, 3), scalar),
    memberEpoch: fc.oneof(fc.integer({ min: -3, max: 3 }), number, scalar),
    memberId: fc.oneof(fc.string({ maxLength: 70 }), scalar),
    subscribedTopics: fc.oneof(fc.array(hostileName, { maxLength: 3 }), scalar),
    ownedPartitions: fc.oneof(fc.array(fc.record({ topic: hostileName, partitions: fc.array(number, { maxLength: 3 }) }), { maxLength: 2 }), scalar),
    sessionTimeoutMs: fc.oneof(fc.integer({ min: 0, max: 2_000_000 }), scalar),
    offsets: fc.oneof(fc.array(fc.record({ topic: hostileName, partition: number, offset: number, metadata: scalar }, { requiredKeys: [] }), { maxLength: 3 }), scalar),
    topic: fc.oneof(hostileName, scalar),
    to: fc.oneof(fc.constantFrom("earliest", "latest"), fc.record({ timestamp: number }), fc.record({ offset: number }), scalar),
    producerId: fc.oneof(number, scalar),
    acls: fc.oneof(json, scalar),
  },
  { requiredKeys: [] },
);
/** A JSON text, possibly broken on purpose. */
const bodyText = (structured: fc.Arbitrary<unknown>) =>
  fc.oneof(
    { weight: 8, arbitrary: structured.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: structured.chain((v) => { const t = JSON.stringify(v) ?? ""; return fc.nat({ max: Math.max(0, t.length) }).map((n) => t.slice(0, n)); }) },
    { weight: 1, arbitrary: fc.constantFrom("", "{", "[", "null", "[]", "1", '"x"', '{"records":[],"records":[{"value":"dup"}]}', "{'single':1}", "\u0000", "[".repeat(5000) + "]".repeat(5000), `{"records":[{"value":"${"x".repeat(2000)}"}],}`) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 60 }) },
  );

const q = (k: string, v: fc.Arbitrary<string>) => fc.option(v.map((x) => `${k}=${encodeURIComponent(x)}`), { nil: undefined });
const fetchQuery = fc
  .tuple(
    q("offset", fc.oneof(partitionParam, fc.constantFrom("-5", "1e2", "0.5", "18446744073709551616"))),
    q("maxRecords", fc.oneof(partitionParam, fc.constantFrom("10000", "10001", "0"))),
    q("maxBytes", fc.oneof(partitionParam, fc.constantFrom("8388608", "8388609", "0"))),
    // Bounded waits: a real long-poll would be a legitimate 30 s wait, not a hang.
    q("maxWaitMs", fc.oneof(fc.constantFrom("0", "5", "-1", "30001", "NaN", "1.5"), fc.integer({ min: 0, max: 20 }).map(String))),
    q("encoding", fc.constantFrom("text", "base64", "hex", "")),
    q("at", fc.constantFrom("earliest", "latest", "-1", "-2", "-3", "now", "1e3", "9007199254740993")),
    fc.option(fc.constantFrom("offset=1&offset=2", "x=1", "&&", "%zz"), { nil: undefined }),
  )
  .map((parts) => parts.filter(Boolean).join("&"));

interface FuzzRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  body: string | undefined;
  extraHeaders: Record<string, string>;
}

const victimOr = fc.oneof({ weight: 2, arbitrary: fc.constant(VICTIM) }, { weight: 1, arbitrary: hostileName });
/** Each route's own methods; a request uses one of them four times in five, any method otherwise. */
const ROUTE_METHODS: Record<string, string[]> = {
  topics: ["GET", "POST"], topic: ["GET", "PATCH", "DELETE"], partitions: ["POST"], records: ["POST"], precords: ["GET", "POST"],
  offsets: ["GET"], producers: ["POST"], groups: ["GET"], group: ["GET", "DELETE"], heartbeat: ["POST"], commit: ["GET", "POST"],
  reset: ["POST"], tokens: ["GET", "POST"], token: ["DELETE"], health: ["GET"], metrics: ["GET"], usage: ["GET"], nowhere: ["GET"], traversal: ["GET"],
};
const routeAndMethod = fc.constantFrom(...Object.keys(ROUTE_METHODS)).chain((route) =>
  fc.record({
    route: fc.constant(route),
    method: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ROUTE_METHODS[route]!) }, { weight: 1, arbitrary: fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS") }),
  }),
);
const requestArb: fc.Arbitrary<FuzzRequest> = fc
  .record({
    rm: routeAndMethod,
    topic: victimOr,
    destructiveTopic: hostileName,
    group: hostileName,
    partition: partitionParam,
    query: fetchQuery,
    contentType: fc.option(fc.constantFrom("application/json", "application/json", "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "application/vnd.kafka+json", "multipart/form-data; boundary=x", "", "application/json; charset=utf-16"), { nil: undefined }),
    produce: bodyText(produceBody),
    admin: bodyText(adminBody),
    headers: fc.dictionary(fc.constantFrom("authorization", "last-event-id", "x-forwarded-for", "accept", "origin"), fc.constantFrom("Bearer x", "garbage", "-1", "99999999999999999999", "application/json", "https://evil.example"), { maxKeys: 2 }),
  })
  .map(({ rm, ...r }) => ({ ...r, ...rm }))
  .map((r) => {
    const t = encodeURIComponent(r.topic).replace(/%25/g, "%");
    const d = encodeURIComponent(r.destructiveTopic).replace(/%25/g, "%");
    const g = encodeURIComponent(r.group).replace(/%25/g, "%");
    const mutating = r.method !== "GET" && r.method !== "HEAD" && r.method !== "OPTIONS";
    // Destructive admin routes never name the victim: deleting or reconfiguring it would be legitimate, not hostile.
    const paths: Record<string, string> = {
      topics: "/v1/topics",
      topic: `/v1/topics/${mutating ? d : t}`,
      partitions: `/v1/topics/${mutating ? d : t}/partitions`,
      records: `/v1/topics/${t}/records?${r.query}`,
      precords: `/v1/topics/${t}/partitions/${r.partition}/records?${r.query}`,
      offsets: `/v1/topics/${t}/partitions/${r.partition}/offsets?${r.query}`,
      producers: "/v1/producers",
      groups: "/v1/groups",
      group: `/v1/groups/${g}`,
      heartbeat: `/v1/groups/${g}/heartbeat`,
      commit: `/v1/groups/${g}/offsets`,
      reset: `/v1/groups/${g}/offsets/reset`,
      tokens: "/v1/tokens",
      token: `/v1/tokens/${g}`,
      health: `/healthz?${r.query}`,
      metrics: "/metrics",
      usage: `/v1/usage?topic=${t}&group=${g}`,
      nowhere: `/v2/${t}`,
      traversal: `/v1/topics/${t}/../../${g}/%2e%2e/records`,
    };
    const isProduce = r.route === "records" || r.route === "precords";
    const body = r.method === "GET" || r.method === "HEAD" ? undefined : isProduce ? r.produce : r.admin;
    return { method: r.method, path: paths[r.route]!, contentType: r.contentType, body, extraHeaders: r.headers };
  });

async function send(req: FuzzRequest): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { ...req.extraHeaders };
  delete headers.accept; // an SSE stream is a legitimate 60 s response, not a hang: not fuzzed here
  if (req.contentType !== undefined) headers["content-type"] = req.contentType;
  const response = await exports.default.fetch(new Request(`http://edgelog.test${req.path}`, { method: req.method, headers, body: req.body }));
  return { status: response.status, text: await response.text() };
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([promise, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`hang: ${what}`)), HANG_MS)))]).finally(() => clearTimeout(timer));
}

describe("hostile input", () => {
  it(`survives ${REQUESTS} generated requests: no 5xx, no hang, every acknowledged record unchanged`, { timeout: 600_000 }, async () => {
    await createTopic(VICTIM, 3);
    const before = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `before-${i}`, headers: [{ key: "h", value: String(i) }] }));
    for (let p = 0; p < 3; p++) expect((await produceTo(VICTIM, p, before.slice(p * 20, p * 20 + 20))).status).toBe(200);
    const beforeRead = await Promise.all([0, 1, 2].map((p) => readAll(VICTIM, p)));

    /** (partition, offset) -> value, for every record the fuzz itself got acknowledged (text encoding, acks 1/all). */
    const acknowledged = new Map<string, string | null>();
    const statuses = new Map<number, number>();
    const requests = fc.sample(requestArb, { numRuns: REQUESTS, seed: 20261122 });
    let next = 0;
    const worker = async () => {
      while (next < requests.length) {
        const req = requests[next++]!;
        const what = `${req.method} ${req.path} ${req.contentType ?? ""} ${(req.body ?? "").slice(0, 200)}`;
        const { status, text } = await withTimeout(send(req), what);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        expect(status, `${what} -> ${text.slice(0, 300)}`).toBeLessThan(500);
        if (status !== 200 && status !== 201 && status !== 202 && status !== 204 && req.method !== "HEAD" && req.method !== "OPTIONS") {
          // Every error has the documented shape.
          const body = JSON.parse(text) as { error: { type: string; code: number; message: string; retriable: boolean } };
          expect(Object.keys(body)).toEqual(["error"]);
          expect(typeof body.error.type === "string" && typeof body.error.code === "number" && typeof body.error.message === "string" && typeof body.error.retriable === "boolean", what).toBe(true);
        }
        if (status === 200 && req.method === "POST" && req.path.startsWith(`/v1/topics/${VICTIM}/`) && req.path.includes("/records")) {
          const sent = JSON.parse(req.body!) as { records: { value: string | null }[]; encoding?: string };
          const results = (JSON.parse(text) as { results: ({ partition: number; offset: number } | { error: unknown })[] }).results;
          results.forEach((r, i) => {
            if ("offset" in r && sent.encoding !== "base64") acknowledged.set(`${r.partition}/${r.offset}`, sent.records[i]!.value);
          });
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);

    // Read everything back: offsets contiguous from 0, the records from before untouched, every acknowledged one there.
    for (let p = 0; p < 3; p++) {
      const all = await readAll(VICTIM, p);
      expect(all.map((r) => r.offset)).toEqual(all.map((_, i) => i));
      expect(all.slice(0, beforeRead[p]!.length)).toEqual(beforeRead[p]);
      for (const r of all) if (acknowledged.has(`${p}/${r.offset}`)) expect(r.value).toBe(acknowledged.get(`${p}/${r.offset}`));
    }
    const found = [0, 1, 2].reduce((n, p) => n + [...acknowledged.keys()].filter((k) => k.startsWith(`${p}/`)).length, 0);
    expect(found).toBe(acknowledged.size);
    console.log(`fuzz: ${REQUESTS} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}, ${acknowledged.size} records acknowledged on the victim`);
  });

  it("with auth on: no token or a bad one never gets past 401, a read-only token never changes anything", { timeout: 300_000 }, async () => {
    const { env } = await import("cloudflare:workers");
    const { createExecutionContext, waitOnExecutionContext } = await import("cloudflare:test");
    const worker = (await import("../../src/index")).default;
    const { sha256Hex } = await import("../../src/auth/tokens");
    const READER = "edl_fuzz_reader_token";
    const tokens = JSON.stringify([{ name: "fuzz-reader", sha256: await sha256Hex(READER), acls: [{ resource: "topic", name: "*", operations: ["read"] }, { resource: "group", name: "*", operations: ["read"] }] }]);
    const authEnv = { ...(env as object), EDGELOG_ENV: "production", EDGELOG_AUTH: undefined, EDGELOG_TOKENS: tokens } as never;
    const topicsBefore = (await api("GET", "/v1/topics")).body;
    const credentials = ["", "Bearer nope", `Bearer ${READER}`, `bearer ${READER}`, `Bearer ${READER}x`, "Basic YTpi", `Bearer ${READER} ${READER}`];
    const requests = fc.sample(fc.tuple(requestArb, fc.constantFrom(...credentials)), { numRuns: 10_000, seed: 8 });
    let next = 0;
    const statuses = new Map<number, number>();
    const worker_ = async () => {
      while (next < requests.length) {
        const [req, authorization] = requests[next++]!;
        const headers: Record<string, string> = { ...req.extraHeaders };
        delete headers.accept;
        if (authorization) headers.authorization = authorization;
        else delete headers.authorization;
        if (req.contentType !== undefined) headers["content-type"] = req.contentType;
        const ctx = createExecutionContext();
        const response = await withTimeout(
          Promise.resolve(worker.fetch(new Request(`http://edgelog.test${req.path}`, { method: req.method, headers, body: req.body }) as never, authEnv, ctx)),
          `${req.method} ${req.path}`,
        );
        const text = await response.text();
        await waitOnExecutionContext(ctx);
        const status = response.status;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        const what = `${authorization || "(none)"} ${req.method} ${req.path} -> ${status} ${text.slice(0, 200)}`;
        expect(status, what).toBeLessThan(500);
        expect(text, what).not.toContain(READER);
        const open = req.method === "OPTIONS" || new URL(`http://x${req.path}`).pathname === "/healthz";
        const valid = /^bearer edl_fuzz_reader_token$/i.test(authorization);
        if (!valid && !open) expect(status, what).toBe(401);
        // A read-only token can create, change or delete nothing.
        if (valid && req.method !== "GET" && req.method !== "HEAD" && req.method !== "OPTIONS") {
          const readOnlyOk = /\/v1\/groups\/[^/]+\/(heartbeat|offsets)$/.test(new URL(`http://x${req.path}`).pathname);
          if (!readOnlyOk) expect([200, 201, 202].includes(status), what).toBe(false);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker_));
    // Nothing about the topics changed.
    expect((await api("GET", "/v1/topics")).body.topics.map((t: any) => [t.name, t.topicId, t.partitionCount, t.config])).toEqual(
      topicsBefore.topics.map((t: any) => [t.name, t.topicId, t.partitionCount, t.config]),
    );
    console.log(`auth fuzz: 10000 requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
  });
});
