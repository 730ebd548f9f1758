// The partition's log in its SQLite storage: appends batches, groups them into segments (the active one described in
// the state row, sealed ones as rows), deletes whole segments for retention, truncates a follower's divergent suffix
// and rewrites batches for compaction, keeping the state in step with every write. Invariants: logStartOffset <=
// highWatermark <= logEndOffset; batches and segments are contiguous ranges in offset order; tiered (remote) segments
// are a prefix of the log; the active segment is always local. With one replica every append is committed at once, so
// the high watermark equals the log end offset; with more, the leader moves it as followers confirm
// (partition/replication.ts), and a follower takes the leader's batches byte for byte (appendReplicated).
// Reads go to the stores directly (batches, segments, producers, epochs); what changes the state goes through here.
import { assert } from "../errors";
import { buildBatch, type PackedTails } from "../log/batch";
import { MAX_STAMP_BYTES } from "../log/stamp";
import type { CompactedBatch, StoredBatch } from "../log/compaction";
import { recordBatch } from "../log/producer-state";
import type { Encoding } from "../log/record";
import { shouldRoll } from "../log/segment-plan";
import { TARGET_BATCH_ROW_BYTES } from "../limits";
import type { ReadAccumulator } from "../log/batch-reader";
import type { ReplicaRole, ReplicatedBatch, ReplicatedProducerBatch } from "../protocol";
import { BatchStore } from "./batch-store";
import { checkInvariants, emptyState, PartitionTables, recoverAppends, type AdoptedMeta, type LogState } from "./log-state";
import { EpochCache, ProducerStore } from "./producer-store";
import { DurableWatches } from "./durable-watches";
import { SegmentStore } from "./segment-store";
import { PartitionTxns } from "./transactions";
import { TailCache } from "./tail-cache";

export type { LogState, ReplicaRole };

export class LocalLog {
  readonly batches: BatchStore;
  readonly segments: SegmentStore;
  readonly producers: ProducerStore;
  readonly epochs: EpochCache;
  /** Objects waiting for the next append (subscriptions that caught up). */
  readonly watches: DurableWatches;
  /** Open transactions, ended epochs and aborted ranges (transactions.ts). */
  readonly txns: PartitionTxns;
  private readonly tables: PartitionTables;
  private state: LogState | undefined;
  /** Whether partition_state has its row (appends then leave it alone). */
  private stateRowWritten = false;
  /** The first offset held locally, while known (fetches ask it on every read; deletions forget it). */
  private localStart: number | undefined;
  /** The newest batches as stored: tail reads and a leader's pushes are served from memory (tail-cache.ts). */
  private readonly tail: TailCache;

  /** `tailCacheBytes`: the tail cache's bound (the PARTITION_TAIL_CACHE_BYTES setting; 0 turns it off). */
  constructor(sql: SqlStorage, tailCacheBytes: number) {
    this.tail = new TailCache(tailCacheBytes);
    this.tables = new PartitionTables(sql);
    this.batches = new BatchStore(sql, this.tables);
    this.segments = new SegmentStore(sql, this.tables);
    this.producers = new ProducerStore(sql, this.tables);
    this.epochs = new EpochCache(sql, this.tables);
    this.watches = new DurableWatches(sql, this.tables);
    this.txns = new PartitionTxns(sql, this.tables);
    const recorded = this.tables.readState();
    if (recorded !== undefined) {
      this.state = recoverAppends(recorded, this.batches.headersFrom(recorded.logEndOffset));
      this.stateRowWritten = true;
    }
  }

  /** Undefined until the partition has learned its topic from the controller. */
  get current(): LogState | undefined {
    return this.state;
  }

  /** Records the topic metadata (first use, or a newer version). Offsets are untouched. */
  adopt(meta: AdoptedMeta, nowMs: number): LogState {
    const prev = this.state;
    const next: LogState = prev ? { ...prev, metadataVersion: meta.version, config: meta.config, replication: meta.replication } : emptyState(meta, nowMs);
    if (this.tables.exist) this.writeState(next);
    else this.state = next; // written with the first append
    return next;
  }

