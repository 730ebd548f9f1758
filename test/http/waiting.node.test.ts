// A long-poll or live tail whose HTTP client goes away is forgotten by the partition it was parked on: against a real
// local edgelog, a client opens a long-poll (and an SSE tail), the partition reports it waiting (describe's
// waitingReaders), the client disconnects, and the partition's count goes back to zero, with a new reader then served.
// On Cloudflare the router hears of the disconnect at once (request.signal, compatibility flag enable_request_signal);
// locally the request reaches the Worker through Miniflare's entry worker, which does not pass the signal on, so here
// a long-poll is forgotten when its maxWaitMs runs out and a tail at its next keep-alive (SSE_POLL_WAIT_MS).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SSE_POLL_WAIT_MS } from "../../src/limits";
import { startServer, uniqueName, waitFor, within, type TestServer } from "../client/server.node";

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});

afterAll(async () => {
  await server?.stop();
});

async function waiting(topic: string): Promise<number> {
  const r = await fetch(`${server.base}/v1/topics/${topic}`);
  return ((await r.json()) as { partitions: { waitingReaders: number }[] }).partitions[0]!.waitingReaders;
}

describe("readers that disconnect", () => {
  it("a long-poll whose client disconnects is forgotten; a live tail too", { timeout: 60_000 }, async () => {
    const topic = uniqueName("gone");
    expect((await fetch(`${server.base}/v1/topics`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: topic, partitions: 1 }) })).status).toBe(201);
    const poll = new AbortController();
    const polling = fetch(`${server.base}/v1/topics/${topic}/partitions/0/records?offset=0&maxWaitMs=2000`, { signal: poll.signal }).catch(() => undefined);
    await waitFor(async () => (await waiting(topic)) === 1, "the long-poll to park");
    poll.abort();
    await polling;
    await waitFor(async () => (await waiting(topic)) === 0, "the partition to forget the disconnected long-poll", 10_000);

    const tail = new AbortController();
    const tailing = await fetch(`${server.base}/v1/topics/${topic}/partitions/0/records?offset=0`, { headers: { accept: "text/event-stream" }, signal: tail.signal });
    expect(tailing.status).toBe(200);
    await waitFor(async () => (await waiting(topic)) === 1, "the tail to park");
    tail.abort();
    await waitFor(async () => (await waiting(topic)) === 0, "the partition to forget the disconnected tail", SSE_POLL_WAIT_MS + 10_000);

    // Still serving: a new long-poll parks and is woken by an append.
    const next = fetch(`${server.base}/v1/topics/${topic}/partitions/0/records?offset=0&maxWaitMs=30000`);
    await waitFor(async () => (await waiting(topic)) === 1, "a new long-poll to park");
    await fetch(`${server.base}/v1/topics/${topic}/partitions/0/records`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ records: [{ value: "hello" }] }) });
    const answer = (await (await within(next, "the woken long-poll")).json()) as { records: { value: string }[] };
    expect(answer.records.map((r) => r.value)).toEqual(["hello"]);
  });
});
