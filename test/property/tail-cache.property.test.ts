// Property: the partition's tail cache never changes a fetch's answer. Random runs of produce, alarms (segment rolls,
// tiering to R2, retention, compaction), DeleteRecords, truncation at a batch boundary (what a follower does when its
// leader changes) and a leader's batches taken with a gap (a follower of a compacted leader), on caches of random
// bounds (0: off; small: most reads miss and evict often; large: every tail read hits). At every fetch step the same
// read runs twice in the partition object, through the cache and straight from SQLite: the bytes, nextOffset and
// counts must be identical.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildBatch, joinJson, packTails } from "../../src/log/batch";
import { ReadAccumulator } from "../../src/log/batch-reader";
import { partitionLogStub } from "../../src/names";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import type { LocalLog } from "../../src/partition/local-log";
import { readRecords } from "../../src/partition/read-path";
import { TailCache } from "../../src/partition/tail-cache";
import type { TieredLog } from "../../src/partition/tiered-log";
import type { ReadRequest } from "../../src/protocol";
import { api, createTopic, produceTo, uniqueTopic } from "../helpers";

const value = fc.option(fc.string({ unit: "binary", maxLength: 60 }), { nil: null });
const command = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("produce" as const), records: fc.array(fc.record({ key: fc.constantFrom("a", "b", "c", "d", "é"), value }), { minLength: 1, maxLength: 25 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("alarm" as const), advanceMs: fc.constantFrom(0, 1000, 3_600_000, 90_000_000) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteRecords" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("replicated" as const), gap: fc.integer({ min: 0, max: 3 }), values: fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 8 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("fetch" as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      maxRecords: fc.integer({ min: 1, max: 60 }),
      maxBytes: fc.constantFrom(1, 200, 1_000_000),
      encoding: fc.constantFrom("text" as const, "base64" as const),
    }),
  },
);

const policies = {
  delete: { "segment.bytes": 400, "local.retention.bytes": 0, "retention.bytes": 4000, "retention.ms": 86_400_000 },
  compact: { "cleanup.policy": "compact", "segment.bytes": 400, "min.cleanable.dirty.ratio": 0, "delete.retention.ms": 3_600_000 },
} as const;

interface Inner {
  log: LocalLog;
  tiered: TieredLog;
}

describe("tail cache property", () => {
  for (const [name, config] of Object.entries(policies)) {
    it(`${name}: every fetch answers the same through the cache as from SQLite`, { timeout: 180_000 }, async () => {
      let hits = 0;

      await fc.assert(
        fc.asyncProperty(fc.constantFrom(0, 700, 3000, 1 << 20), fc.array(command, { minLength: 5, maxLength: 40 }), async (cacheBytes, commands) => {
          const topic = uniqueTopic(`tc-${name}`);
          await createTopic(topic, 1, config);
          const topicId = (await api("GET", `/v1/topics/${topic}`)).body.topicId;
          const stub = partitionLogStub(env, topicId, 0);
          const inside = <T>(work: (inner: Inner) => T | Promise<T>) => runInDurableObject(stub, (instance: PartitionLog) => work(instance as unknown as Inner));
          // The cache under test, with this run's bound (the object starts with the deployment's).
          await inside((o) => void ((o.log as unknown as { tail: TailCache }).tail = new TailCache(cacheBytes)));
          for (const c of commands) {
            if (c.kind === "produce") {
              const r = await produceTo(topic, 0, c.records);
              expect(r.status, JSON.stringify(r.body)).toBe(200);
            } else if (c.kind === "alarm") {
              // Maintenance runs now whether or not its alarm is due, so compaction and retention happen often.
              await inside(async (o) => {
                (o as unknown as PartitionLog).clock.advance(c.advanceMs);
                await (o as unknown as PartitionLog).alarm();
              });
            } else if (c.kind === "deleteRecords") {
              const d = (await api("GET", `/v1/topics/${topic}`)).body.partitions[0];
              const before = d.logStartOffset + Math.floor(c.at * (d.highWatermark - d.logStartOffset));
              expect((await api("POST", `/v1/topics/${topic}/partitions/0/delete-records`, { beforeOffset: before })).status).toBe(200);
            } else if (c.kind === "truncate") {
              await inside(({ log }) => {
                if (log.current === undefined) return;
                const bases = log.batches.headersFrom(log.localStartOffset()).map((h) => h.base_offset);
                if (bases.length === 0) return;
                log.truncateTo(bases[Math.floor(c.at * bases.length)]!);
              });
            } else if (c.kind === "replicated") {
              await inside(({ log }) => {
                const s = log.current;
                if (s === undefined) return;
                const base = s.logEndOffset + c.gap;
                const tails = packTails(c.values.map((v) => `"key":"r","value":${JSON.stringify(v)},"headers":[]}`));
                const built = buildBatch(base, c.values.map(() => 1_700_000_000_000), tails, 0, c.values.length);
                const n = c.values.length;
                log.appendReplicated([{ baseOffset: base, lastOffset: base + n - 1, recordCount: n, maxTimestamp: built.maxTimestamp, appendTimeMs: built.maxTimestamp, encoding: "text", records: built.bytes, positions: built.positions }], 0);
                log.setHighWatermark(base + n);
              });
            } else {
              const same = await inside(async ({ log, tiered }) => {
                const s = log.current;
                if (s === undefined) return { cached: "", direct: "" };
                const offset = s.logStartOffset + Math.floor(c.at * (s.highWatermark - s.logStartOffset));
                const request: ReadRequest = { offset, maxRecords: c.maxRecords, maxBytes: c.maxBytes, maxWaitMs: 0, encoding: c.encoding };
                const a = await readRecords(log, tiered, offset, request, true);
                if (offset >= log.localStartOffset() && log.readTail(new ReadAccumulator(offset, s.highWatermark, 1, 1, "text"))) hits++;
                const b = await readRecords(log, tiered, offset, request, false);
                const show = (x: typeof a) => `${x.nextOffset} ${x.recordCount} ${x.bytes} ${x.done} ${new TextDecoder().decode(joinJson("[", x.pieces, "]"))}`;
                return { cached: show(a), direct: show(b) };
              });
              expect(same.cached).toBe(same.direct);
            }
          }
          await api("DELETE", `/v1/topics/${topic}`);
        }),
        { numRuns: 20, seed: 20_2012 },
      );
      // The property is only worth something if the cache answered reads: it must have, on these seeds.
      expect(hits).toBeGreaterThan(0);
    });
  }
});
