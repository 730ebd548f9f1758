// Kafka's leader-epoch cache (KIP-101) and the two decisions made from it. Each replica keeps, per leader epoch, the
// first offset the leader of that epoch wrote. A leader never overwrites its own log, so two replicas hold the same
// record at an offset exactly when their caches give that offset the same epoch; the first offset where the epochs
// differ is where a follower's log diverges from its leader's, and the follower truncates there (not to its high
// watermark, which would lose committed records; not to its log end, which would keep records the leader never had).
// Pure.

export interface EpochEntry {
  epoch: number;
  startOffset: number;
}

/** The epoch of the record at `offset`: the last entry starting at or before it; -1 before the first entry. */
export function epochAt(cache: readonly EpochEntry[], offset: number): number {
  let epoch = -1;
  for (const e of cache) {
    if (e.startOffset > offset) break;
    epoch = e.epoch;
  }
  return epoch;
}

/**
 * Where a follower's log stops agreeing with its leader's: the offset to truncate it to (its log end when nothing
 * diverges, or the leader's log end when the follower holds more). Only offsets the follower holds are compared.
 */
export function divergenceOffset(
  leader: { epochs: readonly EpochEntry[]; logEndOffset: number },
  follower: { epochs: readonly EpochEntry[]; logEndOffset: number; logStartOffset: number },
): number {
  const end = Math.min(leader.logEndOffset, follower.logEndOffset);
  const points = new Set<number>([follower.logStartOffset]);
  for (const e of leader.epochs) points.add(e.startOffset);
  for (const e of follower.epochs) points.add(e.startOffset);
  for (const offset of [...points].sort((a, b) => a - b)) {
    if (offset < follower.logStartOffset || offset >= end) continue;
    if (epochAt(leader.epochs, offset) !== epochAt(follower.epochs, offset)) return offset;
  }
  return end;
}

/** The cache after an append in `epoch` at `offset`: a new entry only when the epoch is newer than the last one. */
export function withEpoch(cache: readonly EpochEntry[], epoch: number, offset: number): EpochEntry[] {
  const last = cache[cache.length - 1];
  if (last !== undefined && last.epoch >= epoch) return [...cache];
  return [...cache, { epoch, startOffset: offset }];
}

/** The cache after truncating the log to `offset`: entries starting at or after it go. */
export function truncatedEpochs(cache: readonly EpochEntry[], offset: number): EpochEntry[] {
  return cache.filter((e) => e.startOffset < offset);
}

/**
 * The leader's entries a follower needs for batches [from, to]: the epoch in force at `from` (starting at `from` for
 * the follower, which may hold nothing before it) and every epoch starting inside the range.
 */
export function epochsCovering(cache: readonly EpochEntry[], from: number, to: number): EpochEntry[] {
  const out: EpochEntry[] = [];
  const first = epochAt(cache, from);
  if (first >= 0) out.push({ epoch: first, startOffset: from });
  for (const e of cache) if (e.startOffset > from && e.startOffset <= to) out.push(e);
  return out;
}
