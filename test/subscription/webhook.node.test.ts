// A webhook subscription end to end: a real local edgelog (workerd, EDGELOG_ENV=test so a plain-http URL is allowed)
// delivers a topic's records to a node:http receiver on 127.0.0.1. The receiver checks what a real one would: the
// Standard Webhooks signature, computed here independently with node:crypto (HMAC-SHA256 over
// "<webhook-id>.<webhook-timestamp>.<raw body>" keyed by the base64 after "whsec_"), not with edgelog's own verifier;
// every record arriving in offset order per partition; a non-2xx answer bringing the same batch again (same webhook-id,
// attempt + 1); and the subscription's group committing up to the end of every partition. Retry delays are 0: the
// test waits by polling with small pauses under a deadline, never by sleeping a fixed time.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, uniqueName, waitFor, type TestServer } from "../client/server.node";

interface Post {
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
  /** The receiver's clock when the post arrived. */
  atMs: number;
}

interface Batch {
  subscription: string;
  topic: string;
  partition: number;
  attempt: number;
  records: { offset: number; timestamp: number; key: string | null; value: string | null; headers: { key: string; value: string }[] }[];
}

let server: TestServer;
let receiver: Server;
let hookUrl: string;
let posts: Post[] = [];
/** How the receiver answers the nth post (0-based) it gets. */
let statusFor: (n: number) => number = () => 204;

