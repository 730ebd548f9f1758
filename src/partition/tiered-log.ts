// The partition's tiered segments in R2: uploads a sealed segment as one immutable object (a new key per attempt,
// written once), reads batches back with ranged GETs over just the frames a read needs (the frame index lives in
// SQLite, so nothing is ever listed), and deletes objects of deleted segments. Keys are the replica's object name
// (names.ts) followed by /<baseOffset>-<lastOffset>-<attempt uuid>.seg: each replica tiers its own copy, since a
// follower elected leader must be able to serve its whole log alone.
import type { ReadAccumulator, ReadBatch } from "../log/batch-reader";
import { decodeFrame, decodeIndex, encodeSegmentObject, encodeIndex, inflate, type FrameEntry } from "../log/segment-object";
import { partitionLogName } from "../names";
import type { TieredSegment } from "./segment-store";

/** R2 deletes take at most 1,000 keys per call. */
const R2_DELETE_BATCH = 1000;

export function segmentKey(topicId: string, partition: number, baseOffset: number, lastOffset: number, replica = 0): string {
  return `${partitionLogName(topicId, partition, replica)}/${String(baseOffset).padStart(20, "0")}-${String(lastOffset).padStart(20, "0")}-${crypto.randomUUID()}.seg`;
}

export class TieredLog {
  constructor(
    private readonly bucket: R2Bucket,
    /** Told of each upload (the partition's counters) and each failed one (its log; the alarm retries). */
    private readonly hooks: { uploaded(storedBytes: number): void; failed(key: string, error: unknown): void } = { uploaded() {}, failed() {} },
  ) {}

  /** PUTs a segment's batches; returns what the index needs. The caller records the key as pending first. */
  async upload(key: string, batches: readonly ReadBatch[]): Promise<{ storedBytes: number; batchIndex: Uint8Array; rawBytes: number }> {
    const { body, index } = await encodeSegmentObject(batches);
    try {
      await this.bucket.put(key, body, { customMetadata: { format: "edgelog-segment-1" } });
    } catch (error) {
      this.hooks.failed(key, error);
      throw error;
    }
    this.hooks.uploaded(body.length);
    return { storedBytes: body.length, batchIndex: encodeIndex(index), rawBytes: index.reduce((n, e) => n + e.rawBytes, 0) };
  }

  /** Reads a tiered segment's records from acc.nextOffset on into `acc`, fetching only the frames needed. */
  async read(segment: TieredSegment, acc: ReadAccumulator, maxBytes: number): Promise<void> {
    if (acc.done) return;
    for (const batch of await this.frames(segment, acc.nextOffset, maxBytes - acc.bytes)) {
      if (acc.done) break;
      acc.add(batch);
    }
  }

  /**
   * The segment's batches from the one holding `offset` on, as many as cover about `rawBytes` of uncompressed frames
   * (at least one): one ranged GET. Follower catch-up and ListOffsets by time page through a segment with it.
   */
  async frames(segment: TieredSegment, offset: number, rawBytes: number): Promise<ReadBatch[]> {
    const index = decodeIndex(segment.batchIndex);
    const first = index.findIndex((e) => e.lastOffset >= offset);
    if (first < 0) return [];
    // Frames until the uncompressed bytes cover what the caller may still take (records JSON is most of a frame).
    let last = first;
    let raw = index[first]!.rawBytes;
    while (last + 1 < index.length && raw < rawBytes) raw += index[++last]!.rawBytes;
    const start = index[first]!.frameStart;
    const end = index[last]!.frameStart + index[last]!.frameLength;
    const object = await this.bucket.get(segment.r2Key, { range: { offset: start, length: end - start } });
    if (object === null) throw new Error(`tiered segment object ${segment.r2Key} is missing`);
    const bytes = new Uint8Array(await object.arrayBuffer());
    const out: ReadBatch[] = [];
    for (let i = first; i <= last; i++) {
      const entry: FrameEntry = index[i]!;
      out.push(decodeFrame(await inflate(bytes.subarray(entry.frameStart - start, entry.frameStart - start + entry.frameLength)), entry));
    }
    return out;
  }

  /** Deletes objects (idempotent: deleting a missing key succeeds). */
  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += R2_DELETE_BATCH) await this.bucket.delete(keys.slice(i, i + R2_DELETE_BATCH));
  }
}
