// The benchmark workloads (no-op ceiling, produce, fetch, fetch cost by offset) and the closed-loop
// load generator they share. Each workload returns plain result objects; printing is run.mjs's job.

import { produceBody } from "./client.mjs";
import { coresUsed } from "./cpu.mjs";
import { summarize } from "./stats.mjs";

export const VALUE_BYTES = 100;
const FETCH_BATCH = 1000;
// maxBytes well above 1000 x 100 B so the fetch is bounded by maxRecords, as intended.
const FETCH_MAX_BYTES = 8 * 1024 * 1024;

/**
 * Closed-loop load: `concurrency` clients each send one request, wait for it, and repeat until the
 * deadline (and/or `iterations` requests in total). `op(client, i)` does one request and returns
 * { records, valueBytes }. The first failure stops every client and is rethrown: a benchmark that
 * is partly errors measures the error path, not the log. `cpu` is an optional cpuSampler().
 */
export async function runLoad({ client, concurrency, seconds = Infinity, iterations = Infinity, op, cpu }) {
  const latenciesMs = [];
  let requests = 0, records = 0, valueBytes = 0, next = 0, failure;
  const cpuBefore = cpu?.();
  const start = performance.now();
  const deadline = start + seconds * 1000;

  const worker = async (clientIndex) => {
    while (!failure && performance.now() < deadline) {
      const i = next++;
      if (i >= iterations) return;
      const t0 = performance.now();
      try {
        const r = await op(client, i, clientIndex);
        latenciesMs.push(performance.now() - t0);
        requests++;
        records += r.records;
        valueBytes += r.valueBytes;
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, c) => worker(c)));
  const elapsedMs = performance.now() - start;
  if (failure) throw failure;
  const summary = summarize({ requests, records, valueBytes, elapsedMs, latenciesMs });
  return cpu ? { ...summary, cores: coresUsed(cpuBefore, cpu(), elapsedMs) } : summary;
}

/** Short untimed run of the same op, so connection set-up and Durable Object start-up are not measured. */
async function warmUp(ctx, concurrency, op) {
  if (ctx.warmupSeconds > 0) await runLoad({ client: ctx.client(concurrency), concurrency, seconds: ctx.warmupSeconds, op });
}

// ---------------------------------------------------------------------------------------------

export async function noop(ctx, concurrency) {
  const op = async (client) => {
    await client.healthz();
    return { records: 0, valueBytes: 0 };
  };
  await warmUp(ctx, concurrency, op);
  return runLoad({ client: ctx.client(concurrency), concurrency, seconds: ctx.seconds, op, cpu: ctx.cpu });
}

/** Produces `batch`-record requests into a fresh 1-partition topic; checks every offset got assigned. */
export async function produce(ctx, { topic, batch, concurrency }) {
  const setup = ctx.client(1);
  await setup.createTopic(topic, 1);
  const op = produceOp(topic, batch);
  await warmUp(ctx, concurrency, op);
  const result = await runLoad({ client: ctx.client(concurrency), concurrency, seconds: ctx.seconds, op, cpu: ctx.cpu });
  // Every acknowledged record must be in the log: the high watermark must equal what we sent
  // (warm-up included), otherwise the throughput figure counts records that were lost.
  const produced = op.produced();
  const { highWatermark } = await setup.fetchRecords(topic, 0, { offset: 0, maxRecords: 1 });
  if (highWatermark !== produced) {
    throw new Error(`${topic}: produced ${produced} records but highWatermark is ${highWatermark}`);
  }
  return { ...result, topic, highWatermark };
}

function produceOp(topic, batch) {
  const body = produceBody(batch, VALUE_BYTES);
  let produced = 0;
  let checked = false;
  const op = async (client) => {
    const { text } = await client.produceRaw(topic, 0, body);
    produced += batch;
    // Parse once: enough to catch a server that answers 200 with the wrong shape, without making
    // client-side JSON parsing of every 1000-entry ack part of the measurement.
    if (!checked) {
      checked = true;
      checkProduceResponse(text, batch, topic);
    }
    return { records: batch, valueBytes: batch * VALUE_BYTES };
  };
  op.produced = () => produced;
  return op;
}

