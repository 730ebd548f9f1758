// Live tails, SSE against WebSocket (src/tail.ts), on one partition: time to first byte (opening a tail on a partition
// that holds records, until its first records arrive), records/s while --records are produced with 1 and 100 tails
// open (per tail and in all: every tail gets every record), and what an idle tail costs: the partition object's
// active seconds and requests, and the router's requests, per tail-hour, from GET /v1/usage and /metrics as
// idle.mjs measures them (active time is the object's own meter: while a request is in progress in it, which is what
// Cloudflare bills as duration for an object that can hibernate). Modes run interleaved (sse, ws, sse, ws … per
// --rounds) since the box is shared and noisy; every run is printed.
//   npm run bench:tails [-- --records 20000 --rounds 2 --idle-seconds 130 --tails 1,100]   (--smoke: a few seconds)
// SSE streams close every 60 s (SSE_MAX_DURATION_MS) and reconnect: an idle measurement shorter than that misses
// their reconnects, so the default idle time is 130 s.
import { parseArgs } from "node:util";
import { startEdgelog } from "./edgelog-server.mjs";
import { percentile } from "./stats.mjs";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "20000" },
    rounds: { type: "string", default: "2" },
    tails: { type: "string", default: "1,100" },
    "idle-seconds": { type: "string", default: "130" },
    "idle-tails": { type: "string", default: "10" },
    smoke: { type: "boolean", default: false },
    "idle-only": { type: "boolean", default: false },
  },
});
const RECORDS = values.smoke ? 500 : Number(values.records);
const ROUNDS = values.smoke ? 1 : values["idle-only"] ? 0 : Number(values.rounds);
const TAIL_COUNTS = values.smoke ? [1, 5] : values.tails.split(",").map(Number);
const IDLE_SECONDS = values.smoke ? 3 : Number(values["idle-seconds"]);
const IDLE_TAILS = values.smoke ? 2 : Number(values["idle-tails"]);
const BATCH = 500;
// Node 22 has a global WebSocket; the system's Node 20 takes undici's (a dependency of miniflare).
const WebSocketClass = globalThis.WebSocket ?? (await import("undici")).WebSocket;
const VALUE = "x".repeat(100);

const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off" } });
const base = server.url.origin;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const json = async (method, path, body) => {
  const r = await fetch(`${base}${path}`, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
};
const produce = (topic, n) => json("POST", `/v1/topics/${topic}/partitions/0/records`, { records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: VALUE })) });
let topicCounter = 0;
const newTopic = async (prefix) => {
  const name = `${prefix}-${Date.now()}-${topicCounter++}`;
  await json("POST", "/v1/topics", { name, partitions: 1 });
  return name;
};

/**
 * One tail: counts records as they arrive; `firstAt` is when the first records came, `until(n)` resolves once n
 * records have. SSE: an EventSource-like reader that reconnects with Last-Event-ID when the stream ends. WebSocket:
 * acks every frame (the credit a tail needs to keep flowing).
 */
function openTail(mode, topic, offset) {
  const state = { count: 0, firstAt: undefined, waiters: [], closed: false, close: () => {} };
  const got = (n) => {
    state.count += n;
    if (state.firstAt === undefined && n > 0) state.firstAt = performance.now();
    state.waiters = state.waiters.filter((w) => (state.count >= w.n ? (w.resolve(), false) : true));
  };
  state.until = (n) => (state.count >= n ? Promise.resolve() : new Promise((resolve) => state.waiters.push({ n, resolve })));
  const url = `${base}/v1/topics/${topic}/partitions/0/records?offset=${offset}`;
  if (mode === "ws") {
    const ws = new WebSocketClass(url.replace(/^http/, "ws"));
    ws.addEventListener("message", (e) => {
      const frame = JSON.parse(e.data);
      if (frame.error) throw new Error(`tail: ${JSON.stringify(frame.error)}`);
      ws.send(JSON.stringify({ ack: frame.nextOffset }));
      got(frame.records.length);
    });
    state.close = () => ws.close(1000);
    state.opened = new Promise((resolve, reject) => {
      ws.addEventListener("open", resolve, { once: true });
      ws.addEventListener("error", reject, { once: true });
    });
    return state;
  }
  const abort = new AbortController();
  state.close = () => abort.abort();
  let lastId = undefined;
  let resolveOpened;
  state.opened = new Promise((resolve) => (resolveOpened = resolve));
  void (async () => {
    while (!abort.signal.aborted) {
      const headers = { accept: "text/event-stream", ...(lastId === undefined ? {} : { "last-event-id": lastId }) };
      const r = await fetch(url, { headers, signal: abort.signal }).catch(() => undefined);
      if (r === undefined) return;
      resolveOpened();
      const decoder = new TextDecoderStream();
      let buffer = "";
      try {
        for await (const chunk of r.body.pipeThrough(decoder)) {
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf("\n\n")) >= 0) {
            const event = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const id = /^id: (\d+)$/m.exec(event);
            const data = /^data: (.*)$/m.exec(event);
            if (id) lastId = id[1];
            if (data && /^event: records$/m.test(event)) got(JSON.parse(data[1]).records.length);
          }
        }
      } catch {
        return; // aborted
      }
    }
  })();
  return state;
}

