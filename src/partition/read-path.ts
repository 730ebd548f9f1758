// Reading the log across its two tiers: tiered segments in R2 are the log's prefix, local batches in SQLite the rest.
// A read finds its first segment with a key seek and loads only that segment's frame index, then fetches only the
// frames it needs with one ranged GET, so a read is O(log n) in the number of segments, local or tiered. Used by
// fetch, ListOffsets by time, and a leader serving a follower that is far behind.
import { joinJson, parseRecords } from "../log/batch";
import { ReadAccumulator } from "../log/batch-reader";
import { encodeRecordFrame } from "../log/record-frame";
import type { ListedOffset, ReadRequest, ReplicatedBatch } from "../protocol";
import { fail, ok, type Result } from "../errors";
import type { LocalLog, LogState } from "./local-log";
import type { TieredLog } from "./tiered-log";

/** The end a read stops at: the high watermark, or under read_committed the last stable offset. */
export function readEnd(log: LocalLog, request: ReadRequest): number {
  const state = log.current!;
  return request.isolation === "read_committed" ? log.txns.lastStableOffset(state) : state.highWatermark;
}

/** The committed records from `offset` on, within the request's bounds (read_committed: stable, none aborted).
 *  `useTail` false reads SQLite even when the tail cache could answer (the property test compares the two). */
export async function readRecords(log: LocalLog, tiered: TieredLog, offset: number, request: ReadRequest, useTail = true): Promise<ReadAccumulator> {
  const end = readEnd(log, request);
  const aborted = request.isolation === "read_committed" ? log.txns.abortedBetween(offset, end) : [];
  const acc = new ReadAccumulator(offset, end, request.maxRecords, request.maxBytes, request.encoding, aborted);
  // Tiered prefix: read R2 segments in order until the answer is full or local data starts.
  while (!acc.done && acc.nextOffset < log.localStartOffset()) {
    const segment = log.segments.tieredFrom(acc.nextOffset);
    if (segment === undefined) break;
    const before = acc.nextOffset;
    await tiered.read(segment, acc, request.maxBytes);
    if (acc.nextOffset === before && !acc.done) acc.nextOffset = segment.lastOffset + 1; // an empty (compacted) tail
  }
  // Local records, after any tiered prefix: from memory when the tail cache holds them, else from SQLite.
  if (!(useTail && log.readTail(acc))) log.batches.readInto(acc, request.maxRecords);
  return acc;
}

/** A read after its offset is checked: below the log start or past the log end is OFFSET_OUT_OF_RANGE. Offsets
 *  between the high watermark and the log end exist but are not committed yet (with replicas, a restarted or new
 *  leader learns the high watermark again from its followers): such a fetch waits, as in Kafka. */
export async function readInRange(log: LocalLog, tiered: TieredLog, state: LogState, request: ReadRequest): Promise<Result<ReadAccumulator>> {
  const offset = request.offset ?? state.logStartOffset;
  if (offset < state.logStartOffset || offset > Math.max(state.highWatermark, state.logEndOffset)) {
    return fail("OFFSET_OUT_OF_RANGE", `offset ${offset} is outside [logStartOffset ${state.logStartOffset}, highWatermark ${state.highWatermark}]`, {
      offset,
      logStartOffset: state.logStartOffset,
      highWatermark: state.highWatermark,
    });
  }
  return ok(await readRecords(log, tiered, offset, request));
}

/** The fetch response body: the contract's {records, nextOffset, highWatermark, logStartOffset}, and under
 *  read_committed the lastStableOffset; as JSON, or as the binary record frame from the same stored slices. */
