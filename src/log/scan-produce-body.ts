// A single-pass reader for the JSON produce body ({records, acks?, encoding?, producer?, transaction?}): validates the
// JSON text and slices each record's key and value out of it, so the common record (string or null key and value, no
// escapes, no headers) costs no object graph and no JSON.stringify. The stored tail is built from the request's own
// text: a JSON string literal without a backslash or a lone surrogate is exactly what JSON.stringify writes for it.
//
// It never decides an error. Anything it does not cover returns undefined, and the caller takes the JSON.parse path,
// which answers exactly as before: malformed JSON (JSON.parse's own message), a body that is not an object, an unknown
// or escaped top-level field name, `records` that is not an array, nesting deeper than PRODUCE_SCAN_MAX_DEPTH. A record it
// does not cover (not an object, an unknown or duplicate field, headers that are not `[]`, a timestamp or partition
// that is not a number or null) is marked `simple: false` and is JSON.parse'd alone and read by RecordParser.parse,
// which gives the same value and error as the whole-body JSON.parse would. Duplicate top-level fields: the last wins,
// as with JSON.parse. A leaf.
import { PRODUCE_SCAN_MAX_DEPTH } from "../limits";


/** One record of the records array, as its JSON text says. */
export class ScannedRecord {
  constructor(
    /** The record's JSON text is body.text.slice(start, end). */
    readonly start: number,
    readonly end: number,
    /** False: read it with JSON.parse + RecordParser.parse; the fields below are unset. */
    readonly simple: boolean,
    /** Decoded key (null when absent or null) and its JSON text, as JSON.stringify would write it. */
    readonly key: string | null = null,
    readonly keyJson = "null",
    /** Decoded value; undefined when the record has no value field. */
    readonly value: string | null | undefined = undefined,
    readonly valueJson = "null",
    /** A JSON number, null, or undefined when absent. */
    readonly timestamp: number | null | undefined = undefined,
    readonly partition: number | null | undefined = undefined,
  ) {}
}

/** A produce body read by scanProduceBody: `fields` as JSON.parse would give them, except records. */
export class ScannedProduceBody {
  constructor(
    readonly text: string,
    /** records (ScannedRecord[]) and whichever of acks, encoding, producer, transaction the body has. */
    readonly fields: Record<string, unknown> & { records: ScannedRecord[] },
  ) {}

  /** The records as JSON.parse gives them (schema validation reads them so). */
  plainRecords(): unknown[] {
    return this.fields.records.map((r) => JSON.parse(this.text.slice(r.start, r.end)));
  }
}

/** What a string literal's fast path cannot take: a backslash, a control character (an error), a surrogate. */
const SPECIAL = /[\\\u0000-\u001f\ud800-\udfff]/g;

const TOP_FIELDS = new Set(["acks", "encoding", "producer", "transaction"]);

// Field bits of a record, to spot a duplicate.
const KEY = 1;
const VALUE = 2;
const HEADERS = 4;
const TIMESTAMP = 8;
const PARTITION = 16;

/** The body read in one pass, or undefined when the JSON.parse path must decide (see the file's comment). */
export function scanProduceBody(text: string): ScannedProduceBody | undefined {
  return new Scanner(text).body();
}

class Scanner {
  private pos = 0;
  /** Where SPECIAL first matches at or after specialFrom (text.length: nowhere); a skip back searches again. */
  private special = -1;
  private specialFrom = 0;
  /** Set by string(): the literal had no escape and no lone surrogate, so it is its own JSON.stringify form. */
  private plain = true;

  constructor(private readonly text: string) {}

  body(): ScannedProduceBody | undefined {
    const t = this.text;
    this.ws();
    if (t.charCodeAt(this.pos) !== 0x7b) return undefined;
    this.pos++;
    const fields: Record<string, unknown> = {};
    let records: ScannedRecord[] | undefined;
    this.ws();
    if (t.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
    } else {
      for (;;) {
        const keyStart = this.pos;
        if (t.charCodeAt(keyStart) !== 0x22 || !this.string() || !this.plain) return undefined;
        const name = t.slice(keyStart + 1, this.pos - 1);
        this.ws();
        if (t.charCodeAt(this.pos) !== 0x3a) return undefined;
        this.pos++;
        this.ws();
        if (name === "records") {
          if (t.charCodeAt(this.pos) !== 0x5b) return undefined;
          const list = this.records();
          if (list === undefined) return undefined;
          records = list;
        } else {
          if (!TOP_FIELDS.has(name)) return undefined;
          const start = this.pos;
          if (!this.skip(1)) return undefined;
          fields[name] = JSON.parse(t.slice(start, this.pos));
        }
        this.ws();
        const c = t.charCodeAt(this.pos++);
        if (c === 0x7d) break;
        if (c !== 0x2c) return undefined;
        this.ws();
      }
    }
    this.ws();
    if (this.pos !== t.length || records === undefined) return undefined;
    fields.records = records;
    return new ScannedProduceBody(t, fields as Record<string, unknown> & { records: ScannedRecord[] });
  }

