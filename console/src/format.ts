// The console's pure parts (no DOM): number, byte and time formatting, how a record's bytes are shown, the API's error
// body read into one shape, rates from high-watermark samples, the message browser's paging arithmetic, and a share group's totals. Unit-tested
// in test/console/format.test.ts.
import type { SharePartitionStatus } from "../../src/client/wire";

/** An API error as the console shows it: the API's type and code, or NETWORK_ERROR (code null) when nothing answered. */
export interface ShownError {
  status: number;
  type: string;
  code: number | null;
  message: string;
  details?: unknown;
}

/** Reads an error answer (`{error: {type, code, message, details}}`); anything else is described as it came. */
export function errorFrom(status: number, body: unknown): ShownError {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (error && typeof error.type === "string") {
    return {
      status,
      type: error.type,
      code: typeof error.code === "number" ? error.code : null,
      message: typeof error.message === "string" ? error.message : "",
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  const text = typeof body === "string" ? body.slice(0, 200) : JSON.stringify(body)?.slice(0, 200);
  return { status, type: `HTTP_${status}`, code: null, message: text || "no error body" };
}

/** "TYPE (code 3, HTTP 404)": how an error is labelled everywhere. */
export function errorLabel(e: ShownError): string {
  const parts = [e.code === null ? null : `code ${e.code}`, e.status > 0 ? `HTTP ${e.status}` : null].filter(Boolean);
  return parts.length > 0 ? `${e.type} (${parts.join(", ")})` : e.type;
}

export function formatInt(n: number | null | undefined, locale?: string): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "—";
  return Math.round(n).toLocaleString(locale);
}

export function formatRate(perSecond: number | null, locale?: string): string {
  if (perSecond === null || !Number.isFinite(perSecond)) return "—";
  return perSecond.toLocaleString(locale, { maximumFractionDigits: perSecond < 10 ? 1 : 0 });
}

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];
export function formatBytes(bytes: number | null | undefined, locale?: string): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return "—";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toLocaleString(locale, { maximumFractionDigits: unit === 0 ? 0 : 1 })} ${UNITS[unit]}`;
}

/** A timestamp in the viewer's zone, with its ISO form for a title; −1 and other non-times are "—". */
export function formatTime(ms: number | null | undefined, locale?: string, timeZone?: string): { text: string; iso: string } {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return { text: "—", iso: "" };
  const date = new Date(ms);
  return { text: date.toLocaleString(locale, timeZone ? { timeZone } : undefined), iso: date.toISOString() };
}

/** How a key, value or header value fetched as base64 is shown. */
export type Shown =
  | { kind: "null" }
  | { kind: "text"; text: string }
  | { kind: "json"; text: string; pretty: string }
  | { kind: "binary"; base64: string; hex: string; bytes: number };

function bytesOf(base64: string): Uint8Array {
  const raw = atob(base64);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** Characters that would make text unreadable or misleading when shown: C0 controls but tab and newlines, DEL, C1. */
const UNPRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * Decodes base64 (the browser fetches with encoding=base64, so it sees the exact bytes): valid UTF-8 without control
 * characters is text, and JSON objects and arrays are also pretty-printed; anything else is binary, shown as hex.
 */
export function decodeBytes(base64: string | null): Shown {
  if (base64 === null) return { kind: "null" };
  let bytes: Uint8Array;
  try {
    bytes = bytesOf(base64);
  } catch {
    return { kind: "binary", base64, hex: "", bytes: 0 };
  }
  let text: string | null = null;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    text = null;
  }
  if (text === null || UNPRINTABLE.test(text)) {
    const shown = bytes.subarray(0, 256);
    const hex = [...shown].map((b) => b.toString(16).padStart(2, "0")).join(" ") + (bytes.length > shown.length ? " …" : "");
    return { kind: "binary", base64, hex, bytes: bytes.length };
  }
  const trimmed = text.trim();
  if (trimmed.startsWith("{") || trimmed.startsWith("[")) {
    try {
      return { kind: "json", text, pretty: JSON.stringify(JSON.parse(trimmed), null, 2) };
    } catch {
      // not JSON after all: plain text
    }
  }
  return { kind: "text", text };
}

/** One line of text for a table cell. */
export function preview(shown: Shown, max = 120): string {
  switch (shown.kind) {
    case "null":
      return "null";
    case "binary":
      return `binary, ${shown.bytes.toLocaleString()} bytes: ${shown.hex.slice(0, max)}`;
    default: {
      const line = shown.text.replace(/\s+/g, " ");
      return line.length > max ? `${line.slice(0, max - 1)}…` : line;
    }
  }
}

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string | null }[];
}

/**
 * A record fetched as base64, as JSON to copy or download: text when key, value and every header value are text,
 * with `encoding: "base64"` and the fetched base64 otherwise (so the bytes survive). Produce accepts the same fields.
 */
export function recordJson(topic: string, partition: number, r: FetchedRecord): Record<string, unknown> {
  const fields = [r.key, r.value, ...r.headers.map((h) => h.value)].map(decodeBytes);
  const binary = fields.some((f) => f.kind === "binary");
  const text = (s: Shown, raw: string | null) => (s.kind === "null" ? null : s.kind === "binary" ? raw : s.text);
  const [key, value, ...headers] = fields;
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    encoding: binary ? "base64" : "text",
    key: binary ? r.key : text(key!, r.key),
    value: binary ? r.value : text(value!, r.value),
    headers: r.headers.map((h, i) => ({ key: h.key, value: binary ? h.value : text(headers[i]!, h.value) })),
  };
}

/** A rate per second between two samples of a growing total; null before two samples, or when the total went down. */
export function ratePerSecond(previous: { atMs: number; total: number } | undefined, current: { atMs: number; total: number }): number | null {
  if (previous === undefined) return null;
  const seconds = (current.atMs - previous.atMs) / 1000;
  const delta = current.total - previous.total;
  if (seconds <= 0 || delta < 0) return null;
  return delta / seconds;
}

/** Header lines "key: value" (or "key=value") as produce headers; blank lines are skipped. */
export function parseHeaderLines(text: string): { key: string; value: string }[] {
  const headers: { key: string; value: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const at = line.search(/[:=]/);
    if (at <= 0) throw new Error(`header line '${line}' needs the form key: value`);
    headers.push({ key: line.slice(0, at).trim(), value: line.slice(at + 1).trim() });
  }
  return headers;
}

// ---- the message browser's paging ----------------------------------------------------------------------------

export interface PartitionRange {
  logStartOffset: number;
  highWatermark: number;
}

/** The first offset of the page that shows the newest `n` records. */
export function newestStart(range: PartitionRange, n: number): number {
  return Math.max(range.logStartOffset, range.highWatermark - n);
}

/** The first offset of the page before one that starts at `start`; null on the first page. */
export function previousStart(range: PartitionRange, start: number, n: number): number | null {
  if (start <= range.logStartOffset) return null;
  return Math.max(range.logStartOffset, start - n);
}

/** The first offset of the page after one that ended before `nextOffset`; null when that page reached the end. */
export function nextStart(range: PartitionRange, nextOffset: number): number | null {
  return nextOffset >= range.highWatermark ? null : nextOffset;
}

/** Records whose key (decoded) contains `needle`; all when the needle is empty. */
export function filterByKey<T extends { key: string | null }>(records: T[], needle: string): T[] {
  if (needle === "") return records;
  return records.filter((r) => {
    const key = decodeBytes(r.key);
    return key.kind === "text" || key.kind === "json" ? key.text.includes(needle) : false;
  });
}

/** Keeps the newest `max` rows of a tail: drops from the front. */
export function bounded<T>(rows: T[], max: number): T[] {
  return rows.length > max ? rows.slice(rows.length - max) : rows;
}

type ShareCounts = Pick<SharePartitionStatus, "topic" | "inFlight" | "deadLettersPending">;

/** A share group's share-partitions summed for its row in the list: records in flight by state, dead letters still to
 *  write, and the topics polled so far (sorted, once each). */
export function shareTotals(partitions: ShareCounts[]): { available: number; acquired: number; archiving: number; deadLettersPending: number; topics: string[] } {
  const sum = (f: (p: ShareCounts) => number) => partitions.reduce((s, p) => s + f(p), 0);
  return {
    available: sum((p) => p.inFlight.available),
    acquired: sum((p) => p.inFlight.acquired),
    archiving: sum((p) => p.inFlight.archiving),
    deadLettersPending: sum((p) => p.deadLettersPending),
    topics: [...new Set(partitions.map((p) => p.topic))].sort(),
  };
}
