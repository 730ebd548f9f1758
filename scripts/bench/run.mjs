// Entry point of `npm run bench`: starts edgelog in workerd via Miniflare, runs the workloads over real
// HTTP, prints a table and writes bench/results/bench-<timestamp>.json.
// Usage: node scripts/bench/run.mjs [--smoke] [--only=noop,produce,fetch,offset] [--topology=shared|split|both]
// Env: BENCH_SECONDS (per workload, default 4), BENCH_SMOKE=1, BENCH_ONLY, BENCH_RECORDS (offset-test
// log length, default 1,000,000), BENCH_BATCHES (produce batch sizes, default 1,100,1000), BENCH_FETCH_BATCHES (records per
// fetch, default 1000,10000), BENCH_FETCH_FORMATS (json,binary: the fetch rows in JSON and in the binary record frame), BENCH_TAIL_RECORDS (span of the "fetch tail" rows, default 16,000), BENCH_OFFSET_SAMPLES (fetches per side, default 200), BENCH_ENTRY
// (bench another worker entry exporting the same classes instead of src/index.ts), BENCH_TOPOLOGY (as --topology;
// default shared, both with --smoke).

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { arch, availableParallelism, cpus, platform } from "node:os";
import { join, relative } from "node:path";
import { build } from "../build.mjs";
import { EdgelogClient } from "./client.mjs";
import { cpuSampler } from "./cpu.mjs";
import { REPO_ROOT, startEdgelog } from "./edgelog-server.mjs";
import { fmt, renderTable } from "./stats.mjs";
import * as W from "./workloads.mjs";

const GROUPS = ["noop", "produce", "fetch", "offset"];

function settingsFrom(argv, env) {
  const flag = (name) => argv.includes(`--${name}`);
  const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
  const num = (value, fallback) => (value === undefined || value === "" ? fallback : Number(value));
  const smoke = flag("smoke") || env.BENCH_SMOKE === "1";
  const only = (option("only") ?? env.BENCH_ONLY ?? GROUPS.join(",")).split(",").map((s) => s.trim());
  const unknown = only.filter((g) => !GROUPS.includes(g));
  if (unknown.length) throw new Error(`unknown workload group(s) ${unknown.join(", ")}; known: ${GROUPS.join(", ")}`);
  // shared: router and objects on one workerd thread (Miniflare's default); split: separate workerd processes, as in
  // production; both: one after the other. A smoke run checks both.
  const topologyOption = option("topology") ?? env.BENCH_TOPOLOGY ?? (smoke ? "both" : "shared");
  if (!["shared", "split", "both"].includes(topologyOption)) throw new Error(`--topology must be shared, split or both, got '${topologyOption}'`);
  const seconds = num(env.BENCH_SECONDS, smoke ? 0.3 : 4);
  if (!(seconds > 0)) throw new Error(`BENCH_SECONDS must be a positive number, got '${env.BENCH_SECONDS}'`);
  return {
    smoke,
    entry: env.BENCH_ENTRY || "src/index.ts",
    groups: only,
    topologies: topologyOption === "both" ? ["shared", "split"] : [topologyOption],
    seconds,
    // Long enough to open the sockets and wake the Durable Object, short next to the timed run.
    warmupSeconds: Math.min(0.5, seconds / 5),
    offsetRecords: num(env.BENCH_RECORDS, smoke ? 10_000 : 1_000_000),
    offsetSamples: num(env.BENCH_OFFSET_SAMPLES, smoke ? 10 : 200),
    concurrencies: [1, 8],
    produceBatches: env.BENCH_BATCHES ? env.BENCH_BATCHES.split(",").map(Number) : [1, 100, 1000],
    // Records per fetch request: 1000, and 10,000 (the most one fetch may ask for: what a catching-up consumer asks).
    fetchBatches: env.BENCH_FETCH_BATCHES ? env.BENCH_FETCH_BATCHES.split(",").map(Number) : [1000, 10_000],
    // The "fetch tail" rows read only the newest this many records, which fit the partition's tail cache (4 MiB).
    tailRecords: num(env.BENCH_TAIL_RECORDS, 16_000),
    // The fetch rows' answer formats: JSON, and the binary record frame ("fetch binary" rows).
    fetchFormats: (env.BENCH_FETCH_FORMATS ?? "json,binary").split(",").map((f) => {
      if (f !== "json" && f !== "binary") throw new Error(`BENCH_FETCH_FORMATS: '${f}' is neither json nor binary`);
      return f;
    }),
  };
}

