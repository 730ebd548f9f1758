// What produce-time schema validation costs: produce b1000 c8 (1000-record requests from 8 concurrent clients) into a
// topic with value.schema.validation=json against a typical 10-field JSON Schema, and into one with validation off,
// the same records to both; prints records/s for each and the ratio (target: validated >= 70% of unvalidated).
// Runs alternate (off, json, off, json, ...) so a noisy neighbour hurts both alike; the figure is the median.
//   npm run bench:schemas [-- --seconds 4 --rounds 3]   (--smoke: one short round, checks the path works)
import { parseArgs } from "node:util";
import { EdgelogClient } from "./client.mjs";
import { startEdgelog } from "./edgelog-server.mjs";
import { runLoad } from "./workloads.mjs";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "4" }, rounds: { type: "string", default: "3" }, smoke: { type: "boolean", default: false } } });
const seconds = values.smoke ? 0.3 : Number(values.seconds);
const rounds = values.smoke ? 1 : Number(values.rounds);
const BATCH = 1000;
const CONCURRENCY = 8;

const SCHEMA = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "Order",
  type: "object",
  properties: {
    orderId: { type: "string", minLength: 1 },
    customerId: { type: "string" },
    sku: { type: "string", pattern: "^[A-Z]{3}-[0-9]+$" },
    quantity: { type: "integer", minimum: 1 },
    unitPriceCents: { type: "integer", minimum: 0 },
    currency: { type: "string", enum: ["EUR", "USD", "GBP"] },
    express: { type: "boolean" },
    createdAtMs: { type: "integer" },
    note: { type: ["string", "null"], maxLength: 200 },
    tags: { type: "array", items: { type: "string" }, maxItems: 8 },
  },
  required: ["orderId", "customerId", "sku", "quantity", "unitPriceCents", "currency", "createdAtMs"],
  additionalProperties: false,
};

function body(round) {
  const records = [];
  for (let i = 0; i < BATCH; i++) {
    const value = {
      orderId: `o-${round}-${i}`,
      customerId: `c-${i % 97}`,
      sku: `ABC-${i}`,
      quantity: 1 + (i % 5),
      unitPriceCents: 1999,
      currency: "EUR",
      express: i % 2 === 0,
      createdAtMs: 1_760_000_000_000 + i,
      note: null,
      tags: ["web"],
    };
    records.push({ key: null, value: JSON.stringify(value) });
  }
  return JSON.stringify({ records, acks: 1 });
}

const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off" } });
const base = server.url.origin;
const setup = new EdgelogClient(base);
const client = new EdgelogClient(base, { connections: CONCURRENCY });
const stamp = Date.now();
const topics = { off: `schemas-off-${stamp}`, json: `schemas-json-${stamp}` };
const results = { off: [], json: [] };
try {
  await setup.createTopic(topics.off, 1);
  await setup.createTopic(topics.json, 1, { "value.schema.validation": "json" });
  const r = await fetch(`${base}/schema-registry/subjects/${topics.json}-value/versions`, {
    method: "POST",
    headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
    body: JSON.stringify({ schemaType: "JSON", schema: JSON.stringify(SCHEMA) }),
  });
  if (!r.ok) throw new Error(`register: ${r.status} ${await r.text()}`);
  const payload = body(0);
  // A record that breaks the schema must be refused, or the validated figure measures nothing.
  const bad = await setup.request("POST", `/v1/topics/${topics.json}/partitions/0/records`, { body: JSON.stringify({ records: [{ value: JSON.stringify({ orderId: "x" }) }] }), expect: [400] });
  if (!bad.text.includes("INVALID_RECORD")) throw new Error(`a bad record was not refused: ${bad.text}`);
  for (const mode of ["off", "json"]) {
    await runLoad({ client, concurrency: CONCURRENCY, seconds: Math.min(0.5, seconds / 4), op: async (c) => (await c.produceRaw(topics[mode], 0, payload), { records: BATCH, valueBytes: 0 }) });
  }
  for (let round = 0; round < rounds; round++) {
    for (const mode of ["off", "json"]) {
      const result = await runLoad({ client, concurrency: CONCURRENCY, seconds, op: async (c) => (await c.produceRaw(topics[mode], 0, payload), { records: BATCH, valueBytes: 0 }) });
      results[mode].push(result.recordsPerSec ?? result.records / (result.elapsedMs / 1000));
    }
  }
} finally {
  await client.close();
  await setup.close();
  await server.stop();
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const off = median(results.off);
const json = median(results.json);
console.log(`produce b${BATCH} c${CONCURRENCY}, ${seconds} s x ${rounds} round(s), 10-field JSON Schema`);
console.log(`validation off   ${Math.round(off).toLocaleString("en-US").padStart(10)} records/s   (runs: ${results.off.map(Math.round).join(", ")})`);
console.log(`validation json  ${Math.round(json).toLocaleString("en-US").padStart(10)} records/s   (runs: ${results.json.map(Math.round).join(", ")})`);
console.log(`ratio            ${((json / off) * 100).toFixed(1)}%  (target >= 70%)`);
