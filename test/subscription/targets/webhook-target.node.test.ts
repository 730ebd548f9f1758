// The webhook target over real HTTP: webhook-target.ts run in Node against a node:http receiver on 127.0.0.1, which
// verifies what it gets the way a receiver would (verifyWebhook over the raw body).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { webhookId, webhookTarget } from "../../../src/subscription/targets/webhook-target";
import { generateWebhookSecret, verifyWebhook } from "../../../src/subscription/targets/webhook-signature";
import type { DeliveryBatch, WebhookTarget } from "../../../src/subscription-protocol";
import { MAX_WEBHOOK_RESPONSE_BYTES } from "../../../src/limits";

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let server: Server;
let base: string;
let received: Received[] = [];
let answer: (request: Received, response: ServerResponse) => void = (_request, response) => response.end();
/** Responses a test leaves open (a receiver that never answers); ended after each test. */
const held: ServerResponse[] = [];

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const entry = { method: request.method ?? "", path: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      answer(entry, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const response of held.splice(0)) response.destroy();
  received = [];
  answer = (_request, response) => response.end();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const secret = generateWebhookSecret();
const NOW_MS = Date.UTC(2026, 5, 1, 12, 0, 0, 250);

const batch = (attempt = 1): DeliveryBatch => ({
  subscription: "billing",
  topic: "orders.v1",
  partition: 2,
  attempt,
  records: [40, 41, 42].map((offset) => ({ offset, timestamp: 1_700_000_000_000 + offset, key: `k${offset}`, value: `value ✓ ${offset}`, headers: [{ key: "h", value: "x" }] })),
});

const target = (overrides: Partial<WebhookTarget> = {}): WebhookTarget => ({ type: "webhook", url: `${base}/hooks/edgelog`, secret, timeoutMs: 5_000, ...overrides });

const json = (status: number, body: unknown, headers: Record<string, string> = {}) => (_request: Received, response: ServerResponse) => {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(typeof body === "string" ? body : JSON.stringify(body));
};

describe("webhook target over HTTP", () => {
  it("POSTs the batch as JSON with Standard Webhooks headers a receiver verifies", async () => {
    expect(await webhookTarget(target(), { nowMs: () => NOW_MS }).deliver(batch())).toEqual({ kind: "acked" });
    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/hooks/edgelog");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["webhook-id"]).toBe("billing:orders%2Ev1:2:40-42");
    expect(request.headers["webhook-timestamp"]).toBe(String(Math.floor(NOW_MS / 1000)));
    expect(request.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(JSON.parse(request.body.toString("utf8"))).toEqual(batch());
    expect(await verifyWebhook(secret, request.headers, request.body, { nowMs: NOW_MS })).toEqual({ ok: true, id: webhookId(batch()), timestampSeconds: Math.floor(NOW_MS / 1000) });
    // Signed over the bytes sent: another secret, or a re-serialized body, does not verify.
    expect((await verifyWebhook(generateWebhookSecret(), request.headers, request.body, { nowMs: NOW_MS })).ok).toBe(false);
    expect((await verifyWebhook(secret, request.headers, JSON.stringify(JSON.parse(request.body.toString()), null, 1), { nowMs: NOW_MS })).ok).toBe(false);
  });

  it("a retry of the batch keeps its webhook-id and is signed again with a fresh timestamp", async () => {
    let now = NOW_MS;
    const webhook = webhookTarget(target(), { nowMs: () => now });
    await webhook.deliver(batch(1));
    now += 90_000;
    await webhook.deliver(batch(2));
    const [first, second] = received;
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(Number(second!.headers["webhook-timestamp"]) - Number(first!.headers["webhook-timestamp"])).toBe(90);
    expect(second!.headers["webhook-signature"]).not.toBe(first!.headers["webhook-signature"]);
    expect((await verifyWebhook(secret, second!.headers, second!.body, { nowMs: now })).ok).toBe(true);
    expect(JSON.parse(second!.body.toString()).attempt).toBe(2);
  });

  it("sends no webhook-signature when the target has no secret", async () => {
    expect(await webhookTarget(target({ secret: undefined })).deliver(batch())).toEqual({ kind: "acked" });
    expect(received[0]!.headers["webhook-signature"]).toBeUndefined();
    expect(received[0]!.headers["webhook-id"]).toBe(webhookId(batch()));
  });

  it.each<[string, (request: Received, response: ServerResponse) => void, unknown]>([
    ["204, no body", (_q, r) => r.writeHead(204).end(), { kind: "acked" }],
    ["200, text", (_q, r) => r.writeHead(200, { "content-type": "text/plain" }).end("OK"), { kind: "acked" }],
    ["200, an HTML page", (_q, r) => r.writeHead(200, { "content-type": "text/html" }).end("<html><body>thanks</body></html>"), { kind: "acked" }],
    ["200, JSON naming no directive", json(200, { received: 3 }), { kind: "acked" }],
    ["200, retry", json(200, { retry: [{ offset: 41, delayMs: 2_000 }] }), { kind: "partial", retry: [{ offset: 41, delayMs: 2_000 }] }],
    ["202, ackUpTo (any 2xx answers)", json(202, { ackUpTo: 40 }), { kind: "partial", retry: [{ offset: 41 }, { offset: 42 }] }],
    ["200, retryAll, JSON without a content type", (_q, r) => r.writeHead(200).end('{"retryAll":{"delayMs":10}}'), { kind: "failed", error: "the consumer asked for the whole batch again (retryAll)", delayMs: 10 }],
    ["200, an invalid answer", json(200, { ackUpTo: "41" }), { kind: "failed", error: 'invalid delivery response: ackUpTo must be a non-negative integer offset (got "41")' }],
  ])("reads a 2xx answer: %s", async (_name, reply, expected) => {
    answer = reply;
    expect(await webhookTarget(target()).deliver(batch())).toEqual(expected);
  });

  it("reads an answer of MAX_WEBHOOK_RESPONSE_BYTES, and takes a larger body as no answer (the 2xx acknowledges)", async () => {
    const padded = (bytes: number) => {
      const head = '{"retry":[{"offset":42}],"pad":"';
      return `${head}${"x".repeat(bytes - head.length - 2)}"}`;
    };
    expect(padded(MAX_WEBHOOK_RESPONSE_BYTES)).toHaveLength(MAX_WEBHOOK_RESPONSE_BYTES);
    answer = json(200, padded(MAX_WEBHOOK_RESPONSE_BYTES));
    expect(await webhookTarget(target()).deliver(batch())).toEqual({ kind: "partial", retry: [{ offset: 42 }] });
    answer = json(200, padded(MAX_WEBHOOK_RESPONSE_BYTES + 1));
    expect(await webhookTarget(target()).deliver(batch())).toEqual({ kind: "acked" });
  });

  it("a non-2xx is a failed delivery naming the status and the start of the body", async () => {
    answer = (_q, r) => r.writeHead(500, { "content-type": "text/plain" }).end("database\n  down");
    expect(await webhookTarget(target()).deliver(batch())).toEqual({ kind: "failed", error: "webhook answered HTTP 500 Internal Server Error: database down" });
    answer = (_q, r) => r.writeHead(410).end();
    expect(await webhookTarget(target()).deliver(batch())).toEqual({ kind: "failed", error: "webhook answered HTTP 410 Gone" });
    answer = (_q, r) => r.writeHead(400).end("y".repeat(10_000));
    const long = await webhookTarget(target()).deliver(batch());
    expect(long.kind === "failed" && long.error).toBe(`webhook answered HTTP 400 Bad Request: ${"y".repeat(200)}`);
  });

  it("a non-2xx with Retry-After carries the delay it asks for", async () => {
    answer = (_q, r) => r.writeHead(503, { "retry-after": "7" }).end();
    expect(await webhookTarget(target()).deliver(batch())).toEqual({ kind: "failed", error: "webhook answered HTTP 503 Service Unavailable", delayMs: 7_000 });
    answer = (_q, r) => r.writeHead(429, { "retry-after": new Date(NOW_MS + 30_000).toUTCString() }).end();
    // HTTP dates hold whole seconds: the date is 30 s after NOW_MS's second, 29.75 s after NOW_MS.
    expect(await webhookTarget(target(), { nowMs: () => NOW_MS }).deliver(batch())).toEqual({ kind: "failed", error: "webhook answered HTTP 429 Too Many Requests", delayMs: 29_750 });
  });

  it("does not follow a redirect: a 3xx is a failed delivery", async () => {
    answer = (request, response) => {
      if (request.path === "/moved") response.writeHead(200).end();
      else response.writeHead(301, { location: `${base}/moved` }).end();
    };
    expect(await webhookTarget(target()).deliver(batch())).toEqual({ kind: "failed", error: "webhook answered HTTP 301 Moved Permanently" });
    expect(received.map((r) => r.path)).toEqual(["/hooks/edgelog"]);
  });

  it("a receiver that does not answer within timeoutMs is a failed delivery", async () => {
    answer = (_q, response) => held.push(response);
    expect(await webhookTarget(target({ timeoutMs: 200 })).deliver(batch())).toEqual({ kind: "failed", error: "timed out after 200 ms" });
  });

  it("a 2xx whose body does not finish within timeoutMs is a failed delivery (it may have asked for retries)", async () => {
    answer = (_q, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"retry":[{"offset":41}');
      held.push(response);
    };
    expect(await webhookTarget(target({ timeoutMs: 200 })).deliver(batch())).toEqual({ kind: "failed", error: "timed out after 200 ms reading the answer" });
  });

  it("a receiver that cannot be reached is a failed delivery", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const outcome = await webhookTarget(target({ url: `http://127.0.0.1:${port}/h` })).deliver(batch());
    expect(outcome.kind).toBe("failed");
    expect(outcome.kind === "failed" && outcome.error).toMatch(/^webhook request failed: /);
  });

  it("a secret that is not a key is a failed delivery, and nothing is sent", async () => {
    expect(await webhookTarget(target({ secret: "whsec_%%%" })).deliver(batch())).toEqual({
      kind: "failed",
      error: "cannot sign the webhook: the webhook secret is not whsec_ followed by a base64 key",
    });
    expect(received).toEqual([]);
  });
});