  /**
   * Appends records as one or more batch rows (split near TARGET_BATCH_ROW_BYTES) in one implicit transaction:
   * no await between the writes, so they commit together and the output gate holds the ack until durable. The
   * active segment rolls first when this append would pass segment.bytes or it is segment.ms old.
   */
  append(encoding: Encoding, timestamps: ArrayLike<number>, tails: PackedTails, appendTimeMs: number, producer?: Omit<ReplicatedProducerBatch, "baseOffset">): number {
    const state = this.state;
    assert(state !== undefined, "append before the partition knows its topic");
    const count = tails.ends.length;
    assert(count > 0 && count === timestamps.length, "append needs one timestamp per record");
    this.tables.ensure();
    if (shouldRoll(state.active, state.config, appendTimeMs, tails.bytes.length + count * MAX_STAMP_BYTES)) this.roll(appendTimeMs);
    const s = this.state!;
    const baseOffset = s.logEndOffset;
    let offset = baseOffset;
    let maxSoFar = s.maxTimestampSoFar;
    let sizeBytes = s.sizeBytes;
    let batchCount = s.batchCount;
    const active = { ...s.active };
    let from = 0;
    while (from < count) {
      // Choose the run of records for this row: at least one, then as many as fit the target row size
      // (a tail's bytes plus what stamping adds).
      let to = from + 1;
      const rowStart = from === 0 ? 0 : tails.ends[from - 1]!;
      while (to < count && tails.ends[to]! - rowStart + (to + 1 - from) * MAX_STAMP_BYTES <= TARGET_BATCH_ROW_BYTES) to++;
      const batch = buildBatch(offset, timestamps, tails, from, to);
      if (batch.maxTimestamp > maxSoFar) maxSoFar = batch.maxTimestamp;
      const row = {
        baseOffset: offset,
        lastOffset: offset + (to - from) - 1,
        recordCount: to - from,
        maxTimestamp: batch.maxTimestamp,
        maxTimestampSoFar: maxSoFar,
        appendTimeMs,
        encoding,
        records: batch.bytes,
        positions: batch.positions,
        ...(producer !== undefined && to === count ? { producer: { ...producer, baseOffset } } : {}),
      };
      this.batches.insert(row);
      this.tail.push(row);
      sizeBytes += batch.bytes.length;
      batchCount++;
      active.bytes += batch.bytes.length;
      active.batches++;
      if (batch.maxTimestamp > active.maxTimestamp) active.maxTimestamp = batch.maxTimestamp;
      offset = row.lastOffset + 1;
      from = to;
    }
    const highWatermark = s.replication.replicationFactor === 1 ? offset : s.highWatermark;
    const next: LogState = { ...s, logEndOffset: offset, highWatermark, sizeBytes, batchCount, maxTimestampSoFar: maxSoFar, active };
    checkInvariants(next);
    assert(next.logEndOffset === baseOffset + count, "offsets not contiguous after append");
    if (!this.stateRowWritten) {
      // The first append of a partition writes its whole state row (adopt() kept it in memory until now).
      this.writeState(next);
      return baseOffset;
    }
    // An append writes its batch rows and nothing else (SQLite rows written are most of the bill): what it changes (log
    // end, sizes, the active segment) is recovered from the batches when the object starts (recoverAppends). Every
    // other change (roll, retention, tiering, compaction, config) writes the whole state row.
    this.state = next;
    return baseOffset;
  }

