// Fetch's content negotiation: Accept: application/vnd.edgelog.records.v1 gets the binary record frame, anything else
// JSON (never 406), both with Vary: Accept; errors stay JSON in the documented shape; a long-poll that times out
// answers an empty frame; SSE stays text.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
import { decodeRecordFrame, FrameRecord, RECORDS_MEDIA_TYPE } from "../../src/log/record-frame";
import { createTopic, produceTo, uniqueTopic } from "../helpers";

function get(path: string, accept?: string): Promise<Response> {
  return exports.default.fetch(new Request(`http://edgelog.test${path}`, accept === undefined ? {} : { headers: { accept } }));
}

async function topicWithRecords(): Promise<string> {
  const t = uniqueTopic("frame");
  await createTopic(t, 1);
  const r = await produceTo(t, 0, [{ key: "k", value: "v0", headers: [{ key: "h", value: "x" }] }, { key: null, value: null }]);
  expect(r.status).toBe(200);
  return t;
}

describe("fetch content negotiation", () => {
  it("answers the record frame to its media type, with Vary: Accept", async () => {
    const t = await topicWithRecords();
    const r = await get(`/v1/topics/${t}/partitions/0/records?offset=0`, RECORDS_MEDIA_TYPE);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe(RECORDS_MEDIA_TYPE);
    expect(r.headers.get("vary")).toBe("Accept");
    const frame = decodeRecordFrame(await r.arrayBuffer());
    expect(frame).toMatchObject({ nextOffset: 2, highWatermark: 2, logStartOffset: 0, encoding: "text" });
    expect(frame.records.map((x) => x.toJSON())).toEqual([
      { offset: 0, timestamp: expect.any(Number), key: "k", value: "v0", headers: [{ key: "h", value: "x" }] },
      { offset: 1, timestamp: expect.any(Number), key: null, value: null, headers: [] },
    ]);
  });

  it("answers JSON to no Accept, */*, application/json and types it does not serve, also with Vary: Accept", async () => {
    const t = await topicWithRecords();
    for (const accept of [undefined, "*/*", "application/json", "text/html", "application/octet-stream"]) {
      const r = await get(`/v1/topics/${t}/partitions/0/records?offset=0`, accept);
      expect(r.status, String(accept)).toBe(200);
      expect(r.headers.get("content-type"), String(accept)).toBe("application/json; charset=utf-8");
      expect(r.headers.get("vary")).toBe("Accept");
      expect(((await r.json()) as { records: unknown[] }).records).toHaveLength(2);
    }
  });

  it("weighs q: the frame unless JSON is preferred or the frame is refused", async () => {
    const t = await topicWithRecords();
    const type = async (accept: string) => (await get(`/v1/topics/${t}/partitions/0/records`, accept)).headers.get("content-type");
    expect(await type(`${RECORDS_MEDIA_TYPE}, application/json;q=0.5`)).toBe(RECORDS_MEDIA_TYPE);
    expect(await type(`application/json;q=0.9, ${RECORDS_MEDIA_TYPE.toUpperCase()}`)).toBe(RECORDS_MEDIA_TYPE);
    expect(await type(`${RECORDS_MEDIA_TYPE}, */*`)).toBe(RECORDS_MEDIA_TYPE);
    expect(await type(`application/json, ${RECORDS_MEDIA_TYPE};q=0.5`)).toBe("application/json; charset=utf-8");
    expect(await type(`${RECORDS_MEDIA_TYPE};q=0`)).toBe("application/json; charset=utf-8");
    expect(await type(`${RECORDS_MEDIA_TYPE}.v2`)).toBe("application/json; charset=utf-8");
  });

  it("keeps errors JSON in the documented shape", async () => {
    const t = await topicWithRecords();
    const past = await get(`/v1/topics/${t}/partitions/0/records?offset=9`, RECORDS_MEDIA_TYPE);
    expect(past.status).toBe(416);
    expect(past.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await past.json()).toMatchObject({ error: { type: "OFFSET_OUT_OF_RANGE", details: { highWatermark: 2 } } });
    const unknown = await get(`/v1/topics/${uniqueTopic("none")}/partitions/0/records`, RECORDS_MEDIA_TYPE);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { type: "UNKNOWN_TOPIC_OR_PARTITION" } });
    const bad = await get(`/v1/topics/${t}/partitions/0/records?maxRecords=0`, RECORDS_MEDIA_TYPE);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: "INVALID_REQUEST" } });
  });

  it("answers an empty frame when a long-poll finds nothing in its wait", async () => {
    const t = await topicWithRecords();
    const r = await get(`/v1/topics/${t}/partitions/0/records?offset=2&maxWaitMs=20&encoding=base64`, RECORDS_MEDIA_TYPE);
    expect(r.status).toBe(200);
    expect(decodeRecordFrame(await r.arrayBuffer())).toEqual({ records: [], nextOffset: 2, highWatermark: 2, logStartOffset: 0, encoding: "base64" });
  });

  it("serves base64 and read_committed in the frame as in JSON", async () => {
    const t = await topicWithRecords();
    const path = `/v1/topics/${t}/partitions/0/records?offset=0&encoding=base64&isolation=read_committed`;
    const json = (await (await get(path)).json()) as { records: unknown[]; lastStableOffset: number };
    const frame = decodeRecordFrame(await (await get(path, RECORDS_MEDIA_TYPE)).arrayBuffer());
    expect(frame.lastStableOffset).toBe(json.lastStableOffset);
    expect(frame.records.map((x) => x.toJSON())).toEqual(json.records);
    expect(frame.records[0]!.value).toBe(btoa("v0"));
  });

  it("the TS client fetches JSON by default, the frame when asked, and reads a JSON answer to its binary Accept", async () => {
    const t = await topicWithRecords();
    const accepts: (string | null)[] = [];
    const client = (fetchFormat: "binary" | "json" | undefined, rewrite: (h: Headers) => void = () => {}) =>
      new Edgelog({
        url: "http://edgelog.test",
        ...(fetchFormat ? { fetchFormat } : {}),
        fetch: (input, init) => {
          const request = new Request(input, init);
          accepts.push(request.headers.get("accept"));
          const headers = new Headers(request.headers);
          rewrite(headers);
          return exports.default.fetch(new Request(request, { headers }));
        },
      });
    const plain = (records: { offset: number; timestamp: number; key: string | null; value: string | null; headers: unknown }[]) =>
      records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers }));
    const byDefault = await client(undefined).transport.fetchRecords(t, 0, { offset: 0 });
    expect(accepts.at(-1)).toBe("application/json");
    expect(byDefault.records[0]).not.toBeInstanceOf(FrameRecord);
    const binary = await client("binary").transport.fetchRecords(t, 0, { offset: 0 });
    expect(accepts.at(-1)).toContain(RECORDS_MEDIA_TYPE);
    expect(binary.records[0]).toBeInstanceOf(FrameRecord);
    const json = await client("json").transport.fetchRecords(t, 0, { offset: 0 });
    expect(accepts.at(-1)).toBe("application/json");
    expect(json.records[0]).not.toBeInstanceOf(FrameRecord);
    expect(plain(binary.records)).toEqual(plain(json.records));
    const { records: _b, ...binaryOffsets } = binary;
    const { records: _j, ...jsonOffsets } = json;
    expect(binaryOffsets).toEqual(jsonOffsets);
    // A server (or proxy) that drops the Accept answers JSON: the client reads it as JSON.
    const fallback = await client("binary", (h) => h.delete("accept")).transport.fetchRecords(t, 0, { offset: 0 });
    expect(fallback.records[0]).not.toBeInstanceOf(FrameRecord);
    expect(plain(fallback.records)).toEqual(plain(json.records));
  });
});
