// A produce whose partitions fail, over HTTP: when no partition took the request's records the request fails with
// the first failure's status and body (per-record results in details.results on the topic path); when some partition
// took them the answer is 200 with per-record results, errors beside offsets. Failures come from the fault switch.
import { beforeAll, describe, expect, it } from "vitest";
import { api, produceTo, readAll, uniqueTopic } from "../helpers";

/** Two partitions, replication factor 2; both replicas of partition 0 are down, partition 1 is healthy. */
const T = uniqueTopic("half-down");

describe("produce when partitions fail", () => {
  beforeAll(async () => {
    expect((await api("POST", "/v1/topics", { name: T, partitions: 2, replicationFactor: 2 })).status).toBe(201);
    for (const replica of [0, 1]) expect((await api("POST", "/v1/faults", { topic: T, partition: 0, replica, down: true })).status).toBe(200);
  });

  it("answers 503 KAFKA_STORAGE_ERROR with details.results when every partition of a topic-path request failed", async () => {
    const r = await api("POST", `/v1/topics/${T}/records`, { records: [{ partition: 0, value: "a" }, { partition: 0, value: "b" }] });
    expect(r.status, JSON.stringify(r.body)).toBe(503);
    expect(r.body.error).toMatchObject({ type: "KAFKA_STORAGE_ERROR", code: 56, retriable: true, details: { partition: 0, ambiguous: true } });
    const results = r.body.error.details.results;
    expect(results).toHaveLength(2);
    for (const result of results) expect(result).toMatchObject({ partition: 0, error: { type: "KAFKA_STORAGE_ERROR", code: 56, retriable: true } });
  });

  it("answers 200 with per-record results when some partition took its records", async () => {
    // acks=all: partition 1 answers once its follower holds the records, so the high watermark covers them when read
    // below (with acks=1 it moves a moment after the answer).
    const r = await api("POST", `/v1/topics/${T}/records`, { acks: "all", records: [{ partition: 0, value: "lost" }, { partition: 1, value: "kept" }, { partition: 1, value: "kept too" }] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.results[0]).toMatchObject({ partition: 0, error: { type: "KAFKA_STORAGE_ERROR", retriable: true } });
    expect(r.body.results.slice(1)).toEqual([
      { partition: 1, offset: 0, timestamp: expect.any(Number) },
      { partition: 1, offset: 1, timestamp: expect.any(Number) },
    ]);
    expect((await readAll(T, 1)).map((x) => x.value)).toEqual(["kept", "kept too"]);
  });

  it("answers the partition's error, without results, on the partition path", async () => {
    const r = await produceTo(T, 0, [{ value: "x" }]);
    expect(r.status, JSON.stringify(r.body)).toBe(503);
    expect(r.body.error).toMatchObject({ type: "KAFKA_STORAGE_ERROR", details: { partition: 0, ambiguous: true } });
    expect(r.body.error.details.results).toBeUndefined();
  });

  it("answers ?results=runs with an error run beside the written run, and the same error when nothing was written", async () => {
    const some = await api("POST", `/v1/topics/${T}/records?results=runs`, {
      acks: "all",
      records: [{ partition: 0, value: "lost" }, { partition: 0, value: "lost too" }, { partition: 1, value: "kept" }],
    });
    expect(some.status, JSON.stringify(some.body)).toBe(200);
    expect(some.body.runs).toHaveLength(2);
    expect(some.body.runs[0]).toMatchObject({ partition: 0, count: 2, error: { type: "KAFKA_STORAGE_ERROR", retriable: true } });
    expect(some.body.runs[1]).toEqual({ partition: 1, baseOffset: expect.any(Number), count: 1, timestamp: expect.any(Number) });
    expect((await readAll(T, 1)).find((x) => x.offset === some.body.runs[1].baseOffset)?.value).toBe("kept");

    const none = await api("POST", `/v1/topics/${T}/records?results=runs`, { records: [{ partition: 0, value: "a" }] });
    expect(none.status, JSON.stringify(none.body)).toBe(503);
    expect(none.body.error).toMatchObject({ type: "KAFKA_STORAGE_ERROR", details: { partition: 0, ambiguous: true } });
    expect(none.body.error.details.results).toHaveLength(1);
  });

});
