// Property: produces fired concurrently at one topic (plain ones with acks 1 or all, idempotent ones each from its own
// producer, base64 and text, keyed and explicit partitions) all succeed, each request's records get consecutive
// offsets in request order within their partition, no offset is given twice, and reading every partition back returns
// exactly the acknowledged records at the offsets they were acknowledged at, whatever the group commit merged.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, createTopic, readAll, uniqueTopic } from "../helpers";

const PARTITIONS = 2;

const requestArb = fc.record({
  kind: fc.constantFrom("plain" as const, "plain" as const, "idempotent" as const),
  acks: fc.constantFrom(1, -1),
  encoding: fc.constantFrom("text" as const, "text" as const, "base64" as const),
  partition: fc.option(fc.integer({ min: 0, max: PARTITIONS - 1 }), { nil: undefined }),
  values: fc.array(fc.string({ unit: "grapheme", maxLength: 12 }), { minLength: 1, maxLength: 12 }),
});

const toBase64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe("group commit property", () => {
  it("concurrent produces keep per-request contiguity and store exactly what was acknowledged", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { minLength: 1, maxLength: 16 }), async (requests) => {
        const topic = uniqueTopic("gcprop");
        await createTopic(topic, PARTITIONS);
        const producers = await Promise.all(requests.map((r) => (r.kind === "idempotent" ? api("POST", "/v1/producers", {}).then((p) => p.body) : undefined)));
        const answers = await Promise.all(
          requests.map((r, n) => {
            // Idempotent batches go to one partition (the partition-level path); plain ones may spread by key.
            const partition = r.kind === "idempotent" ? (r.partition ?? 0) : r.partition;
            const encode = (text: string) => (r.encoding === "base64" ? toBase64(text) : text);
            const records = r.values.map((v, i) => ({ key: encode(`k${n}-${i}`), value: encode(v) }));
            const body: Record<string, unknown> = { records, acks: r.acks, encoding: r.encoding };
            if (r.kind === "idempotent") body.producer = { ...producers[n], baseSequence: 0 };
            const path = partition === undefined ? `/v1/topics/${topic}/records` : `/v1/topics/${topic}/partitions/${partition}/records`;
            return api("POST", path, body);
          }),
        );
        const expected = new Map<string, { key: string; value: string }>(); // "p/offset" -> record
        answers.forEach((answer, n) => {
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          const byPartition = new Map<number, number[]>();
          answer.body.results.forEach((result: { partition: number; offset: number }, i: number) => {
            const where = `${result.partition}/${result.offset}`;
            expect(expected.has(where), `${where} acknowledged twice`).toBe(false);
            expected.set(where, { key: `k${n}-${i}`, value: requests[n]!.values[i]! });
            byPartition.set(result.partition, [...(byPartition.get(result.partition) ?? []), result.offset]);
          });
          for (const offsets of byPartition.values()) for (let j = 1; j < offsets.length; j++) expect(offsets[j]).toBe(offsets[j - 1]! + 1);
        });
        let stored = 0;
        for (let p = 0; p < PARTITIONS; p++) {
          for (const record of await readAll(topic, p)) {
            stored++;
            const want = expected.get(`${p}/${record.offset}`);
            expect(want, `unexpected record at ${p}/${record.offset}`).toBeDefined();
            expect(record.key).toBe(want!.key);
            expect(record.value).toBe(want!.value);
          }
        }
        expect(stored).toBe(expected.size);
      }),
      { numRuns: 25 },
    );
  });
});
