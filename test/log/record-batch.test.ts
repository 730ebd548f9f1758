// The produce-record parser and the stored batch format. The golden fixture pins the stored bytes: changing them
// changes what every existing partition holds, so it must be deliberate (with a format version bump).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildBatch, joinJson, packTails, parseRecords, recordRange, transcodeRecords } from "../../src/log/batch";
import { base64ByteLength, base64ToText, bytesToBase64Url, isBase64, textToBase64, utf8ByteLength } from "../../src/log/base64";
import { isProblem, RecordParser } from "../../src/log/record";
import { MAX_STAMP_BYTES } from "../../src/log/stamp";
import { MAX_STORED_RECORD_BYTES, MAX_TIMESTAMP_MS } from "../../src/limits";

const decode = (b: Uint8Array) => new TextDecoder().decode(b);

describe("RecordParser", () => {
  const parser = new RecordParser("text", 1000, 1_700_000_000_000);

  it("serializes the tail served by fetch", () => {
    const r = parser.parse({ key: "k", value: "v", headers: [{ key: "h", value: "1" }, { key: "h", value: null }], timestamp: 5 }, 0);
    expect(isProblem(r)).toBe(false);
    if (isProblem(r)) return;
    expect(r.tail).toBe('"key":"k","value":"v","headers":[{"key":"h","value":"1"},{"key":"h","value":null}]}');
    expect(r.timestamp).toBe(5);
  });

  it("defaults: null key, no headers, the parse time as CreateTime", () => {
    const r = parser.parse({ value: null }, 0);
    if (isProblem(r)) throw new Error(r.message);
    expect(r.tail).toBe('"key":null,"value":null,"headers":[]}');
    expect(r.timestamp).toBe(1_700_000_000_000);
  });

  it("counts UTF-8 bytes of text against max.message.bytes", () => {
    expect(isProblem(parser.parse({ value: "é".repeat(500) }, 0))).toBe(false); // 1000 bytes
    const over = parser.parse({ value: "é".repeat(500) + "x" }, 0);
    expect(isProblem(over) && over.type).toBe("MESSAGE_TOO_LARGE");
    expect(isProblem(parser.parse({ key: "k".repeat(500), value: "v".repeat(500) }, 0))).toBe(false);
    expect(isProblem(parser.parse({ key: "k".repeat(500), value: "v".repeat(500), headers: [{ key: "h", value: null }] }, 0))).toBe(true);
  });

  it("checks base64 strictly and counts decoded bytes", () => {
    const b = new RecordParser("base64", 3, 0);
    expect(isProblem(b.parse({ value: "AAAA" }, 0))).toBe(false); // 3 bytes
    expect(isProblem(b.parse({ value: "AAAAAA==" }, 0))).toBe(true); // 4 bytes
    const bad = b.parse({ value: "not base64!" }, 0);
    expect(isProblem(bad) && bad.type).toBe("INVALID_REQUEST");
    expect([...b.keyBytes("AP8=")]).toEqual([0, 255]);
  });

  it.each([
    [42, "must be an object"],
    [{ value: 1 }, "value must be a string or null"],
    [{ key: 1, value: "v" }, "key must be a string or null"],
    [{ key: "k" }, "value is required"],
    [{ value: "v", extra: 1 }, "unknown field 'extra'"],
    [{ value: "v", headers: {} }, "headers must be an array"],
    [{ value: "v", headers: [{ key: 1, value: "x" }] }, "must be {key: string"],
    [{ value: "v", headers: [{ key: "", value: "x" }] }, "key must be 1 to"],
    [{ value: "v", timestamp: -1 }, "timestamp must be"],
    [{ value: "v", timestamp: 1.5 }, "timestamp must be"],
    [{ value: "v", partition: -1 }, "partition must be"],
    [{ value: "v", partition: "1" }, "partition must be"],
  ])("refuses %j", (input, message) => {
    const r = parser.parse(input, 3);
    expect(isProblem(r)).toBe(true);
    if (isProblem(r)) {
      expect(r.message).toContain(message);
      expect(r.details.index).toBe(3);
    }
  });
});

describe("the stamp", () => {
  it("MAX_STAMP_BYTES is what stamping adds to a record at most: 16-digit offset and timestamp, and the separating comma", () => {
    const tails = ['"key":null,"value":"a","headers":[]}', '"key":null,"value":"b","headers":[]}'];
    const tailBytes = tails.reduce((n, t) => n + utf8ByteLength(t), 0);
    const widest = buildBatch(Number.MAX_SAFE_INTEGER - 1, [MAX_TIMESTAMP_MS, MAX_TIMESTAMP_MS], packTails(tails), 0, 2);
    // Two records: two stamps and one comma between them (the first record has nothing before it).
    expect(widest.bytes.length - tailBytes).toBe(2 * MAX_STAMP_BYTES - 1);
    expect(MAX_STAMP_BYTES).toBe(57);
  });

  it("a record's stored JSON with its stamp may be MAX_STORED_RECORD_BYTES exactly, and not one byte more", () => {
    const parser = new RecordParser("text", Number.MAX_SAFE_INTEGER, 0);
    // Control characters escape to six bytes each, so the exact count (not the fast bound) decides.
    const tailOf = (value: string) => `"key":null,"value":${JSON.stringify(value)},"headers":[]}`;
    const escapes = "\u0001".repeat(Math.floor(MAX_STORED_RECORD_BYTES / 6) - 100);
    const fill = MAX_STORED_RECORD_BYTES - MAX_STAMP_BYTES - utf8ByteLength(tailOf(escapes));
    const atLimit = escapes + "a".repeat(fill);
    expect(utf8ByteLength(tailOf(atLimit)) + MAX_STAMP_BYTES).toBe(MAX_STORED_RECORD_BYTES);
    expect(isProblem(parser.parse({ value: atLimit }, 0))).toBe(false);
    const over = parser.parse({ value: atLimit + "a" }, 0);
    expect(isProblem(over) && over.type).toBe("MESSAGE_TOO_LARGE");
    expect(isProblem(over) && over.details).toMatchObject({ storedBytes: MAX_STORED_RECORD_BYTES + 1, maxStoredRecordBytes: MAX_STORED_RECORD_BYTES });
  });
});

