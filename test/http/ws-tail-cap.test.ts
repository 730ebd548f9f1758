// The bound on WebSocket tails per partition, at and over it: 1,000 open sockets, in a workerd process of its own
// (vitest.config.ts, project "ws-tail-cap"): with that many sockets just closed, the shared process did not get on to
// the next test file.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_TAILS_PER_PARTITION } from "../../src/limits";
import { TAIL_TAG } from "../../src/tail";
import { api, createTopic, uniqueTopic } from "../helpers";
import { partitionStub, tail, TestTail, upgrade } from "./ws-tail-helpers";

const tailCount = (stub: DurableObjectStub) => runInDurableObject(stub, (_i: unknown, state: DurableObjectState) => state.getWebSockets(TAIL_TAG).length);

describe("WebSocket tails per partition", () => {
  it(`serves ${MAX_TAILS_PER_PARTITION} tails on a partition (at the limit) and refuses one more with 429 (over it)`, async () => {
    const t = uniqueTopic("wscap");
    await createTopic(t);
    const stub = await partitionStub(t);
    const open: TestTail[] = [];
    const first = MAX_TAILS_PER_PARTITION - 5;
    for (let i = 0; i < first; i += 50) open.push(...(await Promise.all(Array.from({ length: Math.min(50, first - i) }, () => tail(t, { offset: 0 })))));
    // Ten opens at once for the last five places: each counts again after its first read, so exactly five get in.
    const racing = await Promise.all(Array.from({ length: 10 }, () => upgrade(t, { offset: 0 })));
    expect(racing.map((r) => r.status).sort()).toEqual([...Array(5).fill(101), ...Array(5).fill(429)]);
    for (const r of racing) {
      if (r.status === 101) open.push(new TestTail(r.webSocket!));
      else await r.body?.cancel();
    }
    expect(await tailCount(stub)).toBe(MAX_TAILS_PER_PARTITION);
    const over = await upgrade(t, { offset: 0 });
    expect(over.status).toBe(429);
    expect(await over.json<any>()).toMatchObject({ error: { type: "THROTTLING_QUOTA_EXCEEDED", retriable: true } });
    // The server closes them all (a topic deletion), so none is left half-closed for the next test file.
    expect((await api("DELETE", `/v1/topics/${t}`)).status).toBeLessThan(300);
    for (const tl of open) expect((await tl.closing()).code).toBe(4404);
  }, 120_000);
});