  /**
   * A follower appends its leader's batches as they are (same offsets, bytes and producer stamps), rolling segments by
   * its own rules; the batches must start at its log end. Producer state follows, so a follower elected leader
   * deduplicates retries exactly as its predecessor would. One implicit transaction: no await inside.
   */
  appendReplicated(batches: readonly ReplicatedBatch[], nowMs: number): void {
    if (batches.length === 0) return;
    this.tables.ensure();
    for (const b of batches) {
      const s0 = this.state!;
      // A gap is allowed: compaction may have removed whole batches from the leader's log.
      assert(b.baseOffset >= s0.logEndOffset && b.lastOffset >= b.baseOffset, "replicated batches must continue the log");
      if (shouldRoll(s0.active, s0.config, nowMs, b.records.length)) this.roll(nowMs);
      const s = this.state!;
      const maxSoFar = Math.max(s.maxTimestampSoFar, b.maxTimestamp);
      this.batches.insert({ ...b, maxTimestampSoFar: maxSoFar });
      this.tail.push(b);
      const p = b.producer;
      if (p?.control !== undefined) this.txns.end(p.producerId, p.producerEpoch, p.control === "commit", nowMs);
      else if (p !== undefined) {
        const count = b.lastOffset - p.baseOffset + 1;
        this.producers.save(p.producerId, recordBatch(this.producers.get(p.producerId), p, count, p.baseOffset, p.logAppendTimeMs, b.appendTimeMs));
        if (p.transactional === true) this.txns.recordAppend(p.producerId, p.producerEpoch, p.baseOffset, b.lastOffset);
      }
      const active = { ...s.active, bytes: s.active.bytes + b.records.length, batches: s.active.batches + 1, maxTimestamp: Math.max(s.active.maxTimestamp, b.maxTimestamp) };
      this.state = { ...s, logEndOffset: b.lastOffset + 1, sizeBytes: s.sizeBytes + b.records.length, batchCount: s.batchCount + 1, maxTimestampSoFar: maxSoFar, active };
    }
    checkInvariants(this.state!);
    if (!this.stateRowWritten) this.writeState(this.state!);
  }

  /**
   * Removes every batch at or after `offset` (a follower's divergent suffix, KIP-101), with the epoch entries and
   * producer batches that described them. Truncation points are batch boundaries (epochs start at appends; pushes
   * carry whole rows). Only uncommitted records lie there, so they are local: tiering, retention and compaction stop at
   * the high watermark.
   */
  truncateTo(offset: number): void {
    const s = this.state!;
    if (offset >= s.logEndOffset) return;
    this.tables.ensure();
    assert(offset >= this.localStartOffset() || offset <= s.logStartOffset, "truncating into tiered segments");
    assert(!this.batches.straddles(offset), `truncation at ${offset} is not a batch boundary`);
    const removed = this.batches.deleteFrom(offset);
    this.localStart = undefined;
    this.tail.dropFrom(offset);
    // Sealed segments past the point go; one that straddles it becomes the active segment again.
    this.segments.deleteLocalFrom(offset);
    let active = s.active;
    const straddling = this.segments.firstFrom(offset);
    if (straddling !== undefined && straddling.location === "local") {
      this.segments.delete(straddling.baseOffset);
      active = { baseOffset: straddling.baseOffset, bytes: 0, batches: 0, maxTimestamp: -1, createdMs: straddling.createdMs };
    } else if (active.baseOffset > offset) {
      active = { ...active, baseOffset: offset };
    }
    const inActive = this.batches.statsFrom(active.baseOffset);
    active = { ...active, bytes: inActive.bytes, batches: inActive.count, maxTimestamp: inActive.maxTimestamp };
    const maxTimestampSoFar = this.batches.lastMaxTimestampSoFar() ?? this.segments.last()?.maxTimestampSoFar ?? -1;
    this.epochs.truncate(offset);
    this.producers.truncate(offset);
    this.txns.truncate(offset);
    const next: LogState = {
      ...s,
      logEndOffset: offset,
      highWatermark: Math.min(s.highWatermark, offset),
      logStartOffset: Math.min(s.logStartOffset, offset),
      sizeBytes: s.sizeBytes - removed.bytes,
      batchCount: s.batchCount - removed.count,
      maxTimestampSoFar,
      active,
    };
    checkInvariants(next);
    this.writeState(next);
  }

