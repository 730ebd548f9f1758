// What edgelog's bench workloads would cost on Cloudflare: the objects' own counters (GET /v1/usage, src/usage.ts)
// and the Worker's request counter (/metrics) times the published price list. Prices: Durable Objects and R2 from
// ../shared/reference/cloudflare-platform.md §1.10 and §2.4 (Workers Paid, beyond the included monthly amounts);
// Worker requests and CPU from Cloudflare's Workers pricing page. Free allowances are ignored: the figure is the
// marginal cost of the traffic.

export const PRICES = {
  doRequestPerM: 0.15, // Durable Object requests (RPC calls, alarms)
  doGbSecondPerM: 12.5, // Durable Object duration, charged at 128 MB
  doMemoryGb: 0.128,
  rowsReadPerM: 0.001,
  rowsWrittenPerM: 1.0,
  r2ClassAPerM: 4.5,
  r2ClassBPerM: 0.36,
  workerRequestPerM: 0.3, // the Worker in front (Workers Standard)
  workerCpuMsPerM: 0.02,
};

/** Cloudflare Queues: $0.40 per million operations, a message is three (write, read, delete/ack) per 64 KB. */
export const QUEUES_PER_M_MESSAGES = 0.4 * 3;

const KEYS = ["requests", "rowsRead", "rowsWritten", "r2ClassA", "r2ClassB", "activeMs"];

export async function edgelogUsage(url, { topics = [], groups = [] }) {
  const q = new URLSearchParams([...topics.map((t) => ["topic", t]), ...groups.map((g) => ["group", g])]);
  const [usage, metrics] = await Promise.all([
    fetch(new URL(`/v1/usage?${q}`, url)).then(async (r) => (r.ok ? r.json() : Promise.reject(new Error(`GET /v1/usage: ${r.status} ${await r.text()}`)))),
    fetch(new URL("/metrics", url)).then((r) => r.text()),
  ]);
  let workerRequests = 0;
  for (const line of metrics.split("\n")) {
    // The bench's own /v1/usage and /metrics calls are not traffic of the workload.
    if (line.startsWith("edgelog_http_requests_total{") && !line.includes('route="/v1/usage"') && !line.includes('route="/metrics"')) workerRequests += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return { ...usage.total, workerRequests };
}

export function usageDelta(before, after) {
  const out = {};
  for (const k of [...KEYS, "workerRequests"]) out[k] = after[k] - (before?.[k] ?? 0);
  return out;
}

/**
 * Dollars for counts (a usageDelta, plus workerdCpuMs: CPU of the whole workerd process, an upper bound for the
 * Worker's billed CPU since it includes the objects' CPU, which duration already pays for).
 */
export function cost(counts) {
  const p = PRICES;
  const items = {
    doRequests: (counts.requests / 1e6) * p.doRequestPerM,
    doDuration: ((counts.activeMs / 1000) * p.doMemoryGb / 1e6) * p.doGbSecondPerM,
    rowsRead: (counts.rowsRead / 1e6) * p.rowsReadPerM,
    rowsWritten: (counts.rowsWritten / 1e6) * p.rowsWrittenPerM,
    r2: (counts.r2ClassA / 1e6) * p.r2ClassAPerM + (counts.r2ClassB / 1e6) * p.r2ClassBPerM,
    workerRequests: (counts.workerRequests / 1e6) * p.workerRequestPerM,
    workerCpu: ((counts.workerdCpuMs ?? 0) / 1e6) * p.workerCpuMsPerM,
  };
  const durableObjects = items.doRequests + items.doDuration + items.rowsRead + items.rowsWritten + items.r2;
  return { items, durableObjects, total: durableObjects + items.workerRequests + items.workerCpu };
}

/** $ per million records for a workload that moved `records` records. */
export function perMillion(c, records) {
  const scale = 1e6 / records;
  const items = Object.fromEntries(Object.entries(c.items).map(([k, v]) => [k, v * scale]));
  return { items, durableObjects: c.durableObjects * scale, total: c.total * scale };
}
