// The stored record batch: one SQLite row holds a run of consecutive records as UTF-8 JSON objects joined by
// commas (exactly the bytes a fetch serves inside "records":[...]) plus the byte position where each record
// starts. A fetch copies whole batches and slices only the batches at its two ends; nothing is parsed unless a
// reader asks for the other encoding. Positions are little-endian uint32 (every Workers host is little-endian).
import { base64ToText, textToBase64 } from "./base64";
import type { Encoding, Header } from "./record";

export const ENCODING_CODE: Record<Encoding, number> = { text: 0, base64: 1 };
export const ENCODING_BY_CODE: readonly Encoding[] = ["text", "base64"];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
const COMMA = 0x2c;

export interface BuiltBatch {
  bytes: Uint8Array;
  positions: Uint32Array;
  maxTimestamp: number;
  /** Records tails[from, to) went into this batch. */
  to: number;
}

/**
 * Stamps offsets baseOffset.. and timestamps onto tails[from..] and lays them out as one stored batch of at most
 * maxBytes UTF-8 bytes (measured exactly, as encoded), always at least one record. The caller starts the next
 * batch at `to`.
 */
export function buildBatch(baseOffset: number, timestamps: readonly number[], tails: readonly string[], from: number, maxBytes: number): BuiltBatch {
  let bytes = new Uint8Array(Math.min(maxBytes, 64 * 1024) + 256);
  const positions: number[] = [];
  let pos = 0;
  let maxTimestamp = -1;
  let i = from;
  for (; i < tails.length; i++) {
    const text = `{"offset":${baseOffset + (i - from)},"timestamp":${timestamps[i]},${tails[i]}`;
    const need = pos + 1 + text.length * 3; // UTF-8 needs at most 3 bytes per UTF-16 unit
    if (need > bytes.length) {
      const grown = new Uint8Array(Math.max(need, bytes.length * 2));
      grown.set(bytes.subarray(0, pos));
      bytes = grown;
    }
    const start = i > from ? pos + 1 : pos;
    const { written } = utf8Encoder.encodeInto(text, bytes.subarray(start));
    if (i > from && start + written > maxBytes) break; // this record starts the next batch
    if (i > from) bytes[pos] = COMMA;
    positions.push(start);
    pos = start + written;
    if (timestamps[i]! > maxTimestamp) maxTimestamp = timestamps[i]!;
  }
  return { bytes: bytes.slice(0, pos), positions: Uint32Array.from(positions), maxTimestamp, to: i };
}

/** Byte range [start, end) of records [first, last] of a stored batch, without the separating commas. */
export function recordRange(positions: Uint32Array, totalBytes: number, first: number, last: number): [number, number] {
  const start = positions[first]!;
  const end = last + 1 < positions.length ? positions[last + 1]! - 1 : totalBytes;
  return [start, end];
}

/** Size in bytes of record i of a stored batch (its JSON, without the comma). */
export function recordSize(positions: Uint32Array, totalBytes: number, i: number): number {
  const [start, end] = recordRange(positions, totalBytes, i, i);
  return end - start;
}

export interface FetchedRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Header[];
}

/** Parses stored record JSON (comma-joined objects). Used off the hot path: transcoding, time lookups, RPC. */
export function parseRecords(bytes: Uint8Array): FetchedRecord[] {
  if (bytes.length === 0) return [];
  return JSON.parse(`[${utf8Decoder.decode(bytes)}]`) as FetchedRecord[];
}

/** Re-encodes stored record JSON from one encoding to the other (text <-> base64). */
export function transcodeRecords(bytes: Uint8Array, from: Encoding, to: Encoding): Uint8Array {
  if (from === to || bytes.length === 0) return bytes;
  const convert = to === "base64" ? textToBase64 : base64ToText;
  const records = parseRecords(bytes).map((r) => ({
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : convert(r.key),
    value: r.value === null ? null : convert(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : convert(h.value) })),
  }));
  const json = JSON.stringify(records);
  return utf8Encoder.encode(json.slice(1, -1));
}

/** Joins byte pieces with commas between them, between a prefix and a suffix, into one buffer. */
export function joinJson(prefix: string, pieces: readonly Uint8Array[], suffix: string): Uint8Array {
  const head = utf8Encoder.encode(prefix);
  const tail = utf8Encoder.encode(suffix);
  let total = head.length + tail.length + Math.max(0, pieces.length - 1);
  for (const p of pieces) total += p.length;
  const out = new Uint8Array(total);
  out.set(head, 0);
  let pos = head.length;
  pieces.forEach((p, i) => {
    if (i > 0) out[pos++] = COMMA;
    out.set(p, pos);
    pos += p.length;
  });
  out.set(tail, pos);
  return out;
}
