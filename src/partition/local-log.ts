// The partition's log in its SQLite storage: appends batches, groups them into segments (the active one described in
// partition_state, sealed ones as rows), serves reads by offset and time, deletes whole segments for retention, and
// rewrites batches for compaction. Invariants: logStartOffset <= highWatermark <= logEndOffset; batches and segments
// are contiguous ranges in offset order; tiered (remote) segments are a prefix of the log; the active segment is
// always local. With one replica every append is committed at once, so the high watermark equals the log end offset;
// with more, the leader moves the high watermark as followers confirm (partition/replication.ts), and a follower's log
// takes the leader's batches byte for byte (appendReplicated) and truncates where it diverged (truncateTo).
import { assert } from "../errors";
import { buildBatch, ENCODING_BY_CODE, ENCODING_CODE, joinJson, MAX_STAMP_BYTES, parseRecords, type PackedTails } from "../log/batch";
import { ReadAccumulator, type ReadBatch } from "../log/batch-reader";
import type { CompactedBatch, StoredBatch } from "../log/compaction";
import { recordBatch, type ProducerEntry } from "../log/producer-state";
import { truncatedEpochs, withEpoch, type EpochEntry } from "../log/leader-epochs";
import type { ReplicaRole, ReplicatedBatch, ReplicatedProducerBatch } from "../protocol";

export type { ReplicaRole };
import type { Encoding } from "../log/record";
import { shouldRoll, type ActiveSegment, type SealedSegment } from "../log/segment-plan";
import type { TopicConfig } from "../log/topic-config";
import { TARGET_BATCH_ROW_BYTES } from "../limits";
import { PARTITION_MIGRATIONS, PARTITION_SCHEMA, PARTITION_SCHEMA_VERSION } from "./schema";

export const SOLE_REPLICA: ReplicaRole = { replicaId: 0, replicationFactor: 1, leader: 0, leaderEpoch: 0, isr: [0], placement: [] };

export interface LogState {
  topic: string;
  topicId: string;
  partition: number;
  metadataVersion: number;
  config: TopicConfig;
  logStartOffset: number;
  logEndOffset: number;
  highWatermark: number;
  /** Bytes of the whole log, local and tiered (retention.bytes counts this). */
  sizeBytes: number;
  /** Local batch rows. */
  batchCount: number;
  maxTimestampSoFar: number;
  active: ActiveSegment;
  replication: ReplicaRole;
}

interface StateRow extends Record<string, SqlStorageValue> {
  topic: string;
  topic_id: string;
  partition: number;
  metadata_version: number;
  config: string;
  log_start_offset: number;
  log_end_offset: number;
  high_watermark: number;
  size_bytes: number;
  batch_count: number;
  max_timestamp_so_far: number;
  active_base_offset: number;
  active_bytes: number;
  active_batches: number;
  active_max_timestamp: number;
  active_created_ms: number;
  replication: string | null;
}

interface BatchRow extends Record<string, SqlStorageValue> {
  last_offset: number;
  base_offset: number;
  encoding: number;
  append_time: number;
  size_bytes: number;
  records: ArrayBuffer;
  positions: ArrayBuffer;
  offsets: ArrayBuffer | null;
}

interface ReplicaBatchRow extends BatchRow {
  record_count: number;
  max_timestamp: number;
  producer: string | null;
}

export interface SegmentRow extends SealedSegment {
  batchCount: number;
  maxTimestampSoFar: number;
  createdMs: number;
  r2Key: string | null;
  storedBytes: number;
  batchIndex: ArrayBuffer | null;
}

const BATCH_COLUMNS = "last_offset, base_offset, encoding, append_time, size_bytes, records, positions, offsets";

function toReadBatch(row: BatchRow): ReadBatch & StoredBatch {
  return {
    baseOffset: row.base_offset,
    lastOffset: row.last_offset,
    encoding: ENCODING_BY_CODE[row.encoding]!,
    appendTimeMs: row.append_time,
    records: new Uint8Array(row.records),
    positions: new Uint32Array(row.positions),
    offsets: row.offsets === null ? undefined : new Uint32Array(row.offsets),
  };
}

export class LocalLog {
  private state: LogState | undefined;
  /** Whether this object's tables exist; made by the first write, so reads of an unused partition store nothing. */
  private persisted = false;
  /** Whether partition_state has its row (appends then update it narrowly). */
  private stateRowWritten = false;
  /** The leader-epoch cache, read once (a replicated append consults it). */
  private epochCache: EpochEntry[] | undefined;