  /** At `[`: the records array, or undefined on a syntax error. */
  private records(): ScannedRecord[] | undefined {
    const t = this.text;
    const out: ScannedRecord[] = [];
    this.pos++;
    this.ws();
    if (t.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      const start = this.pos;
      let record = t.charCodeAt(start) === 0x7b ? this.record() : undefined;
      if (record === undefined) {
        this.pos = start;
        if (!this.skip(2)) return undefined;
        record = new ScannedRecord(start, this.pos, false);
      }
      out.push(record);
      this.ws();
      const c = t.charCodeAt(this.pos++);
      if (c === 0x5d) return out;
      if (c !== 0x2c) return undefined;
      this.ws();
    }
  }

  /** At `{`: a simple record, or undefined for anything else (then the caller skips it as a plain JSON value). */
  private record(): ScannedRecord | undefined {
    const t = this.text;
    const start = this.pos;
    this.pos++;
    this.ws();
    let seen = 0;
    let key: string | null = null;
    let keyJson = "null";
    let value: string | null | undefined;
    let valueJson = "null";
    let timestamp: number | null | undefined;
    let partition: number | null | undefined;
    if (t.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return new ScannedRecord(start, this.pos, true);
    }
    for (;;) {
      const nameStart = this.pos;
      if (t.charCodeAt(nameStart) !== 0x22 || !this.string() || !this.plain) return undefined;
      const nameLength = this.pos - nameStart - 2;
      const field = fieldBit(t, nameStart + 1, nameLength);
      if (field === 0 || (seen & field) !== 0) return undefined;
      seen |= field;
      this.ws();
      if (t.charCodeAt(this.pos) !== 0x3a) return undefined;
      this.pos++;
      this.ws();
      const vStart = this.pos;
      const c = t.charCodeAt(vStart);
      if (field === KEY || field === VALUE) {
        let decoded: string | null;
        let json: string;
        if (c === 0x22) {
          if (!this.string()) return undefined;
          if (this.plain) {
            decoded = t.slice(vStart + 1, this.pos - 1);
            json = t.slice(vStart, this.pos);
          } else {
            decoded = JSON.parse(t.slice(vStart, this.pos)) as string;
            json = JSON.stringify(decoded);
          }
        } else if (c === 0x6e && this.literal("null")) {
          decoded = null;
          json = "null";
        } else {
          return undefined;
        }
        if (field === KEY) {
          key = decoded;
          keyJson = json;
        } else {
          value = decoded;
          valueJson = json;
        }
      } else if (field === HEADERS) {
        // Only the empty list: a header's fields need RecordParser's checks.
        if (c !== 0x5b) return undefined;
        this.pos++;
        this.ws();
        if (t.charCodeAt(this.pos) !== 0x5d) return undefined;
        this.pos++;
      } else {
        let n: number | null;
        if (c === 0x6e && this.literal("null")) n = null;
        else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          if (!this.number()) return undefined;
          n = Number(t.slice(vStart, this.pos));
        } else return undefined;
        if (field === TIMESTAMP) timestamp = n;
        else partition = n;
      }
      this.ws();
      const next = t.charCodeAt(this.pos++);
      if (next === 0x7d) break;
      if (next !== 0x2c) return undefined;
      this.ws();
    }
    return new ScannedRecord(start, this.pos, true, key, keyJson, value, valueJson, timestamp, partition);
  }

  /** Skips one JSON value held at nesting `depth` (the body is 1), checking its syntax; false on an error or nesting past PRODUCE_SCAN_MAX_DEPTH. */
  private skip(depth: number): boolean {
    const t = this.text;
    const c = t.charCodeAt(this.pos);
    if (c === 0x22) return this.string();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.number();
    if (c === 0x74) return this.literal("true");
    if (c === 0x66) return this.literal("false");
    if (c === 0x6e) return this.literal("null");
    if (depth >= PRODUCE_SCAN_MAX_DEPTH) return false;
    if (c === 0x5b) {
      this.pos++;
      this.ws();
      if (t.charCodeAt(this.pos) === 0x5d) {
        this.pos++;
        return true;
      }
      for (;;) {
        if (!this.skip(depth + 1)) return false;
        this.ws();
        const d = t.charCodeAt(this.pos++);
        if (d === 0x5d) return true;
        if (d !== 0x2c) return false;
        this.ws();
      }
    }
    if (c === 0x7b) {
      this.pos++;
      this.ws();
      if (t.charCodeAt(this.pos) === 0x7d) {
        this.pos++;
        return true;
      }
      for (;;) {
        if (t.charCodeAt(this.pos) !== 0x22 || !this.string()) return false;
        this.ws();
        if (t.charCodeAt(this.pos) !== 0x3a) return false;
        this.pos++;
        this.ws();
        if (!this.skip(depth + 1)) return false;
        this.ws();
        const d = t.charCodeAt(this.pos++);
        if (d === 0x7d) return true;
        if (d !== 0x2c) return false;
        this.ws();
      }
    }
    return false;
  }

  /** At `"`: moves past the string literal; sets `plain`. */
  private string(): boolean {
    const t = this.text;
    const from = this.pos + 1;
    const close = t.indexOf('"', from);
    if (close < 0) return false;
    // Native searches do the common case: no backslash, control character or surrogate before the closing quote.
    if (this.special < from || this.specialFrom > from) {
      SPECIAL.lastIndex = from;
      this.specialFrom = from;
      this.special = SPECIAL.exec(t)?.index ?? t.length;
    }
    if (this.special > close) {
      this.pos = close + 1;
      this.plain = true;
      return true;
    }
    return this.slowString();
  }

  /** string(), one character at a time: escapes, a control character (an error), surrogates. */
  private slowString(): boolean {
    const t = this.text;
    const n = t.length;
    let i = this.pos + 1;
    let plain = true;
    for (;;) {
      if (i >= n) return false;
      const c = t.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c) {
        plain = false;
        const e = t.charCodeAt(i + 1);
        if (e === 0x75) {
          for (let k = i + 2; k < i + 6; k++) if (!isHex(t.charCodeAt(k))) return false;
          i += 6;
        } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          i += 2;
        } else {
          return false;
        }
        continue;
      }
      if (c < 0x20) return false;
      if (c >= 0xd800 && c <= 0xdfff) {
        // A pair stays as it is; JSON.stringify writes a lone surrogate as an escape.
        const d = t.charCodeAt(i + 1);
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) i++;
        else plain = false;
      }
      i++;
    }
    this.pos = i + 1;
    this.plain = plain;
    return true;
  }

  /** A JSON number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
  private number(): boolean {
    const t = this.text;
    let i = this.pos;
    if (t.charCodeAt(i) === 0x2d) i++;
    const first = t.charCodeAt(i);
    if (first === 0x30) i++;
    else if (first >= 0x31 && first <= 0x39) while (isDigit(t.charCodeAt(++i)));
    else return false;
    if (t.charCodeAt(i) === 0x2e) {
      if (!isDigit(t.charCodeAt(++i))) return false;
      while (isDigit(t.charCodeAt(++i)));
    }
    const e = t.charCodeAt(i);
    if (e === 0x65 || e === 0x45) {
      const s = t.charCodeAt(++i);
      if (s === 0x2b || s === 0x2d) i++;
      if (!isDigit(t.charCodeAt(i))) return false;
      while (isDigit(t.charCodeAt(++i)));
    }
    this.pos = i;
    return true;
  }

  private literal(word: string): boolean {
    if (!this.text.startsWith(word, this.pos)) return false;
    this.pos += word.length;
    return true;
  }

  private ws(): void {
    const t = this.text;
    let i = this.pos;
    for (;;) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }
}

function fieldBit(t: string, at: number, length: number): number {
  switch (length) {
    case 3:
      return t.startsWith("key", at) ? KEY : 0;
    case 5:
      return t.startsWith("value", at) ? VALUE : 0;
    case 7:
      return t.startsWith("headers", at) ? HEADERS : 0;
    case 9:
      return t.startsWith("timestamp", at) ? TIMESTAMP : t.startsWith("partition", at) ? PARTITION : 0;
    default:
      return 0;
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}
