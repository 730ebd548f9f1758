// The binary fetch answer, `application/vnd.edgelog.records.v1` (docs/api.md has the layout byte by byte): fixed
// header, a table of record lengths, then the records as the stored batches hold them (UTF-8 JSON objects, one comma
// between two records). The partition builds it from the same stored slices a JSON fetch copies, plus one uint32 per
// record, so serving it costs no more than JSON; the reader finds each record by the table instead of parsing the
// whole answer, and builds a record's strings only when they are read (FrameRecord). Pure: the client uses it too.
import type { Encoding, Header } from "./record";

export const RECORDS_MEDIA_TYPE = "application/vnd.edgelog.records.v1";

/** "ELR" and the format version. */
const MAGIC = [0x45, 0x4c, 0x52, 0x01] as const;
export const FRAME_HEADER_BYTES = 44;
const FLAG_LAST_STABLE_OFFSET = 1;
const FLAG_BASE64 = 2;
const KNOWN_FLAGS = FLAG_LAST_STABLE_OFFSET | FLAG_BASE64;
const COMMA = 0x2c;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export interface FrameMeta {
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
  /** Present under read_committed. */
  lastStableOffset?: number | undefined;
  encoding: Encoding;
}

/** Records [first, first + count) of a run whose record i starts at positions[i] (a stored batch's layout); `bytes`
 *  holds exactly those records, commas between them, starting at positions[first]. */
export interface FramePiece {
  bytes: Uint8Array;
  positions: Uint32Array;
  first: number;
  count: number;
}

/** Lays out a binary fetch answer from record slices: one copy per piece, one length per record. */
export function encodeRecordFrame(pieces: readonly FramePiece[], meta: FrameMeta): Uint8Array {
  let recordCount = 0;
  let recordBytes = Math.max(0, pieces.length - 1);
  for (const p of pieces) {
    recordCount += p.count;
    recordBytes += p.bytes.length;
  }
  const tableEnd = FRAME_HEADER_BYTES + 4 * recordCount;
  const out = new Uint8Array(tableEnd + recordBytes);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = (meta.lastStableOffset === undefined ? 0 : FLAG_LAST_STABLE_OFFSET) | (meta.encoding === "base64" ? FLAG_BASE64 : 0);
  view.setFloat64(8, meta.nextOffset, true);
  view.setFloat64(16, meta.highWatermark, true);
  view.setFloat64(24, meta.logStartOffset, true);
  view.setFloat64(32, meta.lastStableOffset ?? -1, true);
  view.setUint32(40, recordCount, true);
  let entry = FRAME_HEADER_BYTES;
  let pos = tableEnd;
  pieces.forEach((p, k) => {
    const base = p.positions[p.first]!;
    for (let j = 0; j < p.count; j++) {
      const start = p.positions[p.first + j]! - base;
      const end = j + 1 < p.count ? p.positions[p.first + j + 1]! - base - 1 : p.bytes.length;
      view.setUint32(entry, end - start, true);
      entry += 4;
    }
    if (k > 0) out[pos++] = COMMA;
    out.set(p.bytes, pos);
    pos += p.bytes.length;
  });
  return out;
}

/** A binary fetch answer that is not one: truncated, or bytes that do not follow the layout. */
export class RecordFrameError extends Error {
  override name = "RecordFrameError";
}

export interface DecodedFrame extends FrameMeta {
  records: FrameRecord[];
}

/**
 * Checks the whole layout (header, table, separators, every record's braces) before returning anything, so a truncated
 * or corrupt answer is an error, never a short or shifted list of records. Records are not parsed here.
 */