  constructor(private readonly sql: SqlStorage) {
    // Tables are made on the first write, not here: describing or reading a partition never written (or one whose
    // topic was deleted) must not leave storage behind.
    const exists = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'partition_state'").toArray().length > 0;
    if (!exists) return;
    this.persisted = true;
    this.migrate();
    const row = sql.exec<StateRow>("SELECT * FROM partition_state WHERE id = 0").toArray()[0];
    if (row !== undefined) {
      this.state = this.recoverAppends(fromRow(row));
      this.stateRowWritten = true;
    }
  }

  /**
   * The state row as of its last write, brought up to date with the batches appended since (appends do not rewrite
   * it). They all lie in the active segment, which rolls at most MAX_SEGMENT_BYTES: a bounded scan of row headers.
   */
  private recoverAppends(s: LogState): LogState {
    const rows = this.sql
      .exec<{ last_offset: number; base_offset: number; size_bytes: number; max_timestamp: number; max_timestamp_so_far: number }>(
        "SELECT last_offset, base_offset, size_bytes, max_timestamp, max_timestamp_so_far FROM batches WHERE last_offset >= ? ORDER BY last_offset",
        s.logEndOffset,
      )
      .toArray();
    if (rows.length === 0) return s;
    const active = { ...s.active };
    let next = s;
    for (const r of rows) {
      assert(r.base_offset === next.logEndOffset, "batches after the recorded log end are not contiguous");
      active.bytes += r.size_bytes;
      active.batches++;
      if (r.max_timestamp > active.maxTimestamp) active.maxTimestamp = r.max_timestamp;
      next = {
        ...next,
        logEndOffset: r.last_offset + 1,
        // With replicas, a recovered batch is committed only once followers confirm it again.
        highWatermark: next.replication.replicationFactor === 1 ? r.last_offset + 1 : next.highWatermark,
        sizeBytes: next.sizeBytes + r.size_bytes,
        batchCount: next.batchCount + 1,
        maxTimestampSoFar: Math.max(next.maxTimestampSoFar, r.max_timestamp_so_far),
      };
    }
    next = { ...next, active };
    this.checkInvariants(next);
    return next;
  }

  /** Undefined until the partition has learned its topic from the controller. */
  get current(): LogState | undefined {
    return this.state;
  }

  /** Records the topic metadata (first use, or a newer version). Offsets are untouched. */
  adopt(meta: { topic: string; topicId: string; partition: number; version: number; config: TopicConfig; replication: ReplicaRole }, nowMs: number): LogState {
    const prev = this.state;
    const next: LogState = prev
      ? { ...prev, metadataVersion: meta.version, config: meta.config, replication: meta.replication }
      : {
          topic: meta.topic,
          topicId: meta.topicId,
          partition: meta.partition,
          metadataVersion: meta.version,
          config: meta.config,
          logStartOffset: 0,
          logEndOffset: 0,
          highWatermark: 0,
          sizeBytes: 0,
          batchCount: 0,
          maxTimestampSoFar: -1,
          active: { baseOffset: 0, bytes: 0, batches: 0, maxTimestamp: -1, createdMs: nowMs },
          replication: meta.replication,
        };
    if (this.persisted) this.writeState(next);
    else this.state = next; // written with the first append
    return next;
  }

