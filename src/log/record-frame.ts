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
  // The table is 4-byte aligned in a fresh buffer; lengths are little-endian as stored positions are (log/batch.ts).
  const table = new Uint32Array(out.buffer, FRAME_HEADER_BYTES, recordCount);
  let entry = 0;
  let pos = tableEnd;
  for (let k = 0; k < pieces.length; k++) {
    const { bytes, positions, first, count } = pieces[k]!;
    const last = first + count - 1;
    for (let i = first; i < last; i++) table[entry++] = positions[i + 1]! - positions[i]! - 1;
    table[entry++] = bytes.length - (positions[last]! - positions[first]!);
    if (k > 0) out[pos++] = COMMA;
    out.set(bytes, pos);
    pos += bytes.length;
  }
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
  const source = new FrameSource(bytes, tableEnd);
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
    records[i] = new FrameRecord(source, pos, end);
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

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * What the records of one answer share: their bytes, and, from the first string read on, the records section decoded
 * once. A field is then a slice of that text when the section is ASCII (byte positions are character positions), which
 * costs far less than a UTF-8 decode per field; and when the section has no backslash at all, no field needs JSON's
 * unescaping. (A slice keeps the answer's text alive as long as the field is.)
 */
class FrameSource {
  #text: string | undefined;
  /** Whether the records section is all ASCII, and whether it holds any backslash; known once text() ran. */
  ascii = false;
  escapes = true;

  constructor(
    readonly bytes: Uint8Array,
    /** Where the records section starts. */
    readonly base: number,
  ) {}

  text(): string {
    if (this.#text === undefined) {
      const section = this.bytes.subarray(this.base);
      try {
        this.#text = utf8.decode(section);
      } catch (error) {
        throw new RecordFrameError(`record frame's records are not valid UTF-8: ${(error as Error).message}`);
      }
      this.ascii = this.#text.length === section.length;
      this.escapes = this.#text.indexOf("\\") !== -1;
    }
    return this.#text;
  }

  /** The JSON string or null at bytes [s, e). */
  string(s: number, e: number, what: string): string | null {
    if (this.bytes[s] !== QUOTE) return null; // the scan accepted only a string or null
    const text = this.text();
    if (this.escapes && this.bytes.subarray(s, e).indexOf(BACKSLASH) !== -1) return this.json(s, e, what) as string;
    if (this.ascii) return text.slice(s + 1 - this.base, e - 1 - this.base);
    return utf8.decode(this.bytes.subarray(s + 1, e - 1)); // valid: the whole section decoded
  }

  json(s: number, e: number, what: string): unknown {
    try {
      return JSON.parse(utf8.decode(this.bytes.subarray(s, e)));
    } catch (error) {
      throw new RecordFrameError(`record frame's ${what} at bytes ${s}-${e} is not valid UTF-8 JSON: ${(error as Error).message}`);
    }
  }
}

/** Where a record's key, value and headers lie in the frame: [start, end) of the key's and value's JSON (a string
 *  with its quotes, or null), and of the headers array. */
interface Layout {
  key: number;
  keyEnd: number;
  value: number;
  valueEnd: number;
  headers: number;
}

interface PlainRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Header[];
}

/**
 * One record of a binary fetch answer. Offset and timestamp are read from the record's first bytes at their first read;
 * key, value and headers become strings at their own first read (see FrameSource). A record the scan does not recognize
 * (a layout this reader does not know) is parsed as the JSON it is. toJSON() gives the plain record.
 */
export class FrameRecord {
  // Private (#) so that a spread or Object.keys sees only what a caller added (a consumer adds topic and partition).
  readonly #source: FrameSource;
  readonly #start: number;
  readonly #end: number;
  #offset = -1;
  #timestamp = -1;
  /** Where the timestamp's digits end (0: not read yet). */
  #stampEnd = 0;
  #layout: Layout | undefined;
  #parsed: PlainRecord | undefined;
  #key: string | null | undefined;
  #value: string | null | undefined;
  #headers: Header[] | undefined;

  constructor(source: FrameSource, start: number, end: number) {
    this.#source = source;
    this.#start = start;
    this.#end = end;
  }

