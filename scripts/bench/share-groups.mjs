// Share groups (queue mode, docs/share-groups.md): records/s accepted by 1, 4 and 16 competing share consumers (the TS
// client's shareConsumer, over HTTP, in this process) on a 3-partition topic: more consumers than partitions.
// - Throughput: a backlog of --records records (100-byte values) is produced first; then, once per consumer count, a
//   new share group (autoOffsetReset earliest) over the same backlog, and the clock runs from the consumers' start to
//   the last acknowledgement of the backlog (stop() flushes the last ones; describe then shows every record
//   acknowledged). Each handler only counts; a record handled twice is reported.
// - Cost: the objects' usage counters over each run (GET /v1/usage for the topic's partitions, the group's coordinator
//   and its share-partitions; the share-partitions' own usage() is also read through Miniflare for the breakdown),
//   priced by compare-cost.mjs, per million records accepted.
// Target (issue 15, on this machine): throughput grows from 1 to 16 consumers; >= 50,000 records/s with 16.
//   npm run bench:share-groups [-- --records 150000 --consumers 1,4,16 --max-records 500 --max-record-locks 2000]
//   (--smoke: a few seconds; checks that every record is accepted once, does not judge the targets)
import { parseArgs } from "node:util";
import { build } from "../build.mjs";
import { cost, edgelogUsage, perMillion, usageDelta } from "./compare-cost.mjs";
import { coresUsed, cpuSampler } from "./cpu.mjs";
import { startEdgelog } from "./edgelog-server.mjs";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "150000" },
    partitions: { type: "string", default: "3" },
    "value-bytes": { type: "string", default: "100" },
    "produce-batch": { type: "string", default: "1000" },
    consumers: { type: "string", default: "1,4,16" },
    "max-records": { type: "string", default: "500" },
    "max-record-locks": { type: "string", default: "2000" },
    smoke: { type: "boolean", default: false },
  },
});
const smoke = values.smoke;
const records = smoke ? 3_000 : Number(values.records);
const partitions = Number(values.partitions);
const valueBytes = Number(values["value-bytes"]);
const produceBatch = Number(values["produce-batch"]);
const consumerCounts = values.consumers.split(",").map(Number);
const maxRecords = Number(values["max-records"]);
const maxRecordLocks = Number(values["max-record-locks"]);

const TARGET = { recordsPerSecondAt16: 50_000 };
const DEADLINE_MS = 10 * 60_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const f = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const verdict = (ok) => (smoke ? "(smoke: not judged)" : ok ? "PASS" : "MISS");

await build();
const { Edgelog } = await import("../../build/client.mjs");
const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off" } });
const base = server.url.origin;
const client = new Edgelog({ url: base });
const admin = client.admin();
const shareNamespace = await server.mf.getDurableObjectNamespace("SHARE_PARTITION");
const cpu = cpuSampler();
const stamp = Date.now();

/** The share-partitions' usage counters (src/share/SharePartition.ts usage()), summed. */
async function shareUsage(groupId, topicId) {
  const sum = { requests: 0, rowsRead: 0, rowsWritten: 0, r2ClassA: 0, r2ClassB: 0, activeMs: 0, workerRequests: 0 };
  for (let p = 0; p < partitions; p++) {
    const u = await shareNamespace.get(shareNamespace.idFromName(`share/${groupId}/${topicId}/${p}`)).usage();
    for (const k of Object.keys(sum)) sum[k] += u[k] ?? 0;
  }
  return sum;
}

async function usage(topic, topicId, groupId) {
  const [routed, share] = await Promise.all([edgelogUsage(server.url, { topics: [topic], groups: [groupId] }), shareUsage(groupId, topicId)]);
  // /v1/usage counts the share-partitions with the group: `share` is only their part of it, for the breakdown.
  return { total: routed, share };
}

