// prepareRecord's sizes: text values are bounded (3 bytes per UTF-16 unit) rather than scanned, so sizeBytes is never
// below the record's UTF-8 size and exactSizeBytes is that size exactly, for ASCII, multi-byte text, surrogate pairs,
// lone surrogates (3 bytes: TextEncoder writes U+FFFD), bytes and base64.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { exactSizeBytes, prepareRecord, type ProducerRecord } from "../../src/client/producer-record";

const utf8 = new TextEncoder();
const bytesOf = (text: string | Uint8Array | null | undefined): number => (text == null ? 0 : typeof text === "string" ? utf8.encode(text).length : text.length);

function expectedSize(record: ProducerRecord): number {
  const headers = Array.isArray(record.headers) ? record.headers : Object.entries(record.headers ?? {}).map(([key, value]) => ({ key, value }));
  return bytesOf(record.key) + bytesOf(record.value) + headers.reduce((n, h) => n + bytesOf(h.key) + bytesOf(h.value), 0);
}

describe("prepareRecord sizes", () => {
  const cases: [string, ProducerRecord][] = [
    ["ASCII", { key: "k", value: "x".repeat(100) }],
    ["2-byte characters", { value: "é".repeat(50) }],
    ["3-byte characters", { value: "€".repeat(50), headers: { h: "€" } }],
    ["surrogate pairs (4 bytes for 2 units)", { key: "😀", value: "😀".repeat(25) }],
    ["a lone high surrogate, and a low one first", { value: "a\ud800b\udc00" }],
    ["a surrogate pair split across a header key and value", { value: null, headers: [{ key: "k\ud83d", value: "\ude00v" }] }],
    ["bytes (base64 on the wire)", { key: "é", value: new Uint8Array([1, 2, 3]), headers: { h: "😀" } }],
    ["a tombstone", { key: "k", value: null }],
  ];
  for (const [name, record] of cases) {
    it(`${name}: sizeBytes bounds the size from above and exactSizeBytes is the UTF-8 size`, () => {
      const prepared = prepareRecord(record, 0);
      const size = expectedSize(record);
      expect(exactSizeBytes(prepared)).toBe(size);
      expect(prepared.sizeBytes).toBeGreaterThanOrEqual(size);
    });
  }

  it("an ASCII record's sizes are exact, as before the bound (batches fill as they did)", () => {
    const prepared = prepareRecord({ key: "key", value: "v".repeat(100), headers: { h: "hv" } }, 0);
    expect(exactSizeBytes(prepared)).toBe(3 + 100 + 1 + 2);
    expect(prepared.batchBytes).toBe(64 + 24 + 3 + 100 + 1 + 2);
  });

  it("on random text (any UTF-16, surrogates included) the bound is never under the size", () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: "binary" }), { nil: null }), fc.string({ unit: "binary" }), fc.string({ unit: "binary", minLength: 1 }), (key, value, headerValue) => {
        const record: ProducerRecord = { key, value, headers: [{ key: "h", value: headerValue }] };
        const prepared = prepareRecord(record, 0);
        expect(exactSizeBytes(prepared)).toBe(expectedSize(record));
        expect(prepared.sizeBytes).toBeGreaterThanOrEqual(expectedSize(record));
      }),
      { seed: 20, numRuns: 500 },
    );
  });
});
