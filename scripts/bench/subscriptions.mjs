// Subscriptions: edgelog delivering to a consumer Worker bound by a service binding (scripts/bench/subscription-consumer.mjs,
// which acknowledges every delivery at once and counts in memory), on a topic of 6 partitions.
// - Throughput: a backlog of --records records (100-byte values) is produced first; then a subscription (startAt
//   earliest, maxBatchWaitMs 0) is created, and the clock runs from its create request to the consumer's last
//   delivery. Once per --batch-sizes (default 100 and 1000), each a new subscription over the same backlog.
// - Cost: the objects' usage counters (GET /v1/usage: the topic's partitions, the subscription's coordinator and its
//   delivery objects) over each throughput run, priced by compare-cost.mjs, per million records delivered. The consumer
//   Worker's own CPU is the subscriber's bill, not edgelog's, and is not counted.
// - Latency: on a quiet topic (6 partitions, maxBatchWaitMs 0), --rounds records produced one at a time, each after the
//   previous one arrived and a short pause; the consumer reports each delivery to this process's HTTP server, so the
//   produce's acknowledgement and the delivery are timed on one clock (the report's own hop, ~1 ms, is included).
// Targets (issue 13, on this machine): >= 150,000 records/s delivered, p50 <= 20 ms, <= $0.005 per million records.
//   npm run bench:subscriptions [-- --records 600000 --batch-sizes 100,1000 --rounds 300 --produce-batch 1000]
//   (--smoke: a few seconds; checks delivery, does not judge the targets)
//   --shared [--concurrency 10]: the same runs with shared subscriptions (mode "shared", each leasing from a share
//   group of its own, maxConcurrency batches per topic in flight, unordered): the targets are the ordered mode's.
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { cost, edgelogUsage, perMillion, usageDelta } from "./compare-cost.mjs";
import { coresUsed, cpuSampler } from "./cpu.mjs";
import { startEdgelog } from "./edgelog-server.mjs";
import { percentile } from "./stats.mjs";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "600000" },
    partitions: { type: "string", default: "6" },
    "value-bytes": { type: "string", default: "100" },
    "produce-batch": { type: "string", default: "1000" },
    "batch-sizes": { type: "string", default: "100,1000" },
    "in-flight": { type: "string", default: "1" },
    rounds: { type: "string", default: "300" },
    smoke: { type: "boolean", default: false },
    shared: { type: "boolean", default: false },
    concurrency: { type: "string", default: "10" },
  },
});
const smoke = values.smoke;
const records = smoke ? 12_000 : Number(values.records);
const partitions = Number(values.partitions);
const valueBytes = Number(values["value-bytes"]);
const produceBatch = Number(values["produce-batch"]);
const batchSizes = values["batch-sizes"].split(",").map(Number);
const inFlight = Number(values["in-flight"]);
const rounds = smoke ? 20 : Number(values.rounds);
const shared = values.shared;
const concurrency = Number(values.concurrency);

const TARGET = { recordsPerSecond: 150_000, p50Ms: 20, usdPerMillion: 0.005 };
const DEADLINE_MS = 10 * 60_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const f = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const verdict = (ok) => (smoke ? "(smoke: not judged)" : ok ? "PASS" : "MISS");

// Deliveries the consumer reports (latency rounds only): value -> arrival on this process's clock.
const arrivals = new Map();
const waiting = new Map();
const reports = createServer((request, response) => {
  const chunks = [];
  request.on("data", (c) => chunks.push(c));
  request.on("end", () => {
    const at = performance.now();
    const report = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    for (const value of report.values) {
      arrivals.set(value, { at, workerdMs: report.atMs });
      waiting.get(value)?.();
    }
    response.end();
  });
});
await new Promise((resolve) => reports.listen(0, "127.0.0.1", resolve));
const reportUrl = `http://127.0.0.1:${reports.address().port}/deliveries`;

