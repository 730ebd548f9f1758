// End to end through the client: one producer (the client's Producer: batching, idempotent, acks=all) writes N
// records of 100-byte values to a 6-partition topic while a group of 3 client Consumers reads them and commits.
// The clock runs from the first send to the moment the group has committed every record (lag 0); the figure is
// records/s end to end. Also checks that each record was consumed exactly once.
// --backlog: the producer writes every record first, with the settled group paused; the clock runs from resume to
// lag 0 (a group catching up, which is where the consumer's fetch path shows). --prefetch true: the consumers fetch a
// partition's next page while processing the current one (ConsumerConfig.prefetch, off by default; A/B the two).
// --handler-us N: each record's handler busy-waits N µs (a consumer that does work per record).
//   npm run bench:e2e [-- --records 200000 --partitions 6 --consumers 3 --value-bytes 100 --runs 3 --max-records N
//                        --backlog --prefetch false|true --handler-us 0]   (--smoke: a few seconds)
import { parseArgs } from "node:util";
import { build } from "../build.mjs";
import { startEdgelog } from "./edgelog-server.mjs";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "200000" },
    partitions: { type: "string", default: "6" },
    consumers: { type: "string", default: "3" },
    "value-bytes": { type: "string", default: "100" },
    "send-size": { type: "string", default: "100" },
    "max-records": { type: "string" },
    backlog: { type: "boolean", default: false },
    prefetch: { type: "string", default: "false" },
    "handler-us": { type: "string", default: "0" },
    runs: { type: "string", default: "3" },
    smoke: { type: "boolean", default: false },
  },
});
const records = values.smoke ? 20_000 : Number(values.records);
const partitions = Number(values.partitions);
const consumers = Number(values.consumers);
const valueBytes = Number(values["value-bytes"]);
const sendSize = Number(values["send-size"]);
const backlog = values.backlog;
if (values.prefetch !== "true" && values.prefetch !== "false") throw new Error(`--prefetch must be true or false, got ${values.prefetch}`);
const prefetch = values.prefetch === "true";
const handlerUs = Number(values["handler-us"]);

await build(); // the client bundle, fresh from src/client
const { Edgelog } = await import("../../build/client.mjs");
// A 1 s heartbeat lets the group settle quickly before the clock starts; it does not touch the data path.
const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench", GROUP_HEARTBEAT_INTERVAL_MS: "1000", EDGELOG_AUTH: "off" } });

const runs = values.smoke ? 1 : Number(values.runs);
try {
  const client = new Edgelog({ url: server.url.origin });
  const results = [];
  for (let run = 0; run < runs; run++) {
    const result = await measure(client, run);
    results.push(result);
    console.log(
      `${records.toLocaleString("en-US")} records (${valueBytes}-byte values) → ${partitions} partitions → a group of ${consumers} consumers, committed: ` +
        `${result.recordsPerSecond.toLocaleString("en-US")} records/s ${backlog ? "caught up, from resume to lag 0" : "end to end"} (prefetch ${prefetch}${handlerUs ? `, handler ${handlerUs} µs a record` : ""}; produced in ${result.produceSeconds} s, all consumed at ${result.consumedSeconds} s, ` +
        `all committed at ${result.committedSeconds} s; ${result.duplicates} duplicates, ${result.missing} missing)`,
    );
    if (result.duplicates > 0 || result.missing > 0) process.exitCode = 1;
  }
  const rates = results.map((r) => r.recordsPerSecond).sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  if (runs > 1) console.log(`median of ${runs} runs: ${median.toLocaleString("en-US")} records/s end to end`);
  console.log(JSON.stringify({ records, partitions, consumers, valueBytes, backlog, prefetch, handlerUs, runs, medianRecordsPerSecond: median, results }));
} finally {
  await server.stop();
}

async function measure(client, run) {
  const admin = client.admin();
  const topic = `e2e-${run}-${Date.now()}`;
  const groupId = `e2e-group-${run}-${Date.now()}`;
  await admin.createTopic({ name: topic, partitions });

  const seen = new Uint8Array(records);
  let consumed = 0;
  let duplicates = 0;
  let allConsumedMs = 0;
  const group = Array.from({ length: consumers }, () => {
    const consumer = client.consumer({ groupId, autoOffsetReset: "earliest", prefetch, ...(values["max-records"] ? { maxRecords: Number(values["max-records"]) } : {}) });
    consumer.subscribe({ topics: [topic] });
    if (backlog) consumer.pause([{ topic }]);
    return consumer;
  });
  const running = group.map((consumer) =>
    consumer.run({
      eachBatch: (batch) => {
        for (const record of batch.records) {
          if (handlerUs > 0) for (const until = performance.now() + handlerUs / 1000; performance.now() < until; );
          const i = Number(record.value.slice(0, record.value.indexOf(" ")));
          if (seen[i]++) duplicates++;
          else if (++consumed === records) allConsumedMs = performance.now();
        }
      },
    }),
  );
  // The group is settled (every consumer owns its share) before the clock starts.
  const share = Math.floor(partitions / consumers);
  while (!group.every((c) => c.assignment().length >= share)) await new Promise((r) => setTimeout(r, 20));

  const producer = client.producer();
  const padding = "x".repeat(valueBytes);
  const produceStartMs = performance.now();
  let startMs = produceStartMs;
  const sends = [];
  for (let i = 0; i < records; i += sendSize) {
    const batch = [];
    for (let j = i; j < Math.min(records, i + sendSize); j++) {
      const prefix = `${j} `;
      batch.push({ key: `key-${j}`, value: prefix + padding.slice(prefix.length) });
    }
    sends.push(producer.send(topic, batch));
    await producer.ready(); // backpressure: at most the producer's buffer in flight
  }
  await Promise.all(sends);
  await producer.close();
  const producedMs = performance.now();
  if (backlog) {
    startMs = performance.now();
    for (const consumer of group) consumer.resume([{ topic }]);
  }
  while ((await admin.lag(groupId)).totalLag > 0 || consumed < records) await new Promise((r) => setTimeout(r, 10));
  const committedMs = performance.now();
  await Promise.all(group.map((c) => c.stop()));
  await Promise.all(running);
  await admin.deleteTopic(topic);
  const seconds = (committedMs - startMs) / 1000;
  return {
    produceSeconds: +((producedMs - produceStartMs) / 1000).toFixed(2),
    consumedSeconds: +((allConsumedMs - startMs) / 1000).toFixed(2),
    committedSeconds: +seconds.toFixed(2),
    recordsPerSecond: Math.round(records / seconds),
    duplicates,
    missing: records - consumed,
  };
}
