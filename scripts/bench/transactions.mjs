// Transactions: a consume-transform-produce loop over a topic of 6 partitions, with and without transactions.
// A backlog of --records records (100-byte values, keyed) is produced first. Then, once per --txn-sizes (default 100
// and 1000), two runs over the same backlog, each with a new group and a new output topic of 6 partitions:
// - plain: --consumers group consumers (eachBatch, maxRecords = the size, autoCommit off), each page transformed and
//   sent with an idempotent producer, then the page's offset committed (at-least-once);
// - transactional: the same loop with a transactional producer per consumer (docs/transactions.md's example): each
//   page is one transaction holding its output and its input offset (sendOffsets with the consumer), then commit.
// The clock runs from the first page handed to a handler to the commit that covers the last input record; records/s
// is the backlog over that time, and the ratio is transactional / plain at the same size. The transactional run's
// output is read back under read_committed: every input record exactly once.
// Target (issue 14): at 1000 records per transaction, >= 60% of the plain loop's records/s.
//   npm run bench:transactions [-- --records 120000 --txn-sizes 100,1000 --consumers 3]   (--smoke: a few seconds)
import { parseArgs } from "node:util";
import { build } from "../build.mjs";
import { coresUsed, cpuSampler } from "./cpu.mjs";
import { startEdgelog } from "./edgelog-server.mjs";
import { percentile } from "./stats.mjs";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "120000" },
    partitions: { type: "string", default: "6" },
    "value-bytes": { type: "string", default: "100" },
    "txn-sizes": { type: "string", default: "100,1000" },
    consumers: { type: "string", default: "3" },
    smoke: { type: "boolean", default: false },
  },
});
const smoke = values.smoke;
const records = smoke ? 6_000 : Number(values.records);
const partitions = Number(values.partitions);
const valueBytes = Number(values["value-bytes"]);
const txnSizes = values["txn-sizes"].split(",").map(Number);
const consumerCount = Number(values.consumers);

const TARGET_RATIO_AT_1000 = 0.6;
const DEADLINE_MS = 10 * 60_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const f = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

await build();
const { Edgelog } = await import("../../build/client.mjs");
const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off" } });
const client = new Edgelog({ url: server.url.origin });
const admin = client.admin();
const cpu = cpuSampler();
const stamp = Date.now();

