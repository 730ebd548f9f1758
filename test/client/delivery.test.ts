// deliveryBatch: the consumer Worker's helper. What each way of marking records answers edgelog, and, for any
// marking (property test), that the answer means exactly what was marked under the protocol's reading of a
// DeliveryResponse (src/subscription-protocol.ts): the records retried come again with their delays, no others.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deliveryBatch } from "../../src/client/delivery";
import type { DeliveredRecord, DeliveryBatch, DeliveryResponse } from "../../src/subscription-protocol";

function input(offsets: number[], attempt = 1): DeliveryBatch {
  return {
    subscription: "audit",
    topic: "orders",
    partition: 2,
    attempt,
    records: offsets.map((offset): DeliveredRecord => ({ offset, timestamp: 1_000 + offset, key: `k${offset}`, value: `v${offset}`, headers: [{ key: "h", value: String(offset) }] })),
  };
}

/** The protocol's reading of a response: for each offset, acknowledged or retried (with its delay, if any). */
function meaning(response: DeliveryResponse, offsets: number[]): Map<number, "ack" | { delayMs: number | undefined }> {
  const out = new Map<number, "ack" | { delayMs: number | undefined }>();
  for (const offset of offsets) {
    if (response.retryAll) out.set(offset, { delayMs: response.retryAll.delayMs });
    else if (response.retry) {
      const entry = response.retry.find((r) => r.offset === offset);
      out.set(offset, entry ? { delayMs: entry.delayMs } : "ack");
    } else if (response.ackUpTo !== undefined) out.set(offset, offset <= response.ackUpTo ? "ack" : { delayMs: undefined });
    else out.set(offset, "ack");
  }
  return out;
}

