// Property: a binary fetch (Accept: application/vnd.edgelog.records.v1) gives exactly the JSON fetch's answer. Random
// runs of produce (unicode, null keys and values, headers with null values, text or base64 produce), transactions
// committed, aborted or left open, and alarms that tier the log to R2 (so reads cross R2 and SQLite); at every fetch
// step the same read (random offset, bounds, encoding, isolation) runs as JSON and as binary, and the decoded records,
// read through their lazy getters, and every offset field must be identical.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { textToBase64 } from "../../src/log/base64";
import { decodeRecordFrame, RECORDS_MEDIA_TYPE } from "../../src/log/record-frame";
import { partitionLogStub } from "../../src/names";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import { api, createTopic, produceTo, uniqueTopic } from "../helpers";
import { abortTxn, commitTxn, initTxn, sendTxn, type Identity } from "../transaction/helpers";

const text = fc.string({ unit: "binary", maxLength: 40 });
const header = fc.record({ key: fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }), value: fc.option(text, { nil: null }) });
const record = fc.record({ key: fc.option(text, { nil: null }), value: fc.option(text, { nil: null }), headers: fc.array(header, { maxLength: 3 }) });
const command = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("produce" as const), base64: fc.boolean(), records: fc.array(record, { minLength: 1, maxLength: 20 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("txn" as const), end: fc.constantFrom("commit" as const, "abort" as const, "open" as const), values: fc.array(text, { minLength: 1, maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("alarm" as const), advanceMs: fc.constantFrom(0, 3_600_000) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("fetch" as const),
      at: fc.double({ min: 0, max: 1, noNaN: true }),
      maxRecords: fc.integer({ min: 1, max: 50 }),
      maxBytes: fc.constantFrom(1, 300, 1_000_000),
      encoding: fc.constantFrom("text", "base64"),
      isolation: fc.constantFrom("read_uncommitted", "read_committed"),
    }),
  },
);

async function rawFetch(path: string, accept?: string): Promise<Response> {
  const { exports } = await import("cloudflare:workers");
  return exports.default.fetch(new Request(`http://edgelog.test${path}`, accept === undefined ? {} : { headers: { accept } }));
}

describe("record frame property", () => {
  it("binary and JSON fetches give identical records and offsets", { timeout: 240_000 }, async () => {
    let records = 0;
    let txnReads = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 4, maxLength: 30 }), async (commands) => {
        const topic = uniqueTopic("rf");
        await createTopic(topic, 1, { "segment.bytes": 600, "local.retention.bytes": 0, "retention.ms": 86_400_000 });
        const topicId = (await api("GET", `/v1/topics/${topic}`)).body.topicId;
        const stub = partitionLogStub(env, topicId, 0);
        const txnId = uniqueTopic("rf-txn");
        let who: Identity | undefined;
        let sequence = 0;
        let open = false;
        for (const c of commands) {
          if (c.kind === "produce") {
            const recs = c.base64
              ? c.records.map((r) => ({
                  key: r.key === null ? null : textToBase64(r.key),
                  value: r.value === null ? null : textToBase64(r.value),
                  headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : textToBase64(h.value) })),
                }))
              : c.records;
            const r = await produceTo(topic, 0, recs, c.base64 ? { encoding: "base64" } : {});
            expect(r.status, JSON.stringify(r.body)).toBe(200);
          } else if (c.kind === "txn") {
            if (!open) {
              const init = await initTxn(txnId);
              expect(init.status, JSON.stringify(init.body)).toBe(200);
              who = init.body as Identity;
              sequence = 0;
            }
            const sent = await sendTxn(txnId, who!, topic, 0, c.values, sequence);
            expect(sent.status, JSON.stringify(sent.body)).toBe(200);
            sequence += c.values.length;
            open = c.end === "open";
            if (c.end !== "open") {
              const ended = await (c.end === "commit" ? commitTxn : abortTxn)(txnId, who!);
              expect(ended.status, JSON.stringify(ended.body)).toBe(200);
            }
          } else if (c.kind === "alarm") {
            await runInDurableObject(stub, async (instance: PartitionLog) => {
              instance.clock.advance(c.advanceMs);
              await instance.alarm();
            });
          } else {
            const d = (await api("GET", `/v1/topics/${topic}`)).body.partitions[0];
            const offset = d.logStartOffset + Math.floor(c.at * (d.highWatermark - d.logStartOffset));
            const path = `/v1/topics/${topic}/partitions/0/records?offset=${offset}&maxRecords=${c.maxRecords}&maxBytes=${c.maxBytes}&encoding=${c.encoding}&isolation=${c.isolation}`;
            const asJson = await rawFetch(path);
            const asFrame = await rawFetch(path, RECORDS_MEDIA_TYPE);
            expect(asJson.status).toBe(200);
            expect(asFrame.status).toBe(200);
            expect(asFrame.headers.get("content-type")).toBe(RECORDS_MEDIA_TYPE);
            const json = (await asJson.json()) as Record<string, unknown> & { records: unknown[] };
            const { records: frameRecords, encoding, ...frameMeta } = decodeRecordFrame(new Uint8Array(await asFrame.arrayBuffer()));
            expect(encoding).toBe(c.encoding);
            // Read through the getters, field by field, as a consumer would.
            const read = frameRecords.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers }));
            const { records: jsonRecords, ...jsonMeta } = json;
            expect(read).toEqual(jsonRecords);
            expect(frameMeta).toEqual(jsonMeta);
            records += read.length;
            if (c.isolation === "read_committed" && who !== undefined) txnReads++;
          }
        }
        await api("DELETE", `/v1/topics/${topic}`);
      }),
      { numRuns: 15, seed: 20_2020 },
    );
    // Worth something only if the runs compared records, some of them around transactions.
    expect(records).toBeGreaterThan(100);
    expect(txnReads).toBeGreaterThan(0);
  });
});
