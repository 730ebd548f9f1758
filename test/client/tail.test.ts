// The client's live tail (src/client/tail.ts) inside workerd: over HTTP it is a WebSocket tail ending in the partition
// object (one tail socket there while it runs); over the RPC binding it long-polls. Both give the records already
// there, then live ones, in order; a deleted topic ends the iterator with the error.
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
import type { EdgelogBinding } from "../../src/client/rpc-transport";
import { partitionLogStub } from "../../src/names";
import { TAIL_TAG } from "../../src/tail";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";

const http = () => new Edgelog({ url: "http://edgelog.test", fetch: (input, init) => exports.default.fetch(new Request(input, init)) });
const binding = () => new Edgelog({ binding: (exports as unknown as { EdgelogRpc: EdgelogBinding }).EdgelogRpc });

async function tailSockets(topic: string): Promise<number> {
  const meta = (await api("GET", `/v1/topics/${topic}`)).body;
  return runInDurableObject(partitionLogStub(env, meta.topicId, 0), (_i: unknown, state: DurableObjectState) => state.getWebSockets(TAIL_TAG).length);
}

describe.each([
  ["HTTP (a WebSocket tail)", http, 1],
  ["the RPC binding (long-polls)", binding, 0],
] as const)("client.tail over %s", (_name, make, sockets) => {
  it("yields the records already there, then live ones, in order", async () => {
    const t = uniqueTopic("ctail");
    await createTopic(t);
    await produceTo(t, 0, records(3));
    const tail = make().tail(t, 0, { offset: 1 });
    const got: string[] = [];
    for await (const batch of tail) {
      got.push(...batch.records.map((r) => r.value as string));
      if (got.length === 2) {
        expect(await tailSockets(t)).toBe(sockets);
        await produceTo(t, 0, records(2, (i) => ({ value: `live${i}` })));
      }
      if (got.length === 4) break;
    }
    expect(got).toEqual(["v1", "v2", "live0", "live1"]);
  });

  it("throws a deleted topic's error", async () => {
    const t = uniqueTopic("ctaildel");
    await createTopic(t);
    await produceTo(t, 0, records(1));
    const tail = make().tail(t, 0);
    expect((await tail.next()).value?.records.length).toBe(1);
    expect((await api("DELETE", `/v1/topics/${t}`)).status).toBeLessThan(300);
    await expect(tail.next()).rejects.toMatchObject({ type: "UNKNOWN_TOPIC_OR_PARTITION" });
  });
});
