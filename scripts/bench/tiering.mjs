// Tiered storage on local R2: (1) tiering throughput: a partition is filled with tiering off, then local.retention.bytes
// is set to 0 and the time until every sealed segment is in R2 gives MB/s (uncompressed log bytes, and bytes stored);
// (2) read-back throughput: the whole tiered log fetched from offset 0 (ranged GETs, inflate); (3) the local storage
// of a partition holding N records (default 10M of 100 bytes) with tiering on: its SQLite database size.
//   npm run bench:tiering [-- --records 10000000 --throughput-records 2000000]   (--smoke: a few seconds)
import { parseArgs } from "node:util";
import { EdgelogClient, produceBody } from "./client.mjs";
import { startEdgelog } from "./edgelog-server.mjs";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "10000000" },
    "throughput-records": { type: "string", default: "2000000" },
    smoke: { type: "boolean", default: false },
  },
});
const total = values.smoke ? 20_000 : Number(values.records);
const throughputRecords = values.smoke ? 20_000 : Math.min(total, Number(values["throughput-records"]));
const BATCH = 1000;
const CLIENTS = 8;
const segmentBytes = values.smoke ? 200_000 : 8 * 1024 * 1024;

const server = await startEdgelog({ bindings: { MAX_LOCAL_PARTITION_BYTES: String(64 * 1024 * 1024 * 1024) } });
const client = new EdgelogClient(server.url, { connections: CLIENTS });
const json = async (method, path, body) => JSON.parse((await client.request(method, path, { body: body === undefined ? undefined : JSON.stringify(body), expect: [200, 201] })).text);
const describe = async (topic) => (await json("GET", `/v1/topics/${topic}`)).partitions[0];
const mb = (bytes) => (bytes / 1e6).toFixed(1);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function produce(topic, count) {
  const body = produceBody(BATCH, 100);
  let sent = 0;
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (sent < count) {
      sent += BATCH;
      await client.produceRaw(topic, 0, body);
    }
  }));
}

async function untilTiered(topic, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await describe(topic);
    if (p.localSegments <= 1 && p.tieredSegments > 0) return p;
    if (Date.now() > deadline) throw new Error(`not tiered in ${timeoutMs} ms: ${JSON.stringify(p)}`);
    await sleep(50);
  }
}

try {
  const topic = `tiering-${Date.now()}`;
  await json("POST", "/v1/topics", { name: topic, partitions: 1, config: { "segment.bytes": segmentBytes } });

  // (1) Fill with tiering off, then turn it on and time it.
  await produce(topic, throughputRecords);
  const filled = await describe(topic);
  const t0 = performance.now();
  await json("PATCH", `/v1/topics/${topic}`, { config: { "local.retention.bytes": 0 } });
  const tiered = await untilTiered(topic, 600_000);
  const tierSeconds = (performance.now() - t0) / 1000;

  // (2) Read everything back from offset 0 (all but the active segment comes from R2).
  const r0 = performance.now();
  let offset = 0;
  let records = 0;
  let bytes = 0;
  while (offset < tiered.highWatermark) {
    const text = await client.fetchRecordsText(topic, 0, { offset, maxRecords: 10_000, maxBytes: 8 * 1024 * 1024 });
    const data = JSON.parse(text);
    records += data.records.length;
    bytes += text.length;
    offset = data.nextOffset;
  }
  const readSeconds = (performance.now() - r0) / 1000;
  if (records !== tiered.highWatermark) throw new Error(`read back ${records} of ${tiered.highWatermark} records`);

  // (3) Grow to `total` records with tiering on, then measure local storage.
  if (total > throughputRecords) await produce(topic, total - throughputRecords);
  const final = total > throughputRecords ? await untilTiered(topic, 1_800_000) : tiered;

  const result = {
    tiering: { records: throughputRecords, logBytes: filled.bytes, seconds: +tierSeconds.toFixed(2), mbPerSecond: +(tiered.tieredBytes / 1e6 / tierSeconds).toFixed(1), storedMbPerSecond: +(tiered.tieredStoredBytes / 1e6 / tierSeconds).toFixed(1), compression: +(tiered.tieredBytes / tiered.tieredStoredBytes).toFixed(2), segments: tiered.tieredSegments },
    readBack: { records, responseBytes: bytes, seconds: +readSeconds.toFixed(2), mbPerSecond: +(bytes / 1e6 / readSeconds).toFixed(1), recordsPerSecond: Math.round(records / readSeconds) },
    storage: { records: final.highWatermark, logBytes: final.bytes, localBytes: final.localBytes, tieredBytes: final.tieredBytes, tieredStoredBytes: final.tieredStoredBytes, databaseBytes: final.databaseBytes, tieredSegments: final.tieredSegments },
  };
  console.log(`tiering: ${mb(tiered.tieredBytes)} MB of log (${mb(tiered.tieredStoredBytes)} MB stored, ${result.tiering.compression}x) to R2 in ${result.tiering.seconds} s: ${result.tiering.mbPerSecond} MB/s of log, ${result.tiering.storedMbPerSecond} MB/s written`);
  console.log(`read-back from R2: ${records} records, ${mb(bytes)} MB of JSON in ${result.readBack.seconds} s: ${result.readBack.mbPerSecond} MB/s, ${result.readBack.recordsPerSecond} records/s`);
  console.log(`partition of ${final.highWatermark} records with tiering on: log ${mb(final.bytes)} MB, local ${mb(final.localBytes)} MB in ${final.tieredSegments} + 1 segments, SQLite database ${mb(final.databaseBytes)} MB`);
  console.log(JSON.stringify(result));
} finally {
  await client.close();
  await server.stop();
}
