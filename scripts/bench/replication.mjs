// acks=all against acks=1: what replication costs a producer. One topic of 3 replicas (min.insync.replicas=2) and one
// of a single replica, each produced to for a fixed time at batch 1 (latency) and batch 100 (throughput) by 1 and by
// 8 clients. The replicas run in the same workerd here, so the figures show edgelog's own overhead (a second SQLite
// write and RPC round trip per follower), not cross-region latency: on Cloudflare, add the round trip to the farthest
// in-sync replica to every acks=all answer.
//   npm run bench:replication [-- --seconds 5]
import { parseArgs } from "node:util";
import { EdgelogClient, produceBody, recordsPath } from "./client.mjs";
import { startEdgelog } from "./edgelog-server.mjs";
import { latencySummary } from "./stats.mjs";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, smoke: { type: "boolean", default: false } } });
const seconds = values.smoke ? 0.5 : Number(values.seconds);

const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench" } });
const client = new EdgelogClient(server.url, { connections: 8 });
const post = async (path, body) => JSON.parse((await client.request("POST", path, { body: JSON.stringify(body), expect: [200, 201] })).text);

/** Produces for `seconds` from `clients` callers; answers records/s and latency percentiles. */
async function run(topic, acks, batch, clients) {
  const body = produceBody(batch, 100).replace('"acks":1', `"acks":${acks === "all" ? '"all"' : acks}`);
  const latencies = [];
  let records = 0;
  const until = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      await client.request("POST", recordsPath(topic, 0), { body });
      latencies.push(performance.now() - t0);
      records += batch;
    }
  }));
  const s = latencySummary(latencies);
  return { recordsPerSec: Math.round(records / ((performance.now() - started) / 1000)), p50: +s.p50.toFixed(2), p99: +s.p99.toFixed(2) };
}

try {
  const stamp = Date.now();
  const rf3 = `rf3-${stamp}`;
  const rf1 = `rf1-${stamp}`;
  await post("/v1/topics", { name: rf3, replicationFactor: 3, config: { "min.insync.replicas": "2" } });
  await post("/v1/topics", { name: rf1 });
  const rows = [];
  for (const batch of [1, 100]) {
    for (const clients of [1, 8]) {
      const all = await run(rf3, "all", batch, clients);
      const one = await run(rf3, 1, batch, clients);
      const single = await run(rf1, 1, batch, clients);
      rows.push({ batch, clients, acksAll: all, acks1: one, oneReplica: single, ratio: +(all.recordsPerSec / one.recordsPerSec).toFixed(2) });
    }
  }
  const describe = JSON.parse((await client.request("GET", `/v1/topics/${rf3}`)).text).partitions[0];
  if (describe.highWatermark !== describe.logEndOffset || describe.isr.length !== 3) throw new Error(`replicas did not keep up: ${JSON.stringify(describe)}`);
  console.log("batch clients | acks=all rec/s p50 p99 | acks=1 rec/s p50 p99 | 1 replica rec/s p50 p99 | all/1");
  for (const r of rows) {
    const f = (x) => `${String(x.recordsPerSec).padStart(8)} ${String(x.p50).padStart(6)} ${String(x.p99).padStart(6)}`;
    console.log(`${String(r.batch).padStart(5)} ${String(r.clients).padStart(7)} | ${f(r.acksAll)} | ${f(r.acks1)} | ${f(r.oneReplica)} | ${r.ratio}`);
  }
  console.log(JSON.stringify({ seconds, rows }));
} finally {
  await client.close();
  await server.stop();
}
