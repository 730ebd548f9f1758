// What a GET /metrics scrape costs the objects: for topics of 10, 100 and 1,000 partitions, each with a group that
// committed on every partition, the object requests and SQLite rows one uncached scrape (?topic=&group=) makes,
// counted by the objects themselves (GET /v1/usage before and after), its wall time, and the same for a second scrape
// answered from the isolate's cache (expected: nothing).
//   npm run bench:metrics [-- --sizes 10,100,1000]   (--smoke: 10 partitions only)
import { parseArgs } from "node:util";
import { startEdgelog } from "./edgelog-server.mjs";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "10,100,1000" }, smoke: { type: "boolean", default: false } } });
const sizes = values.smoke ? [10] : values.sizes.split(",").map(Number);

const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off" } });
const base = server.url.origin;
const call = async (method, path, body) => {
  const r = await fetch(`${base}${path}`, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return text;
};

/** Requests and rows of every object the scrape may touch: the controller, the topic's partitions, the group's coordinator. */
async function usage(topic, group) {
  const u = JSON.parse(await call("GET", `/v1/usage?topic=${topic}&group=${group}`));
  return { requests: u.total.requests, rowsRead: u.total.rowsRead, rowsWritten: u.total.rowsWritten };
}
const minus = (a, b) => ({ requests: a.requests - b.requests, rowsRead: a.rowsRead - b.rowsRead, rowsWritten: a.rowsWritten - b.rowsWritten });

const rows = [];
try {
  for (const n of sizes) {
    const topic = `metrics-${n}-${Date.now()}`;
    const group = `metrics-g-${n}-${Date.now()}`;
    await call("POST", "/v1/topics", { name: topic, partitions: n });
    await call("POST", `/v1/groups/${group}/offsets`, { offsets: Array.from({ length: n }, (_, p) => ({ topic, partition: p, offset: 0 })) });
    const before = await usage(topic, group);
    const started = performance.now();
    await call("GET", `/metrics?topic=${topic}&group=${group}`);
    const ms = performance.now() - started;
    const mid = await usage(topic, group);
    await call("GET", `/metrics?topic=${topic}&group=${group}`);
    const after = await usage(topic, group);
    rows.push({ partitions: n, ...minus(mid, before), ms: Math.round(ms), cachedRequests: after.requests - mid.requests });
  }
} finally {
  await server.stop();
}
console.log("partitions  requests  rowsRead  rowsWritten  ms  cached-requests");
for (const r of rows) console.log(`${String(r.partitions).padStart(10)}  ${String(r.requests).padStart(8)}  ${String(r.rowsRead).padStart(8)}  ${String(r.rowsWritten).padStart(11)}  ${String(r.ms).padStart(4)}  ${String(r.cachedRequests).padStart(15)}`);