  /**
   * Appends records as one or more batch rows (split near TARGET_BATCH_ROW_BYTES) in one implicit transaction:
   * no await between the writes, so they commit together and the output gate holds the ack until durable. The
   * active segment rolls first when this append would pass segment.bytes or it is segment.ms old.
   */
  append(
    encoding: Encoding,
    timestamps: ArrayLike<number>,
    tails: PackedTails,
    appendTimeMs: number,
    producer?: Omit<ReplicatedProducerBatch, "baseOffset">,
  ): number {
    const state = this.state;
    assert(state !== undefined, "append before the partition knows its topic");
    const count = tails.ends.length;
    assert(count > 0 && count === timestamps.length, "append needs one timestamp per record");
    this.ensureTables();
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
      const lastOffset = offset + (to - from) - 1;
      const producerJson = producer !== undefined && to === count ? JSON.stringify({ ...producer, baseOffset }) : null;
      this.sql.exec(
        `INSERT INTO batches (last_offset, base_offset, record_count, max_timestamp, max_timestamp_so_far, append_time, encoding, size_bytes, records, positions, producer)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        lastOffset, offset, to - from, batch.maxTimestamp, maxSoFar, appendTimeMs, ENCODING_CODE[encoding], batch.bytes.length,
        batch.bytes, new Uint8Array(batch.positions.buffer), producerJson,
      );
      sizeBytes += batch.bytes.length;
      batchCount++;
      active.bytes += batch.bytes.length;
      active.batches++;
      if (batch.maxTimestamp > active.maxTimestamp) active.maxTimestamp = batch.maxTimestamp;
      offset = lastOffset + 1;
      from = to;
    }
    const highWatermark = s.replication.replicationFactor === 1 ? offset : s.highWatermark;
    const next: LogState = { ...s, logEndOffset: offset, highWatermark, sizeBytes, batchCount, maxTimestampSoFar: maxSoFar, active };
    this.checkInvariants(next);
    assert(next.logEndOffset === baseOffset + count, "offsets not contiguous after append");
    if (!this.stateRowWritten) {
      // The first append of a partition writes its whole state row (adopt() kept it in memory until now).
      this.writeState(next);
      return baseOffset;
    }
    // An append writes its batch rows and nothing else: the state row is not updated (SQLite rows written are most of
    // the bill). What an append changes (log end, sizes, the active segment) is recovered from the batches after
    // the state row's log end when the object starts (recoverAppends), the way Kafka recovers its log end from the
    // log. Every other change (roll, retention, tiering, compaction, config) writes the whole state row.
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
    this.ensureTables();
    for (const b of batches) {
      const s0 = this.state!;
      // A gap is allowed: compaction may have removed whole batches from the leader's log.
      assert(b.baseOffset >= s0.logEndOffset && b.lastOffset >= b.baseOffset, "replicated batches must continue the log");
      if (shouldRoll(s0.active, s0.config, nowMs, b.records.length)) this.roll(nowMs);
      const s = this.state!;
      const maxSoFar = Math.max(s.maxTimestampSoFar, b.maxTimestamp);
      this.sql.exec(
        `INSERT INTO batches (last_offset, base_offset, record_count, max_timestamp, max_timestamp_so_far, append_time, encoding, size_bytes, records, positions, offsets, producer)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        b.lastOffset, b.baseOffset, b.recordCount, b.maxTimestamp, maxSoFar, b.appendTimeMs, ENCODING_CODE[b.encoding], b.records.length, b.records,
        new Uint8Array(b.positions.buffer, b.positions.byteOffset, b.positions.byteLength),
        b.offsets === undefined ? null : new Uint8Array(b.offsets.buffer, b.offsets.byteOffset, b.offsets.byteLength),
        b.producer === undefined ? null : JSON.stringify(b.producer),
      );
      if (b.producer !== undefined) {
        const p = b.producer;
        const count = b.lastOffset - p.baseOffset + 1;
        this.saveProducerEntry(p.producerId, recordBatch(this.producerEntry(p.producerId), p, count, p.baseOffset, p.logAppendTimeMs, b.appendTimeMs));
      }
      const active = {
        ...s.active,
        bytes: s.active.bytes + b.records.length,
        batches: s.active.batches + 1,
        maxTimestamp: Math.max(s.active.maxTimestamp, b.maxTimestamp),
      };
      this.state = { ...s, logEndOffset: b.lastOffset + 1, sizeBytes: s.sizeBytes + b.records.length, batchCount: s.batchCount + 1, maxTimestampSoFar: maxSoFar, active };
    }
    this.checkInvariants(this.state!);
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
    this.ensureTables();
    assert(offset >= this.localStartOffset() || offset <= s.logStartOffset, "truncating into tiered segments");
    const straddling = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches WHERE base_offset < ? AND last_offset >= ?", offset, offset).one().n;
    assert(straddling === 0, `truncation at ${offset} is not a batch boundary`);
    const removed = this.sql.exec<{ n: number; bytes: number | null }>("SELECT count(*) AS n, sum(size_bytes) AS bytes FROM batches WHERE base_offset >= ?", offset).one();
    this.sql.exec("DELETE FROM batches WHERE base_offset >= ?", offset);
    // Sealed segments past the point go; one that straddles it becomes the active segment again.
    this.sql.exec("DELETE FROM segments WHERE base_offset >= ? AND location = 'local'", offset);
    let active = s.active;
    const straddlingSegment = this.segments().find((seg) => seg.location === "local" && seg.lastOffset >= offset);
    if (straddlingSegment !== undefined) {
      this.sql.exec("DELETE FROM segments WHERE base_offset = ?", straddlingSegment.baseOffset);
      active = { baseOffset: straddlingSegment.baseOffset, bytes: 0, batches: 0, maxTimestamp: -1, createdMs: straddlingSegment.createdMs };
    } else if (active.baseOffset > offset) {
      active = { ...active, baseOffset: offset };
    }
    const inActive = this.sql
      .exec<{ n: number; bytes: number | null; ts: number | null }>("SELECT count(*) AS n, sum(size_bytes) AS bytes, max(max_timestamp) AS ts FROM batches WHERE base_offset >= ?", active.baseOffset)
      .one();
    active = { ...active, bytes: inActive.bytes ?? 0, batches: inActive.n, maxTimestamp: inActive.ts ?? -1 };
    const last = this.sql.exec<{ so_far: number }>("SELECT max_timestamp_so_far AS so_far FROM batches ORDER BY last_offset DESC LIMIT 1").toArray()[0];
    const lastSegment = this.segments().at(-1);
    const maxTimestampSoFar = last?.so_far ?? lastSegment?.maxTimestampSoFar ?? -1;
    this.sql.exec("DELETE FROM leader_epochs WHERE start_offset >= ?", offset);
    this.epochCache = truncatedEpochs(this.epochs(), offset);
    // Producer batches at or after the point no longer exist; a producer's retry of them is then accepted anew.
    for (const row of this.sql.exec<{ producer_id: number; data: string }>("SELECT producer_id, data FROM producer_state").toArray()) {
      const entry = JSON.parse(row.data) as ProducerEntry;
      const kept = entry.batches.filter((b) => b.lastOffset < offset);
      if (kept.length !== entry.batches.length) this.saveProducerEntry(row.producer_id, { ...entry, batches: kept });
    }
    const next: LogState = {
      ...s,
      logEndOffset: offset,
      highWatermark: Math.min(s.highWatermark, offset),
      logStartOffset: Math.min(s.logStartOffset, offset),
      sizeBytes: s.sizeBytes - (removed.bytes ?? 0),
      batchCount: s.batchCount - removed.n,
      maxTimestampSoFar,
      active,
    };
    this.checkInvariants(next);
    this.writeState(next);
  }

  /**
   * Empties the log and restarts it at `offset` (a follower behind its leader's log start: what it lacks no longer
   * exists locally on the leader). Tiered objects of this replica are queued for deletion; returns their keys.
   */
  resetTo(offset: number, nowMs: number): string[] {
    this.ensureTables();
    const keys = this.allR2Keys();
    for (const key of keys) this.sql.exec("INSERT OR IGNORE INTO r2_garbage (r2_key) VALUES (?)", key);
    this.sql.exec("DELETE FROM batches");
    this.sql.exec("DELETE FROM segments");
    this.sql.exec("DELETE FROM leader_epochs");
    this.epochCache = [];
    this.sql.exec("DELETE FROM producer_state");
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

  /** The leader-epoch cache, oldest first. A log written before replication existed is all epoch 0. */
  epochs(): readonly EpochEntry[] {
    if (!this.persisted) return [];
    this.epochCache ??= this.sql
      .exec<{ epoch: number; start_offset: number }>("SELECT epoch, start_offset FROM leader_epochs ORDER BY epoch")
      .toArray()
      .map((r) => ({ epoch: r.epoch, startOffset: r.start_offset }));
    return this.epochCache;
  }

  /** Records that `epoch` starts at `offset` (a new leader at its log end; a follower as its leader's batches arrive). */
  addEpoch(epoch: number, offset: number): void {
    const cache = this.epochs();
    const next = withEpoch(cache, epoch, offset);
    if (next.length === cache.length) return;
    this.ensureTables();
    this.sql.exec("INSERT OR REPLACE INTO leader_epochs (epoch, start_offset) VALUES (?, ?)", epoch, offset);
    this.epochCache = next;
  }

  /** Moves the high watermark (in memory: on restart it is the last recorded one until followers confirm again). */
  setHighWatermark(offset: number): void {
    const s = this.state!;
    const highWatermark = Math.min(Math.max(offset, s.logStartOffset), s.logEndOffset);
    if (highWatermark === s.highWatermark) return;
    const next = { ...s, highWatermark };
    this.checkInvariants(next);
    this.state = next;
  }

  /** This replica's role changed (a new leader epoch, or an ISR change); written at once. */
  setReplication(replication: ReplicaRole): void {
    const next = { ...this.state!, replication };
    if (this.persisted) this.writeState(next);
    else this.state = next;
  }

  /** Local batches from `offset` on, as a follower stores them, up to about maxBytes (at least one). */
  replicationBatches(offset: number, maxBytes: number): ReplicatedBatch[] {
    if (!this.persisted) return [];
    const out: ReplicatedBatch[] = [];
    let bytes = 0;
    const cursor = this.sql.exec<ReplicaBatchRow>(
      `SELECT ${BATCH_COLUMNS}, record_count, max_timestamp, producer FROM batches WHERE last_offset >= ? ORDER BY last_offset`,
      offset,
    );
    for (const row of cursor) {
      if (out.length > 0 && bytes + row.size_bytes > maxBytes) break;
      const b = toReadBatch(row);
      out.push({
        baseOffset: b.baseOffset,
        lastOffset: b.lastOffset,
        recordCount: row.record_count,
        maxTimestamp: row.max_timestamp,
        appendTimeMs: row.append_time,
        encoding: b.encoding,
        records: b.records,
        positions: b.positions,
        ...(b.offsets === undefined ? {} : { offsets: b.offsets }),
        ...(row.producer === null ? {} : { producer: JSON.parse(row.producer) as ReplicatedProducerBatch }),
      });
      bytes += row.size_bytes;
    }
    return out;
  }

  /** Seals the active segment (if it holds anything) and starts a new one at the log end. */
  roll(nowMs: number): void {
    const s = this.state!;
    if (s.active.batches === 0) {
      if (s.active.baseOffset !== s.logEndOffset) this.writeState({ ...s, active: { ...s.active, baseOffset: s.logEndOffset, createdMs: nowMs } });
      return;
    }
    const a = s.active;
    this.sql.exec(
      `INSERT INTO segments (base_offset, last_offset, size_bytes, batch_count, max_timestamp, max_timestamp_so_far, created_ms, location)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'local')`,
      a.baseOffset, s.logEndOffset - 1, a.bytes, a.batches, a.maxTimestamp, s.maxTimestampSoFar, a.createdMs,
    );
    this.writeState({ ...s, active: { baseOffset: s.logEndOffset, bytes: 0, batches: 0, maxTimestamp: -1, createdMs: nowMs } });
  }

  /**
   * Reads committed local records into `acc` (the caller checked logStartOffset <= offset <= highWatermark and read
   * any tiered prefix first). The cursor is consumed before any await.
   */
  readLocal(acc: ReadAccumulator, maxRecords: number): void {
    if (acc.done || !this.persisted) return;
    const cursor = this.sql.exec<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM batches WHERE last_offset >= ? ORDER BY last_offset LIMIT ?`, acc.nextOffset, maxRecords);
    for (const row of cursor) {
      acc.add(toReadBatch(row));
      if (acc.done) break;
    }
  }

  /** A read of local data only (no tiered segment at or after offset). */
  read(offset: number, maxRecords: number, maxBytes: number, encoding: Encoding): ReadAccumulator {
    const acc = new ReadAccumulator(offset, this.state!.highWatermark, maxRecords, maxBytes, encoding);
    this.readLocal(acc, maxRecords);
    return acc;
  }

  /** The first offset held locally: the first local batch's base (tiered segments come before it). */
  localStartOffset(): number {
    const s = this.state!;
    if (!this.persisted) return s.logStartOffset;
    const row = this.sql.exec<{ base_offset: number }>("SELECT base_offset FROM batches ORDER BY last_offset LIMIT 1").toArray()[0];
    return row ? Math.max(row.base_offset, s.logStartOffset) : s.active.baseOffset;
  }

  /** Sealed segments, oldest first. */
  segments(): SegmentRow[] {
    if (!this.persisted) return [];
    return this.sql
      .exec<Record<string, SqlStorageValue>>("SELECT * FROM segments ORDER BY base_offset")
      .toArray()
      .map((r) => ({
        baseOffset: r.base_offset as number,
        lastOffset: r.last_offset as number,
        sizeBytes: r.size_bytes as number,
        batchCount: r.batch_count as number,
        maxTimestamp: r.max_timestamp as number,
        maxTimestampSoFar: r.max_timestamp_so_far as number,
        createdMs: r.created_ms as number,
        location: r.location as "local" | "remote",
        r2Key: r.r2_key as string | null,
        storedBytes: r.stored_bytes as number,
        batchIndex: r.batch_index as ArrayBuffer | null,
        cleanedThrough: r.cleaned_through as number,
      }));
  }

  /** The local batches of offsets [from, to], in order (for tiering and compaction). */
  batchesIn(from: number, to: number): (ReadBatch & StoredBatch & { sizeBytes: number })[] {
    return this.sql
      .exec<BatchRow>(`SELECT ${BATCH_COLUMNS} FROM batches WHERE last_offset >= ? AND base_offset <= ? ORDER BY last_offset`, from, to)
      .toArray()
      .map((row) => ({ ...toReadBatch(row), sizeBytes: row.size_bytes }));
  }

  /**
   * Deletes the n oldest sealed segments (retention): local batch rows go at once, tiered objects are queued for
   * deletion from R2. logStartOffset moves to the next segment's base. Returns the R2 keys queued.
   */
  deleteOldestSegments(n: number): string[] {
    const doomed = this.segments().slice(0, n);
    if (doomed.length === 0) return [];
    const keys: string[] = [];
    let s = this.state!;
    for (const seg of doomed) {
      if (seg.location === "local") {
        const removed = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches WHERE last_offset <= ?", seg.lastOffset).one().n;
        this.sql.exec("DELETE FROM batches WHERE last_offset <= ?", seg.lastOffset);
        s = { ...s, batchCount: s.batchCount - removed };
      } else if (seg.r2Key !== null) {
        this.sql.exec("INSERT OR IGNORE INTO r2_garbage (r2_key) VALUES (?)", seg.r2Key);
        keys.push(seg.r2Key);
      }
      this.sql.exec("DELETE FROM segments WHERE base_offset = ?", seg.baseOffset);
      s = { ...s, sizeBytes: s.sizeBytes - seg.sizeBytes, logStartOffset: Math.max(s.logStartOffset, seg.lastOffset + 1) };
    }
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
    this.ensureTables();
    const whole = this.segments().filter((seg) => seg.lastOffset < beforeOffset).length;
    const keys = this.deleteOldestSegments(whole);
    const after = this.state!;
    // Local batches wholly below the new start (in the active segment or a partly deleted sealed one).
    const removed = this.sql.exec<{ n: number; bytes: number | null }>("SELECT count(*) AS n, sum(size_bytes) AS bytes FROM batches WHERE last_offset < ?", beforeOffset).one();
    this.sql.exec("DELETE FROM batches WHERE last_offset < ?", beforeOffset);
    const bytes = removed.bytes ?? 0;
    const active = after.active.baseOffset < beforeOffset ? { ...after.active, bytes: Math.max(0, after.active.bytes - bytes), batches: Math.max(0, after.active.batches - removed.n) } : after.active;
    const next = { ...after, logStartOffset: beforeOffset, batchCount: after.batchCount - removed.n, sizeBytes: after.sizeBytes - bytes, active };
    this.checkInvariants(next);
    this.writeState(next);
    return keys;
  }

  /** After a successful PUT: the segment is tiered (its object and frame index recorded), its local rows removed. */
  commitTiered(segmentBase: number, r2Key: string, storedBytes: number, batchIndex: Uint8Array): void {
    const seg = this.segments().find((x) => x.baseOffset === segmentBase);
    assert(seg !== undefined && seg.location === "local", "tiering a segment that is not local");
    const removed = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM batches WHERE last_offset >= ? AND last_offset <= ?", seg.baseOffset, seg.lastOffset).one().n;
    this.sql.exec("DELETE FROM batches WHERE last_offset >= ? AND last_offset <= ?", seg.baseOffset, seg.lastOffset);
    this.sql.exec("UPDATE segments SET location = 'remote', r2_key = ?, stored_bytes = ?, batch_index = ? WHERE base_offset = ?", r2Key, storedBytes, batchIndex, segmentBase);
    this.sql.exec("DELETE FROM pending_uploads WHERE r2_key = ?", r2Key);
    this.writeState({ ...this.state!, batchCount: this.state!.batchCount - removed });
  }

  /** Replaces a batch by its compacted form (or removes it when nothing survived); sizes follow. */
  rewriteBatch(batch: StoredBatch & { sizeBytes: number }, compacted: CompactedBatch, segmentBase: number): void {
    const s = this.state!;
    const delta = compacted.records.length - batch.sizeBytes;
    if (compacted.recordCount === 0) {
      this.sql.exec("DELETE FROM batches WHERE last_offset = ?", batch.lastOffset);
    } else {
      this.sql.exec(
        "UPDATE batches SET records = ?, positions = ?, offsets = ?, record_count = ?, size_bytes = ?, max_timestamp = ? WHERE last_offset = ?",
        compacted.records, new Uint8Array(compacted.positions.buffer), new Uint8Array(compacted.offsets.buffer), compacted.recordCount, compacted.records.length,
        compacted.maxTimestamp, batch.lastOffset,
      );
    }
    this.sql.exec("UPDATE segments SET size_bytes = size_bytes + ?, batch_count = batch_count - ? WHERE base_offset = ?", delta, compacted.recordCount === 0 ? 1 : 0, segmentBase);
    this.writeState({ ...s, sizeBytes: s.sizeBytes + delta, batchCount: s.batchCount - (compacted.recordCount === 0 ? 1 : 0) });
  }

  markCleaned(segmentBases: readonly number[], through: number): void {
    for (const base of segmentBases) this.sql.exec("UPDATE segments SET cleaned_through = ? WHERE base_offset = ?", through, base);
  }

  addPendingUpload(r2Key: string, segmentBase: number): void {
    this.sql.exec("INSERT OR REPLACE INTO pending_uploads (r2_key, segment_base) VALUES (?, ?)", r2Key, segmentBase);
  }

  pendingUploads(): string[] {
    if (!this.persisted) return [];
    return this.sql.exec<{ r2_key: string }>("SELECT r2_key FROM pending_uploads").toArray().map((r) => r.r2_key);
  }

  garbage(): string[] {
    if (!this.persisted) return [];
    return this.sql.exec<{ r2_key: string }>("SELECT r2_key FROM r2_garbage UNION SELECT r2_key FROM pending_uploads").toArray().map((r) => r.r2_key);
  }

  /** Forgets R2 keys whose objects were deleted (and interrupted uploads whose objects are gone). */
  clearGarbage(keys: readonly string[]): void {
    for (const key of keys) {
      this.sql.exec("DELETE FROM r2_garbage WHERE r2_key = ?", key);
      this.sql.exec("DELETE FROM pending_uploads WHERE r2_key = ?", key);
    }
  }

  /** Every R2 object this partition refers to (for dropping the topic). */
  allR2Keys(): string[] {
    if (!this.persisted) return [];
    const remote = this.sql.exec<{ r2_key: string }>("SELECT r2_key FROM segments WHERE r2_key IS NOT NULL").toArray().map((r) => r.r2_key);
    return [...new Set([...remote, ...this.garbage()])];
  }

  /** An idempotent producer's state in this partition, if any. */
  producerEntry(producerId: number): ProducerEntry | undefined {
    if (!this.persisted) return undefined;
    const row = this.sql.exec<{ data: string }>("SELECT data FROM producer_state WHERE producer_id = ?", producerId).toArray()[0];
    return row ? (JSON.parse(row.data) as ProducerEntry) : undefined;
  }

  /** Written in the same turn as the append it describes, so both commit together. */
  saveProducerEntry(producerId: number, entry: ProducerEntry): void {
    this.sql.exec("INSERT OR REPLACE INTO producer_state (producer_id, data) VALUES (?, ?)", producerId, JSON.stringify(entry));
  }

  /** CreateTime or LogAppendTime of records [first, last], read back (a duplicate produce answers with these). */
  timestampsOf(first: number, last: number): number[] {
    const out: number[] = [];
    for (const b of this.batchesIn(first, last)) {
      for (const r of parseRecords(b.records)) if (r.offset >= first && r.offset <= last) out.push(r.timestamp);
    }
    return out;
  }

  /** The fetch response body: the contract's {records, nextOffset, highWatermark, logStartOffset}. */
  responseBody(acc: ReadAccumulator): Uint8Array {
    const state = this.state!;
    return joinJson('{"records":[', acc.pieces, `],"nextOffset":${acc.nextOffset},"highWatermark":${state.highWatermark},"logStartOffset":${state.logStartOffset}}`);
  }

  /**
   * Kafka's ListOffsets by time over local batches: the first offset (in offset order, at or above `from`, below
   * the high watermark) whose timestamp >= T, or undefined. Binary search over batches by their running maximum
   * timestamp, then a scan of the one batch found.
   */
  offsetForTimestamp(timestampMs: number, from: number): { offset: number; timestamp: number } | undefined {
    const state = this.state!;
    if (!this.persisted) return undefined;
    const probe = (offset: number) =>
      this.sql
        .exec<{ last_offset: number; max_timestamp_so_far: number }>(
          "SELECT last_offset, max_timestamp_so_far FROM batches WHERE last_offset >= ? ORDER BY last_offset LIMIT 1",
          offset,
        )
        .toArray()[0];
    let lo = from;
    let hi = state.highWatermark - 1;
    if (hi < lo) return undefined;
    const lastBatch = probe(hi);
    if (lastBatch === undefined || lastBatch.max_timestamp_so_far < timestampMs) return undefined;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const row = probe(mid);
      if (row === undefined) break;
      if (row.max_timestamp_so_far >= timestampMs) hi = Math.min(mid, row.last_offset);
      else lo = row.last_offset + 1;
    }
    for (const b of this.batchesIn(lo, state.highWatermark - 1)) {
      for (const record of parseRecords(b.records)) {
        if (record.offset >= Math.max(from, state.logStartOffset) && record.offset < state.highWatermark && record.timestamp >= timestampMs) {
          return { offset: record.offset, timestamp: record.timestamp };
        }
      }
    }
    return undefined;
  }

  private checkInvariants(s: LogState): void {
    assert(s.logStartOffset <= s.highWatermark && s.highWatermark <= s.logEndOffset, "offsets out of order");
    assert(s.active.baseOffset <= s.logEndOffset, "active segment starts past the log end");
  }

  private migrate(): void {
    const row = this.sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
    const version = row?.version ?? PARTITION_SCHEMA_VERSION;
    for (let v = version + 1; v <= PARTITION_SCHEMA_VERSION; v++) this.sql.exec(PARTITION_MIGRATIONS[v]!);
    if (version < PARTITION_SCHEMA_VERSION) {
      this.sql.exec(PARTITION_SCHEMA); // tables new in later versions
      this.sql.exec("UPDATE schema_version SET version = ?", PARTITION_SCHEMA_VERSION);
    }
  }

  private ensureTables(): void {
    if (this.persisted) return;
    this.sql.exec(PARTITION_SCHEMA);
    this.sql.exec("INSERT INTO schema_version (version) VALUES (?)", PARTITION_SCHEMA_VERSION);
    this.persisted = true;
  }

  private writeState(s: LogState): void {
    this.ensureTables();
    this.sql.exec(
      `INSERT OR REPLACE INTO partition_state (id, topic, topic_id, partition, metadata_version, config, log_start_offset, log_end_offset, high_watermark,
         size_bytes, batch_count, max_timestamp_so_far, active_base_offset, active_bytes, active_batches, active_max_timestamp, active_created_ms, replication)
       VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      s.topic, s.topicId, s.partition, s.metadataVersion, JSON.stringify(s.config), s.logStartOffset, s.logEndOffset, s.highWatermark, s.sizeBytes, s.batchCount,
      s.maxTimestampSoFar, s.active.baseOffset, s.active.bytes, s.active.batches, s.active.maxTimestamp, s.active.createdMs, JSON.stringify(s.replication),
    );
    this.stateRowWritten = true;
    this.state = s;
  }
}

function fromRow(row: StateRow): LogState {
  return {
    topic: row.topic,
    topicId: row.topic_id,
    partition: row.partition,
    metadataVersion: row.metadata_version,
    config: JSON.parse(row.config) as TopicConfig,
    logStartOffset: row.log_start_offset,
    logEndOffset: row.log_end_offset,
    highWatermark: row.high_watermark,
    sizeBytes: row.size_bytes,
    batchCount: row.batch_count,
    maxTimestampSoFar: row.max_timestamp_so_far,
    active: {
      baseOffset: row.active_base_offset,
      bytes: row.active_bytes,
      batches: row.active_batches,
      maxTimestamp: row.active_max_timestamp,
      createdMs: row.active_created_ms,
    },
    replication: row.replication === null ? SOLE_REPLICA : (JSON.parse(row.replication) as ReplicaRole),
  };
}