  /**
   * Empties the log and restarts it at `offset` (a follower behind its leader's log start: what it lacks no longer
   * exists locally on the leader). Tiered objects of this replica are queued for deletion; returns their keys.
   */
  resetTo(offset: number, nowMs: number): string[] {
    this.tables.ensure();
    const keys = this.segments.allR2Keys();
    for (const key of keys) this.segments.queueGarbage(key);
    this.batches.deleteAll();
    this.segments.deleteAll();
    this.epochs.deleteAll();
    this.producers.deleteAll();
    this.txns.deleteAll();
    this.localStart = undefined;
    this.tail.clear();
    const s = this.state!;
    this.writeState({
      ...s,
      logStartOffset: offset,
      logEndOffset: offset,
      highWatermark: offset,
      sizeBytes: 0,
      batchCount: 0,
      maxTimestampSoFar: -1,
      active: { baseOffset: offset, bytes: 0, batches: 0, maxTimestamp: -1, createdMs: nowMs },
    });
    return keys;
  }

  /** Records that leader `epoch` starts at `offset`. */
  addEpoch(epoch: number, offset: number): void {
    this.epochs.add(epoch, offset);
  }

  /** Moves the high watermark (in memory: on restart it is the last recorded one until followers confirm again). */
  setHighWatermark(offset: number): void {
    const s = this.state!;
    const highWatermark = Math.min(Math.max(offset, s.logStartOffset), s.logEndOffset);
    if (highWatermark === s.highWatermark) return;
    const next = { ...s, highWatermark };
    checkInvariants(next);
    this.state = next;
  }

  /** This replica's role changed (a new leader epoch, or an ISR change); written at once. */
  setReplication(replication: ReplicaRole): void {
    const next = { ...this.state!, replication };
    if (this.tables.exist) this.writeState(next);
    else this.state = next;
  }

  /** Local batches from `offset` on, as a follower stores them, up to about maxBytes: from memory when just appended. */
  replicationBatches(offset: number, maxBytes: number): ReplicatedBatch[] {
    return this.tail.from(offset, maxBytes) ?? this.batches.replicationBatches(offset, maxBytes);
  }

  /** A read's local part served from the tail cache; false (nothing added) when it must go to SQLite. */
  readTail(acc: ReadAccumulator): boolean {
    return this.tail.readInto(acc, this.state!.logEndOffset);
  }

  /** Seals the active segment (if it holds anything) and starts a new one at the log end. */
  roll(nowMs: number): void {
    const s = this.state!;
    if (s.active.batches === 0) {
      if (s.active.baseOffset !== s.logEndOffset) this.writeState({ ...s, active: { ...s.active, baseOffset: s.logEndOffset, createdMs: nowMs } });
      return;
    }
    const a = s.active;
    this.segments.insertLocal({
      baseOffset: a.baseOffset,
      lastOffset: s.logEndOffset - 1,
      sizeBytes: a.bytes,
      batchCount: a.batches,
      maxTimestamp: a.maxTimestamp,
      maxTimestampSoFar: s.maxTimestampSoFar,
      createdMs: a.createdMs,
    });
    this.writeState({ ...s, active: { baseOffset: s.logEndOffset, bytes: 0, batches: 0, maxTimestamp: -1, createdMs: nowMs } });
  }

  /** The first offset held locally: the first local batch's base (tiered segments come before it). In memory. */
  localStartOffset(): number {
    const s = this.state!;
    this.localStart ??= this.batches.firstBaseOffset() ?? s.active.baseOffset;
    return Math.max(this.localStart, s.logStartOffset);
  }

