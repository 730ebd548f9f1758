// A share-partition's storage: one meta row (start and end of the window, the acquisition sequence, counters, the
// dead-letter producer and its pending batch) and one row per range of in-flight records with equal fields
// (share-state.ts toRanges). Every change is written in the same synchronous turn that made it, by rewriting only the
// rows around the offsets that changed (share-index.ts keeps them), so the output gate answers a poll or an acknowledgement only once its state is durable:
// acquisitions are persisted, unlike Kafka's, so an eviction never hands a leased record to a second consumer early.
import type { ShareGroupConfig } from "../share-protocol";
import { takeDirty } from "./share-index";
import { fromRanges, toRanges, type InFlightRecord, type ShareState, type StoredRange } from "./share-state";

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
  /** The group's newest config this object knows, from the coordinator's notice or a call (the alarm has no call). */
  config: ShareGroupConfig;
  /** Its version (StoredShareGroup.configVersion; absent in state stored before it: 0). */
  configVersion?: number;
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
  private rows = new Map<number, { last: number; data: string }>();
  /** The rows' first offsets, sorted (to find the row holding an offset). */
  private firsts: number[] = [];
  /** The state the rows are of: another one (a reset, a new incarnation) is written whole. */
  private stored: ShareState | undefined;
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
      const range = { first: r.first, ...(JSON.parse(r.data) as Omit<StoredRange, "first">) };
      this.rows.set(r.first, { last: range.last, data: r.data });
      ranges.push(range);
    }
    this.firsts = ranges.map((r) => r.first);
    const state = fromRanges(meta.spso, meta.nextOffset, meta.acquisitionSeq, ranges);
    this.stored = state;
    return { meta, state };
  }

  save(meta: ShareMeta, state: ShareState): void {
    if (!this.tablesExist) {
      this.sql.exec(SCHEMA);
      this.tablesExist = true;
    }
    this.sql.exec("INSERT OR REPLACE INTO share_meta (id, data) VALUES (0, ?)", JSON.stringify({ ...meta, spso: state.spso, nextOffset: state.nextOffset, acquisitionSeq: state.acquisitionSeq }));
    if (state !== this.stored) {
      this.rewrite(toRanges(state), [...this.rows.keys()]);
      takeDirty(state);
      this.stored = state;
      return;
    }
    const dirty = takeDirty(state);
    if (dirty.length === 0) return;
    // The spans to rewrite: each changed offset with the stored row holding it, merged where they touch.
    const spans: [number, number][] = [];
    for (const o of dirty) {
      const row = this.rowAt(o);
      const [a, b] = row === undefined ? [o, o] : [Math.min(row.first, o), Math.max(row.last, o)];
      const last = spans[spans.length - 1];
      if (last !== undefined && a <= last[1] + 1) last[1] = Math.max(last[1], b);
      else spans.push([a, b]);
    }
    const ranges: StoredRange[] = [];
    const old: number[] = [];
    for (const [a, b] of spans) {
      for (let i = this.lowerBound(a); i < this.firsts.length && this.firsts[i]! <= b; i++) old.push(this.firsts[i]!);
      let open: StoredRange | undefined;
      for (let o = a; o <= b; o++) {
        const r = state.records.get(o);
        if (r === undefined) open = undefined;
        else if (open !== undefined && sameFields(open, r)) open.last = o;
        else ranges.push((open = { first: o, last: o, ...r }));
      }
    }
    this.rewrite(ranges, old);
  }

  /** Replaces the rows `old` (first offsets) with `ranges`, writing only what differs. */
  private rewrite(ranges: readonly StoredRange[], old: readonly number[]): void {
    const next = new Map<number, { last: number; data: string }>();
    for (const { first, ...rest } of ranges) next.set(first, { last: rest.last, data: JSON.stringify(rest) });
    let changed = false;
    for (const first of old) {
      if (next.has(first)) continue;
      this.sql.exec("DELETE FROM share_inflight WHERE first = ?", first);
      this.rows.delete(first);
      changed = true;
    }
    for (const [first, row] of next) {
      const had = this.rows.get(first);
      if (had?.data === row.data) continue;
      this.sql.exec("INSERT OR REPLACE INTO share_inflight (first, data) VALUES (?, ?)", first, row.data);
      if (had === undefined) changed = true;
      this.rows.set(first, row);
    }
    if (changed) this.firsts = [...this.rows.keys()].sort((a, b) => a - b);
  }

  /** The stored row holding `offset`, if any. */
  private rowAt(offset: number): { first: number; last: number } | undefined {
    const i = this.lowerBound(offset + 1) - 1;
    if (i < 0) return undefined;
    const first = this.firsts[i]!;
    const row = this.rows.get(first)!;
    return row.last >= offset ? { first, last: row.last } : undefined;
  }

  /** The index of the first row whose first offset is >= `offset`. */
  private lowerBound(offset: number): number {
    let [lo, hi] = [0, this.firsts.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.firsts[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** After the object's storage was deleted: the tables are gone too. */
  forget(): void {
    this.tablesExist = false;
    this.rows.clear();
    this.firsts = [];
    this.stored = undefined;
  }
}

function sameFields(a: InFlightRecord, b: InFlightRecord): boolean {
  return a.state === b.state && a.deliveryCount === b.deliveryCount && a.acquisitionId === b.acquisitionId && a.lockUntilMs === b.lockUntilMs && a.acquiredAtMs === b.acquiredAtMs && a.availableAtMs === b.availableAtMs && a.reason === b.reason;
}