describe("deliveryBatch", () => {
  it("carries the batch's fields and each record's, and answers ackAll when nothing is marked", () => {
    const batch = deliveryBatch(input([10, 11, 12], 3));
    expect({ subscription: batch.subscription, topic: batch.topic, partition: batch.partition, attempt: batch.attempt }).toEqual({ subscription: "audit", topic: "orders", partition: 2, attempt: 3 });
    expect(batch.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers])).toEqual([10, 11, 12].map((o) => [o, 1_000 + o, `k${o}`, `v${o}`, [{ key: "h", value: String(o) }]]));
    // A record serializes as the record it is (the methods are not data).
    expect(JSON.parse(JSON.stringify(batch.records[0]))).toEqual(input([10]).records[0]);
    expect(batch.response()).toEqual({ ackAll: true });
    expect(deliveryBatch(input([])).response()).toEqual({ ackAll: true });
  });

  it.each<[string, (batch: ReturnType<typeof deliveryBatch>) => DeliveryResponse, DeliveryResponse]>([
    ["ackAll()", (b) => b.ackAll(), { ackAll: true }],
    ["retryAll()", (b) => b.retryAll(), { retryAll: {} }],
    ["retryAll({ delayMs })", (b) => b.retryAll({ delayMs: 5_000 }), { retryAll: { delayMs: 5_000 } }],
    ["retryAll({ delayMs: 0 })", (b) => b.retryAll({ delayMs: 0 }), { retryAll: { delayMs: 0 } }],
    ["one record retried", (b) => (b.records[1]!.retry({ delayMs: 250 }), b.response()), { retry: [{ offset: 11, delayMs: 250 }] }],
    ["one record retried, no delay", (b) => (b.records[0]!.retry(), b.response()), { retry: [{ offset: 10 }] }],
    ["every record retried alike", (b) => (b.records.forEach((r) => r.retry({ delayMs: 7 })), b.response()), { retryAll: { delayMs: 7 } }],
    ["every record retried, delays differ", (b) => (b.records.forEach((r, i) => r.retry({ delayMs: i })), b.response()), { retry: [{ offset: 10, delayMs: 0 }, { offset: 11, delayMs: 1 }, { offset: 12, delayMs: 2 }] }],
    ["one acked, then retryAll", (b) => (b.records[0]!.ack(), b.retryAll({ delayMs: 9 })), { retry: [{ offset: 11, delayMs: 9 }, { offset: 12, delayMs: 9 }] }],
    ["one retried, then ackAll", (b) => (b.records[2]!.retry(), b.ackAll()), { retry: [{ offset: 12 }] }],
    ["retry then ack: the first decision stands", (b) => (b.records[0]!.retry({ delayMs: 1 }), b.records[0]!.ack(), b.response()), { retry: [{ offset: 10, delayMs: 1 }] }],
    ["ack then retry: the first decision stands", (b) => (b.records[0]!.ack(), b.records[0]!.retry(), b.response()), { ackAll: true }],
    ["retried twice: the first delay stands", (b) => (b.records[1]!.retry({ delayMs: 1 }), b.records[1]!.retry({ delayMs: 2 }), b.response()), { retry: [{ offset: 11, delayMs: 1 }] }],
    ["ackAll, then retryAll: nothing left to retry", (b) => (b.ackAll(), b.retryAll()), { ackAll: true }],
  ])("%s", (_name, mark, expected) => {
    const batch = deliveryBatch(input([10, 11, 12]));
    const answered = mark(batch);
    expect(answered).toEqual(expected);
    // response() answers the same again, and the answer survives structured cloning (Workers RPC) and JSON (webhooks).
    expect(batch.response()).toEqual(expected);
    expect(structuredClone(answered)).toEqual(expected);
    expect(JSON.parse(JSON.stringify(answered))).toEqual(expected);
  });

  it("refuses a delay that is not a whole number of ms, 0 or more, and input that is not a delivery", () => {
    const batch = deliveryBatch(input([1]));
    for (const delayMs of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "5" as unknown as number]) {
      expect(() => batch.records[0]!.retry({ delayMs }), String(delayMs)).toThrow(RangeError);
      expect(() => batch.retryAll({ delayMs }), String(delayMs)).toThrow(/retry delayMs must be a whole number of ms, 0 or more/);
    }
    // Nothing was decided by the refused calls.
    expect(batch.response()).toEqual({ ackAll: true });
    for (const bad of [null, undefined, "batch", {}, { records: "x" }]) {
      expect(() => deliveryBatch(bad as unknown as DeliveryBatch)).toThrow(/not a delivery from edgelog/);
    }
  });

  it("answers exactly what was marked, for any marking (property)", () => {
    const marking = fc.array(fc.oneof(fc.constant<"none">("none"), fc.constant<"ack">("ack"), fc.record({ delayMs: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) })), { maxLength: 12 });
    const batchCall = fc.constantFrom<"response" | "ackAll" | "retryAll" | "retryAllDelay">("response", "ackAll", "retryAll", "retryAllDelay");
    fc.assert(
      fc.property(marking, batchCall, (marks, call) => {
        const offsets = marks.map((_, i) => 100 + i * 3);
        const batch = deliveryBatch(input(offsets));
        marks.forEach((mark, i) => {
          if (mark === "ack") batch.records[i]!.ack();
          else if (mark !== "none") batch.records[i]!.retry(mark.delayMs === undefined ? {} : { delayMs: mark.delayMs });
        });
        const answered = call === "ackAll" ? batch.ackAll() : call === "retryAll" ? batch.retryAll() : call === "retryAllDelay" ? batch.retryAll({ delayMs: 42 }) : batch.response();
        const expected = new Map<number, "ack" | { delayMs: number | undefined }>();
        marks.forEach((mark, i) => {
          const undecided = call === "retryAll" ? { delayMs: undefined } : call === "retryAllDelay" ? { delayMs: 42 } : "ack";
          expected.set(offsets[i]!, mark === "none" ? undecided : mark === "ack" ? "ack" : { delayMs: mark.delayMs });
        });
        expect(meaning(answered, offsets)).toEqual(expected);
        // Only the shapes the protocol names, one of them.
        expect(Object.keys(answered)).toHaveLength(1);
        expect(["ackAll", "retryAll", "retry"]).toContain(Object.keys(answered)[0]);
      }),
      { numRuns: 500, seed: 13 },
    );
  });
});
