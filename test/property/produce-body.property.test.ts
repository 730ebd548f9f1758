// Property: the single-pass produce-body reader (scanProduceBody + RecordParser.parseScanned) gives exactly what the
// JSON.parse path gives (the request's fields, every record's partition, key, timestamp and stored tail, or the same
// error: type, message and details), on random valid bodies written in every way JSON allows (escapes, \u forms in
// either case, surrogate pairs and lone surrogates, whitespace, numbers as 1e3 or 10.0, key order, duplicate fields,
// where the last wins) and on random corruptions of them. Where JSON.parse refuses a text the reader must refuse it too
// (the caller then takes the JSON.parse path, which gives JSON.parse's own message). It must not give up on a body whose
// top level is plain, or the fast path would silently never run.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KafkaError } from "../../src/errors";
import { PRODUCE_SCAN_MAX_DEPTH } from "../../src/limits";
import { RecordParser } from "../../src/log/record";
import { scanProduceBody } from "../../src/log/scan-produce-body";
import { parseProduceRequest, parseRecords } from "../../src/service/produce";

const NOW_MS = 1_790_000_000_000;

interface Context {
  maxRecordBytes: number;
  compacted: boolean;
  pathPartition: number | undefined;
}

/** What produce decides from a body before any partition is called: the fields and records, or the error. */
function outcome(body: unknown, ctx: Context): unknown {
  try {
    const req = parseProduceRequest(body);
    const parser = new RecordParser(req.encoding, ctx.maxRecordBytes, NOW_MS);
    const { parsed, maxExplicit } = parseRecords(parser, req.records, req.scanned, ctx.compacted, ctx.pathPartition);
    return { acks: req.acks, encoding: req.encoding, txn: req.txn, producer: req.producer, parsed, maxExplicit };
  } catch (error) {
    if (error instanceof KafkaError) return { error: error.body };
    throw error;
  }
}

/** The old path: JSON.parse the whole text. */
function viaJsonParse(text: string, ctx: Context): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { malformed: true };
  }
  return outcome(body, ctx);
}

/** The new path, as readProduceBody does it. */
function viaScan(text: string, ctx: Context): { result: unknown; scanned: boolean } {
  const scanned = scanProduceBody(text);
  if (scanned !== undefined) return { result: outcome(scanned, ctx), scanned: true };
  return { result: viaJsonParse(text, ctx), scanned: false };
}

// --- random JSON text for a value, written in the many ways JSON allows ---

/** A deterministic stream of choices from one seed (mulberry32), so fast-check can shrink the seed. */
function chooser(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

const SHORT: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "/": "\\/" };
const WS = ["", "", "", " ", "\n", "\t", "\r\n  "];

function writeString(s: string, pick: (n: number) => number): string {
  let out = '"';
  for (const ch of s.split("")) {
    const code = ch.charCodeAt(0);
    const mustEscape = ch === '"' || ch === "\\" || code < 0x20;
    const mode = pick(8);
    if (!mustEscape && mode < 6) out += ch;
    else if (SHORT[ch] !== undefined && mode !== 7) out += SHORT[ch];
    else {
      const hex = code.toString(16).padStart(4, "0");
      out += `\\u${pick(2) === 0 ? hex : hex.toUpperCase()}`;
    }
  }
  return out + '"';
}

function writeNumber(n: number, pick: (k: number) => number): string {
  const plain = JSON.stringify(n);
  if (!Number.isInteger(n) || Math.abs(n) > 1e15) return plain;
  const forms = [plain, `${plain}.0`, `${plain}e0`, `${plain}E+0`, `${plain}0e-1`, `${plain}.000e-0`];
  if (n !== 0 && n % 1000 === 0) forms.push(`${n / 1000}e3`, `${n / 1000}E3`);
  if (Object.is(n, 0)) forms.push("-0", "0.0");
  const form = forms[pick(forms.length)]!;
  return /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(form) && Object.is(Number(form), n) ? form : plain;
}

/** A field name: now and then with escapes (the reader then leaves that object to JSON.parse). */
function writeName(name: string, pick: (n: number) => number): string {
  return pick(16) === 0 ? writeString(name, pick) : JSON.stringify(name);
}

/**
 * JSON text of `value`; objects may repeat a field (an earlier decoy value; JSON.parse keeps the last). With `top`, the
 * produce body's own field names are written plainly and records is never repeated: the reader must cover that body.
 */
