// The client's WebSocket tail from Node against a real edgelog with auth on: Node's WebSocket carries the token in
// its Authorization header; a token without read on the topic is refused before any frame (the iterator throws
// the HTTP error). And a raw WebSocket tail with no token is 401 before the upgrade.
import { createHash } from "node:crypto";
import { get as httpGet } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
import { startServer, uniqueName, within, type TestServer } from "./server.node";

const ADMIN = "tail-admin-token";
const OTHER = "tail-other-token";
const token = (name: string, secret: string, topics: string) => ({
  name,
  sha256: createHash("sha256").update(secret).digest("hex"),
  acls: [
    { resource: "topic", name: topics, patternType: "literal", operations: ["admin"] },
    { resource: "cluster", name: "cluster", patternType: "literal", operations: ["admin"] },
  ],
});

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ EDGELOG_AUTH: "on", EDGELOG_TOKENS: JSON.stringify([token("admin", ADMIN, "*"), token("other", OTHER, "nothing-here")]) });
});
afterAll(async () => {
  await server?.stop();
});

describe("client.tail from Node", () => {
  it("tails over a WebSocket with the token, then refuses a token without read", async () => {
    const client = new Edgelog({ url: server.base, token: ADMIN });
    const topic = uniqueName("ntail");
    await client.admin().createTopic({ name: topic, partitions: 1 });
    const producer = client.producer({ lingerMs: 0 });
    await producer.send(topic, { value: "before" });
    const abort = new AbortController();
    const got: string[] = [];
    const done = (async () => {
      for await (const batch of client.tail(topic, 0, { via: "websocket", signal: abort.signal })) {
        got.push(...batch.records.map((r) => r.value as string));
        if (got.length === 1) await producer.send(topic, { value: "live" });
        if (got.length === 2) abort.abort();
      }
    })();
    await within(done, "the tail");
    await producer.close();
    expect(got).toEqual(["before", "live"]);

    const refused = new Edgelog({ url: server.base, token: OTHER }).tail(topic, 0, { via: "websocket" });
    await expect(within(refused.next(), "the refusal")).rejects.toMatchObject({ type: "TOPIC_AUTHORIZATION_FAILED" });
    // No token: answered 401 instead of upgrading (node:http, since fetch refuses an Upgrade header).
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const request = httpGet(`${server.base}/v1/topics/${topic}/partitions/0/records`, { headers: { upgrade: "websocket", connection: "upgrade", "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==" } });
      request.on("response", (response) => {
        response.resume();
        resolve(response.statusCode);
      });
      request.on("upgrade", () => resolve(101));
      request.on("error", reject);
    });
    expect(status).toBe(401);
  });
});
