// A share-partition's storage: one meta row (start and end of the window, the acquisition sequence, counters, the
// dead-letter producer and its pending batch) and one row per range of in-flight records with equal fields
// (share-state.ts toRanges). Every change is written in the same synchronous turn that made it, by rewriting only the
// ranges that changed, so the output gate answers a poll or an acknowledgement only once its state is durable:
// acquisitions are persisted, unlike Kafka's, so an eviction never hands a leased record to a second consumer early.
import type { ShareGroupConfig } from "../share-protocol";
import { fromRanges, toRanges, type ShareState, type StoredRange } from "./share-state";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS share_meta (id INTEGER PRIMARY KEY CHECK (id = 0), data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS share_inflight (first INTEGER PRIMARY KEY, data TEXT NOT NULL);`;

/** The dead-letter producer (its own idempotent producer id) and the batch it is writing. */
export interface DeadLetterProducer {
  producerId: number;
  producerEpoch: number;
  /** The next batch's first sequence (Kafka's sequences count records per producer and partition). */
  nextSequence: number;
  /** Persisted before the write: a retry after an eviction sends the same offsets with the same sequence, and the
   *  partition drops it as a duplicate (exactly once). */
  pending: { topic: string; partition: number; baseSequence: number; offsets: number[] } | null;
}

export interface ShareMeta {
  group: string;
  topic: string;
  topicId: string;
  partition: number;
  generation: number;
  /** The group's config as the last call carried it (the alarm has no call to read it from). */
  config: ShareGroupConfig;
  spso: number;
  nextOffset: number;
  acquisitionSeq: number;
  acknowledged: number;
  archived: number;
  deadLettered: number;
  deadLetter: DeadLetterProducer | null;
}

export class ShareStore {
  /** Each stored range's row as written (by first offset): a change rewrites only rows that differ. */
  private rows = new Map<number, string>();
  /** The tables exist (created by the first save of this instance, or found by load): a save per call must not pay
   *  for CREATE TABLE IF NOT EXISTS (it showed in the share-groups bench's profile). */
  private tablesExist = false;

  constructor(private readonly sql: SqlStorage) {}

  /** The stored meta and state, or undefined for an object that has none. */
  load(): { meta: ShareMeta; state: ShareState } | undefined {
    const exists = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'share_meta'").toArray().length > 0;
    const row = exists ? this.sql.exec<{ data: string }>("SELECT data FROM share_meta WHERE id = 0").toArray()[0] : undefined;
    if (row === undefined) return undefined;
    this.tablesExist = true;
    const meta = JSON.parse(row.data) as ShareMeta;
    const ranges: StoredRange[] = [];
    this.rows.clear();
    for (const r of this.sql.exec<{ first: number; data: string }>("SELECT first, data FROM share_inflight ORDER BY first")) {
      this.rows.set(r.first, r.data);
      ranges.push({ first: r.first, ...(JSON.parse(r.data) as Omit<StoredRange, "first">) });
    }
    return { meta, state: fromRanges(meta.spso, meta.nextOffset, meta.acquisitionSeq, ranges) };
  }

  save(meta: ShareMeta, state: ShareState): void {
    if (!this.tablesExist) {
      this.sql.exec(SCHEMA);
      this.tablesExist = true;
    }
    this.sql.exec("INSERT OR REPLACE INTO share_meta (id, data) VALUES (0, ?)", JSON.stringify({ ...meta, spso: state.spso, nextOffset: state.nextOffset, acquisitionSeq: state.acquisitionSeq }));
    const next = new Map<number, string>();
    for (const { first, ...rest } of toRanges(state)) next.set(first, JSON.stringify(rest));
    for (const first of this.rows.keys()) if (!next.has(first)) this.sql.exec("DELETE FROM share_inflight WHERE first = ?", first);
    for (const [first, data] of next) if (this.rows.get(first) !== data) this.sql.exec("INSERT OR REPLACE INTO share_inflight (first, data) VALUES (?, ?)", first, data);
    this.rows = next;
  }

  /** After the object's storage was deleted: the tables are gone too. */
  forget(): void {
    this.tablesExist = false;
    this.rows.clear();
  }
}