async function main() {
  const settings = settingsFrom(process.argv.slice(2), process.env);
  const rows = [];
  const failures = [];
  const offsets = [];
  let bundleSha256;
  for (const topology of settings.topologies) {
    const run = await runTopology(settings, topology, rows, failures);
    bundleSha256 = run.bundleSha256;
    if (run.offsetResult || run.tieredOffsetResult) offsets.push({ topology, ...run });
  }

  // Ratio against the no-op at the same concurrency and topology: how much of the bare HTTP+workerd ceiling is left.
  const ceiling = new Map(rows.filter((r) => r.group === "noop").map((r) => [`${r.topology} ${r.concurrency}`, r.requestsPerSec]));
  for (const r of rows) r.vsNoop = ceiling.has(`${r.topology} ${r.concurrency}`) ? r.requestsPerSec / ceiling.get(`${r.topology} ${r.concurrency}`) : null;

  printReport(rows, offsets, failures);
  const file = await writeResults({ settings, bundleSha256, rows, offsets, failures });
  console.log(`\nresults: ${relative(process.cwd(), file)}`);
  if (failures.length) process.exitCode = 1;
}

/** Starts edgelog in one topology, runs the selected workloads into `rows` and `failures`, and stops it. */
async function runTopology(settings, topology, allRows, failures) {
  const want = (g) => settings.groups.includes(g);
  const rows = {
    push: (row) => allRows.push({ ...row, topology }),
  };
  let offsetResult;
  let tieredOffsetResult;

  // The binary fetch rows decode with the TS client's decoder (build/client.mjs).
  if (want("fetch") && settings.fetchFormats.includes("binary")) await build();
  const server = await startEdgelog({ entry: settings.entry, topology });
  // There may be no commit for the code under test; the bundle's hash identifies it regardless.
  const bundleSha256 = createHash("sha256").update(await readFile(server.scriptPath)).digest("hex");
  // No signal handling here: Miniflare's own SIGINT/SIGTERM hook stops workerd and startEdgelog's
  // exit hook removes the temp dir.
  const clients = new Map();
  const ctx = {
    seconds: settings.seconds,
    warmupSeconds: settings.warmupSeconds,
    cpu: cpuSampler(),
    // One keep-alive pool per concurrency level, reused across workloads.
    client: (connections) => {
      if (!clients.has(connections)) clients.set(connections, new EdgelogClient(server.url, { connections }));
      return clients.get(connections);
    },
  };

  // Runs one workload, recording a failure instead of aborting the whole bench, so a broken route
  // still lets the others report.
  const step = async (row, fn) => {
    process.stderr.write(`  ${topology}: ${row.label} c${row.concurrency}${row.batch ? ` b${row.batch}` : ""} ... `);
    try {
      const result = await fn();
      rows.push({ ...row, ...result });
      process.stderr.write(`${fmt(result.requestsPerSec)} req/s\n`);
      return result;
    } catch (err) {
      failures.push({ ...row, topology, error: String(err?.message ?? err) });
      process.stderr.write(`FAILED: ${err?.message ?? err}\n`);
      return undefined;
    }
  };

  try {
    console.error(`edgelog (${topology} topology) at ${server.url.href} (${settings.smoke ? "smoke, " : ""}${settings.seconds}s per workload)`);
    await ctx.client(1).healthz(); // fail fast if the worker does not answer at all

    if (want("noop")) {
      for (const c of settings.concurrencies) {
        await step({ group: "noop", label: "GET /healthz", concurrency: c }, () => W.noop(ctx, c));
      }
    }

    let fetchSource;
    if (want("produce") || want("fetch")) {
      // Fetch reads what produce b1000 c8 wrote; with only "fetch" selected, that one produce still runs.
      const batches = want("produce") ? settings.produceBatches : [1000];
      for (const batch of batches) {
        for (const c of want("produce") ? settings.concurrencies : [8]) {
          const topic = `bench-p${batch}-c${c}`;
          const r = await step({ group: "produce", label: "produce", concurrency: c, batch }, () =>
            W.produce(ctx, { topic, batch, concurrency: c }),
          );
          if (r && batch === 1000 && c === 8) fetchSource = r;
        }
      }
    }

    if (want("fetch")) {
      // Each format right after the other on the same reads, so the JSON and binary rows of a size see the same load.
      const label = (name, format) => (format === "json" ? name : `${name} ${format}`);
      for (const batch of settings.fetchBatches) {
        for (const c of settings.concurrencies) {
          for (const format of settings.fetchFormats) {
            await step({ group: "fetch", label: label("fetch", format), concurrency: c, batch }, async () => {
              if (!fetchSource) throw new Error("no data: produce b1000 c8 did not succeed");
              return W.fetchScan(ctx, { topic: fetchSource.topic, highWatermark: fetchSource.highWatermark, concurrency: c, batch, format });
            });
          }
        }
      }
      // Consumers at the tail: the newest records only, which the partition serves from memory.
      for (const c of settings.concurrencies) {
        for (const format of settings.fetchFormats) {
          await step({ group: "fetch", label: label("fetch tail", format), concurrency: c, batch: 1000 }, async () => {
            if (!fetchSource) throw new Error("no data: produce b1000 c8 did not succeed");
            const from = Math.max(0, fetchSource.highWatermark - settings.tailRecords);
            return W.fetchScan(ctx, { topic: fetchSource.topic, highWatermark: fetchSource.highWatermark, concurrency: c, from, format });
          });
        }
      }
    }

    if (want("offset")) {
      const total = settings.offsetRecords;
      const load = await step({ group: "offset", label: `bulk load ${fmt(total)}`, concurrency: 8, batch: 1000 }, () =>
        W.bulkLoad(ctx, { topic: "bench-offsets", total }),
      );
      if (load) {
        const row = { group: "offset", concurrency: 1, batch: 1000 };
        const head = await step({ ...row, label: "fetch @ offset 0" }, async () => {
          offsetResult = await W.offsetCost(ctx, { topic: load.topic, highWatermark: load.highWatermark, samples: settings.offsetSamples });
          return offsetResult.head;
        });
        if (head) rows.push({ ...row, label: `fetch @ offset ${fmt(offsetResult.tail.offset)}`, ...offsetResult.tail });
      }
      // The same with the head in R2: segments of 8 MiB (256 KiB in a smoke run), all but the active one tiered.
      const segmentBytes = settings.smoke ? 256 * 1024 : 8 * 1024 * 1024;
      const tieredLoad = await step({ group: "offset", label: `bulk load ${fmt(total)} (to tier)`, concurrency: 8, batch: 1000 }, () =>
        W.bulkLoad(ctx, { topic: "bench-offsets-tiered", total, config: { "segment.bytes": segmentBytes } }),
      );
      if (tieredLoad) {
        const row = { group: "offset", concurrency: 1, batch: 1000 };
        const head = await step({ ...row, label: "fetch @ offset 0 (tiered, R2)" }, async () => {
          tieredOffsetResult = await W.tieredOffsetCost(ctx, { topic: tieredLoad.topic, highWatermark: tieredLoad.highWatermark, samples: settings.offsetSamples });
          return tieredOffsetResult.head;
        });
        if (head) rows.push({ ...row, label: `fetch @ offset ${fmt(tieredOffsetResult.tail.offset)} (local)`, ...tieredOffsetResult.tail });
      }
    }
  } finally {
    await Promise.allSettled([...clients.values()].map((c) => c.close()));
    await server.stop();
  }
  return { bundleSha256, offsetResult, tieredOffsetResult };
}

