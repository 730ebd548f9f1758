// Produce and fetch end to end through the Worker: partitioning (keyed, keyless, explicit), encodings, headers,
// tombstones, timestamps, acks, fetch bounds, ListOffsets, SSE.
import { describe, expect, it } from "vitest";
import { partitionForStringKey } from "../../src/log/partitioner";
import { textToBase64 } from "../../src/log/base64";
import { api, createTopic, fetchFrom, produceTo, readAll, records, uniqueTopic } from "../helpers";
import { exports } from "cloudflare:workers";

describe("produce", () => {
  it("puts keyed records where Kafka's Java client would", async () => {
    const t = uniqueTopic();
    await createTopic(t, 12);
    const keys = ["21", "foobar", "abc", "a", "kafka", "0", "1", "é", "100:48069", "order-17"];
    const r = await api("POST", `/v1/topics/${t}/records`, { records: keys.map((key) => ({ key, value: `v-${key}` })) });
    expect(r.status).toBe(200);
    expect(r.body.results.map((x: any) => x.partition)).toEqual(keys.map((k) => partitionForStringKey(k, 12)));
    // The vectors from kafka-semantics §1.4 for N=12.
    expect(r.body.results.slice(0, 7).map((x: any) => x.partition)).toEqual([0, 6, 3, 4, 4, 8, 3]);
  });

  it("hashes the decoded bytes of a base64 key", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1000);
    const r = await api("POST", `/v1/topics/${t}/records`, { encoding: "base64", records: [{ key: btoa("\u0000 "), value: "AA==" }] });
    expect(r.body.results[0].partition).toBe(742); // bytes [0x00, 0x20] -> p(1000) = 742
  });

  it("answers per record in request order across partitions, offsets contiguous per partition", async () => {
    const t = uniqueTopic();
    await createTopic(t, 3);
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    const r = await api("POST", `/v1/topics/${t}/records`, { records: keys.map((key, i) => ({ key, value: String(i) })) });
    expect(r.status).toBe(200);
    const next = [0, 0, 0];
    r.body.results.forEach((res: any, i: number) => {
      expect(res.partition).toBe(partitionForStringKey(keys[i]!, 3));
      expect(res.offset).toBe(next[res.partition]);
      next[res.partition] = next[res.partition]! + 1;
    });
    for (let p = 0; p < 3; p++) {
      const all = await readAll(t, p);
      expect(all.map((x) => x.offset)).toEqual(Array.from({ length: next[p]! }, (_, i) => i));
      expect(all.map((x) => x.key)).toEqual(keys.filter((k) => partitionForStringKey(k, 3) === p));
    }
  });

  it("sends keyless records of one request to one partition, and honours an explicit partition", async () => {
    const t = uniqueTopic();
    await createTopic(t, 8);
    const r = await api("POST", `/v1/topics/${t}/records`, { records: [...records(20), { value: "pinned", partition: 5 }, { key: "k", value: "pinned-too", partition: 7 }] });
    expect(r.status).toBe(200);
    const partitions = new Set(r.body.results.slice(0, 20).map((x: any) => x.partition));
    expect(partitions.size).toBe(1);
    expect(r.body.results[20].partition).toBe(5);
    expect(r.body.results[21].partition).toBe(7);
  });

  it("round-trips keys, values and repeated headers in order, null keys and tombstones, in both encodings", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    const headers = [{ key: "trace", value: "a" }, { key: "trace", value: "b" }, { key: "nil", value: null }, { key: "ü", value: "☃" }];
    await produceTo(t, 0, [
      { key: "k", value: "héllo 😀\n\"quoted\"", headers, timestamp: 42 },
      { key: null, value: "no key" },
      { key: "gone", value: null },
    ]);
    const binary = btoa(String.fromCharCode(0, 255, 128, 10));
    await produceTo(t, 0, [{ key: btoa("bk"), value: binary, headers: [{ key: "bin", value: btoa("\u00ff") }] }], { encoding: "base64" });
    const text = await readAll(t, 0);
    expect(text[0]).toEqual({ offset: 0, timestamp: 42, key: "k", value: "héllo 😀\n\"quoted\"", headers });
    expect(text[1]).toMatchObject({ offset: 1, key: null, value: "no key", headers: [] });
    expect(text[2]).toMatchObject({ offset: 2, key: "gone", value: null });
    expect(text[3]).toMatchObject({ offset: 3, key: "bk" });
    const b64 = await readAll(t, 0, "base64");
    expect(b64[0]).toMatchObject({ key: textToBase64("k"), value: textToBase64("héllo 😀\n\"quoted\""), headers: headers.map((h) => ({ key: h.key, value: h.value === null ? null : textToBase64(h.value) })) });
    expect(b64[2]).toMatchObject({ key: textToBase64("gone"), value: null });
    expect(b64[3]).toEqual({ offset: 3, timestamp: b64[3].timestamp, key: btoa("bk"), value: binary, headers: [{ key: "bin", value: btoa("\u00ff") }] });
  });

  it("keeps CreateTime from the producer, or stamps LogAppendTime", async () => {
    const create = uniqueTopic();
    await createTopic(create);
    const a = await produceTo(create, 0, [{ value: "x", timestamp: 1234 }, { value: "y" }]);
    expect(a.body.results[0].timestamp).toBe(1234);
    expect(a.body.results[1].timestamp).toBeGreaterThan(1_600_000_000_000);
    const append = uniqueTopic();
    await createTopic(append, 1, { "message.timestamp.type": "LogAppendTime" });
    const before = Date.now();
    const b = await produceTo(append, 0, [{ value: "x", timestamp: 1234 }]);
    expect(b.body.results[0].timestamp).toBeGreaterThanOrEqual(before);
    expect((await readAll(append, 0))[0].timestamp).toBe(b.body.results[0].timestamp);
  });

  it("acks=0 answers 202 at once and the write still lands; acks=all and -1 acknowledge like acks=1", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    const zero = await produceTo(t, 0, [{ value: "fire" }], { acks: 0 });
    expect(zero.status).toBe(202);
    expect(zero.body.results).toEqual([{ partition: 0, offset: -1, timestamp: -1 }]);
    // The background write completes; a long-poll sees it without sleeping.
    const f = await fetchFrom(t, 0, { offset: 0, maxWaitMs: 5000 });
    expect(f.body.records.map((r: any) => r.value)).toEqual(["fire"]);
    for (const acks of ["all", -1, 1, "1"]) {
      const r = await produceTo(t, 0, [{ value: String(acks) }], { acks });
      expect(r.status).toBe(200);
      expect(r.body.results[0].offset).toBeGreaterThan(0);
    }
  });

  it("refuses a null key on a compacted topic and accepts keyed records", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "cleanup.policy": "compact" });
    const bad = await produceTo(t, 0, [{ key: "k", value: "ok" }, { value: "no key" }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error.type).toBe("INVALID_RECORD");
    expect((await produceTo(t, 0, [{ key: "k", value: "ok" }])).status).toBe(200);
    expect(await readAll(t, 0)).toHaveLength(1);
  });
});

