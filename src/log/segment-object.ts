// The R2 object of a tiered segment, pure: its batches as independently deflated frames laid end to end, so a read
// fetches only the frames it needs with one ranged GET. The frame index (kept in SQLite, never read from R2) gives
// each batch's offsets, byte range, uncompressed size and encoding. A frame holds the stored batch exactly:
//   u32 recordCount | u32 hasOffsets | u32 recordsLength | positions u32[n] | offsets u32[n]? | records bytes
// All integers little-endian.
import type { Encoding } from "./record";
import { ENCODING_BY_CODE, ENCODING_CODE } from "./batch";
import type { ReadBatch } from "./batch-reader";

export interface FrameEntry {
  baseOffset: number;
  lastOffset: number;
  frameStart: number;
  frameLength: number;
  rawBytes: number;
  encoding: Encoding;
}

const FIELDS = 6;

async function transform(bytes: Uint8Array, stream: CompressionStream | DecompressionStream): Promise<Uint8Array> {
  const body = new Blob([bytes]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(body).arrayBuffer());
}

export function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  return transform(bytes, new CompressionStream("deflate-raw"));
}

export function inflate(bytes: Uint8Array): Promise<Uint8Array> {
  return transform(bytes, new DecompressionStream("deflate-raw"));
}

function frameBytes(batch: ReadBatch): Uint8Array {
  const n = batch.positions.length;
  const words = 3 + n + (batch.offsets ? n : 0);
  const out = new Uint8Array(words * 4 + batch.records.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true);
  view.setUint32(4, batch.offsets ? 1 : 0, true);
  view.setUint32(8, batch.records.length, true);
  let at = 12;
  for (let i = 0; i < n; i++, at += 4) view.setUint32(at, batch.positions[i]!, true);
  if (batch.offsets) for (let i = 0; i < n; i++, at += 4) view.setUint32(at, batch.offsets[i]!, true);
  out.set(batch.records, at);
  return out;
}

/** Builds the object body and its frame index from a segment's batches (in offset order). */
export async function encodeSegmentObject(batches: readonly ReadBatch[]): Promise<{ body: Uint8Array; index: FrameEntry[] }> {
  const frames: Uint8Array[] = [];
  const index: FrameEntry[] = [];
  let at = 0;
  for (const b of batches) {
    const raw = frameBytes(b);
    const frame = await deflate(raw);
    index.push({ baseOffset: b.baseOffset, lastOffset: b.lastOffset, frameStart: at, frameLength: frame.length, rawBytes: raw.length, encoding: b.encoding });
    frames.push(frame);
    at += frame.length;
  }
  const body = new Uint8Array(at);
  let pos = 0;
  for (const f of frames) {
    body.set(f, pos);
    pos += f.length;
  }
  return { body, index };
}

/** Decodes one inflated frame back into the stored batch. */
export function decodeFrame(raw: Uint8Array, entry: FrameEntry): ReadBatch {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = view.getUint32(0, true);
  const hasOffsets = view.getUint32(4, true) === 1;
  const recordsLength = view.getUint32(8, true);
  let at = 12;
  const positions = new Uint32Array(n);
  for (let i = 0; i < n; i++, at += 4) positions[i] = view.getUint32(at, true);
  let offsets: Uint32Array | undefined;
  if (hasOffsets) {
    offsets = new Uint32Array(n);
    for (let i = 0; i < n; i++, at += 4) offsets[i] = view.getUint32(at, true);
  }
  return { baseOffset: entry.baseOffset, lastOffset: entry.lastOffset, encoding: entry.encoding, positions, offsets, records: raw.slice(at, at + recordsLength) };
}

/** The frame index as a compact blob for SQLite (offsets as float64: they exceed 32 bits in long logs). */
export function encodeIndex(index: readonly FrameEntry[]): Uint8Array {
  const out = new Float64Array(index.length * FIELDS);
  index.forEach((e, i) => out.set([e.baseOffset, e.lastOffset, e.frameStart, e.frameLength, e.rawBytes, ENCODING_CODE[e.encoding]], i * FIELDS));
  return new Uint8Array(out.buffer);
}

export function decodeIndex(blob: ArrayBuffer | Uint8Array): FrameEntry[] {
  const bytes = blob instanceof Uint8Array ? blob : new Uint8Array(blob);
  const values = new Float64Array(bytes.slice().buffer);
  const out: FrameEntry[] = [];
  for (let i = 0; i < values.length; i += FIELDS) {
    out.push({ baseOffset: values[i]!, lastOffset: values[i + 1]!, frameStart: values[i + 2]!, frameLength: values[i + 3]!, rawBytes: values[i + 4]!, encoding: ENCODING_BY_CODE[values[i + 5]!]! });
  }
  return out;
}