export function responseBody(log: LocalLog, acc: ReadAccumulator, request: ReadRequest): Uint8Array {
  const state = log.current!;
  if (request.format === "binary") {
    const lastStableOffset = request.isolation === "read_committed" ? log.txns.lastStableOffset(state) : undefined;
    const meta = { nextOffset: acc.nextOffset, highWatermark: state.highWatermark, logStartOffset: state.logStartOffset, lastStableOffset, encoding: request.encoding };
    return encodeRecordFrame(acc.framePieces, meta);
  }
  const lso = request.isolation === "read_committed" ? `,"lastStableOffset":${log.txns.lastStableOffset(state)}` : "";
  return joinJson('{"records":[', acc.pieces, `],"nextOffset":${acc.nextOffset},"highWatermark":${state.highWatermark},"logStartOffset":${state.logStartOffset}${lso}}`);
}

/**
 * Kafka's ListOffsets by time: the first offset at or after logStartOffset whose timestamp >= T, below the high
 * watermark; -1/-1 when there is none (Kafka's answer). Tiered segments first: the first whose running maximum
 * timestamp reaches T is found by binary search, then read frame by frame until the record is found.
 */
export async function offsetForTime(log: LocalLog, tiered: TieredLog, timestampMs: number): Promise<ListedOffset> {
  const state = log.current!;
  const localStart = log.localStartOffset();
  let segment = log.segments.firstTieredReaching(timestampMs);
  while (segment !== undefined) {
    let offset = Math.max(segment.baseOffset, state.logStartOffset);
    while (offset <= segment.lastOffset) {
      const batches = await tiered.frames(segment, offset, FRAME_PAGE_BYTES);
      if (batches.length === 0) break;
      for (const b of batches) {
        for (const r of parseRecords(b.records)) {
          if (r.offset >= state.logStartOffset && r.timestamp >= timestampMs) return { offset: r.offset, timestamp: r.timestamp };
        }
      }
      offset = batches.at(-1)!.lastOffset + 1;
    }
    // The running maximum reached T in this segment, so a record at or past T lies here unless it was below the log
    // start: go on with the next tiered segment.
    segment = log.segments.tieredFrom(segment.lastOffset + 1);
  }
  return log.batches.offsetForTimestamp(timestampMs, Math.max(localStart, state.logStartOffset), state.highWatermark) ?? { offset: -1, timestamp: -1 };
}

/** How much uncompressed frame data one ranged GET of a by-time search or a follower catch-up covers. */
const FRAME_PAGE_BYTES = 1024 * 1024;

/** Batches for a follower from `offset` on: local rows, or a tiered segment's frames for a follower far behind. */
export async function batchesFrom(log: LocalLog, tiered: TieredLog, offset: number, maxBytes: number): Promise<ReplicatedBatch[]> {
  if (offset >= log.localStartOffset()) return log.replicationBatches(offset, maxBytes);
  const segment = log.segments.tieredFrom(offset);
  if (segment === undefined) return log.replicationBatches(offset, maxBytes);
  const out: ReplicatedBatch[] = [];
  let bytes = 0;
  // The stamps the batches carried before tiering: the follower rebuilds its transactions (aborted ranges for
  // read_committed) and producer state from them, exactly as from local rows.
  const producers = log.segments.producersOf(segment.baseOffset);
  for (const b of await tiered.frames(segment, offset, maxBytes)) {
    if (b.lastOffset < offset) continue;
    if (out.length > 0 && bytes + b.records.length > maxBytes) break;
    const records = parseRecords(b.records);
    const maxTimestamp = records.reduce((m, r) => Math.max(m, r.timestamp), -1);
    out.push({
      baseOffset: b.baseOffset,
      lastOffset: b.lastOffset,
      recordCount: b.positions.length,
      maxTimestamp,
      appendTimeMs: maxTimestamp,
      encoding: b.encoding,
      records: b.records,
      positions: b.positions,
      ...(b.offsets === undefined ? {} : { offsets: b.offsets }),
      ...(producers.has(b.lastOffset) ? { producer: producers.get(b.lastOffset)! } : {}),
    });
    bytes += b.records.length;
  }
  return out;
}