function printReport(rows, offsets, failures) {
  const columns = [
    { title: "topology", get: (r) => r.topology, align: "left" },
    { title: "workload", get: (r) => r.label, align: "left" },
    { title: "clients", get: (r) => r.concurrency },
    { title: "batch", get: (r) => r.batch ?? "-" },
    { title: "requests", get: (r) => r.requests.toLocaleString("en-US") },
    { title: "req/s", get: (r) => fmt(r.requestsPerSec) },
    { title: "records/s", get: (r) => (r.records ? fmt(r.recordsPerSec) : "-") },
    { title: "MB/s", get: (r) => (r.valueBytes ? fmt(r.mbPerSec) : "-") },
    { title: "p50 ms", get: (r) => fmt(r.latencyMs.p50) },
    { title: "p99 ms", get: (r) => fmt(r.latencyMs.p99) },
    { title: "vs no-op", get: (r) => (r.vsNoop == null ? "-" : fmt(r.vsNoop, { digits: 3 })) },
    { title: "cpu node", get: (r) => fmt(r.cores?.node, { digits: 2 }) },
    { title: "cpu workerd", get: (r) => fmt(r.cores?.workerd, { digits: 2 }) },
    { title: "cpu other", get: (r) => fmt(r.cores?.other, { digits: 2 }) },
    // workerd CPU per request: unlike req/s it barely moves when other processes steal the cores.
    { title: "workerd ms/req", get: (r) => (r.cores?.workerd == null ? "-" : fmt((1000 * r.cores.workerd) / r.requestsPerSec, { digits: 2 })) },
  ];
  console.log("\n" + renderTable(columns, rows));
  console.log("MB/s counts record values only (10^6 B); vs no-op = req/s / GET /healthz req/s at the same client count;");
  console.log(
    `cpu = cores busy in the timed window: node (load generator), workerd (server), other (rest of the machine, ` +
      `should be ~0); this machine has ${availableParallelism()}.`,
  );
  console.log("topology: shared = router and Durable Objects on one workerd thread; split = separate workerd processes (as in production).");
  for (const { topology, offsetResult, tieredOffsetResult } of offsets) printOffsets(topology, offsetResult, tieredOffsetResult);
  for (const f of failures) console.log(`FAILED ${f.topology} ${f.label} c${f.concurrency}${f.batch ? ` b${f.batch}` : ""}: ${f.error}`);
}