/** One run: `count` tails of `mode` on a fresh partition. */
async function run(mode, count) {
  const topic = await newTopic(`tails-${mode}-${count}`);
  await produce(topic, 100);
  // Time to first byte: open every tail at once on records already there.
  const t0 = performance.now();
  const tails = Array.from({ length: count }, () => openTail(mode, topic, 0));
  await Promise.all(tails.map((t) => t.until(100)));
  const ttfb = tails.map((t) => t.firstAt - t0).sort((a, b) => a - b);
  // Throughput: RECORDS more, produced in batches of BATCH, until every tail has them all.
  const start = performance.now();
  for (let sent = 0; sent < RECORDS; sent += BATCH) await produce(topic, Math.min(BATCH, RECORDS - sent));
  await Promise.all(tails.map((t) => t.until(100 + RECORDS)));
  const seconds = (performance.now() - start) / 1000;
  for (const t of tails) t.close();
  return { mode, tails: count, ttfbP50Ms: percentile(ttfb, 50), ttfbMaxMs: ttfb.at(-1), recordsPerSecondPerTail: RECORDS / seconds, recordsPerSecondAll: (RECORDS * count) / seconds };
}

/** What idle tails cost: usage before and after IDLE_SECONDS with IDLE_TAILS tails open and nothing produced. */
async function idle(mode) {
  const topic = await newTopic(`idle-${mode}`);
  await produce(topic, 10);
  // "none": no tails, to measure what the sampling itself costs the partition (subtracted from the others).
  const tails = mode === "none" ? [] : Array.from({ length: IDLE_TAILS }, () => openTail(mode, topic, 0));
  await Promise.all(tails.map((t) => t.until(10)));
  await sleep(1_000); // parked
  const usage = async () => {
    const u = await json("GET", `/v1/usage?topic=${topic}`);
    const metrics = await fetch(`${base}/metrics`).then((r) => r.text());
    let routerRequests = 0;
    for (const line of metrics.split("\n")) if (line.startsWith("edgelog_http_requests_total{") && line.includes("/records")) routerRequests += Number(line.slice(line.lastIndexOf(" ") + 1));
    return { ...u.topics[0].partitions[0], routerRequests };
  };
  // The object's counters are its instance's: they start from zero when workerd evicts the idle object (its
  // hibernated sockets stay). Sampled every 5 s (a usage call is neither a request nor active time in the meter), the
  // increments add up across restarts.
  const totals = { activeMs: 0, requests: 0 };
  let last = await usage();
  const first = last;
  const t0 = Date.now();
  while (Date.now() - t0 < IDLE_SECONDS * 1000) {
    await sleep(Math.min(5_000, IDLE_SECONDS * 1000 - (Date.now() - t0)));
    const now = await usage();
    for (const k of Object.keys(totals)) totals[k] += now[k] >= last[k] ? now[k] - last[k] : now[k];
    last = now;
  }
  const before = { ...first, activeMs: 0, requests: 0 };
  const after = { ...last, ...totals };
  const hours = (Date.now() - t0) / 3_600_000;
  const tailHours = IDLE_TAILS * hours;
  const delta = (a, b) => b - a;
  // Every tail must still be live after the idle time: one record reaches them all.
  const sentAt = performance.now();
  await produce(topic, 1);
  await Promise.all(tails.map((t) => t.until(11)));
  if (mode === "none") await sleep(0);
  const wakeMs = performance.now() - sentAt;
  for (const t of tails) t.close();
  const sampling = baseline ?? { activeMsPerHour: 0, requestsPerHour: 0 };
  if (mode === "none") return { mode, activeMsPerHour: delta(before.activeMs, after.activeMs) / hours, requestsPerHour: delta(before.requests, after.requests) / hours };
  return {
    mode,
    wakeMs,
    objectSecondsPerTailHour: (delta(before.activeMs, after.activeMs) - sampling.activeMsPerHour * hours) / 1000 / tailHours,
    objectRequestsPerTailHour: (delta(before.requests, after.requests) - sampling.requestsPerHour * hours) / tailHours,
    routerRequestsPerTailHour: (after.routerRequests - before.routerRequests) / tailHours,
  };
}

let baseline;
const f = (n, d = 1) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
try {
  const results = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const count of TAIL_COUNTS) {
      for (const mode of round % 2 === 0 ? ["sse", "ws"] : ["ws", "sse"]) {
        const r = await run(mode, count);
        results.push(r);
        console.log(`${mode.padEnd(3)} ${String(count).padStart(3)} tails: TTFB p50 ${f(r.ttfbP50Ms)} ms (max ${f(r.ttfbMaxMs)}), ${f(r.recordsPerSecondPerTail, 0)} records/s per tail, ${f(r.recordsPerSecondAll, 0)} records/s delivered in all`);
      }
    }
  }
  const idles = [];
  baseline = await idle("none");
  console.log(`sampling alone (no tails): ${f(baseline.requestsPerHour, 0)} partition requests, ${f(baseline.activeMsPerHour / 1000, 3)} object-seconds per hour (subtracted below)`);
  for (const mode of ["sse", "ws"]) {
    const r = await idle(mode);
    idles.push(r);
    console.log(`${mode.padEnd(3)} idle (${IDLE_TAILS} tails, ${IDLE_SECONDS} s): ${f(r.objectSecondsPerTailHour, 3)} object-seconds, ${f(r.objectRequestsPerTailHour, 0)} object requests, ${f(r.routerRequestsPerTailHour, 0)} router requests per tail-hour; then a record reached all ${IDLE_TAILS} in ${f(r.wakeMs)} ms`);
  }
  console.log(JSON.stringify({ records: RECORDS, results, idle: idles }));
} finally {
  await server.stop();
}