describe("stored batch", () => {
  it("golden fixture: offsets and timestamps stamped onto tails, comma-joined, byte positions", () => {
    const batch = buildBatch(10, [1, 2], packTails(['"key":null,"value":"a","headers":[]}', '"key":"k","value":"é","headers":[]}']), 0, 2);
    expect(decode(batch.bytes)).toBe('{"offset":10,"timestamp":1,"key":null,"value":"a","headers":[]},{"offset":11,"timestamp":2,"key":"k","value":"é","headers":[]}');
    expect([...batch.positions]).toEqual([0, 64]);
    expect(batch.maxTimestamp).toBe(2);
    const [s, e] = recordRange(batch.positions, batch.bytes.length, 1, 1);
    expect(JSON.parse(decode(batch.bytes.subarray(s, e)))).toEqual({ offset: 11, timestamp: 2, key: "k", value: "é", headers: [] });
    const [s0, e0] = recordRange(batch.positions, batch.bytes.length, 0, 0);
    expect(JSON.parse(decode(batch.bytes.subarray(s0, e0))).offset).toBe(10);
  });

  it("stamps any slice of packed tails exactly as string formatting would", () => {
    const tails = ['"key":null,"value":"a","headers":[]}', '"key":"ü","value":"\u0000\\"","headers":[]}', '"key":null,"value":"😀","headers":[]}', '"key":null,"value":null,"headers":[]}'];
    const timestamps = [0, 9, 10, Number.MAX_SAFE_INTEGER];
    for (const base of [0, 7, 99_999, 9_007_199_254_740_000]) {
      for (const [from, to] of [[0, 4], [1, 3], [3, 4]] as const) {
        const batch = buildBatch(base, timestamps, packTails(tails), from, to);
        const expected = tails.slice(from, to).map((t, i) => `{"offset":${base + i},"timestamp":${timestamps[from + i]},${t}`).join(",");
        expect(decode(batch.bytes)).toBe(expected);
        expect(batch.maxTimestamp).toBe(Math.max(...timestamps.slice(from, to)));
      }
    }
  });

  it("transcodes between text and base64 both ways", () => {
    const batch = buildBatch(0, [7], packTails(['"key":"ké","value":"v","headers":[{"key":"h","value":"x"},{"key":"n","value":null}]}']), 0, 1);
    const b64 = transcodeRecords(batch.bytes, "text", "base64");
    expect(parseRecords(b64)).toEqual([{ offset: 0, timestamp: 7, key: textToBase64("ké"), value: "dg==", headers: [{ key: "h", value: "eA==" }, { key: "n", value: null }] }]);
    expect(decode(transcodeRecords(b64, "base64", "text"))).toBe(decode(batch.bytes));
  });

  it("joins pieces into one JSON document", () => {
    const out = joinJson('{"records":[', [new TextEncoder().encode("1"), new TextEncoder().encode("2")], "]}");
    expect(JSON.parse(decode(out))).toEqual({ records: [1, 2] });
    expect(JSON.parse(decode(joinJson("[", [], "]")))).toEqual([]);
  });
});

describe("base64 helpers", () => {
  it("validates strictly", () => {
    for (const ok of ["", "AA==", "AAA=", "AAAA", "+/+/"]) expect(isBase64(ok)).toBe(true);
    for (const bad of ["A", "AA=", "A===", "AAAA=", "AA AA", "AA-_"]) expect(isBase64(bad)).toBe(false);
  });
  it("sizes and converts", () => {
    expect(base64ByteLength("AA==")).toBe(1);
    expect(base64ByteLength("AAA=")).toBe(2);
    expect(base64ToText(textToBase64("héllo ☃ 😀"))).toBe("héllo ☃ 😀");
    expect(utf8ByteLength("a")).toBe(1);
    expect(utf8ByteLength("é")).toBe(2);
    expect(utf8ByteLength("☃")).toBe(3);
    expect(utf8ByteLength("😀")).toBe(4);
  });
  it("utf8ByteLength counts what TextEncoder writes, lone surrogates (U+FFFD, 3 bytes) included", () => {
    const encoder = new TextEncoder();
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 40 }), (s) => utf8ByteLength(s) === encoder.encode(s).length));
    for (const s of ["\ud800", "a\udc00", "\ud83d\ude00\ud83d", "\udfff\ud800"]) expect(utf8ByteLength(s)).toBe(encoder.encode(s).length);
  });
  it("base64url: the URL-safe alphabet, no padding", () => {
    expect(bytesToBase64Url(new Uint8Array([0xfb, 0xff, 0xbf]))).toBe("-_-_");
    expect(bytesToBase64Url(new Uint8Array([0xfb, 0xff]))).toBe("-_8");
    expect(bytesToBase64Url(new Uint8Array([0]))).toBe("AA");
    expect(bytesToBase64Url(new Uint8Array([]))).toBe("");
  });
});
