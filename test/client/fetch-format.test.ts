// The client's fetch format: JSON unless fetchFormat is "binary" (docs/client.md). Over HTTP each request the client
// sends is recorded on its way to the real Worker (the fetch option), so the Accept asked for and the Content-Type
// answered are what the Worker saw and said; over a service binding the RPC method called is recorded the same way.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Edgelog, FrameRecord, RECORDS_MEDIA_TYPE, type EdgelogBinding, type FetchFormat } from "../../src/client/edgelog";
import { uniqueTopic } from "../helpers";

interface Exchange {
  method: string;
  path: string;
  accept: string | null;
  contentType: string | null;
}

/** A client over HTTP through the Worker's fetch, and the exchanges it made. */
function httpClient(fetchFormat?: FetchFormat): { client: Edgelog; exchanges: Exchange[] } {
  const exchanges: Exchange[] = [];
  const client = new Edgelog({
    url: "http://edgelog.test",
    ...(fetchFormat === undefined ? {} : { fetchFormat }),
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const response = await exports.default.fetch(request);
      exchanges.push({ method: request.method, path: new URL(request.url).pathname, accept: request.headers.get("accept"), contentType: response.headers.get("content-type") });
      return response;
    },
  });
  return { client, exchanges };
}

/** A client over the EdgelogRpc service binding, and the names of the RPC methods it called. */
function rpcClient(fetchFormat?: FetchFormat): { client: Edgelog; calls: string[] } {
  const calls: string[] = [];
  const stub = (exports as unknown as { EdgelogRpc: EdgelogBinding }).EdgelogRpc as unknown as Record<string, (...args: unknown[]) => unknown>;
  const binding = new Proxy({} as EdgelogBinding, {
    get: (_target, name: string) => (...args: unknown[]) => {
      calls.push(name);
      return stub[name]!(...args);
    },
  });
  return { client: new Edgelog({ binding, ...(fetchFormat === undefined ? {} : { fetchFormat }) }), calls };
}

async function topicWithRecords(client: Edgelog): Promise<string> {
  const topic = uniqueTopic("format");
  await client.admin().createTopic({ name: topic, partitions: 1 });
  const producer = client.producer({ lingerMs: 0 });
  await producer.send(topic, [{ key: "k0", value: "v0" }, { key: "k1", value: "v1" }, { key: "k2", value: "v2" }]);
  await producer.close();
  return topic;
}

const recordPath = (topic: string) => `/v1/topics/${topic}/partitions/0/records`;

describe("the client's fetch format over HTTP", () => {
  it("asks for JSON by default, and the Worker answers JSON", async () => {
    const { client, exchanges } = httpClient();
    const topic = await topicWithRecords(client);
    const page = await client.transport.fetchRecords(topic, 0, { offset: 0 });

    const fetches = exchanges.filter((e) => e.method === "GET" && e.path === recordPath(topic));
    expect(fetches).toEqual([{ method: "GET", path: recordPath(topic), accept: "application/json", contentType: expect.stringMatching(/^application\/json/) }]);
    expect(page.records.map((r) => [r.offset, r.key, r.value])).toEqual([[0, "k0", "v0"], [1, "k1", "v1"], [2, "k2", "v2"]]);
    expect(page.records[0]).not.toBeInstanceOf(FrameRecord);
  });

  it('asks for the record frame with fetchFormat "binary", and the Worker answers it', async () => {
    const { client, exchanges } = httpClient("binary");
    const topic = await topicWithRecords(client);
    const page = await client.transport.fetchRecords(topic, 0, { offset: 0 });

    const fetches = exchanges.filter((e) => e.method === "GET" && e.path === recordPath(topic));
    expect(fetches).toHaveLength(1);
    // The frame first; JSON, at a lower weight, only from a server that does not know the frame.
    expect(fetches[0]!.accept).toBe(`${RECORDS_MEDIA_TYPE}, application/json;q=0.5`);
    expect(fetches[0]!.contentType).toMatch(new RegExp(`^${RECORDS_MEDIA_TYPE.replace(/\./g, "\\.")}`));
    expect(page.records.map((r) => [r.offset, r.key, r.value])).toEqual([[0, "k0", "v0"], [1, "k1", "v1"], [2, "k2", "v2"]]);
    expect(page.records[0]).toBeInstanceOf(FrameRecord);
    // Requests other than a fetch still ask for JSON.
    expect(exchanges.filter((e) => e.path !== recordPath(topic)).every((e) => e.accept === "application/json")).toBe(true);
  });
});

describe("the client's fetch format over a service binding", () => {
  it("calls fetchRecords by default", async () => {
    const { client, calls } = rpcClient();
    const topic = await topicWithRecords(client);
    const page = await client.transport.fetchRecords(topic, 0, { offset: 0 });

    expect(calls).toContain("fetchRecords");
    expect(calls).not.toContain("fetchRecordFrame");
    expect(page.records.map((r) => r.value)).toEqual(["v0", "v1", "v2"]);
    expect(page.records[0]).not.toBeInstanceOf(FrameRecord);
  });

  it('calls fetchRecordFrame with fetchFormat "binary"', async () => {
    const { client, calls } = rpcClient("binary");
    const topic = await topicWithRecords(client);
    const page = await client.transport.fetchRecords(topic, 0, { offset: 0 });

    expect(calls).toContain("fetchRecordFrame");
    expect(calls).not.toContain("fetchRecords");
    expect(page.records.map((r) => r.value)).toEqual(["v0", "v1", "v2"]);
    expect(page.records[0]).toBeInstanceOf(FrameRecord);
  });
});