beforeAll(async () => {
  receiver = createServer((request, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const status = statusFor(posts.length);
      posts.push({ headers: request.headers, body: Buffer.concat(chunks), status, atMs: Date.now() });
      response.writeHead(status).end(status >= 300 ? "busy, try again" : undefined);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/edgelog`;
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const r = await fetch(`${server.base}${path}`, { method, headers: body === undefined ? {} : { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: r.status, body: await r.json() };
}

/** What a receiver computes on its own: the expected "v1,<base64>" for this post, from the raw bytes received. */
function expectedSignature(secret: string, post: Post): Buffer {
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const content = Buffer.concat([Buffer.from(`${post.headers["webhook-id"]}.${post.headers["webhook-timestamp"]}.`), post.body]);
  return createHmac("sha256", key).update(content).digest();
}

function signatureVerifies(secret: string, post: Post): boolean {
  const expected = expectedSignature(secret, post);
  // Any of the space-separated "v1,<base64>" entries may match (a sender rotating secrets sends several).
  return String(post.headers["webhook-signature"] ?? "")
    .split(" ")
    .some((entry) => {
      const [version, mac] = entry.split(",");
      const given = Buffer.from(mac ?? "", "base64");
      return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe("webhook subscription end to end", () => {
  it("delivers every record in order per partition, signed; a non-2xx brings the same batch again; the group reaches the end", async () => {
    const topic = uniqueName("hook");
    const partitions = 3;
    const total = 900;
    expect((await call("POST", "/v1/topics", { name: topic, partitions })).status).toBe(201);
    for (let i = 0; i < total; i += 300) {
      const produced = await call("POST", `/v1/topics/${topic}/records`, { records: Array.from({ length: 300 }, (_, j) => ({ key: `k${i + j}`, value: `v${i + j} ✓` })) });
      expect(produced.status, JSON.stringify(produced.body)).toBe(200);
    }
    const described = (await call("GET", `/v1/topics/${topic}`)).body as { partitions: { partition: number; highWatermark: number }[] };
    const hw = new Map(described.partitions.map((p) => [p.partition, p.highWatermark]));
    expect([...hw.values()].reduce((a, b) => a + b, 0)).toBe(total);

    // The first 4 posts (whichever partitions they carry) are refused with a 503, as a receiver under load would.
    const refused = 4;
    statusFor = (n) => (n < refused ? 503 : 200);
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const name = uniqueName("hook-sub");
    const created = await call("POST", "/v1/subscriptions", {
      name,
      topics: [topic],
      target: { type: "webhook", url: hookUrl, secret, timeoutMs: 5_000 },
      startAt: "earliest",
      maxBatchSize: 50,
      maxBatchWaitMs: 0,
      maxRetries: 10,
      retryDelayMs: 0,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.secret).toBe(secret);
    expect(created.body.subscription.config.target).not.toHaveProperty("secret");

    // Caught up: the group's committed offsets are every partition's end, and its lag is 0.
    let group: any;
    await waitFor(
      async () => {
        group = (await call("GET", `/v1/groups/${name}`)).body;
        return group.lag?.totalLag === 0 && group.lag.topics[0]?.partitions.every((p: any) => p.committedOffset === hw.get(p.partition));
      },
      () => `the subscription's group to commit every partition's end (last seen ${JSON.stringify(group?.lag)}; ${posts.length} posts)`,
      60_000,
    );
    expect(group).toMatchObject({ groupId: name, type: "subscription" });

    // Every post is signed: the receiver's own HMAC matches, the timestamp is recent, and a tampered body does not verify.
    for (const post of posts) {
      expect(post.headers["content-type"]).toBe("application/json");
      expect(signatureVerifies(secret, post), `signature of ${post.headers["webhook-id"]}`).toBe(true);
      expect(Math.abs(post.atMs - Number(post.headers["webhook-timestamp"]) * 1000)).toBeLessThan(60_000);
    }
    const tampered = { ...posts[0]!, body: Buffer.from(posts[0]!.body.toString().replace('"attempt":1', '"attempt":2')) };
    expect(signatureVerifies(secret, tampered)).toBe(false);
    expect(signatureVerifies(`whsec_${randomBytes(32).toString("base64")}`, posts[0]!)).toBe(false);

    const batches = posts.map((post) => ({ post, batch: JSON.parse(post.body.toString("utf8")) as Batch }));
    for (const { batch } of batches) expect(batch).toMatchObject({ subscription: name, topic });

    // Each refused post came again: the same webhook-id and records, attempt + 1, and that retry was acknowledged.
    for (const { post, batch } of batches.slice(0, refused)) {
      expect(post.status).toBe(503);
      const id = post.headers["webhook-id"];
      const again = batches.filter((b) => b.post.headers["webhook-id"] === id && b.post !== post);
      expect(again.length, `retries of ${id}`).toBeGreaterThanOrEqual(1);
      expect(again.map((b) => b.batch.attempt)).toContain(batch.attempt + 1);
      for (const b of again) expect(b.batch.records).toEqual(batch.records);
      expect(again.some((b) => b.post.status === 200)).toBe(true);
    }

    // Per partition, in the order the receiver got them: each post starts at the first offset not yet acknowledged
    // (nothing overtook a refused batch), and the acknowledged ones hold every record once, in offset order.
    for (const [partition, end] of hw) {
      const mine = batches.filter((b) => b.batch.partition === partition);
      let next = 0;
      const acknowledged: number[] = [];
      for (const { post, batch } of mine) {
        const offsets = batch.records.map((r) => r.offset);
        expect(offsets[0], `partition ${partition}: a post starting at ${offsets[0]} while ${next} was not acknowledged`).toBe(next);
        expect(offsets).toEqual(offsets.map((_, i) => next + i));
        expect(batch.records.length).toBeLessThanOrEqual(50);
        expect(post.headers["webhook-id"]).toBe(`${name}:${topic}:${partition}:${offsets[0]}-${offsets[offsets.length - 1]}`);
        if (post.status !== 200) continue;
        acknowledged.push(...offsets);
        next = offsets[offsets.length - 1]! + 1;
      }
      expect(acknowledged).toEqual(Array.from({ length: end }, (_, i) => i));
    }
    // The values are the records produced, each once.
    const values = batches.filter((b) => b.post.status === 200).flatMap((b) => b.batch.records.map((r) => r.value));
    expect(new Set(values)).toEqual(new Set(Array.from({ length: total }, (_, i) => `v${i} ✓`)));
    expect(values).toHaveLength(total);
    expect(posts).toHaveLength([...hw.values()].reduce((n, end) => n + Math.ceil(end / 50), 0) + refused);

    // The subscription's own describe agrees: caught up, nothing in flight, no error left.
    const sub = (await call("GET", `/v1/subscriptions/${name}`)).body;
    expect(sub.totalLag).toBe(0);
    expect(sub.partitions.map((p: any) => p.deliveredRecords).reduce((a: number, b: number) => a + b, 0)).toBe(total);
    expect(sub.partitions.every((p: any) => p.lastError === null && p.status === "waiting")).toBe(true);
  });
});
