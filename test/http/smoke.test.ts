import { describe, expect, it } from "vitest";
import { api, createTopic, fetchFrom, produceTo, uniqueTopic } from "../helpers";

describe("smoke", () => {
  it("creates, produces, fetches", async () => {
    const t = uniqueTopic();
    await createTopic(t, 3);
    const p = await produceTo(t, 1, [{ key: "a", value: "hello", headers: [{ key: "h", value: "1" }, { key: "h", value: "2" }] }, { value: null }]);
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.results.map((r: any) => r.offset)).toEqual([0, 1]);
    const f = await fetchFrom(t, 1, { offset: 0 });
    expect(f.status).toBe(200);
    expect(f.body.records).toHaveLength(2);
    expect(f.body.records[0]).toMatchObject({ offset: 0, key: "a", value: "hello", headers: [{ key: "h", value: "1" }, { key: "h", value: "2" }] });
    expect(f.body).toMatchObject({ nextOffset: 2, highWatermark: 2, logStartOffset: 0 });
    const d = await api("GET", `/v1/topics/${t}`);
    expect(d.status).toBe(200);
    expect(d.body.partitions[1]).toMatchObject({ highWatermark: 2, logEndOffset: 2 });
    const tp = await api("POST", `/v1/topics/${t}/records`, { records: [{ key: "k1", value: "x" }, { value: "y" }, { value: "z" }] });
    expect(tp.status, JSON.stringify(tp.body)).toBe(200);
  });
});
