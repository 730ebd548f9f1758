// Property: any sequence of produces and fetches keeps each partition's offsets contiguous from 0, and every fetch
// returns exactly the acknowledged records from its offset on (same offsets, keys, values, headers, timestamps),
// within its maxRecords/maxBytes bounds. Model: an array of acknowledged records per partition.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, createTopic, fetchFrom, uniqueTopic } from "../helpers";

const PARTITIONS = 3;

const recordArb = fc.record({
  key: fc.option(fc.string({ maxLength: 8 }), { nil: null }),
  value: fc.option(fc.string({ unit: "binary", maxLength: 40 }), { nil: null }),
  headers: fc.array(fc.record({ key: fc.constantFrom("a", "b", "ü"), value: fc.option(fc.string({ maxLength: 5 }), { nil: null }) }), { maxLength: 3 }),
  timestamp: fc.integer({ min: 0, max: 2 ** 40 }),
});

const commandArb = fc.oneof(
  fc.record({ kind: fc.constant("produce" as const), partition: fc.option(fc.integer({ min: 0, max: PARTITIONS - 1 }), { nil: undefined }), records: fc.array(recordArb, { minLength: 1, maxLength: 30 }) }),
  fc.record({
    kind: fc.constant("fetch" as const),
    partition: fc.integer({ min: 0, max: PARTITIONS - 1 }),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
    maxRecords: fc.integer({ min: 1, max: 50 }),
    maxBytes: fc.integer({ min: 1, max: 5000 }),
  }),
);

describe("log property", () => {
  it("random produce/fetch sequences keep offsets contiguous and return exactly what was acknowledged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 25 }), async (commands) => {
        const topic = uniqueTopic("prop");
        await createTopic(topic, PARTITIONS);
        const model: any[][] = Array.from({ length: PARTITIONS }, () => []);
        for (const c of commands) {
          if (c.kind === "produce") {
            const body = { records: c.records.map((r) => (c.partition === undefined ? r : { ...r, partition: c.partition })) };
            const res = await api("POST", `/v1/topics/${topic}/records`, body);
            expect(res.status).toBe(200);
            res.body.results.forEach((result: any, i: number) => {
              const log = model[result.partition]!;
              expect(result.offset).toBe(log.length); // contiguous, in request order per partition
              const r = c.records[i]!;
              log.push({ offset: result.offset, timestamp: result.timestamp, key: r.key, value: r.value, headers: r.headers });
            });
          } else {
            const log = model[c.partition]!;
            const offset = Math.floor(c.at * log.length);
            const res = await fetchFrom(topic, c.partition, { offset, maxRecords: c.maxRecords, maxBytes: c.maxBytes });
            expect(res.status, JSON.stringify(res.body)).toBe(200);
            const got = res.body.records;
            expect(res.body.highWatermark).toBe(log.length);
            expect(got).toEqual(log.slice(offset, offset + got.length));
            expect(got.length).toBeLessThanOrEqual(c.maxRecords);
            if (offset < log.length) expect(got.length).toBeGreaterThan(0);
            if (got.length > 1) expect(new TextEncoder().encode(got.map((r: any) => JSON.stringify(r)).join(",")).length).toBeLessThanOrEqual(c.maxBytes);
            expect(res.body.nextOffset).toBe(offset + got.length);
          }
        }
        for (let p = 0; p < PARTITIONS; p++) {
          const all = await fetchFrom(topic, p, { offset: 0, maxRecords: 10_000, maxBytes: 8 * 1024 * 1024 });
          expect(all.body.records).toEqual(model[p]);
        }
      }),
      { numRuns: 25 },
    );
  });
});
