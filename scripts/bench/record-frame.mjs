// The binary record frame against JSON, in-process (no server): what the partition spends building a fetch answer
// (joinJson vs encodeRecordFrame over the same stored slices) and what a reader spends turning it into records
// (JSON.parse vs decodeRecordFrame, reading nothing, the offsets, or every value), per answer of N records of 100-byte
// values. Sizes the choice recorded in docs/performance.md ("The binary record frame").
//   node scripts/bench/record-frame.mjs [--smoke] [--records=1000,10000] [--rounds=5]
// Each figure is the median over rounds of the mean of a timed loop; the box is shared, so compare rows of one run.
import { build as esbuild } from "esbuild";
import { fileURLToPath } from "node:url";

const argv = process.argv.slice(2);
const option = (name) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const smoke = argv.includes("--smoke");
const sizes = (option("records") ?? (smoke ? "100" : "1000,10000")).split(",").map(Number);
const rounds = Number(option("rounds") ?? (smoke ? 1 : 5));
const loopMs = smoke ? 20 : 300;

// The leaves under test, bundled on the fly (they are TypeScript).
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const bundle = await esbuild({
  stdin: { contents: 'export * from "./src/log/batch"; export * from "./src/log/record-frame";', resolveDir: ROOT, loader: "ts" },
  bundle: true,
  write: false,
  format: "esm",
  platform: "neutral",
  logLevel: "warning",
});
const L = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);

function timePerOp(fn) {
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < loopMs) {
      fn();
      n++;
    }
    samples.push((performance.now() - start) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

const rows = [];
for (const n of sizes) {
  // Stored batches of 1000 records, as produce b1000 writes them: 100-byte ASCII values, keys, no headers.
  const batches = [];
  for (let base = 0; base < n; base += 1000) {
    const count = Math.min(1000, n - base);
    const tails = Array.from({ length: count }, (_, i) => `"key":"key-${base + i}","value":${JSON.stringify(String(base + i).padEnd(100, "x"))},"headers":[]}`);
    batches.push(L.buildBatch(base, Array(count).fill(1_700_000_000_000), L.packTails(tails), 0, count));
  }
  const pieces = batches.map((b) => b.bytes);
  const framePieces = batches.map((b) => ({ bytes: b.bytes, positions: b.positions, first: 0, count: b.positions.length }));
  const meta = { nextOffset: n, highWatermark: n, logStartOffset: 0, encoding: "text" };
  const suffix = `],"nextOffset":${n},"highWatermark":${n},"logStartOffset":0}`;
  const json = L.joinJson('{"records":[', pieces, suffix);
  const frame = L.encodeRecordFrame(framePieces, meta);
  const decoder = new TextDecoder();
  let sink = 0;
  const figures = {
    "server: joinJson (JSON answer)": timePerOp(() => (sink += L.joinJson('{"records":[', pieces, suffix).length)),
    "server: encodeRecordFrame": timePerOp(() => (sink += L.encodeRecordFrame(framePieces, meta).length)),
    "reader: JSON.parse(decode(body))": timePerOp(() => (sink += JSON.parse(decoder.decode(json)).records.length)),
    "reader: decodeRecordFrame, nothing read": timePerOp(() => (sink += L.decodeRecordFrame(frame).records.length)),
    "reader: decodeRecordFrame, every offset": timePerOp(() => {
      for (const r of L.decodeRecordFrame(frame).records) sink += r.offset;
    }),
    "reader: decodeRecordFrame, every value": timePerOp(() => {
      for (const r of L.decodeRecordFrame(frame).records) sink += r.value.length;
    }),
    "reader: decodeRecordFrame, every field": timePerOp(() => {
      for (const r of L.decodeRecordFrame(frame).records) sink += r.offset + r.timestamp + r.key.length + r.value.length + r.headers.length;
    }),
  };
  if (sink === 0) throw new Error("nothing measured");
  for (const [what, ms] of Object.entries(figures)) rows.push({ records: n, what, ms, bytes: what.startsWith("server: join") || what.includes("JSON.parse") ? json.length : frame.length });
}

console.log("records  what                                        ms per answer  µs per record  answer bytes");
for (const r of rows) {
  console.log(`${String(r.records).padStart(7)}  ${r.what.padEnd(42)}  ${r.ms.toFixed(3).padStart(13)}  ${((r.ms * 1000) / r.records).toFixed(3).padStart(13)}  ${String(r.bytes).padStart(12)}`);
}
