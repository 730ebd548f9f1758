// The stored record batch: one SQLite row holds a run of consecutive records as UTF-8 JSON objects joined by
// commas (exactly the bytes a fetch serves inside "records":[...]) plus the byte position where each record
// starts. A fetch copies whole batches and slices only the batches at its two ends; nothing is parsed unless a
// reader asks for the other encoding. Positions are little-endian uint32 (every Workers host is little-endian).
import { base64ToText, textToBase64, utf8ByteLength } from "./base64";
import type { Encoding, Header } from "./record";
import { OFFSET_PREFIX as OFFSET_PREFIX_TEXT, TIMESTAMP_PREFIX as TIMESTAMP_PREFIX_TEXT } from "./stamp";

export const ENCODING_CODE: Record<Encoding, number> = { text: 0, base64: 1 };
export const ENCODING_BY_CODE: readonly Encoding[] = ["text", "base64"];

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
const COMMA = 0x2c;

export interface BuiltBatch {
  bytes: Uint8Array;
  positions: Uint32Array;
  maxTimestamp: number;
}

/**
 * Record tails (see log/record.ts) as UTF-8, back to back: record i is bytes[ends[i - 1] ?? 0, ends[i]). The router
 * packs them so the partition object, the per-partition bottleneck, only copies bytes: one typed array crosses RPC
 * as a memcpy where a thousand strings cost a thousand serializations, and no per-record string is built there.
 */
export interface PackedTails {
  bytes: Uint8Array;
  ends: Uint32Array;
}

export function packTails(tails: readonly string[]): PackedTails {
  const ends = new Uint32Array(tails.length);
  const joined = tails.join("");
  const bytes = utf8Encoder.encode(joined);
  if (bytes.length === joined.length) {
    // All ASCII (the common case): one byte per UTF-16 unit, so string lengths are byte lengths.
    let end = 0;
    for (let i = 0; i < tails.length; i++) ends[i] = end += tails[i]!.length;
    return { bytes, ends };
  }
  const out = new Uint8Array(bytes.length);
  let pos = 0;
  for (let i = 0; i < tails.length; i++) {
    pos += utf8Encoder.encodeInto(tails[i]!, out.subarray(pos)).written;
    ends[i] = pos;
  }
  return { bytes: out, ends };
}

// Re-exported for the partition, which sizes rows with it (partition/local-log.ts imports it from here).

const OFFSET_PREFIX = utf8Encoder.encode(OFFSET_PREFIX_TEXT);
const TIMESTAMP_PREFIX = utf8Encoder.encode(TIMESTAMP_PREFIX_TEXT);

/** Number of decimal digits of a non-negative safe integer (comparisons only: division is slow here). */
function decimalLength(n: number): number {
  let len = 1;
  for (let p = 10; n >= p && len < 16; p *= 10) len++;
  return len;
}

/**
 * A decimal number kept as ASCII digits, so consecutive offsets cost one increment each and a repeated timestamp
 * (records of one request usually share one) costs nothing: the stamping loop does no division per record.
 */
class Digits {
  readonly digits = new Uint8Array(16);
  start = 16;
  value = -1;

  set(n: number): void {
    if (n === this.value) return;
    this.value = n;
    let i = 16;
    do {
      const q = Math.floor(n / 10);
      this.digits[--i] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
    this.start = i;
  }

  increment(): void {
    this.value++;
    let i = 15;
    while (i >= this.start && this.digits[i] === 57) this.digits[i--] = 48;
    if (i >= this.start) this.digits[i]!++;
    else this.digits[(this.start = i)] = 49;
  }

  get length(): number {
    return 16 - this.start;
  }

  writeTo(out: Uint8Array, pos: number): number {
    for (let i = this.start; i < 16; i++) out[pos++] = this.digits[i]!;
    return pos;
  }
}

/** Total decimal digits of the integers first..last (>= 0), by digit-count ranges. */
function digitsInRange(first: number, last: number): number {
  let total = 0;
  for (let len = decimalLength(first), low = first; low <= last; len++) {
    const high = Math.min(last, 10 ** len - 1);
    total += (high - low + 1) * len;
    low = high + 1;
  }
  return total;
}

/**
 * Stamps offsets baseOffset.. and timestamps onto records [from, to) of packed tails and lays them out as one
 * stored batch. Sized exactly first, so the row stores the buffer as built; the tails are copied, never decoded.
 */
export function buildBatch(baseOffset: number, timestamps: ArrayLike<number>, tails: PackedTails, from: number, to: number): BuiltBatch {
  const { bytes: tailBytes, ends } = tails;
  const start = from === 0 ? 0 : ends[from - 1]!;
  const count = to - from;
  let size = ends[to - 1]! - start + (count - 1); // tails, and the commas between records
  size += count * (OFFSET_PREFIX.length + TIMESTAMP_PREFIX.length + 1) + digitsInRange(baseOffset, baseOffset + count - 1);
  let maxTimestamp = -1;
  let lastTs = -1;
  let lastTsLength = 0;
  for (let i = from; i < to; i++) {
    const ts = timestamps[i]!;
    if (ts > maxTimestamp) maxTimestamp = ts;
    if (ts !== lastTs) lastTsLength = decimalLength((lastTs = ts));
    size += lastTsLength;
  }
  const bytes = new Uint8Array(size);
  const positions = new Uint32Array(count);
  const offset = new Digits();
  const timestamp = new Digits();
  offset.set(baseOffset);
  let pos = 0;
  let tailStart = start;
  for (let i = from; i < to; i++) {
    if (i > from) {
      bytes[pos++] = COMMA;
      offset.increment();
    }
    positions[i - from] = pos;
    bytes.set(OFFSET_PREFIX, pos);
    pos = offset.writeTo(bytes, pos + OFFSET_PREFIX.length);
    bytes.set(TIMESTAMP_PREFIX, pos);
    timestamp.set(timestamps[i]!);
    pos = timestamp.writeTo(bytes, pos + TIMESTAMP_PREFIX.length);
    bytes[pos++] = COMMA;
    const tailEnd = ends[i]!;
    bytes.set(tailBytes.subarray(tailStart, tailEnd), pos);
    pos += tailEnd - tailStart;
    tailStart = tailEnd;
  }
  if (pos !== size) throw new Error(`assertion failed: stored batch is ${pos} bytes, sized ${size}`);
  return { bytes, positions, maxTimestamp };
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
  return from === to ? bytes : transcodeIndexed(bytes, from, to).bytes;
}

/** transcodeRecords, and where each record of the result starts (a stored batch's positions). */
export function transcodeIndexed(bytes: Uint8Array, from: Encoding, to: Encoding): { bytes: Uint8Array; positions: Uint32Array } {
  if (bytes.length === 0) return { bytes, positions: new Uint32Array(0) };
  const convert = to === "base64" ? textToBase64 : base64ToText;
  const records = parseRecords(bytes).map((r) =>
    JSON.stringify({
      offset: r.offset,
      timestamp: r.timestamp,
      key: r.key === null ? null : convert(r.key),
      value: r.value === null ? null : convert(r.value),
      headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : convert(h.value) })),
    }),
  );
  const out = utf8Encoder.encode(records.join(","));
  const starts = new Uint32Array(records.length);
  // Base64 is ASCII; the text side may not be, so count bytes per record.
  let pos = 0;
  records.forEach((r, i) => {
    starts[i] = pos;
    pos += utf8ByteLength(r) + 1;
  });
  return { bytes: out, positions: starts };
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
