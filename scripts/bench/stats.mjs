// Number crunching and presentation for the benchmarks: latency percentiles, per-workload
// summaries and a plain aligned text table. Pure functions, no I/O, so other benchmarks can reuse them.

/** Nearest-rank percentile of an ascending-sorted array; p in [0, 100]. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  // Nearest-rank (not interpolated) so a reported p99 is a latency that was actually observed.
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Latency distribution (ms) of one workload. */
export function latencySummary(latenciesMs) {
  const sorted = Float64Array.from(latenciesMs).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    mean: sorted.length ? sum / sorted.length : NaN,
    min: sorted.length ? sorted[0] : NaN,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : NaN,
  };
}

/**
 * Turns the raw counters of a time-bounded run into rates.
 * `valueBytes` counts only record values, so MB/s is payload throughput, not wire bytes.
 */
export function summarize({ requests, records, valueBytes, elapsedMs, latenciesMs }) {
  const seconds = elapsedMs / 1000;
  return {
    requests,
    records,
    valueBytes,
    seconds,
    requestsPerSec: requests / seconds,
    recordsPerSec: records / seconds,
    // Decimal megabytes (10^6), the usual unit for throughput figures.
    mbPerSec: valueBytes / 1e6 / seconds,
    latencyMs: latencySummary(latenciesMs),
  };
}

/** Compact human formatting: 12345.6 -> "12,346"; small numbers keep a few significant digits. */
export function fmt(value, { digits } = {}) {
  if (value === null || value === undefined || Number.isNaN(value)) return "-";
  if (typeof value !== "number") return String(value);
  if (digits !== undefined) return value.toFixed(digits);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/**
 * Renders rows as an aligned table. columns: [{ title, get(row) -> string, align?: "left"|"right" }].
 * Numbers are right-aligned by default so magnitudes line up.
 */
export function renderTable(columns, rows) {
  const cells = rows.map((row) => columns.map((c) => String(c.get(row))));
  const widths = columns.map((c, i) => Math.max(c.title.length, ...cells.map((r) => r[i].length)));
  const pad = (text, i) =>
    (columns[i].align ?? "right") === "left" ? text.padEnd(widths[i]) : text.padStart(widths[i]);
  const line = (parts) => parts.map(pad).join("  ").trimEnd();
  return [
    line(columns.map((c) => c.title)),
    line(widths.map((w) => "-".repeat(w))),
    ...cells.map(line),
  ].join("\n");
}