let failed = false;
try {
  const topic = `share-bench-${stamp}`;
  const { topicId } = await admin.createTopic({ name: topic, partitions });
  const padding = "x".repeat(valueBytes);
  const produceStart = performance.now();
  await Promise.all(
    Array.from({ length: partitions }, async (_, p) => {
      for (let i = p * produceBatch; i < records; i += partitions * produceBatch) {
        const batch = [];
        for (let j = i; j < Math.min(records, i + produceBatch); j++) batch.push({ key: `k${j}`, value: `${j} ${padding}`.slice(0, valueBytes) });
        await client.transport.produce(topic, p, { records: batch });
      }
    }),
  );
  console.log(`backlog: ${f(records)} records (${valueBytes}-byte values) in ${partitions} partitions, produced in ${f((performance.now() - produceStart) / 1000, 1)} s`);

  const runs = [];
  for (const count of consumerCounts) {
    const groupId = `share-bench-${count}-${stamp}`;
    await admin.putShareGroup(groupId, { autoOffsetReset: "earliest", maxRecordLocks });
    const before = await usage(topic, topicId, groupId);
    const seen = new Uint8Array(records);
    let handled = 0;
    let duplicates = 0;
    let allHandled;
    const everything = new Promise((resolve) => (allHandled = resolve));
    const consumers = Array.from({ length: count }, () => client.shareConsumer({ groupId, maxRecords, maxWaitMs: 100 }));
    const cpuBefore = cpu();
    const startMs = Date.now();
    const running = consumers.map((c) =>
      c.run({
        topics: [topic],
        eachRecord: (record) => {
          const n = Number(record.value.slice(0, record.value.indexOf(" ")));
          if (seen[n]++) duplicates++;
          if (++handled === records) allHandled();
        },
      }),
    );
    let timer;
    await Promise.race([everything, ...running, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${count} consumers: ${handled} of ${records} handled in ${DEADLINE_MS / 1000} s`)), DEADLINE_MS)))]);
    clearTimeout(timer);
    await Promise.all(consumers.map((c) => c.stop()));
    await Promise.all(running);
    const seconds = (Date.now() - startMs) / 1000;
    const cores = coresUsed(cpuBefore, cpu(), Date.now() - startMs);
    const node = cores.node === undefined ? "" : `, this process ${f(cores.node, 2)}`;
    // CPU per record: what bounds throughput on a machine whose cores are not shared (workerd runs on one thread).
    const workerdUsPerRecord = ((cores.workerd ?? NaN) * seconds * 1e6) / records;
    const clientUsPerRecord = ((cores.node ?? NaN) * seconds * 1e6) / records;
    const after = await usage(topic, topicId, groupId);
    const delta = usageDelta(before.total, after.total);
    const shareDelta = usageDelta(before.share, after.share);
    const perM = perMillion(cost(delta), records);
    const described = await admin.describeShareGroup(groupId);
    const acknowledged = described.partitions.reduce((n, p) => n + p.acknowledged, 0);
    const ok = acknowledged === records && duplicates === 0 && described.totalLag === 0;
    if (!ok) failed = true;
    const rate = records / seconds;
    runs.push({ consumers: count, seconds, recordsPerSecond: rate, acknowledged, duplicates, cores, workerdUsPerRecord, clientUsPerRecord, usage: delta, shareUsage: shareDelta, usdPerMillion: perM.total, costItems: perM.items });
    console.log(
      `${count} consumer${count === 1 ? "" : "s"}: ${f(records)} records accepted in ${f(seconds, 2)} s → ${f(rate)} records/s ` +
        `(workerd used ${f(cores.workerd ?? NaN, 2)} cores, other processes ${f(cores.other ?? NaN, 2)}${node}; CPU per record: workerd ${f(workerdUsPerRecord, 1)} µs, the consumers ${f(clientUsPerRecord, 1)} µs)` +
        `${ok ? "" : ` — WRONG: ${acknowledged} acknowledged, ${duplicates} handled twice, lag ${described.totalLag}`}`,
    );
    console.log(
      `  cost: ${f(delta.requests)} Durable Object requests (${f(shareDelta.requests)} to share-partitions), ${f(delta.rowsWritten)} rows written (${f(shareDelta.rowsWritten)}), ` +
        `${f(delta.rowsRead)} rows read (${f(shareDelta.rowsRead)}), ${f(delta.activeMs / 1000, 2)} object-seconds active, ${f(delta.workerRequests)} Worker requests ` +
        `→ $${perM.total.toFixed(4)} per million records accepted (requests $${perM.items.doRequests.toFixed(4)}, duration $${perM.items.doDuration.toFixed(4)}, ` +
        `rows $${(perM.items.rowsRead + perM.items.rowsWritten).toFixed(4)}, Worker requests $${perM.items.workerRequests.toFixed(4)})`,
    );
  }
  const rateOf = (n) => runs.find((r) => r.consumers === n)?.recordsPerSecond;
  const grows = runs.every((r, i) => i === 0 || r.recordsPerSecond >= runs[i - 1].recordsPerSecond);
  const at16 = rateOf(16);
  console.log(`throughput grows with the consumers: ${verdict(grows)}; 16 consumers >= ${f(TARGET.recordsPerSecondAt16)} records/s: ${at16 === undefined ? "(not run)" : verdict(at16 >= TARGET.recordsPerSecondAt16)}`);
  console.log(JSON.stringify({ records, partitions, valueBytes, maxRecords, maxRecordLocks, runs, targets: TARGET }));
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await server.stop();
}
if (failed) process.exitCode = 1;
