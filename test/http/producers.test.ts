// Idempotent produce end to end: a retried batch is written once and answered with its original offsets; gaps and
// fenced epochs are refused and change nothing.
import { describe, expect, it } from "vitest";
import { api, createTopic, produceTo, readAll, uniqueTopic } from "../helpers";

describe("idempotent producer", () => {
  it("issues ids, bumps epochs, and refuses ids it never issued", async () => {
    const a = await api("POST", "/v1/producers");
    expect(a.status).toBe(200);
    expect(a.body).toEqual({ producerId: expect.any(Number), producerEpoch: 0 });
    const b = await api("POST", "/v1/producers", {});
    expect(b.body.producerId).toBeGreaterThan(a.body.producerId);
    const bumped = await api("POST", "/v1/producers", { producerId: a.body.producerId });
    expect(bumped.body).toEqual({ producerId: a.body.producerId, producerEpoch: 1 });
    const unknown = await api("POST", "/v1/producers", { producerId: 999_999_999 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ type: "UNKNOWN_PRODUCER_ID", code: 59 });
  });

  it("writes a retried batch once and answers the retry with the original offsets", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    const { producerId, producerEpoch } = (await api("POST", "/v1/producers")).body;
    const batch = [{ value: "a" }, { value: "b" }];
    const first = await produceTo(t, 0, batch, { producer: { producerId, producerEpoch, baseSequence: 0 } });
    const retry = await produceTo(t, 0, batch, { producer: { producerId, producerEpoch, baseSequence: 0 } });
    expect(retry.status).toBe(200);
    expect(retry.body.results.map((r: any) => r.offset)).toEqual(first.body.results.map((r: any) => r.offset));
    const next = await produceTo(t, 0, [{ value: "c" }], { producer: { producerId, producerEpoch, baseSequence: 2 } });
    expect(next.body.results[0].offset).toBe(2);
    expect((await readAll(t, 0)).map((r) => r.value)).toEqual(["a", "b", "c"]);
  });

  it("refuses a sequence gap and a fenced epoch, writing nothing", async () => {
    const t = uniqueTopic();
    await createTopic(t);
    const { producerId } = (await api("POST", "/v1/producers")).body;
    await produceTo(t, 0, [{ value: "a" }], { producer: { producerId, producerEpoch: 0, baseSequence: 0 } });
    const gap = await produceTo(t, 0, [{ value: "x" }], { producer: { producerId, producerEpoch: 0, baseSequence: 5 } });
    expect(gap.status).toBe(409);
    expect(gap.body.error).toMatchObject({ type: "OUT_OF_ORDER_SEQUENCE_NUMBER", code: 45, details: { expectedSequence: 1, receivedSequence: 5 } });
    const newer = (await api("POST", "/v1/producers", { producerId })).body;
    expect((await produceTo(t, 0, [{ value: "b" }], { producer: { producerId, producerEpoch: newer.producerEpoch, baseSequence: 0 } })).status).toBe(200);
    const zombie = await produceTo(t, 0, [{ value: "z" }], { producer: { producerId, producerEpoch: 0, baseSequence: 1 } });
    expect(zombie.status).toBe(409);
    expect(zombie.body.error).toMatchObject({ type: "INVALID_PRODUCER_EPOCH", code: 47 });
    expect((await readAll(t, 0)).map((r) => r.value)).toEqual(["a", "b"]);
  });

  it("needs one partition per idempotent request on the topic-level path", async () => {
    const t = uniqueTopic();
    await createTopic(t, 4);
    const { producerId, producerEpoch } = (await api("POST", "/v1/producers")).body;
    const spread = await api("POST", `/v1/topics/${t}/records`, {
      producer: { producerId, producerEpoch, baseSequence: 0 },
      records: [{ value: "a", partition: 0 }, { value: "b", partition: 1 }],
    });
    expect(spread.status).toBe(400);
    expect(spread.body.error.type).toBe("INVALID_REQUEST");
    const one = await api("POST", `/v1/topics/${t}/records`, { producer: { producerId, producerEpoch, baseSequence: 0 }, records: [{ value: "a", partition: 3 }] });
    expect(one.status).toBe(200);
    const bad = await api("POST", `/v1/topics/${t}/records`, { producer: { producerId: -1, producerEpoch, baseSequence: 0 }, records: [{ value: "a" }] });
    expect(bad.body.error.type).toBe("INVALID_REQUEST");
  });
});
