// What observability costs a produce: produce b1000 c8 against local edgelogs that differ only in EDGELOG_COUNTERS
// (off: the partitions count nothing; on: the default, src/partition/partition-counters.ts) and, third,
// EDGELOG_LOG_LEVEL (warn, the benchmarks' default; debug: a JSON line per
// request, taken by a no-op sink instead of the terminal). Rounds are interleaved (the order rotates each round, so
// drift and a neighbour's load fall on every side alike); each round's records/s and the median of the per-round
// ratios are printed. On a shared machine those ratios swing far more than 3% either way, so the script also times
// the counting itself in this process (the calls a produce makes, a million times) and relates it to the partition's
// time per produce measured above: a bound that no neighbour's load blurs.
//   npm run bench:counting [-- --rounds 6 --seconds 3]   (--smoke: one short round, checks the script runs)
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { EdgelogClient } from "./client.mjs";
import { startEdgelog } from "./edgelog-server.mjs";
import { fmt } from "./stats.mjs";
import * as W from "./workloads.mjs";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "6" }, seconds: { type: "string", default: "3" }, smoke: { type: "boolean", default: false } },
});
const rounds = values.smoke ? 1 : Number(values.rounds);
const seconds = values.smoke ? 0.3 : Number(values.seconds);
const BATCH = 1000;
const CONCURRENCY = 8;

const servers = {
  off: await startEdgelog({ bindings: { EDGELOG_COUNTERS: "off" } }),
  on: await startEdgelog({}),
  logs: await startEdgelog({ bindings: { EDGELOG_LOG_LEVEL: "debug" }, onLog: () => {} }),
};
const SIDES = Object.keys(servers);
const contexts = Object.fromEntries(
  Object.entries(servers).map(([side, server]) => {
    const clients = new Map();
    const client = (n) => {
      if (!clients.has(n)) clients.set(n, new EdgelogClient(server.url, { connections: n }));
      return clients.get(n);
    };
    return [side, { seconds, warmupSeconds: Math.min(0.5, seconds / 5), client }];
  }),
);

const results = { off: [], on: [], logs: [] };
try {
  for (let round = 0; round < rounds; round++) {
    const order = SIDES.map((_, i) => SIDES[(i + round) % SIDES.length]);
    for (const side of order) {
      const r = await W.produce(contexts[side], { topic: `counting-${side}-${round}-${Date.now()}`, batch: BATCH, concurrency: CONCURRENCY });
      results[side].push(r.recordsPerSec);
      process.stderr.write(`  round ${round + 1} ${side.padEnd(4)}: ${fmt(r.recordsPerSec)} records/s (p50 ${fmt(r.latencyMs.p50)} ms)\n`);
    }
  }
  // The counters really count on one side and not on the other.
  const scrape = async (side) => (await (await fetch(new URL("/metrics", servers[side].url))).text()).match(/^edgelog_partition_records_appended_total\{[^}]*\} (\d+)$/gm) ?? [];
  const counted = (lines) => lines.reduce((n, line) => n + Number(line.split(" ").at(-1)), 0);
  const [offCounted, onCounted] = [counted(await scrape("off")), counted(await scrape("on"))];
  if (offCounted !== 0 || onCounted === 0) throw new Error(`counters off counted ${offCounted}, on counted ${onCounted}`);
} finally {
  await Promise.all(Object.values(servers).map((s) => s.stop()));
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
// The counting a produce call does (produced + appended), timed alone: the partition's own code, bundled from src/.
const bundled = await build({ entryPoints: [new URL("../../src/partition/partition-counters.ts", import.meta.url).pathname], bundle: true, write: false, format: "esm" });
const { PartitionCounters } = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString("base64")}`);
const counters = new PartitionCounters(Date.now());
const answer = { ok: true, value: { duplicate: false } };
const CALLS = 1_000_000;
let best = Infinity;
for (let trial = 0; trial < 5; trial++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) {
    counters.produced(answer);
    counters.appended(1000, 130_000);
  }
  best = Math.min(best, Number(process.hrtime.bigint() - t0) / CALLS);
}
const requestsPerSec = median(results.on) / BATCH; // one partition object: it is busy at most 1/requestsPerSec per call

const ratios = results.on.map((on, i) => on / results.off[i]);
const logRatios = results.logs.map((logs, i) => logs / results.on[i]);
console.log(`produce b${BATCH} c${CONCURRENCY}, ${rounds} interleaved round(s) of ${seconds} s per side`);
console.log("round  counters off  counters on  on + debug logs  on/off  logs/on   (records/s)");
ratios.forEach((ratio, i) =>
  console.log(`${String(i + 1).padStart(5)}  ${fmt(results.off[i]).padStart(12)}  ${fmt(results.on[i]).padStart(11)}  ${fmt(results.logs[i]).padStart(14)}  ${ratio.toFixed(3)}   ${logRatios[i].toFixed(3)}`),
);
const pct = (r) => ((1 - r) * 100).toFixed(1);
console.log(`counting: median on/off ${median(ratios).toFixed(3)} (costs ${pct(median(ratios))}% of throughput; negative: on was faster), spread ${Math.min(...ratios).toFixed(3)}..${Math.max(...ratios).toFixed(3)}`);
console.log(`request logs at debug: median logs/on ${median(logRatios).toFixed(3)} (costs ${pct(median(logRatios))}%), spread ${Math.min(...logRatios).toFixed(3)}..${Math.max(...logRatios).toFixed(3)}`);
console.log(`counting's own work: ${best.toFixed(1)} ns per produce call (best of 5 x ${fmt(CALLS)}); at the median ${fmt(requestsPerSec)} produce calls/s of one partition that is ${((best * requestsPerSec) / 1e7).toPrecision(2)}% of its time`);