const server = await startEdgelog({
  bindings: { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off" },
  workers: [{ name: "bench-consumer", scriptPath: "scripts/bench/subscription-consumer.mjs", bindings: { REPORT_URL: reportUrl, REPORT_SUBSCRIPTIONS: "latency-" } }],
  serviceBindings: { CONSUMER: { name: "bench-consumer", entrypoint: "Consumer" } },
});
const base = server.url.origin;
const consumer = await server.mf.getWorker("bench-consumer");
// On a shared machine, whether a figure was bound by workerd's CPU or by another process taking the cores.
const cpu = cpuSampler();

const json = async (method, path, body) => {
  const r = await fetch(`${base}${path}`, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text.slice(0, 500)}`);
  return JSON.parse(text);
};
const counts = async (subscription) => (await consumer.fetch(`http://consumer/counts?subscription=${encodeURIComponent(subscription)}`)).json();
async function subscribe(name, topic, maxBatchSize) {
  const target = { type: "service", binding: "CONSUMER" };
  if (!shared) return json("POST", "/v1/subscriptions", { name, topics: [topic], target, startAt: "earliest", maxBatchSize, maxBatchWaitMs: 0, maxInFlightPerPartition: inFlight });
  await json("PUT", `/v1/share-groups/${name}-sg`, { autoOffsetReset: "earliest" });
  return json("POST", "/v1/subscriptions", { name, topics: [topic], target, mode: "shared", shareGroup: `${name}-sg`, maxBatchSize, maxConcurrency: concurrency });
}
async function untilCaughtUp(name) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const d = await json("GET", `/v1/subscriptions/${name}`);
    if (shared && d.totalLag === 0 && d.topics.every((t) => t.status === "waiting")) return d;
    // An empty partition has no committed offset yet (lag null): nothing to catch up on.
    if (d.totalLag === 0 && d.partitions.every((p) => p.status === "waiting" && (p.lag === 0 || (p.lag === null && p.highWatermark === 0)))) return d;
    if (Date.now() > deadline) throw new Error(`subscription ${name} did not catch up: ${JSON.stringify(d)}`);
    await sleep(20);
  }
}

