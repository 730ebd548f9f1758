// The binary fetch answer's encoder and decoder (log/record-frame.ts) on their own: the layout, lazy fields, and bad
// input. A frame cut anywhere, or with its structure broken, is a RecordFrameError naming what is wrong; it never
// decodes to fewer, shifted or altered records.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildBatch, packTails, parseRecords } from "../../src/log/batch";
import { decodeRecordFrame, encodeRecordFrame, FRAME_HEADER_BYTES, FrameRecord, RecordFrameError, type FrameMeta, type FramePiece } from "../../src/log/record-frame";

const text = fc.string({ unit: "binary", maxLength: 30 });
const header = fc.record({ key: fc.string({ minLength: 1, maxLength: 8 }), value: fc.option(text, { nil: null }) });
const record = fc.record({ key: fc.option(text, { nil: null }), value: fc.option(text, { nil: null }), headers: fc.array(header, { maxLength: 2 }) });

/** A stored batch, as the partition builds it, from records' key/value/headers. */
function stored(base: number, recs: { key: string | null; value: string | null; headers: { key: string; value: string | null }[] }[]) {
  const tails = recs.map((r) => `"key":${JSON.stringify(r.key)},"value":${JSON.stringify(r.value)},"headers":${JSON.stringify(r.headers)}}`);
  return buildBatch(base, recs.map((_, i) => 1_700_000_000_000 + i), packTails(tails), 0, recs.length);
}

/** Records [first, first + count) of a stored batch as a frame piece, as the read accumulator slices them. */
function piece(batch: ReturnType<typeof stored>, first: number, count: number): FramePiece {
  const start = batch.positions[first]!;
  const end = first + count < batch.positions.length ? batch.positions[first + count]! - 1 : batch.bytes.length;
  return { bytes: batch.bytes.subarray(start, end), positions: batch.positions, first, count };
}

const meta: FrameMeta = { nextOffset: 12, highWatermark: 20, logStartOffset: 3, lastStableOffset: 15, encoding: "text" };
const plain = (r: FrameRecord) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers });

describe("record frame", () => {
  it("round-trips records and the answer's offsets, pieces cut anywhere inside batches", () => {
    fc.assert(
      fc.property(fc.array(fc.array(record, { minLength: 1, maxLength: 8 }), { minLength: 0, maxLength: 4 }), fc.nat(), (batches, cut) => {
        let base = 0;
        const pieces: FramePiece[] = [];
        const expected: unknown[] = [];
        for (const recs of batches) {
          const batch = stored(base, recs);
          base += recs.length;
          const first = cut % recs.length;
          const count = 1 + ((cut >> 3) % (recs.length - first));
          pieces.push(piece(batch, first, count));
          expected.push(...parseRecords(batch.bytes).slice(first, first + count));
        }
        const frame = decodeRecordFrame(encodeRecordFrame(pieces, meta));
        expect(frame.records.map(plain)).toEqual(expected);
        expect(frame.records.map((r) => r.toJSON())).toEqual(expected);
        const { records: _records, ...rest } = frame;
        expect(rest).toEqual(meta);
      }),
      { seed: 20_2021 },
    );
  });

  it("keeps lastStableOffset absent when the answer has none, and says base64", () => {
    const frame = decodeRecordFrame(encodeRecordFrame([], { nextOffset: 0, highWatermark: 0, logStartOffset: 0, encoding: "base64" }));
    expect(frame).toEqual({ nextOffset: 0, highWatermark: 0, logStartOffset: 0, encoding: "base64", records: [] });
    expect("lastStableOffset" in frame).toBe(false);
  });

  it("builds no field before it is read, and each one once", () => {
    const batch = stored(7, [{ key: "k", value: "caf\u00e9", headers: [{ key: "h", value: null }] }]);
    const [r] = decodeRecordFrame(encodeRecordFrame([piece(batch, 0, 1)], meta)).records;
    expect(r!.value).toBe("caf\u00e9");
    expect(r!.value).toBe(r!.value);
    expect(r!.headers).toBe(r!.headers);
    expect(r!.headers).toEqual([{ key: "h", value: null }]);
    // A consumer adds its topic and partition: they show in a spread and in JSON, the private state does not.
    Object.assign(r!, { topic: "t", partition: 2 });
    expect({ ...r! }).toEqual({ topic: "t", partition: 2 });
    expect(JSON.parse(JSON.stringify(r))).toEqual({ topic: "t", partition: 2, offset: 7, timestamp: 1_700_000_000_000, key: "k", value: "caf\u00e9", headers: [{ key: "h", value: null }] });
  });

  it("reads a record in another field order as the JSON it is", () => {
    const frame = handMade(['{"timestamp":5,"offset":9,"value":"v","key":null,"headers":[]}']);
    expect(plain(decodeRecordFrame(frame).records[0]!)).toEqual({ offset: 9, timestamp: 5, key: null, value: "v", headers: [] });
  });

  it("refuses a frame cut at any byte", () => {
    const batch = stored(0, [
      { key: "a", value: "x\"y\\z", headers: [] },
      { key: null, value: "\u{1F600}", headers: [{ key: "h", value: "1" }] },
      { key: "c", value: null, headers: [] },
    ]);
    const whole = encodeRecordFrame([piece(batch, 0, 3)], meta);
    expect(decodeRecordFrame(whole).records).toHaveLength(3);
    for (let n = 0; n < whole.length; n++) {
      expect(() => decodeRecordFrame(whole.subarray(0, n)), `cut at ${n}`).toThrow(RecordFrameError);
    }
    expect(() => decodeRecordFrame(whole.subarray(0, 10))).toThrow(/shorter than its 44-byte header/);
    expect(() => decodeRecordFrame(whole.subarray(0, whole.length - 1))).toThrow(/truncated: record 2 needs/);
  });

  it("names what is wrong with a malformed frame", () => {
    const batch = stored(0, [{ key: "a", value: "b", headers: [] }, { key: "c", value: "d", headers: [] }]);
    const good = encodeRecordFrame([piece(batch, 0, 2)], meta);
    const broken = (at: number, byte: number) => {
      const copy = good.slice();
      copy[at] = byte;
      return copy;
    };
    expect(() => decodeRecordFrame(broken(0, 0x7b))).toThrow(/not a record frame/);
    expect(() => decodeRecordFrame(broken(3, 2))).toThrow(/version 2 is not supported/);
    expect(() => decodeRecordFrame(broken(4, 0x80))).toThrow(/unknown flags/);
    expect(() => decodeRecordFrame(broken(40, 200))).toThrow(/truncated: 200 records need/);
    const firstLength = new DataView(good.buffer).getUint32(FRAME_HEADER_BYTES, true);
    expect(() => decodeRecordFrame(broken(FRAME_HEADER_BYTES + 8 + firstLength, 0x3b))).toThrow(/where a comma separates records 0 and 1/);
    expect(() => decodeRecordFrame(Uint8Array.of(...good, 0x20))).toThrow(/1 bytes after its 2 records/);
    const nan = good.slice();
    new DataView(nan.buffer).setFloat64(8, NaN, true);
    expect(() => decodeRecordFrame(nan)).toThrow(/nextOffset is NaN/);
  });

  it("turns any garbage into a RecordFrameError or records whose every field reads, never another error", () => {
    const batch = stored(0, [{ key: "a", value: "b", headers: [{ key: "h", value: "v" }] }, { key: null, value: "d\u00e9", headers: [] }]);
    const good = encodeRecordFrame([piece(batch, 0, 2)], meta);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const copy = good.slice();
        for (const [at, byte] of flips) copy[at] = byte;
        try {
          for (const r of decodeRecordFrame(copy).records) plain(r);
        } catch (error) {
          expect(error).toBeInstanceOf(RecordFrameError);
        }
      }),
      { seed: 20_2022, numRuns: 2000 },
    );
  });

  it("refuses a record that is not one, at its first read", () => {
    const frame = decodeRecordFrame(handMade(['{"offset":1}', '{"offset":"x","timestamp":1,"key":null,"value":null,"headers":[]}', "{not json}"]));
    for (const r of frame.records) expect(() => r.value).toThrow(RecordFrameError);
  });
});

/** A frame around arbitrary record texts. */
function handMade(texts: string[]): Uint8Array {
  const bytes = new TextEncoder().encode(texts.join(","));
  const positions = new Uint32Array(texts.length);
  let pos = 0;
  texts.forEach((t, i) => {
    positions[i] = pos;
    pos += new TextEncoder().encode(t).length + 1;
  });
  return encodeRecordFrame(texts.length === 0 ? [] : [{ bytes, positions, first: 0, count: texts.length }], meta);
}
