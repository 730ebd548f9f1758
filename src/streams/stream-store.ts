// A Durable Stream's SQLite storage inside its object: one meta row (content type, TTL or expiry, closed state, the
// tail, the last Stream-Seq), one row per append (edgelog's rule: one row per batch, never per record; keyed by the
// record offset after it, so "the first row holding offset >= X" is a primary-key seek), and the idempotent producers'
// state. Every method is synchronous: the object's input gate makes a check-then-write atomic with no lock, and the
// output gate holds the answer until the write is durable.
import type { ProducerTuple, StreamInfo } from "./protocol";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ds_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  generation TEXT NOT NULL,
  content_type TEXT NOT NULL,
  ttl_seconds INTEGER,
  expires_at TEXT,
  expires_at_ms INTEGER,
  closed INTEGER NOT NULL,
  -- the producer tuple that closed the stream (JSON), so its retry is a duplicate and any other close a conflict
  closed_by TEXT,
  tail INTEGER NOT NULL,
  last_stream_seq TEXT,
  last_access_ms INTEGER NOT NULL,
  -- a fork's source (stream name), its Stream-Fork-Offset and sub-offset as sent, and the offset below which the
  -- source holds its records
  forked_from TEXT,
  fork_offset TEXT,
  fork_sub_offset INTEGER NOT NULL DEFAULT 0,
  inherit_end INTEGER NOT NULL DEFAULT 0,
  -- forks reading this stream; deleted or expired while > 0, it is soft-deleted (410) and kept for them
  ref_count INTEGER NOT NULL DEFAULT 0,
  soft_deleted INTEGER NOT NULL DEFAULT 0,
  -- the id of the edgelog topic the stream is registered as (src/log/stream-topic.ts); a fetch routed with another
  -- is refused
  topic_id TEXT
);
CREATE TABLE IF NOT EXISTS ds_batches (end_offset INTEGER PRIMARY KEY, record_count INTEGER NOT NULL, data BLOB NOT NULL, append_ms INTEGER);
CREATE TABLE IF NOT EXISTS ds_producers (producer_id TEXT PRIMARY KEY, epoch INTEGER NOT NULL, last_seq INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
`;

export interface StreamMeta extends StreamInfo {
  ttlSeconds?: number;
  expiresAtMs?: number;
  closedBy?: ProducerTuple;
  lastStreamSeq?: string;
  lastAccessMs: number;
  forkedFrom?: string;
  forkOffsetText?: string;
  forkSubOffset: number;
  inheritEnd: number;
  refCount: number;
  softDeleted: boolean;
  topicId?: string;
}

export interface StoredBatch {
  base: number;
  count: number;
  data: Uint8Array;
  /** When it was appended (absent for rows written before streams were topics). */
  appendMs?: number;
}

export interface ProducerState {
  epoch: number;
  lastSeq: number;
}

type Row = Record<string, SqlStorageValue>;

export class StreamStore {
  constructor(private readonly sql: SqlStorage) {
    sql.exec(SCHEMA);
    // Objects created before streams were topics have the older tables: add the columns they lack.
    const columns = (table: string) => sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name);
    if (!columns("ds_meta").includes("topic_id")) sql.exec("ALTER TABLE ds_meta ADD COLUMN topic_id TEXT");
    if (!columns("ds_batches").includes("append_ms")) sql.exec("ALTER TABLE ds_batches ADD COLUMN append_ms INTEGER");
  }

  meta(): StreamMeta | undefined {
    const row = this.sql.exec<Row>("SELECT * FROM ds_meta WHERE id = 1").toArray()[0];
    if (row === undefined) return undefined;
    return {
      generation: row.generation as string,
      contentType: row.content_type as string,
      ...(row.ttl_seconds === null ? {} : { ttlSeconds: row.ttl_seconds as number }),
      ...(row.expires_at === null ? {} : { expiresAt: row.expires_at as string, expiresAtMs: row.expires_at_ms as number }),
      closed: row.closed === 1,
      ...(row.closed_by === null ? {} : { closedBy: JSON.parse(row.closed_by as string) as ProducerTuple }),
      tail: row.tail as number,
      ...(row.last_stream_seq === null ? {} : { lastStreamSeq: row.last_stream_seq as string }),
      lastAccessMs: row.last_access_ms as number,
      ...(row.forked_from === null ? {} : { forkedFrom: row.forked_from as string }),
      ...(row.fork_offset === null ? {} : { forkOffsetText: row.fork_offset as string }),
      forkSubOffset: row.fork_sub_offset as number,
      inheritEnd: row.inherit_end as number,
      refCount: row.ref_count as number,
      softDeleted: row.soft_deleted === 1,
      ...(row.topic_id === null ? {} : { topicId: row.topic_id as string }),
    };
  }

  /** When the stream expires (epoch ms), or undefined for never: Expires-At, or the sliding TTL from the last access. */
  static expiryMs(meta: StreamMeta): number | undefined {
    if (meta.expiresAtMs !== undefined) return meta.expiresAtMs;
    return meta.ttlSeconds === undefined ? undefined : meta.lastAccessMs + meta.ttlSeconds * 1000;
  }

  create(meta: StreamMeta): void {
    this.sql.exec(
      "INSERT INTO ds_meta (id, generation, content_type, ttl_seconds, expires_at, expires_at_ms, closed, closed_by, tail, last_stream_seq, last_access_ms, forked_from, fork_offset, fork_sub_offset, inherit_end, topic_id) VALUES (1, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, ?, ?, ?, ?, ?, ?)",
      meta.generation,
      meta.contentType,
      meta.ttlSeconds ?? null,
      meta.expiresAt ?? null,
      meta.expiresAtMs ?? null,
      meta.closed ? 1 : 0,
      meta.inheritEnd,
      meta.lastAccessMs,
      meta.forkedFrom ?? null,
      meta.forkOffsetText ?? null,
      meta.forkSubOffset,
      meta.inheritEnd,
      meta.topicId ?? null,
    );
  }

  /** A stream made before streams were topics, or whose topic was made again, learns its topic id at its next PUT. */
  setTopicId(topicId: string): void {
    this.sql.exec("UPDATE ds_meta SET topic_id = ? WHERE id = 1", topicId);
  }

  /** Appends one row of `count` records (none for a close alone) and moves the tail past it. */
  append(count: number, data: Uint8Array, nowMs: number): number {
    const tail = (this.sql.exec<{ tail: number }>("SELECT tail FROM ds_meta WHERE id = 1").one().tail) + count;
    if (count > 0) this.sql.exec("INSERT INTO ds_batches (end_offset, record_count, data, append_ms) VALUES (?, ?, ?, ?)", tail, count, data, nowMs);
    this.sql.exec("UPDATE ds_meta SET tail = ? WHERE id = 1", tail);
    return tail;
  }

  close(by: ProducerTuple | undefined): void {
    this.sql.exec("UPDATE ds_meta SET closed = 1, closed_by = ? WHERE id = 1", by === undefined ? null : JSON.stringify(by));
  }

  setStreamSeq(seq: string): void {
    this.sql.exec("UPDATE ds_meta SET last_stream_seq = ? WHERE id = 1", seq);
  }

  touch(nowMs: number): void {
    this.sql.exec("UPDATE ds_meta SET last_access_ms = ? WHERE id = 1", nowMs);
  }

  addRef(delta: number): number {
    this.sql.exec("UPDATE ds_meta SET ref_count = MAX(0, ref_count + ?) WHERE id = 1", delta);
    return this.sql.exec<{ n: number }>("SELECT ref_count AS n FROM ds_meta WHERE id = 1").one().n;
  }

  /** Deleted or expired while forks read it: every call but theirs answers 410 until the last fork lets go. */
  softDelete(): void {
    this.sql.exec("UPDATE ds_meta SET soft_deleted = 1 WHERE id = 1");
    this.sql.exec("DELETE FROM ds_producers");
  }

  /** Local rows from the one holding `from` on, until `maxBytes` are gathered (always at least one row). */
  batchesFrom(from: number, maxBytes: number): StoredBatch[] {
    const out: StoredBatch[] = [];
    let bytes = 0;
    for (const row of this.sql.exec<Row>("SELECT end_offset, record_count, data, append_ms FROM ds_batches WHERE end_offset > ? ORDER BY end_offset", from)) {
      const data = new Uint8Array(row.data as ArrayBuffer);
      if (out.length > 0 && bytes + data.byteLength > maxBytes) break;
      const appended = row.append_ms === null ? {} : { appendMs: row.append_ms as number };
      out.push({ base: (row.end_offset as number) - (row.record_count as number), count: row.record_count as number, data, ...appended });
      bytes += data.byteLength;
    }
    return out;
  }

  producer(id: string): ProducerState | undefined {
    const row = this.sql.exec<Row>("SELECT epoch, last_seq FROM ds_producers WHERE producer_id = ?", id).toArray()[0];
    return row === undefined ? undefined : { epoch: row.epoch as number, lastSeq: row.last_seq as number };
  }

  /** Records a producer's accepted append; a new one beyond `maxProducers` makes the least recently used forgotten
   *  (counted only when one is added, so a known producer's append costs no scan). */
  setProducer(p: ProducerTuple, nowMs: number, maxProducers: number, isNew: boolean): void {
    this.sql.exec("INSERT OR REPLACE INTO ds_producers (producer_id, epoch, last_seq, updated_ms) VALUES (?, ?, ?, ?)", p.id, p.epoch, p.seq, nowMs);
    if (!isNew) return;
    const count = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ds_producers").one().n;
    if (count > maxProducers) {
      this.sql.exec("DELETE FROM ds_producers WHERE producer_id IN (SELECT producer_id FROM ds_producers ORDER BY updated_ms LIMIT ?)", count - maxProducers);
    }
  }

  /** Forgets the stream: it then behaves as never created (a PUT makes a fresh one). */
  purge(): void {
    this.sql.exec("DELETE FROM ds_meta");
    this.sql.exec("DELETE FROM ds_batches");
    this.sql.exec("DELETE FROM ds_producers");
  }
}