const stamp = Date.now();
let failed = false;
try {
  // The backlog: produce-batch records per request, one request in flight per partition.
  const topic = `subs-${stamp}`;
  await json("POST", "/v1/topics", { name: topic, partitions });
  const padding = "x".repeat(valueBytes);
  const produceStart = performance.now();
  await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      for (let i = p * produceBatch; i < records; i += partitions * produceBatch) {
        const batch = [];
        for (let j = i; j < Math.min(records, i + produceBatch); j++) batch.push({ key: `k${j}`, value: `${j} ${padding}`.slice(0, valueBytes) });
        const answer = await json("POST", `/v1/topics/${topic}/partitions/${p}/records`, { records: batch });
        if (answer.results.some((r) => r.error)) throw new Error(`produce to partition ${p}: ${JSON.stringify(answer.results.find((r) => r.error))}`);
      }
    }),
  );
  const produceSeconds = (performance.now() - produceStart) / 1000;
  console.log(`backlog: ${f(records)} records (${valueBytes}-byte values, ${f(produceBatch)} per produce request) in ${partitions} partitions, produced in ${f(produceSeconds, 1)} s`);

  const throughput = [];
  for (const size of batchSizes) {
    const name = `tput-${size}-${stamp}`;
    const before = await edgelogUsage(server.url, { topics: [topic], groups: [name] });
    const startMs = Date.now();
    const cpuBefore = cpu();
    await subscribe(name, topic, size);
    let c;
    for (;;) {
      c = await counts(name);
      if (c.records >= records || c.duplicates > 0 || c.outOfOrder > 0) break;
      if (Date.now() - startMs > DEADLINE_MS) throw new Error(`${name}: ${c.records} of ${records} records delivered in ${DEADLINE_MS / 1000} s`);
      await sleep(20);
    }
    // Usage now, before the bench's own describe calls (they read the partitions' offsets) add to it.
    const after = await edgelogUsage(server.url, { topics: [topic], groups: [name] });
    const cores = coresUsed(cpuBefore, cpu(), Date.now() - startMs);
    const seconds = (c.lastAtMs - startMs) / 1000;
    const delta = usageDelta(before, after);
    const perM = perMillion(cost(delta), c.records);
    await untilCaughtUp(name);
    const final = await counts(name);
    const ok = final.records === records && final.duplicates === 0 && final.outOfOrder === 0;
    if (!ok) failed = true;
    const rate = records / seconds;
    throughput.push({ maxBatchSize: size, seconds, recordsPerSecond: rate, cores, deliveries: final.deliveries, duplicates: final.duplicates, outOfOrder: final.outOfOrder, usage: delta, usdPerMillion: perM.total, costItems: perM.items });
    console.log(
      `maxBatchSize ${f(size)}: ${f(records)} records in ${f(final.deliveries)} deliveries in ${f(seconds, 2)} s → ${f(rate)} records/s delivered ` +
        `(target >= ${f(TARGET.recordsPerSecond)}: ${verdict(rate >= TARGET.recordsPerSecond)}; workerd used ${f(cores.workerd ?? NaN, 2)} cores, other processes ${f(cores.other ?? NaN, 2)})${ok ? "" : ` — WRONG: ${final.records} delivered, ${final.duplicates} duplicates, ${final.outOfOrder} out of order`}`,
    );
    console.log(
      `  cost: ${f(delta.requests)} Durable Object requests, ${f(delta.activeMs / 1000, 2)} object-seconds active, ${f(delta.rowsWritten)} rows written, ${f(delta.rowsRead)} rows read, ` +
        `${f(delta.workerRequests)} Worker requests → $${perM.total.toFixed(5)} per million records delivered (target <= $${TARGET.usdPerMillion}: ${verdict(perM.total <= TARGET.usdPerMillion)}; ` +
        `requests $${perM.items.doRequests.toFixed(5)}, duration $${perM.items.doDuration.toFixed(5)}, rows $${(perM.items.rowsRead + perM.items.rowsWritten).toFixed(5)})`,
    );
  }

  // Latency on a quiet topic: one record at a time, the next once the previous one arrived and a short pause passed.
  const quiet = `latency-topic-${stamp}`;
  const latencyName = `latency-${stamp}`;
  await json("POST", "/v1/topics", { name: quiet, partitions });
  await subscribe(latencyName, quiet, 100);
  await untilCaughtUp(latencyName);
  const fromAck = [];
  const fromSend = [];
  const workerdFromAck = [];
  for (let i = 0; i < rounds; i++) {
    const value = `lat-${i}`;
    const arrived = new Promise((resolve) => waiting.set(value, resolve));
    const sentAt = performance.now();
    const ackDateMs = await fetch(`${base}/v1/topics/${quiet}/partitions/${i % partitions}/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records: [{ value }] }),
    }).then(async (r) => {
      if (r.status !== 200) throw new Error(`produce: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
      return Date.now();
    });
    const ackAt = performance.now();
    let timer;
    await Promise.race([arrived, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`round ${i}: ${value} not delivered within 30 s`)), 30_000)))]);
    clearTimeout(timer);
    waiting.delete(value);
    const a = arrivals.get(value);
    fromAck.push(a.at - ackAt);
    fromSend.push(a.at - sentAt);
    workerdFromAck.push(a.workerdMs - ackDateMs);
    await sleep(5 + Math.random() * 20); // quiet: the subscription goes back to waiting on its partition
  }
  for (const list of [fromAck, fromSend, workerdFromAck]) list.sort((x, y) => x - y);
  const p50 = percentile(fromAck, 50);
  const p99 = percentile(fromAck, 99);
  console.log(
    `latency, produce acknowledged → delivered (${rounds} records one at a time, ${partitions} partitions, maxBatchWaitMs 0): p50 ${f(p50, 2)} ms, p99 ${f(p99, 2)} ms ` +
      `(target p50 <= ${TARGET.p50Ms} ms: ${verdict(p50 <= TARGET.p50Ms)}); from the produce's send: p50 ${f(percentile(fromSend, 50), 2)} ms, p99 ${f(percentile(fromSend, 99), 2)} ms; ` +
      `by the consumer's own clock (no report hop, 1 ms steps): p50 ${f(percentile(workerdFromAck, 50), 0)} ms`,
  );
  console.log(
    JSON.stringify({
      records,
      partitions,
      valueBytes,
      produceBatch,
      ...(shared ? { mode: "shared", maxConcurrency: concurrency } : { maxInFlightPerPartition: inFlight }),
      throughput,
      latencyMs: { rounds, p50, p99, fromSendP50: percentile(fromSend, 50), fromSendP99: percentile(fromSend, 99) },
      targets: TARGET,
    }),
  );
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await server.stop();
  reports.closeAllConnections();
  reports.close();
}
if (failed) process.exitCode = 1;