export function decodeRecordFrame(input: Uint8Array | ArrayBuffer): DecodedFrame {
  const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
  if (bytes.length < FRAME_HEADER_BYTES) throw new RecordFrameError(`record frame is ${bytes.length} bytes, shorter than its ${FRAME_HEADER_BYTES}-byte header`);
  for (let i = 0; i < 3; i++) if (bytes[i] !== MAGIC[i]) throw new RecordFrameError(`not a record frame: it does not start with "ELR"`);
  if (bytes[3] !== MAGIC[3]) throw new RecordFrameError(`record frame version ${bytes[3]} is not supported (this reader knows version ${MAGIC[3]})`);
  const flags = bytes[4]!;
  if ((flags & ~KNOWN_FLAGS) !== 0 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new RecordFrameError(`record frame has unknown flags ${flags}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const number = (at: number, name: string, allowMinusOne = false) => {
    const n = view.getFloat64(at, true);
    if (!(Number.isSafeInteger(n) && (n >= 0 || (allowMinusOne && n === -1)))) throw new RecordFrameError(`record frame's ${name} is ${n}, not an offset`);
    return n;
  };
  const meta: FrameMeta = {
    nextOffset: number(8, "nextOffset"),
    highWatermark: number(16, "highWatermark"),
    logStartOffset: number(24, "logStartOffset"),
    encoding: flags & FLAG_BASE64 ? "base64" : "text",
  };
  const lso = number(32, "lastStableOffset", true);
  if (flags & FLAG_LAST_STABLE_OFFSET) {
    if (lso === -1) throw new RecordFrameError("record frame flags a lastStableOffset but carries -1");
    meta.lastStableOffset = lso;
  }
  const count = view.getUint32(40, true);
  const tableEnd = FRAME_HEADER_BYTES + 4 * count;
  if (tableEnd > bytes.length) throw new RecordFrameError(`record frame is truncated: ${count} records need a ${4 * count}-byte length table, ${bytes.length - FRAME_HEADER_BYTES} bytes follow the header`);
  const records = new Array<FrameRecord>(count);
  let pos = tableEnd;
  for (let i = 0; i < count; i++) {
    if (i > 0) {
      if (bytes[pos] !== COMMA) throw new RecordFrameError(pos >= bytes.length ? `record frame is truncated before record ${i}` : `record frame has byte ${bytes[pos]} at ${pos} where a comma separates records ${i - 1} and ${i}`);
      pos++;
    }
    const length = view.getUint32(FRAME_HEADER_BYTES + 4 * i, true);
    const end = pos + length;
    if (end > bytes.length) throw new RecordFrameError(`record frame is truncated: record ${i} needs ${length} bytes at ${pos}, the frame ends at ${bytes.length}`);
    if (length < 2 || bytes[pos] !== OPEN_BRACE || bytes[end - 1] !== CLOSE_BRACE) throw new RecordFrameError(`record frame's record ${i} (bytes ${pos}-${end}) is not a JSON object`);
    records[i] = new FrameRecord(bytes, pos, end);
    pos = end;
  }
  if (pos !== bytes.length) throw new RecordFrameError(`record frame has ${bytes.length - pos} bytes after its ${count} records`);
  return { ...meta, records };
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const OFFSET_PREFIX = bytesOf('{"offset":');
const TIMESTAMP_PREFIX = bytesOf(',"timestamp":');
const KEY_PREFIX = bytesOf(',"key":');
const VALUE_PREFIX = bytesOf(',"value":');
const HEADERS_PREFIX = bytesOf(',"headers":');
const NULL = bytesOf("null");
const EMPTY_ARRAY = bytesOf("[]");

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Where a record's fields lie in the frame, found by one scan of the record (no strings built). */
interface Layout {
  offset: number;
  timestamp: number;
  /** [start, end) of the key's and value's JSON (a string with its quotes, or null), and of the headers array. */
  key: [number, number];
  value: [number, number];
  headers: [number, number];
}

/**
 * One record of a binary fetch answer. Offset and timestamp come from one scan of the record's bytes, done at the first
 * read of any field; key, value and headers become strings at their own first read (a string without escapes is one
 * UTF-8 decode of its bytes, no JSON parse). A record the scan does not recognize (a layout this reader does not know)
 * is parsed as the JSON it is. toJSON() gives the plain record.
 */
export class FrameRecord {
  // Private (#) so that a spread or Object.keys sees only what a caller added (a consumer adds topic and partition).
  readonly #bytes: Uint8Array;
  readonly #start: number;
  readonly #end: number;
  #layout: Layout | undefined;
  #parsed: PlainRecord | undefined;
  #key: string | null | undefined;
  #value: string | null | undefined;
  #headers: Header[] | undefined;

  constructor(bytes: Uint8Array, start: number, end: number) {
    this.#bytes = bytes;
    this.#start = start;
    this.#end = end;
  }

  get offset(): number {
    return this.#parsed?.offset ?? this.#scan().offset;
  }
  get timestamp(): number {
    return this.#parsed?.timestamp ?? this.#scan().timestamp;
  }
  get key(): string | null {
    if (this.#key === undefined) {
      const layout = this.#scan();
      this.#key = this.#parsed ? this.#parsed.key : this.#stringAt(layout.key, "key");
    }
    return this.#key;
  }
  get value(): string | null {
    if (this.#value === undefined) {
      const layout = this.#scan();
      this.#value = this.#parsed ? this.#parsed.value : this.#stringAt(layout.value, "value");
    }
    return this.#value;
  }
  get headers(): Header[] {
    if (this.#headers === undefined) {
      const [s, e] = this.#scan().headers;
      if (this.#parsed) this.#headers = this.#parsed.headers;
      else this.#headers = e === s + 2 && matches(this.#bytes, s, EMPTY_ARRAY) ? [] : (this.#json(s, e, "headers") as Header[]);
    }
    return this.#headers;
  }

  /** The plain record, with anything a caller added to this object (a consumer's topic and partition). */
  toJSON(): PlainRecord & Record<string, unknown> {
    return { ...(this as unknown as Record<string, unknown>), offset: this.offset, timestamp: this.timestamp, key: this.key, value: this.value, headers: this.headers };
  }

  #scan(): Layout {
    if (this.#layout) return this.#layout;
    if (this.#parsed) return { offset: this.#parsed.offset, timestamp: this.#parsed.timestamp, key: [0, 0], value: [0, 0], headers: [0, 0] };
    const layout = scanRecord(this.#bytes, this.#start, this.#end);
    if (layout !== undefined) return (this.#layout = layout);
    // Not the stored layout: read it as plain JSON (and check it is a record).
    const record = this.#json(this.#start, this.#end, "record") as Record<string, unknown>;
    if (!isRecord(record)) throw new RecordFrameError(`record frame has a record that is not {offset, timestamp, key, value, headers} at byte ${this.#start}`);
    this.#parsed = record;
    return { offset: record.offset, timestamp: record.timestamp, key: [0, 0], value: [0, 0], headers: [0, 0] };
  }

  #stringAt([s, e]: [number, number], what: string): string | null {
    if (this.#bytes[s] !== QUOTE) return null; // the scan accepted only a string or null
    for (let i = s + 1; i < e - 1; i++) if (this.#bytes[i] === BACKSLASH) return this.#json(s, e, what) as string;
    try {
      return utf8.decode(this.#bytes.subarray(s + 1, e - 1));
    } catch (error) {
      throw new RecordFrameError(`record frame's ${what} at bytes ${s}-${e} is not valid UTF-8: ${(error as Error).message}`);
    }
  }

  #json(s: number, e: number, what: string): unknown {
    try {
      return JSON.parse(utf8.decode(this.#bytes.subarray(s, e)));
    } catch (error) {
      throw new RecordFrameError(`record frame's ${what} at bytes ${s}-${e} is not valid UTF-8 JSON: ${(error as Error).message}`);
    }
  }
}

interface PlainRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Header[];
}

function isRecord(r: unknown): r is PlainRecord {
  if (typeof r !== "object" || r === null) return false;
  const x = r as Record<string, unknown>;
  const text = (v: unknown) => v === null || typeof v === "string";
  return Number.isSafeInteger(x.offset) && Number.isSafeInteger(x.timestamp) && text(x.key) && text(x.value) && Array.isArray(x.headers);
}

function matches(bytes: Uint8Array, at: number, literal: Uint8Array): boolean {
  if (at + literal.length > bytes.length) return false;
  for (let i = 0; i < literal.length; i++) if (bytes[at + i] !== literal[i]) return false;
  return true;
}

/** `{"offset":D,"timestamp":D,"key":S,"value":S,"headers":[...]}` exactly as stored, or undefined. */
function scanRecord(bytes: Uint8Array, start: number, end: number): Layout | undefined {
  if (!matches(bytes, start, OFFSET_PREFIX)) return undefined;
  let pos = start + OFFSET_PREFIX.length;
  const offsetEnd = digitsEnd(bytes, pos, end);
  if (offsetEnd === pos || offsetEnd - pos > 16) return undefined;
  const offset = digitsValue(bytes, pos, offsetEnd);
  if (!matches(bytes, offsetEnd, TIMESTAMP_PREFIX)) return undefined;
  pos = offsetEnd + TIMESTAMP_PREFIX.length;
  const tsEnd = digitsEnd(bytes, pos, end);
  if (tsEnd === pos || tsEnd - pos > 16) return undefined;
  const timestamp = digitsValue(bytes, pos, tsEnd);
  if (!matches(bytes, tsEnd, KEY_PREFIX)) return undefined;
  pos = tsEnd + KEY_PREFIX.length;
  const keyEnd = stringOrNullEnd(bytes, pos, end);
  if (keyEnd === undefined || !matches(bytes, keyEnd, VALUE_PREFIX)) return undefined;
  const key: [number, number] = [pos, keyEnd];
  pos = keyEnd + VALUE_PREFIX.length;
  const valueEnd = stringOrNullEnd(bytes, pos, end);
  if (valueEnd === undefined || !matches(bytes, valueEnd, HEADERS_PREFIX)) return undefined;
  const value: [number, number] = [pos, valueEnd];
  pos = valueEnd + HEADERS_PREFIX.length;
  // The headers array runs to the record's closing brace.
  if (bytes[pos] !== 0x5b || bytes[end - 2] !== 0x5d) return undefined;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(timestamp)) return undefined;
  return { offset, timestamp, key, value, headers: [pos, end - 1] };
}

function digitsEnd(bytes: Uint8Array, pos: number, end: number): number {
  while (pos < end && bytes[pos]! >= 48 && bytes[pos]! <= 57) pos++;
  return pos;
}

function digitsValue(bytes: Uint8Array, from: number, to: number): number {
  if (to - from > 1 && bytes[from] === 48) return NaN; // JSON has no leading zeros
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (bytes[i]! - 48);
  return n;
}

/** End (exclusive) of the JSON string or null starting at `pos`, or undefined. */
function stringOrNullEnd(bytes: Uint8Array, pos: number, end: number): number | undefined {
  if (matches(bytes, pos, NULL)) return pos + 4 <= end ? pos + 4 : undefined;
  if (bytes[pos] !== QUOTE) return undefined;
  for (let i = pos + 1; i < end; i++) {
    const b = bytes[i];
    if (b === BACKSLASH) i++;
    else if (b === QUOTE) return i + 1;
  }
  return undefined;
}