function write(value: unknown, pick: (n: number) => number, top = false): string {
  const ws = () => WS[pick(WS.length)]!;
  if (value === null || typeof value === "boolean") return String(value);
  if (typeof value === "number") return writeNumber(value, pick);
  if (typeof value === "string") return writeString(value, pick);
  if (Array.isArray(value)) return `[${ws()}${value.map((v) => write(v, pick)).join(`${ws()},${ws()}`)}${ws()}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const parts: string[] = [];
  for (const [k, v] of entries) {
    const name = () => (top ? JSON.stringify(k) : writeName(k, pick));
    if (pick(12) === 0 && !(top && k === "records")) parts.push(`${name()}${ws()}:${ws()}${write(pick(2) === 0 ? null : "decoy", pick)}`);
    parts.push(`${name()}${ws()}:${ws()}${write(v, pick)}`);
  }
  return `{${ws()}${parts.join(`${ws()},${ws()}`)}${ws()}}`;
}

// --- random produce bodies ---

const unit = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(..."abcXYZ019 -_.:/") },
  { weight: 2, arbitrary: fc.constantFrom('"', "\\", "\n", "\t", "\u0000", "\u001f", "\u007f", "\u2028") },
  { weight: 2, arbitrary: fc.constantFrom("é", "日", "😀", "𝄞", "\ufeff") },
  { weight: 1, arbitrary: fc.constantFrom("\ud800", "\udfff", "\udbff") },
);
const text = fc.string({ unit, maxLength: 24 });
const base64 = fc.base64String({ maxLength: 24 });
const str = fc.oneof(text, base64);
const timestampArb = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: 0, max: 2 ** 45 }), fc.constantFrom(-1, 1.5, 1e400, -0, 8.64e15 + 1, "5", 1_000_000));
const partitionArb = fc.oneof(fc.constant(undefined), fc.constant(null), fc.integer({ min: 0, max: 5 }), fc.constantFrom(-1, 0.5, 2 ** 53, "1", 3000));
const headerArb = fc.oneof(fc.record({ key: text, value: fc.option(str, { nil: null }) }), fc.jsonValue({ maxDepth: 1 }));

const recordArb = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        key: fc.option(str, { nil: null }),
        value: fc.option(str, { nil: null }),
        headers: fc.oneof({ weight: 3, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(headerArb, { maxLength: 2 }) }, { weight: 1, arbitrary: fc.constant(null) }),
        timestamp: timestampArb,
        partition: partitionArb,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ value: str, extra: fc.jsonValue({ maxDepth: 1 }) }) },
  { weight: 1, arbitrary: fc.record({ value: fc.oneof(fc.integer(), fc.boolean(), fc.array(text, { maxLength: 1 })), key: fc.oneof(fc.integer(), fc.constant([]), fc.constant({})) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const bodyArb = fc.record(
  {
    records: fc.array(recordArb, { maxLength: 6 }),
    acks: fc.constantFrom(0, 1, -1, "all", "1", 2, null),
    encoding: fc.constantFrom("text", "base64", null, "hex"),
    producer: fc.oneof(fc.constant(null), fc.record({ producerId: fc.integer({ min: 0, max: 9 }), producerEpoch: fc.integer({ min: 0, max: 3 }), baseSequence: fc.integer({ min: 0, max: 99 }) })),
    transaction: fc.oneof(fc.constant(null), fc.record({ transactionalId: fc.constantFrom("tx", ""), producerId: fc.constant(1), producerEpoch: fc.constant(0), baseSequence: fc.constant(0) })),
  },
  { requiredKeys: ["records"] },
);

const contextArb = fc.record({
  maxRecordBytes: fc.constantFrom(1_048_588, 20, 8),
  compacted: fc.boolean(),
  pathPartition: fc.constantFrom(undefined, 0, 1),
});

// Everything JSON's grammar gives meaning to, plus characters it forbids.
const CORRUPTION = [..."{}[]\",:\\ \n0123456789.eE+-tfnulrsa/bu\u0000\u001f\ud800é"];
const corruption = fc.record({ at: fc.nat(), kind: fc.constantFrom("delete", "insert", "replace", "truncate", "duplicate"), ch: fc.constantFrom(...CORRUPTION), length: fc.integer({ min: 1, max: 8 }) });

function corrupt(t: string, changes: readonly { at: number; kind: string; ch: string; length: number }[]): string {
  for (const c of changes) {
    const at = t.length === 0 ? 0 : c.at % t.length;
    if (c.kind === "delete") t = t.slice(0, at) + t.slice(at + c.length);
    else if (c.kind === "insert") t = t.slice(0, at) + c.ch + t.slice(at);
    else if (c.kind === "replace") t = t.slice(0, at) + c.ch + t.slice(at + 1);
    else if (c.kind === "truncate") t = t.slice(0, at);
    else t = t.slice(0, at) + t.slice(at, at + c.length) + t.slice(at);
  }
  return t;
}

describe("produce body: single pass against JSON.parse", () => {
  it("valid bodies: the same fields, records and tails, or the same error; never a fallback on a plain top level", () => {
    fc.assert(
      fc.property(bodyArb, fc.integer(), contextArb, (body, seed, ctx) => {
        const text = WS[Math.abs(seed) % WS.length] + write(body, chooser(seed), true) + WS[Math.abs(seed >> 3) % WS.length];
        const expected = viaJsonParse(text, ctx);
        const got = viaScan(text, ctx);
        expect(got.scanned, JSON.stringify(text)).toBe(true);
        expect(got.result).toEqual(expected);
      }),
      { seed: 20_2026, numRuns: 3000 },
    );
  });

  it("corrupted bodies: JSON.parse's verdict, and the same outcome whenever the text still parses", () => {
    fc.assert(
      fc.property(bodyArb, fc.integer(), contextArb, fc.array(corruption, { minLength: 1, maxLength: 3 }), (body, seed, ctx, changes) => {
        const text = corrupt(write(body, chooser(seed)), changes);
        const expected = viaJsonParse(text, ctx);
        const got = viaScan(text, ctx);
        if ((expected as { malformed?: boolean }).malformed) expect(got.scanned).toBe(false);
        expect(got.result).toEqual(expected);
      }),
      { seed: 20_2027, numRuns: 5000 },
    );
  });

  it("a typical batch takes the fast path for every record, and its tails are the request's own slices", () => {
    const records = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}`, value: `v${"x".repeat(90)}${i}` }));
    const text = JSON.stringify({ records, acks: 1 });
    const scanned = scanProduceBody(text)!;
    expect(scanned.fields.records.every((r) => r.simple)).toBe(true);
    const ctx = { maxRecordBytes: 1_048_588, compacted: false, pathPartition: 0 };
    expect(outcome(scanned, ctx)).toEqual(viaJsonParse(text, ctx));
    expect((outcome(scanned, ctx) as { parsed: { tail: string }[] }).parsed[7]!.tail).toBe(`"key":"k7","value":"v${"x".repeat(90)}7","headers":[]}`);
  });

  it("gives up (so JSON.parse decides) on what it does not cover", () => {
    for (const t of ['{"records":{}}', '{"rec\\u006frds":[]}', '{"records":[],"other":1}', "[]", '{"records":[]} x', '{"records":[{"value":"a"}]']) {
      expect(scanProduceBody(t)).toBeUndefined();
    }
  });

  it(`reads a body nested PRODUCE_SCAN_MAX_DEPTH (${PRODUCE_SCAN_MAX_DEPTH}) deep and leaves a deeper one to JSON.parse, with the same answer`, () => {
    const ctx = { maxRecordBytes: 1_048_588, compacted: false, pathPartition: undefined };
    // The body is depth 1: acks' arrays are 2 and deeper; a record's value, 4 and deeper (body, records, record).
    const acks = (depth: number) => `{"records":[{"value":"v"}],"acks":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
    const record = (depth: number) => `{"records":[{"value":${"[".repeat(depth - 3)}${"]".repeat(depth - 3)}}]}`;
    for (const body of [acks, record]) {
      const atLimit = body(PRODUCE_SCAN_MAX_DEPTH);
      expect(scanProduceBody(atLimit)).toBeDefined();
      expect(viaScan(atLimit, ctx).result).toEqual(viaJsonParse(atLimit, ctx));
      const over = body(PRODUCE_SCAN_MAX_DEPTH + 1);
      expect(scanProduceBody(over)).toBeUndefined();
      expect(viaScan(over, ctx).result).toEqual(viaJsonParse(over, ctx));
      expect(viaScan(over, ctx).result).toMatchObject({ error: { type: body === acks ? "INVALID_REQUIRED_ACKS" : "INVALID_REQUEST" } });
    }
  });
});