  get offset(): number {
    if (this.#stampEnd === 0) this.#stamp();
    return this.#offset;
  }
  get timestamp(): number {
    if (this.#stampEnd === 0) this.#stamp();
    return this.#timestamp;
  }
  get key(): string | null {
    if (this.#key === undefined) {
      const layout = this.#scan();
      this.#key = this.#parsed ? this.#parsed.key : this.#source.string(layout.key, layout.keyEnd, "key");
    }
    return this.#key;
  }
  get value(): string | null {
    if (this.#value === undefined) {
      const layout = this.#scan();
      this.#value = this.#parsed ? this.#parsed.value : this.#source.string(layout.value, layout.valueEnd, "value");
    }
    return this.#value;
  }
  get headers(): Header[] {
    if (this.#headers === undefined) {
      const layout = this.#scan();
      const bytes = this.#source.bytes;
      const s = layout.headers;
      if (this.#parsed) this.#headers = this.#parsed.headers;
      else if (bytes[s + 1] === 0x5d && s + 3 === this.#end) this.#headers = []; // "[]}"
      else this.#headers = this.#source.json(s, this.#end - 1, "headers") as Header[];
    }
    return this.#headers;
  }

  /** The plain record, with anything a caller added to this object (a consumer's topic and partition). */
  toJSON(): PlainRecord & Record<string, unknown> {
    return { ...(this as unknown as Record<string, unknown>), offset: this.offset, timestamp: this.timestamp, key: this.key, value: this.value, headers: this.headers };
  }

  /** `{"offset":D,"timestamp":D` as stored; anything else is read as JSON. */
  #stamp(): void {
    const bytes = this.#source.bytes;
    const end = this.#end;
    let pos = this.#start + OFFSET_PREFIX.length;
    const offsetEnd = matches(bytes, this.#start, OFFSET_PREFIX) ? digitsEnd(bytes, pos, end) : pos;
    const offset = digitsValue(bytes, pos, offsetEnd);
    pos = offsetEnd + TIMESTAMP_PREFIX.length;
    const tsEnd = matches(bytes, offsetEnd, TIMESTAMP_PREFIX) ? digitsEnd(bytes, pos, end) : pos;
    const timestamp = digitsValue(bytes, pos, tsEnd);
    if (Number.isSafeInteger(offset) && Number.isSafeInteger(timestamp) && matches(bytes, tsEnd, KEY_PREFIX)) {
      this.#offset = offset;
      this.#timestamp = timestamp;
      this.#stampEnd = tsEnd;
      return;
    }
    const parsed = this.#parse();
    this.#offset = parsed.offset;
    this.#timestamp = parsed.timestamp;
    this.#stampEnd = -1;
  }

  #scan(): Layout {
    if (this.#layout) return this.#layout;
    if (this.#stampEnd === 0) this.#stamp();
    const layout = this.#stampEnd > 0 ? scanFields(this.#source.bytes, this.#stampEnd + KEY_PREFIX.length, this.#end) : undefined;
    if (layout === undefined) this.#parse();
    return (this.#layout = layout ?? { key: 0, keyEnd: 0, value: 0, valueEnd: 0, headers: 0 });
  }

  /** Not the stored layout: the record read as plain JSON (and checked to be a record). */
  #parse(): PlainRecord {
    if (this.#parsed) return this.#parsed;
    const record = this.#source.json(this.#start, this.#end, "record");
    if (!isRecord(record)) throw new RecordFrameError(`record frame has a record that is not {offset, timestamp, key, value, headers} at byte ${this.#start}`);
    return (this.#parsed = record);
  }
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

/** `S,"value":S,"headers":[...]}` from `pos` (just after `"key":`) as stored, or undefined. */
function scanFields(bytes: Uint8Array, pos: number, end: number): Layout | undefined {
  const keyEnd = stringOrNullEnd(bytes, pos, end);
  if (keyEnd === undefined || !matches(bytes, keyEnd, VALUE_PREFIX)) return undefined;
  const value = keyEnd + VALUE_PREFIX.length;
  const valueEnd = stringOrNullEnd(bytes, value, end);
  if (valueEnd === undefined || !matches(bytes, valueEnd, HEADERS_PREFIX)) return undefined;
  const headers = valueEnd + HEADERS_PREFIX.length;
  // The headers array runs to the record's closing brace.
  if (bytes[headers] !== 0x5b || bytes[end - 2] !== 0x5d) return undefined;
  return { key: pos, keyEnd, value, valueEnd, headers };
}

function digitsEnd(bytes: Uint8Array, pos: number, end: number): number {
  const stop = Math.min(end, pos + 17); // 16 digits at most: a longer run is not a safe integer
  while (pos < stop && bytes[pos]! >= 48 && bytes[pos]! <= 57) pos++;
  return pos;
}

function digitsValue(bytes: Uint8Array, from: number, to: number): number {
  if (to === from || to - from > 16 || (to - from > 1 && bytes[from] === 48)) return NaN; // JSON has no leading zeros
  let n = 0;
  for (let i = from; i < to; i++) n = n * 10 + (bytes[i]! - 48);
  return n;
}

/** End (exclusive) of the JSON string or null starting at `pos`, or undefined. Quotes are found natively (indexOf);
 *  a quote after an odd run of backslashes is escaped. */
function stringOrNullEnd(bytes: Uint8Array, pos: number, end: number): number | undefined {
  if (bytes[pos] === 0x6e) return matches(bytes, pos, NULL) && pos + 4 <= end ? pos + 4 : undefined;
  if (bytes[pos] !== QUOTE) return undefined;
  for (let i = pos + 1; ; i++) {
    i = bytes.indexOf(QUOTE, i);
    if (i === -1 || i >= end) return undefined;
    let backslashes = 0;
    while (bytes[i - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return i + 1;
  }
}