describe("fetch", () => {
  it("bounds by maxRecords and maxBytes, and always returns a first record larger than maxBytes", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    await produceTo(t, 0, records(50, (i) => ({ value: "x".repeat(100), timestamp: i })));
    const a = await fetchFrom(t, 0, { offset: 5, maxRecords: 7 });
    expect(a.body.records.map((r: any) => r.offset)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(a.body.nextOffset).toBe(12);
    const one = JSON.stringify(a.body.records[0]).length;
    const b = await fetchFrom(t, 0, { offset: 0, maxBytes: one * 3 + 2 });
    expect(b.body.records).toHaveLength(3);
    const c = await fetchFrom(t, 0, { offset: 49, maxBytes: 1 });
    expect(c.body.records.map((r: any) => r.offset)).toEqual([49]);
    expect(c.body).toMatchObject({ nextOffset: 50, highWatermark: 50, logStartOffset: 0 });
  });

  it("costs an index seek: a fetch deep in a many-batch log reads only what it returns", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    for (let b = 0; b < 40; b++) await produceTo(t, 0, records(25, (i) => ({ value: `b${b}-${i}` })));
    const mid = await fetchFrom(t, 0, { offset: 512, maxRecords: 3 });
    expect(mid.body.records.map((r: any) => [r.offset, r.value])).toEqual([[512, "b20-12"], [513, "b20-13"], [514, "b20-14"]]);
    const span = await fetchFrom(t, 0, { offset: 20, maxRecords: 10 });
    expect(span.body.records.map((r: any) => r.offset)).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(span.body.records[5].value).toBe("b1-0");
  });

  it("defaults the offset to logStartOffset and answers empty at the high watermark", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    await produceTo(t, 0, records(3));
    expect((await fetchFrom(t, 0)).body.records).toHaveLength(3);
    expect((await fetchFrom(t, 0, { offset: 3 })).body).toEqual({ records: [], nextOffset: 3, highWatermark: 3, logStartOffset: 0 });
    const past = await fetchFrom(t, 0, { offset: 4 });
    expect(past.status).toBe(416);
    expect(past.body.error).toMatchObject({ type: "OFFSET_OUT_OF_RANGE", code: 1, details: { logStartOffset: 0, highWatermark: 3 } });
  });

  it("streams a live tail over SSE that resumes from Last-Event-ID", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    await produceTo(t, 0, records(3));
    const response = await exports.default.fetch(new Request(`http://edgelog.test/v1/topics/${t}/partitions/0/records?offset=1`, { headers: { accept: "text/event-stream" } }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = "";
    const events = () => text.split("\n\n").filter((e) => e.includes("event: records"));
    while (events().length < 1) text += decoder.decode((await reader.read()).value);
    await produceTo(t, 0, [{ value: "live" }]);
    while (events().length < 2) text += decoder.decode((await reader.read()).value);
    await reader.cancel();
    const [first, second] = events().map((e) => ({ id: Number(/^id: (\d+)$/m.exec(e)![1]), data: JSON.parse(/^data: (.*)$/m.exec(e)![1]!) }));
    expect(first!.id).toBe(3);
    expect(first!.data.records.map((r: any) => r.offset)).toEqual([1, 2]);
    expect(second!.id).toBe(4);
    expect(second!.data.records.map((r: any) => r.value)).toEqual(["live"]);
    // Resume: Last-Event-ID wins over ?offset.
    const resumed = await exports.default.fetch(new Request(`http://edgelog.test/v1/topics/${t}/partitions/0/records?offset=0`, { headers: { accept: "text/event-stream", "last-event-id": "3" } }));
    const r2 = resumed.body!.getReader();
    let text2 = "";
    while (!text2.includes("event: records")) text2 += decoder.decode((await r2.read()).value);
    await r2.cancel();
    expect(JSON.parse(/^data: (.*)$/m.exec(text2)![1]!).records.map((r: any) => r.offset)).toEqual([3]);
  });
});