  /**
   * Deletes the n oldest sealed segments (retention): local batch rows go at once, tiered objects are queued for
   * deletion from R2. logStartOffset moves to the next segment's base. Returns the R2 keys queued.
   */
  deleteOldestSegments(n: number): string[] {
    const doomed = this.segments.list().slice(0, n);
    if (doomed.length === 0) return [];
    const keys: string[] = [];
    let s = this.state!;
    for (const seg of doomed) {
      if (seg.location === "local") {
        const removed = this.batches.deleteBelow(seg.lastOffset + 1);
        s = { ...s, batchCount: s.batchCount - removed.count };
      } else if (seg.r2Key !== null) {
        this.segments.queueGarbage(seg.r2Key);
        keys.push(seg.r2Key);
      }
      this.segments.delete(seg.baseOffset);
      s = { ...s, sizeBytes: s.sizeBytes - seg.sizeBytes, logStartOffset: Math.max(s.logStartOffset, seg.lastOffset + 1) };
    }
    this.forgetBelow(s.logStartOffset);
    this.writeState(s);
    return keys;
  }

  /**
   * Kafka's DeleteRecords: logStartOffset moves to `beforeOffset` (at most the high watermark); sealed segments
   * wholly below it are deleted, and local batches wholly below it too. Returns R2 keys queued for deletion.
   */
  deleteRecordsBefore(beforeOffset: number): string[] {
    const s = this.state!;
    if (beforeOffset <= s.logStartOffset) return [];
    this.tables.ensure();
    const whole = this.segments.list().filter((seg) => seg.lastOffset < beforeOffset).length;
    const keys = this.deleteOldestSegments(whole);
    const after = this.state!;
    // Local batches wholly below the new start (in the active segment or a partly deleted sealed one).
    const removed = this.batches.deleteBelow(beforeOffset);
    this.forgetBelow(beforeOffset);
    const active =
      after.active.baseOffset < beforeOffset
        ? { ...after.active, bytes: Math.max(0, after.active.bytes - removed.bytes), batches: Math.max(0, after.active.batches - removed.count) }
        : after.active;
    const next = { ...after, logStartOffset: beforeOffset, batchCount: after.batchCount - removed.count, sizeBytes: after.sizeBytes - removed.bytes, active };
    checkInvariants(next);
    this.writeState(next);
    return keys;
  }

  /** After a successful PUT: the segment is tiered (its object and frame index recorded), its local rows removed. */
  commitTiered(segmentBase: number, r2Key: string, storedBytes: number, batchIndex: Uint8Array): void {
    const seg = this.segments.firstFrom(segmentBase);
    assert(seg !== undefined && seg.baseOffset === segmentBase && seg.location === "local", "tiering a segment that is not local");
    const producers = this.batches.producersBetween(seg.baseOffset, seg.lastOffset);
    const removed = this.batches.deleteRange(seg.baseOffset, seg.lastOffset);
    this.segments.markTiered(segmentBase, r2Key, storedBytes, batchIndex, producers);
    this.forgetBelow(seg.lastOffset + 1);
    this.writeState({ ...this.state!, batchCount: this.state!.batchCount - removed.count });
  }

  /** Replaces a batch by its compacted form (or removes it when nothing survived); sizes follow. */
  rewriteBatch(batch: StoredBatch & { sizeBytes: number }, compacted: CompactedBatch, segmentBase: number): void {
    const s = this.state!;
    const delta = compacted.records.length - batch.sizeBytes;
    const removedBatches = compacted.recordCount === 0 ? 1 : 0;
    this.batches.rewrite(batch, compacted);
    this.segments.resize(segmentBase, delta, removedBatches);
    this.forgetBelow(batch.lastOffset + 1);
    this.writeState({ ...s, sizeBytes: s.sizeBytes + delta, batchCount: s.batchCount - removedBatches });
  }

  /** Local batches below `offset` were removed or rewritten: what memory holds of them is stale. The tail cache is a
   *  contiguous run ending at the log end, so dropping its batches below the point is exact. */
  private forgetBelow(offset: number): void {
    this.localStart = undefined;
    this.tail.dropBelow(offset);
  }

  private writeState(s: LogState): void {
    this.tables.writeState(s);
    this.stateRowWritten = true;
    this.state = s;
  }
}
