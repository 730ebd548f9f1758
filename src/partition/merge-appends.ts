// Group commit's pure parts: which waiting appends go together (takeGroup), the one append they make (mergeAppends),
// and each part's answer from the merged one (splitResult). The partition object uses them to write the plain
// appends that queued while its previous write was committing as one batch row (PartitionLog.flushAppends). Pure: no
// storage, no I/O.
import type { AppendRequest, AppendResult } from "../protocol";

/**
 * Removes from `queue` and returns its longest prefix whose records and packed bytes stay within the bounds and whose
 * members can share a batch row with the first (`compatible`); always at least the first, which alone passed the
 * per-request limits.
 */
export function takeGroup<T extends { request: AppendRequest }>(
  queue: T[],
  maxRecords: number,
  maxBytes: number,
  compatible: (first: T, other: T) => boolean = () => true,
): T[] {
  let records = 0;
  let bytes = 0;
  let n = 0;
  while (n < queue.length) {
    const part = queue[n]!;
    const tails = part.request.tails;
    if (n > 0 && (records + tails.ends.length > maxRecords || bytes + tails.bytes.length > maxBytes || !compatible(queue[0]!, part))) break;
    records += tails.ends.length;
    bytes += tails.bytes.length;
    n++;
  }
  return queue.splice(0, n);
}

/** One append of every request's records in order; encoding and acks are the first's (takeGroup kept them alike). */
export function mergeAppends(requests: readonly AppendRequest[]): AppendRequest {
  if (requests.length === 1) return requests[0]!;
  let records = 0;
  let bytes = 0;
  for (const r of requests) {
    records += r.tails.ends.length;
    bytes += r.tails.bytes.length;
  }
  const timestamps = new Float64Array(records);
  const ends = new Uint32Array(records);
  const out = new Uint8Array(bytes);
  let at = 0;
  let byteAt = 0;
  for (const r of requests) {
    timestamps.set(r.timestamps, at);
    for (let i = 0; i < r.tails.ends.length; i++) ends[at + i] = r.tails.ends[i]! + byteAt;
    out.set(r.tails.bytes, byteAt);
    at += r.tails.ends.length;
    byteAt += r.tails.bytes.length;
  }
  const first = requests[0]!;
  return { acks: first.acks, encoding: first.encoding, timestamps, tails: { bytes: out, ends }, hasNullKey: requests.some((r) => r.hasNullKey) };
}

/** Each part's answer from the merged append's: its own base offset (parts are contiguous, in order). */
export function splitResult(merged: AppendResult, counts: readonly number[]): AppendResult[] {
  let base = merged.baseOffset;
  return counts.map((count) => {
    const part: AppendResult = { baseOffset: base, logAppendTimeMs: merged.logAppendTimeMs, duplicate: false };
    base += count;
    return part;
  });
}