function checkProduceResponse(text, batch, topic) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error(`${topic}: produce response is not JSON: ${text.slice(0, 200)}`);
  }
  const results = data?.results;
  if (!Array.isArray(results) || results.length !== batch) {
    throw new Error(`${topic}: expected ${batch} produce results, got ${text.slice(0, 200)}`);
  }
  for (let i = 1; i < results.length; i++) {
    if (results[i].offset !== results[0].offset + i || results[i].partition !== 0) {
      throw new Error(`${topic}: produce results not consecutive at index ${i}: ${JSON.stringify(results[i])}`);
    }
  }
}

/**
 * Fetches maxRecords=1000 batches. Each client scans sequentially from its own evenly spaced start
 * (like independent consumers) and wraps to the start of the log at the high watermark.
 */
/**
 * Clients read the log in `batch`-record fetches, each from its own start, wrapping round at the high watermark.
 * `from` (default 0) is where the scanned span starts: a span of the last few thousand records is what the partition
 * still holds in memory (its tail cache), i.e. consumers reading at the tail; from 0, most fetches read SQLite.
 */
export async function fetchScan(ctx, { topic, concurrency, highWatermark, batch = FETCH_BATCH, from = 0, format = "json" }) {
  const start = Math.floor(from / batch) * batch;
  const span = highWatermark - start;
  const cursors = Array.from({ length: concurrency }, (_, c) => start + Math.floor((c * span) / concurrency / batch) * batch);
  // The binary record frame (docs/api.md), decoded by the TS client's decoder (build/client.mjs).
  const { decodeRecordFrame } = format === "binary" ? await import("../../build/client.mjs") : {};
  const op = async (client, i, c) => {
    let n;
    let values;
    if (format === "binary") {
      // Every answer is decoded (the decoder checks the whole layout; no record is parsed) and checked by its first
      // offset and nextOffset; every 16th has every value read, as JSON's every 16th is parsed.
      const frame = decodeRecordFrame(await client.fetchRecordsFrame(topic, 0, { offset: cursors[c], maxRecords: batch, maxBytes: FETCH_MAX_BYTES }));
      if (frame.records.length === 0 || frame.records[0].offset !== cursors[c]) throw new Error(`${topic}: binary fetch at offset ${cursors[c]} returned ${frame.records.length} records`);
      n = frame.nextOffset - cursors[c];
      if (i % 16 === 0) values = frame.records.map((r) => r.value);
    } else {
      const text = await client.fetchRecordsText(topic, 0, { offset: cursors[c], maxRecords: batch, maxBytes: FETCH_MAX_BYTES });
      // Parsing every ~160 KB answer costs the Node load generator ~0.85 ms, as much as the server spends: the bench
      // would measure Node. Every answer is checked by its first offset and nextOffset (cheap string reads); every
      // 16th is parsed whole and its values checked.
      const first = /^\{"records":\[\{"offset":(\d+),/.exec(text);
      const next = /"nextOffset":(\d+),"highWatermark"/.exec(text.slice(-200));
      if (!first || !next || Number(first[1]) !== cursors[c]) throw new Error(`${topic}: fetch at offset ${cursors[c]} returned ${text.slice(0, 80)}`);
      n = Number(next[1]) - cursors[c];
      if (i % 16 === 0) values = JSON.parse(text).records.map((r) => r.value);
    }
    if (values !== undefined) {
      let bytes = 0;
      // Values are ASCII (see produceBody), so string length is the byte count.
      for (const v of values) bytes += v === null ? 0 : v.length;
      // A cheap end-to-end check that values come back whole and in the encoding they were sent in.
      if (values.length !== n || bytes !== n * VALUE_BYTES) throw new Error(`${topic}: fetched ${n} records with ${bytes} value bytes, expected ${n * VALUE_BYTES}`);
    }
    cursors[c] = cursors[c] + n >= highWatermark ? start : cursors[c] + n;
    return { records: n, valueBytes: n * VALUE_BYTES };
  };
  await warmUp(ctx, concurrency, op);
  return runLoad({ client: ctx.client(concurrency), concurrency, seconds: ctx.seconds, op, cpu: ctx.cpu });
}

/** Produces exactly `total` records (batches of 1000, 8 clients) so the fetch-by-offset test has a long log. */
export async function bulkLoad(ctx, { topic, total, concurrency = 8, config }) {
  await ctx.client(1).createTopic(topic, 1, config);
  const op = produceOp(topic, FETCH_BATCH);
  const result = await runLoad({
    client: ctx.client(concurrency),
    concurrency,
    iterations: Math.ceil(total / FETCH_BATCH),
    op,
    cpu: ctx.cpu,
  });
  return { ...result, topic, highWatermark: op.produced() };
}

/**
 * Fetch latency at the head vs the tail of a long partition, single client. The two positions are
 * interleaved so any drift over the run (GC, SQLite cache warming) hits both sides equally.
 */
export async function offsetCost(ctx, { topic, highWatermark, samples }) {
  const client = ctx.client(1);
  const tail = highWatermark - FETCH_BATCH;
  const lat = { head: [], tail: [] };
  const timeFetch = async (which, offset) => {
    const t0 = performance.now();
    const data = await client.fetchRecords(topic, 0, { offset, maxRecords: FETCH_BATCH, maxBytes: FETCH_MAX_BYTES });
    lat[which].push(performance.now() - t0);
    if (data.records.length !== FETCH_BATCH || data.records[0].offset !== offset) {
      throw new Error(`${topic}: fetch at ${offset} returned ${data.records.length} records starting at ${data.records[0]?.offset}`);
    }
  };
  // A few untimed round trips so the first timed fetch on each side is not a cold one.
  for (let i = 0; i < 3; i++) await Promise.all([timeFetch("head", 0), timeFetch("tail", tail)]);
  lat.head.length = lat.tail.length = 0;

  const cpuBefore = ctx.cpu?.();
  const start = performance.now();
  for (let i = 0; i < samples; i++) {
    await timeFetch("head", 0);
    await timeFetch("tail", tail);
  }
  // Shared by both sides: they are interleaved, so the split per side is not observable.
  const cores = ctx.cpu ? coresUsed(cpuBefore, ctx.cpu(), performance.now() - start) : undefined;
  // One client, one request at a time: each side's busy time is exactly the sum of its latencies.
  const side = (latenciesMs) =>
    summarize({
      requests: samples,
      records: samples * FETCH_BATCH,
      valueBytes: samples * FETCH_BATCH * VALUE_BYTES,
      elapsedMs: latenciesMs.reduce((a, b) => a + b, 0),
      latenciesMs,
    });
  const head = side(lat.head);
  const tailResult = side(lat.tail);
  return {
    head: { ...head, offset: 0, cores },
    tail: { ...tailResult, offset: tail, cores },
    ratioP50: tailResult.latencyMs.p50 / head.latencyMs.p50,
  };
}

/**
 * The same head-vs-tail check on a partition whose head is tiered: every sealed segment moved to R2
 * (local.retention.bytes 0), so a fetch at offset 0 finds its segment by an index seek and reads its frames with a
 * ranged GET, while the tail is still local. Waits (bounded) until the tiering alarm has moved everything it can.
 */
export async function tieredOffsetCost(ctx, { topic, highWatermark, samples, timeoutMs = 600_000 }) {
  const client = ctx.client(1);
  await client.request("PATCH", `/v1/topics/${topic}`, { body: JSON.stringify({ config: { "local.retention.bytes": 0 } }) });
  const deadline = Date.now() + timeoutMs;
  let partition;
  for (;;) {
    partition = JSON.parse((await client.request("GET", `/v1/topics/${topic}`)).text).partitions[0];
    if (partition.localSegments <= 1 && partition.tieredSegments > 0) break;
    if (Date.now() > deadline) throw new Error(`${topic}: not tiered within ${timeoutMs} ms: ${JSON.stringify(partition)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = await offsetCost(ctx, { topic, highWatermark, samples });
  return { ...result, tieredSegments: partition.tieredSegments };
}
