// Property: whatever mix of produce, segment rolls, tiering to R2, retention, DeleteRecords, compaction and fetches
// runs, every record that survives reads back byte-exact at its original offset; offsets only ascend; a delete-policy
// log is contiguous from logStartOffset to the high watermark; a compacted log keeps each key's latest record.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { partitionLogStub } from "../../src/names";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import { api, createTopic, fetchFrom, produceTo, readAll, uniqueTopic } from "../helpers";

const command = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("produce" as const), records: fc.array(fc.record({ key: fc.constantFrom("a", "b", "c", "d", "é"), value: fc.option(fc.string({ unit: "binary", maxLength: 60 }), { nil: null }) }), { minLength: 1, maxLength: 25 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("alarm" as const), advanceMs: fc.constantFrom(0, 1000, 3_600_000, 90_000_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteRecords" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("fetch" as const), at: fc.double({ min: 0, max: 1, noNaN: true }), maxRecords: fc.integer({ min: 1, max: 40 }) }) },
);

const policies = {
  delete: { "segment.bytes": 1200, "local.retention.bytes": 0, "retention.bytes": 20000, "retention.ms": 86_400_000 },
  compact: { "cleanup.policy": "compact", "segment.bytes": 1200, "min.cleanable.dirty.ratio": 0, "delete.retention.ms": 3_600_000 },
  both: { "cleanup.policy": "compact,delete", "segment.bytes": 1200, "min.cleanable.dirty.ratio": 0.2, "retention.bytes": 15000 },
} as const;

describe("storage property", () => {
  for (const [name, config] of Object.entries(policies)) {
    it(`${name}: every surviving record reads back byte-exact at its original offset`, { timeout: 120_000 }, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 3, maxLength: 30 }), async (commands) => {
          const topic = uniqueTopic(`sp-${name}`);
          await createTopic(topic, 1, config);
          const topicId = (await api("GET", `/v1/topics/${topic}`)).body.topicId;
          const stub = partitionLogStub(env, topicId, 0);
          const produced = new Map<number, unknown>();
          let highWatermark = 0;
          for (const c of commands) {
            if (c.kind === "produce") {
              const r = await produceTo(topic, 0, c.records);
              expect(r.status, JSON.stringify(r.body)).toBe(200);
              const first = (await fetchFrom(topic, 0, { offset: r.body.results[0].offset, maxRecords: c.records.length, maxBytes: 8_000_000 })).body.records;
              // Keep what the log itself stored for these offsets (timestamps come from the router).
              for (const rec of first) produced.set(rec.offset, rec);
              highWatermark = r.body.results.at(-1).offset + 1;
            } else if (c.kind === "alarm") {
              await runInDurableObject(stub, (instance: PartitionLog) => {
                instance.clock.advance(c.advanceMs);
              });
              await runDurableObjectAlarm(stub);
            } else if (c.kind === "deleteRecords") {
              const d = (await api("GET", `/v1/topics/${topic}`)).body.partitions[0];
              const before = d.logStartOffset + Math.floor(c.at * (d.highWatermark - d.logStartOffset));
              expect((await api("POST", `/v1/topics/${topic}/partitions/0/delete-records`, { beforeOffset: before })).status).toBe(200);
            } else {
              const d = (await api("GET", `/v1/topics/${topic}`)).body.partitions[0];
              const offset = d.logStartOffset + Math.floor(c.at * (d.highWatermark - d.logStartOffset));
              const f = await fetchFrom(topic, 0, { offset, maxRecords: c.maxRecords });
              expect(f.status, JSON.stringify(f.body)).toBe(200);
              for (const r of f.body.records) expect(r).toEqual(produced.get(r.offset));
              if (f.body.records.length > 0) expect(f.body.records[0].offset).toBeGreaterThanOrEqual(offset);
            }
            // After every step: the whole log reads back byte-exact, offsets ascending, within [logStart, HW).
            const d = (await api("GET", `/v1/topics/${topic}`)).body.partitions[0];
            expect(d.highWatermark).toBe(highWatermark);
            const all = await readAll(topic, 0);
            for (let i = 1; i < all.length; i++) expect(all[i].offset).toBeGreaterThan(all[i - 1].offset);
            for (const r of all) {
              expect(r.offset).toBeGreaterThanOrEqual(d.logStartOffset);
              expect(r).toEqual(produced.get(r.offset));
            }
            if (name === "delete") expect(all.map((r: any) => r.offset)).toEqual(Array.from({ length: highWatermark - d.logStartOffset }, (_, i) => d.logStartOffset + i));
            if (name === "compact") {
              // The latest record of every key survives (compaction never drops the newest; nothing else deletes here).
              const latest = new Map<string, number>();
              for (const [offset, r] of produced) latest.set((r as { key: string }).key, Math.max(latest.get((r as { key: string }).key) ?? -1, offset));
              const kept = new Set(all.map((r: any) => r.offset));
              for (const [, offset] of latest) {
                const rec = produced.get(offset) as { value: string | null };
                if (rec.value !== null) expect(kept.has(offset) || offset < d.logStartOffset).toBe(true);
              }
            }
          }
          await api("DELETE", `/v1/topics/${topic}`);
        }),
        { numRuns: 25 },
      );
    });
  }
});
