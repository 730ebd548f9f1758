// A share-partition's in-flight window, indexed (pure): which offsets are available or being dead-lettered, when the
// next lease or release delay ends, and which offsets changed since they were last stored. Every change to a state's
// records goes through put()/drop() here, so nothing has to scan, sort or copy the whole window per call (a profile
// of npm run bench:share-groups showed those scans saturating workerd's one thread). The index lives beside the state
// (a WeakMap), built from the records the first time it is needed, so a state read back from storage or made by a
// test needs nothing more than its records.
import type { InFlightRecord, ShareState } from "./share-state";

/** The records that share one lease end: one entry per acquisition (and per renewal), not one per record. */
interface LockEntry {
  at: number;
  key: string;
  offsets: number[];
  /** How many records still hold this lease end: 0 means the entry is stale (accepted, released, renewed). */
  live: number;
}

interface DelayEntry {
  at: number;
  offset: number;
}

export interface Index {
  available: Set<number>;
  archiving: Set<number>;
  locks: MinHeap<LockEntry>;
  lockByKey: Map<string, LockEntry>;
  /** Available records released with a delay (lazy: an entry is checked against its record when it surfaces). */
  delays: MinHeap<DelayEntry>;
  /** Offsets changed since the store last wrote them (share-store.ts rewrites only their rows). */
  dirty: Set<number>;
  /** While an acknowledgement is applied: each changed offset's record before it (undefined: absent), to undo. */
  journal: Map<number, InFlightRecord | undefined> | null;
}

const indexes = new WeakMap<ShareState, Index>();

export function index(s: ShareState): Index {
  let ix = indexes.get(s);
  if (ix !== undefined) return ix;
  ix = { available: new Set(), archiving: new Set(), locks: new MinHeap(), lockByKey: new Map(), delays: new MinHeap(), dirty: new Set(), journal: null };
  indexes.set(s, ix);
  for (const [offset, r] of s.records) enter(ix, offset, r);
  return ix;
}

const lockKey = (r: InFlightRecord) => `${r.acquisitionId}/${r.lockUntilMs}`;

/** Sets a record (a new object: records are never changed in place, so the journal can keep the old one). */
export function put(s: ShareState, offset: number, r: InFlightRecord): void {
  const ix = index(s);
  const prev = s.records.get(offset);
  if (ix.journal !== null && !ix.journal.has(offset)) ix.journal.set(offset, prev);
  if (prev !== undefined) leave(ix, offset, prev);
  s.records.set(offset, r);
  enter(ix, offset, r);
  ix.dirty.add(offset);
}

/** Removes a record: it is done. */
export function drop(s: ShareState, offset: number): void {
  const prev = s.records.get(offset);
  if (prev === undefined) return;
  const ix = index(s);
  if (ix.journal !== null && !ix.journal.has(offset)) ix.journal.set(offset, prev);
  leave(ix, offset, prev);
  s.records.delete(offset);
  ix.dirty.add(offset);
}

function enter(ix: Index, offset: number, r: InFlightRecord): void {
  if (r.state === "available") {
    ix.available.add(offset);
    if (r.availableAtMs > 0) ix.delays.push({ at: r.availableAtMs, offset });
  } else if (r.state === "archiving") ix.archiving.add(offset);
  else {
    const key = lockKey(r);
    let e = ix.lockByKey.get(key);
    if (e === undefined) {
      e = { at: r.lockUntilMs, key, offsets: [], live: 0 };
      ix.lockByKey.set(key, e);
      ix.locks.push(e);
    }
    e.offsets.push(offset);
    e.live++;
  }
}

function leave(ix: Index, offset: number, r: InFlightRecord): void {
  if (r.state === "available") ix.available.delete(offset);
  else if (r.state === "archiving") ix.archiving.delete(offset);
  else {
    const e = ix.lockByKey.get(lockKey(r));
    if (e !== undefined) e.live--;
  }
}

/** Offsets whose lease ended by `nowMs` (and still hold it), taking their entries out of the index. */
export function takeEnded(s: ShareState, nowMs: number): number[] {
  const ix = index(s);
  const out = new Set<number>();
  for (;;) {
    const e = ix.locks.peek();
    if (e === undefined) break;
    if (e.live > 0 && e.at > nowMs) break;
    ix.locks.pop();
    ix.lockByKey.delete(e.key);
    if (e.live === 0) continue;
    for (const o of e.offsets) {
      const r = s.records.get(o);
      if (r !== undefined && r.state === "acquired" && lockKey(r) === e.key) out.add(o);
    }
  }
  return [...out];
}

/** The next lease end, or the next release delay ending after `nowMs`. */
export function nextDue(s: ShareState, nowMs: number): number | null {
  const ix = index(s);
  let e = ix.locks.peek();
  while (e !== undefined && e.live === 0) {
    ix.locks.pop();
    ix.lockByKey.delete(e.key);
    e = ix.locks.peek();
  }
  let d = ix.delays.peek();
  while (d !== undefined) {
    const r = s.records.get(d.offset);
    if (r !== undefined && r.state === "available" && r.availableAtMs === d.at && d.at > nowMs) break;
    ix.delays.pop();
    d = ix.delays.peek();
  }
  if (e === undefined) return d?.at ?? null;
  return d === undefined ? e.at : Math.min(e.at, d.at);
}

/** The changed offsets since the last call, sorted; forgets them. */
export function takeDirty(s: ShareState): number[] {
  const ix = index(s);
  const out = [...ix.dirty].sort((a, b) => a - b);
  ix.dirty.clear();
  return out;
}

export function sorted(set: ReadonlySet<number>): number[] {
  return [...set].sort((a, b) => a - b);
}

/** A binary min-heap on `at`. */
class MinHeap<T extends { at: number }> {
  private readonly items: T[] = [];

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]!.at <= a[i]!.at) break;
      [a[parent], a[i]] = [a[i]!, a[parent]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    a[0] = last;
    let i = 0;
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let m = i;
      if (l < a.length && a[l]!.at < a[m]!.at) m = l;
      if (r < a.length && a[r]!.at < a[m]!.at) m = r;
      if (m === i) break;
      [a[m], a[i]] = [a[i]!, a[m]!];
      i = m;
    }
    return top;
  }
}