/** One loop over the backlog; resolves with its records/s once the group's commits cover every input record. */
async function loop(input, mode, size) {
  const output = `txn-bench-out-${mode}-${size}-${stamp}`;
  const groupId = `txn-bench-${mode}-${size}-${stamp}`;
  await admin.createTopic({ name: output, partitions });
  // Input offsets the loop has committed, per partition (the next offset to read), and when they cover the backlog.
  const committed = new Map();
  let startMs;
  let endMs;
  let covered;
  const allCovered = new Promise((resolve) => (covered = resolve));
  const done = (partition, next) => {
    committed.set(partition, Math.max(committed.get(partition) ?? 0, next));
    if ([...committed.values()].reduce((a, b) => a + b, 0) >= records && endMs === undefined) {
      endMs = performance.now();
      covered();
    }
  };
  // Per page, each step's time (ms): where a page's time goes.
  const steps = { handler: [], send: [], offsets: [], commit: [] };
  const members = [];
  for (let c = 0; c < consumerCount; c++) {
    const consumer = client.consumer({ groupId, autoOffsetReset: "earliest", autoCommit: false, isolationLevel: "read_committed", maxRecords: size, maxWaitMs: 100 });
    const producer = mode === "transactional" ? client.producer({ transactionalId: `${groupId}-${c}`, lingerMs: 0 }) : client.producer({ lingerMs: 0 });
    consumer.subscribe({ topics: [input] });
    const transform = (r) => ({ key: r.key, value: `${r.value}:${r.partition}:${r.offset}` });
    const run = consumer.run({
      eachBatch: async ({ topic, partition, records: page }) => {
        const t0 = performance.now();
        startMs ??= t0;
        const next = page.at(-1).offset + 1;
        if (mode === "plain") {
          await producer.send(output, page.map(transform));
          const t1 = performance.now();
          await consumer.commitOffsets([{ topic, partition, offset: next }]);
          steps.send.push(t1 - t0);
          steps.commit.push(performance.now() - t1);
        } else {
          const txn = await producer.transaction();
          try {
            let t1 = 0;
            let t2 = 0;
            await Promise.all([
              txn.send({ topic: output, messages: page.map(transform) }).then(() => (t1 = performance.now())),
              txn.sendOffsets({ consumer, topics: [{ topic, partitions: [{ partition, offset: next }] }] }).then(() => (t2 = performance.now())),
            ]);
            t2 = Math.max(t1, t2);
            await txn.commit();
            steps.send.push(t1 - t0);
            steps.offsets.push(t2 - t1);
            steps.commit.push(performance.now() - t2);
          } catch (error) {
            await txn.abort();
            throw error;
          }
        }
        steps.handler.push(performance.now() - t0);
        done(partition, next);
      },
    });
    members.push({ consumer, producer, run });
  }
  const failed = Promise.race(members.map((m) => m.run.then(() => Promise.reject(new Error(`${mode} ${size}: a consumer stopped early`)))));
  let timer;
  const deadline = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${mode} ${size}: not done within ${DEADLINE_MS} ms (${[...committed.values()].reduce((a, b) => a + b, 0)} of ${records})`)), DEADLINE_MS)));
  try {
    await Promise.race([allCovered, failed, deadline]);
  } finally {
    clearTimeout(timer);
    await Promise.all(members.map((m) => m.consumer.stop().catch(() => undefined)));
    await Promise.all(members.map((m) => m.run.catch((e) => console.error(`${mode} ${size}: ${e}`))));
    await Promise.all(members.map((m) => m.producer.close().catch(() => undefined)));
  }
  const seconds = (endMs - startMs) / 1000;
  // The output, read back: exactly the backlog under read_committed for the transactional loop.
  let outputRecords = 0;
  for (let p = 0; p < partitions; p++) {
    let offset = 0;
    for (;;) {
      const page = await client.transport.fetchRecords(output, p, { offset, maxRecords: 10_000, maxBytes: 8 * 1024 * 1024, isolation: "read_committed" });
      outputRecords += page.records.length;
      if (page.nextOffset >= page.lastStableOffset) break;
      offset = page.nextOffset;
    }
  }
  if (mode === "transactional" && outputRecords !== records) throw new Error(`${mode} ${size}: ${outputRecords} committed output records for ${records} input records`);
  const p50 = (list) => (list.length === 0 ? null : percentile([...list].sort((a, b) => a - b), 50));
  const stepsP50Ms = Object.fromEntries(Object.entries(steps).map(([k, list]) => [k, p50(list)]));
  const handlerMaxMs = Math.max(...steps.handler);
  const handlerTotalMs = steps.handler.reduce((a, b) => a + b, 0);
  return { mode, size, seconds, recordsPerSecond: records / seconds, outputRecords, pages: steps.handler.length, stepsP50Ms, handlerMaxMs, handlerTotalMs };
}

try {
  const input = `txn-bench-in-${stamp}`;
  await admin.createTopic({ name: input, partitions });
  const value = "x".repeat(valueBytes);
  const backlog = client.producer({ lingerMs: 5 });
  for (let i = 0; i < records; i += 10_000) {
    await backlog.send(input, Array.from({ length: Math.min(10_000, records - i) }, (_, j) => ({ key: `k${i + j}`, value })));
  }
  await backlog.close();
  console.log(`backlog: ${f(records)} records of ${valueBytes} bytes over ${partitions} partitions; ${consumerCount} consumers per loop${smoke ? " (smoke)" : ""}`);

  const results = [];
  for (const size of txnSizes) {
    for (const mode of ["plain", "transactional"]) {
      const cpuBefore = cpu();
      const wallStart = Date.now();
      const result = await loop(input, mode, size);
      result.cores = coresUsed(cpuBefore, cpu(), Date.now() - wallStart);
      results.push(result);
      const p = result.stepsP50Ms;
      const where = mode === "plain" ? `send ${f(p.send, 1)}, commit ${f(p.commit, 1)}` : `send ${f(p.send, 1)}, sendOffsets ${f(p.offsets, 1)}, commit ${f(p.commit, 1)}`;
      console.log(`${mode.padEnd(13)} pages of ${f(size)}: ${f(result.recordsPerSecond)} records/s (${f(result.seconds, 2)} s, ${f(result.pages)} pages, p50 ms per page: handler ${f(p.handler, 1)} = ${where}; workerd ${f(result.cores.workerd ?? 0, 2)} cores, other processes ${f(result.cores.other ?? 0, 2)})`);
    }
  }
  const ratios = txnSizes.map((size) => {
    const plain = results.find((r) => r.size === size && r.mode === "plain");
    const txn = results.find((r) => r.size === size && r.mode === "transactional");
    return { size, ratio: txn.recordsPerSecond / plain.recordsPerSecond };
  });
  for (const { size, ratio } of ratios) {
    const judged = size === 1000 ? ` (target >= ${TARGET_RATIO_AT_1000 * 100}%: ${smoke ? "smoke: not judged" : ratio >= TARGET_RATIO_AT_1000 ? "PASS" : "MISS"})` : "";
    console.log(`transactions of ${f(size)}: ${f(ratio * 100, 1)}% of the plain loop's records/s${judged}`);
  }
  console.log(JSON.stringify({ records, partitions, consumers: consumerCount, results, ratios }));
} finally {
  await server.stop();
}
