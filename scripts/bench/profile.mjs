// CPU profile of edgelog inside workerd while a bench workload runs: starts the worker with workerd's inspector
// open, attaches over the Chrome DevTools protocol (Profiler domain) to every JS target, runs a produce and/or a
// fetch load, and prints the top functions by self and total time. The raw .cpuprofile files land in
// bench/results/ (open them in Chrome DevTools > Performance, or speedscope).
// Usage: node scripts/bench/profile.mjs [--only=produce,fetch,noop] [--batch=1000] [--clients=8] [--fetch-batch=1000]
//   [--tail=N] (fetch only the newest N records, which the partition serves from its tail cache)
// Env: BENCH_SECONDS (per profiled workload, default 4), PROFILE_INTERVAL_US (sampling interval, default 200),
// PROFILE_TOP (rows per table, default 25), BENCH_ENTRY (profile another worker entry, e.g. a baseline's src/index.ts).

import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { EdgelogClient } from "./client.mjs";
import { cpuSampler } from "./cpu.mjs";
import { REPO_ROOT, startEdgelog } from "./edgelog-server.mjs";
import * as W from "./workloads.mjs";

const argv = process.argv.slice(2);
const option = (name, fallback) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback;
const only = option("only", "produce,fetch").split(",");
const batch = Number(option("batch", "1000"));
const clients = Number(option("clients", "8"));
const fetchBatch = Number(option("fetch-batch", "1000"));
const tail = Number(option("tail", "0"));
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const intervalUs = Number(process.env.PROFILE_INTERVAL_US ?? 200);
const top = Number(process.env.PROFILE_TOP ?? 25);

/** A free TCP port (workerd's inspector needs a concrete one to be found at /json/list). */
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

/** A minimal CDP session: send(method, params) -> result. */
async function connect(url) {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = (e) => reject(new Error(`inspector websocket ${url}: ${e.message ?? "error"}`));
  });
  let nextId = 1;
  const pending = new Map();
  ws.onmessage = (event) => {
    const msg = JSON.parse(typeof event.data === "string" ? event.data : Buffer.from(event.data).toString());
    if (msg.id !== undefined && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(`${msg.error.message} (${msg.error.code})`));
      else resolve(msg.result);
    }
  };
  return {
    send(method, params = {}) {
      const id = nextId++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    },
    close: () => ws.close(),
  };
}

/**
 * Self and total time per function from a V8 CPU profile. Total time counts each sample once per function even
 * when it recurses. Functions are keyed by name + script + line so same-named functions stay apart.
 */
function summarize(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n) => {
    const f = n.callFrame;
    const file = f.url ? f.url.split("/").pop() : "";
    return `${f.functionName || "(anonymous)"} ${file}${file ? `:${f.lineNumber + 1}` : ""}`;
  };
  const self = new Map();
  const total = new Map();
  const counts = new Map();
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  let all = 0;
  let idle = 0;
  for (const [id, count] of counts) {
    const node = nodes.get(id);
    all += count;
    const name = node.callFrame.functionName;
    if (name === "(idle)") idle += count;
    const key = keyOf(node);
    self.set(key, (self.get(key) ?? 0) + count);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(nodes.get(cur));
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + count);
    }
  }
  return { self, total, all, idle };
}

function table(title, map, all, busy) {
  const rows = [...map].filter(([k]) => !k.startsWith("(root)")).sort((a, b) => b[1] - a[1]).slice(0, top);
  const lines = [`${title} (% of all samples / % of non-idle samples)`];
  for (const [k, v] of rows) lines.push(`  ${((100 * v) / all).toFixed(1).padStart(5)}%  ${((100 * v) / busy).toFixed(1).padStart(5)}%  ${k}`);
  return lines.join("\n");
}

async function main() {
  const inspectorPort = await freePort();
  const server = await startEdgelog({ inspectorPort, entry: process.env.BENCH_ENTRY || undefined });
  const pool = new Map();
  const ctx = {
    seconds,
    warmupSeconds: 0.5,
    cpu: cpuSampler(),
    client: (n) => {
      if (!pool.has(n)) pool.set(n, new EdgelogClient(server.url, { connections: n }));
      return pool.get(n);
    },
  };
  const outDir = join(REPO_ROOT, "bench", "results");
  await mkdir(outDir, { recursive: true });
  try {
    const targets = await (await fetch(`http://127.0.0.1:${inspectorPort}/json/list`)).json();
    // workerd lists one target per isolate (our worker and Miniflare's internal ones); profile ours.
    const ours = targets.filter((t) => /edgelog/.test(t.title ?? "") || /edgelog/.test(t.url ?? ""));
    const chosen = ours.length > 0 ? ours : targets;
    console.error(`inspector targets: ${targets.map((t) => t.title ?? t.id).join(", ")}; profiling ${chosen.map((t) => t.title).join(", ")}`);
    const sessions = [];
    for (const t of chosen) {
      const url = t.webSocketDebuggerUrl ?? `ws://127.0.0.1:${inspectorPort}/${t.id}`;
      const s = await connect(url);
      await s.send("Profiler.enable");
      await s.send("Profiler.setSamplingInterval", { interval: intervalUs });
      sessions.push({ title: t.title ?? t.id, s });
    }

    let fetchSource;
    const workloads = [];
    if (only.includes("noop")) workloads.push(["noop", () => W.noop(ctx, clients)]);
    if (only.includes("produce") || only.includes("fetch")) {
      workloads.push(["produce", async () => (fetchSource = await W.produce(ctx, { topic: `prof-p${batch}-${Date.now()}`, batch, concurrency: clients }))]);
    }
    if (only.includes("fetch")) {
      workloads.push(["fetch", () => W.fetchScan(ctx, { topic: fetchSource.topic, highWatermark: fetchSource.highWatermark, concurrency: clients, batch: fetchBatch, from: tail > 0 ? Math.max(0, fetchSource.highWatermark - tail) : 0 })]);
    }
    for (const [name, run] of workloads) {
      const profiled = name !== "produce" || only.includes("produce");
      if (profiled) for (const { s } of sessions) await s.send("Profiler.start");
      const result = await run();
      if (!profiled) continue;
      for (const { title, s } of sessions) {
        const { profile } = await s.send("Profiler.stop");
        const file = join(outDir, `profile-${name}-${title.replace(/\W+/g, "_")}-${new Date().toISOString().replace(/:/g, "-")}.cpuprofile`);
        await writeFile(file, JSON.stringify(profile));
        const { self, total, all, idle } = summarize(profile);
        const busy = all - idle;
        const perReq = ((profile.endTime - profile.startTime) / 1000 / result.requests) * (busy / all);
        console.log(
          `\n=== ${name} c${clients}${name === "noop" ? "" : ` b${batch}`} [${title}]: ${result.requests} requests, ` +
            `${Math.round(result.requestsPerSec)} req/s, ${Math.round(result.recordsPerSec ?? 0)} records/s, p50 ${result.latencyMs.p50.toFixed(2)} ms; ` +
            `${all} samples, ${((100 * idle) / all).toFixed(1)}% idle, ~${perReq.toFixed(2)} ms JS-thread busy per request; workerd ${result.cores?.workerd?.toFixed(2)} cores\n` +
            `profile: ${file}`,
        );
        console.log(table("self time", self, all, busy));
        console.log(table("total time", total, all, busy));
      }
    }
    for (const { s } of sessions) s.close();
  } finally {
    await Promise.allSettled([...pool.values()].map((c) => c.close()));
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