function printOffsets(topology, offsetResult, tieredOffsetResult) {
  if (offsetResult) {
    const { head, tail, ratioP50 } = offsetResult;
    console.log(
      `${topology}: fetch p50 at offset 0: ${fmt(head.latencyMs.p50)} ms, at offset ${fmt(tail.offset)}: ` +
        `${fmt(tail.latencyMs.p50)} ms, ratio tail/head ${fmt(ratioP50, { digits: 2 })}x`,
    );
  }
  if (tieredOffsetResult) {
    const { head, tail, ratioP50, tieredSegments } = tieredOffsetResult;
    console.log(
      `${topology}: tiered head (${tieredSegments} segments in R2): fetch p50 at offset 0: ${fmt(head.latencyMs.p50)} ms, at offset ${fmt(tail.offset)} ` +
        `(local): ${fmt(tail.latencyMs.p50)} ms, ratio tail/head ${fmt(ratioP50, { digits: 2 })}x`,
    );
  }
}

async function writeResults({ settings, bundleSha256, rows, offsets, failures }) {
  const now = new Date();
  const dir = join(REPO_ROOT, "bench", "results");
  await mkdir(dir, { recursive: true });
  // Colons are not portable in file names; the exact time is inside the file.
  const file = join(dir, `bench-${now.toISOString().replace(/:/g, "-")}.json`);
  const meta = {
    timestamp: now.toISOString(),
    gitCommit: tryRun("git", ["rev-parse", "HEAD"]),
    gitDirty: tryRun("git", ["status", "--porcelain", "--", "src"]) ? true : false,
    bundleSha256,
    node: process.version,
    miniflare: await packageVersion("miniflare"),
    workerd: await packageVersion("workerd"),
    platform: `${platform()}-${arch()}`,
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
  };
  const results = rows.map(({ topology, group, label, concurrency, batch, topic, ...r }) => ({ topology, group, label, concurrency, batch: batch ?? null, topic, ...r }));
  const offsetCosts = offsets.map(({ topology, offsetResult, tieredOffsetResult }) => ({ topology, offsetCost: offsetResult ?? null, tieredOffsetCost: tieredOffsetResult ?? null }));
  await writeFile(file, JSON.stringify({ meta, settings, results, offsetCosts, failures }, null, 2) + "\n");
  return file;
}

function tryRun(cmd, args) {
  try {
    return execFileSync(cmd, args, { cwd: REPO_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || null;
  } catch {
    return null;
  }
}

async function packageVersion(name) {
  try {
    return JSON.parse(await readFile(join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
