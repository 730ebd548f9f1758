// A share-partition's state machine (KIP-932), pure: per offset of the in-flight window, its state, delivery count and
// lease. Only records not yet done are kept (AVAILABLE, ACQUIRED, ARCHIVING): an offset of the window that is absent
// is done (ACKNOWLEDGED, ARCHIVED, or a gap with no record). Invariants: spso <= every kept offset < nextOffset;
// nextOffset - spso <= maxRecordLocks once acquisitions stop (new records are taken only within it); the SPSO moves
// only over done offsets, never over ACQUIRED, AVAILABLE or ARCHIVING ones. Every change goes through a function here
// and changes the state in place through share-index.ts (which keeps the window indexed, so a call costs what it
// changes, not the window's size); an acknowledgement that fails part-way is undone from a journal (all or nothing).
import { errorBody, type ErrorBody } from "../errors";
import type { AckOutcome, PartitionAck } from "../share-protocol";
import { drop, index, nextDue, put, sorted, takeEnded } from "./share-index";

export type KeptState = "available" | "acquired" | "archiving";

export interface InFlightRecord {
  state: KeptState;
  deliveryCount: number;
  /** The acquisition that last took it (0: never acquired). A lease is (offset, acquisitionId). */
  acquisitionId: number;
  /** ACQUIRED: when the lease ends. */
  lockUntilMs: number;
  /** ACQUIRED: when this acquisition took it (renewals stop at acquiredAtMs + maxLeaseMs). */
  acquiredAtMs: number;
  /** AVAILABLE: not acquired before this (a release with a delay). */
  availableAtMs: number;
  /** ARCHIVING: why it goes to the dead-letter topic. */
  reason: string | null;
}

export interface ShareState {
  spso: number;
  /** One past the last offset fetched into the window (Kafka's SPEO + 1). */
  nextOffset: number;
  acquisitionSeq: number;
  records: Map<number, InFlightRecord>;
}

export interface ShareRules {
  lockDurationMs: number;
  /** The longest a lease may be renewed to, from its acquisition. */
  maxLeaseMs: number;
  deliveryCountLimit: number;
  maxRecordLocks: number;
  /** A dead-letter topic is set: records to archive go through ARCHIVING. */
  deadLetter: boolean;
}

/** What moved to a done state by a change (for counters). */
export interface Done {
  acknowledged: number;
  archived: number;
}

export function emptyState(startOffset: number): ShareState {
  return { spso: startOffset, nextOffset: startOffset, acquisitionSeq: 0, records: new Map() };
}

export function copyState(s: ShareState): ShareState {
  return { ...s, records: new Map([...s.records].map(([o, r]) => [o, { ...r }])) };
}

export function sortedOffsets(s: ShareState): number[] {
  return [...s.records.keys()].sort((a, b) => a - b);
}

/** The SPSO: the first kept offset, else the end of the window. It only moves forward (every kept offset is at or
 *  past it), so it steps over done offsets from where it is; a sparse window (a compacted log) takes the minimum. */
export function advanceSpso(s: ShareState): void {
  if (s.records.size === 0) {
    s.spso = s.nextOffset;
    return;
  }
  let o = s.spso;
  if (s.records.has(o)) return;
  if (s.nextOffset - o > 4 * s.records.size + 64) {
    let min = s.nextOffset;
    for (const k of s.records.keys()) if (k < min) min = k;
    s.spso = min;
    return;
  }
  while (o < s.nextOffset && !s.records.has(o)) o++;
  s.spso = o;
}

/** A record leaving ACQUIRED for another try (release, lease end): at the limit it is archived instead, through
 *  ARCHIVING when there is a dead-letter topic (Kafka's rule: limit 5 means at most 5 deliveries). */
function releaseOne(s: ShareState, offset: number, r: InFlightRecord, rules: ShareRules, availableAtMs: number, done: Done): void {
  if (r.deliveryCount >= rules.deliveryCountLimit) return archiveOne(s, offset, r, rules, "delivery-limit", done);
  put(s, offset, { ...r, state: "available", lockUntilMs: 0, availableAtMs });
}

function archiveOne(s: ShareState, offset: number, r: InFlightRecord, rules: ShareRules, reason: string, done: Done): void {
  if (rules.deadLetter) {
    put(s, offset, { ...r, state: "archiving", lockUntilMs: 0, reason });
    return;
  }
  drop(s, offset);
  done.archived++;
}

/** Leases that ended by `nowMs` end: their records become available again (or are archived at the limit). */
export function expireLocks(s: ShareState, nowMs: number, rules: ShareRules, done: Done): number {
  const ended = takeEnded(s, nowMs);
  for (const offset of ended) releaseOne(s, offset, s.records.get(offset)!, rules, 0, done);
  advanceSpso(s);
  return ended.length;
}

/** The log start moved to `logStartOffset` (retention, delete-records): available records below it are archived (there
 *  is nothing left to deliver), leased ones when their lease ends; offsets never fetched below it are skipped. */
export function applyLogStart(s: ShareState, logStartOffset: number, done: Done): void {
  for (const offset of [...index(s).available]) {
    if (offset < logStartOffset) {
      drop(s, offset);
      done.archived++;
    }
  }
  if (s.nextOffset < logStartOffset) s.nextOffset = logStartOffset;
  advanceSpso(s);
}

/** What an acquisition of at most `maxRecords` will look at: available records due by `nowMs` (redeliveries, oldest
 *  offset first), and how many new records may be fetched from nextOffset within the in-flight window. */
export function planAcquire(s: ShareState, nowMs: number, rules: ShareRules, maxRecords: number): { redeliveries: number[]; newRecords: number } {
  const redeliveries: number[] = [];
  for (const offset of sorted(index(s).available)) {
    if (redeliveries.length >= maxRecords) break;
    if (s.records.get(offset)!.availableAtMs <= nowMs) redeliveries.push(offset);
  }
  const room = Math.max(0, rules.maxRecordLocks - (s.nextOffset - s.spso));
  return { redeliveries, newRecords: Math.min(maxRecords - redeliveries.length, room) };
}

export interface Acquired {
  offset: number;
  deliveryCount: number;
  acquisitionId: number;
  lockUntilMs: number;
}

/**
 * Acquires, in one step: the planned redeliveries still available and due (`present`: those the log returned; one
 * below `coveredUpTo` that it did not return is gone and archived, one past it was not read and stays), then new records read from `fresh.fromOffset` (only if nothing moved nextOffset meanwhile):
 * `fresh.offsets` are records, the other offsets up to `fresh.nextOffset` gaps (done). At most `maxRecords` in all.
 */
export function acquire(
  s: ShareState,
  nowMs: number,
  rules: ShareRules,
  maxRecords: number,
  redeliveries: { offsets: readonly number[]; present: ReadonlySet<number>; coveredUpTo: number },
  fresh: { fromOffset: number; offsets: readonly number[]; nextOffset: number } | null,
  done: Done,
): Acquired[] {
  expireLocks(s, nowMs, rules, done);
  const acquisitionId = ++s.acquisitionSeq;
  const lockUntilMs = nowMs + rules.lockDurationMs;
  const out: Acquired[] = [];
  for (const offset of redeliveries.offsets) {
    const r = s.records.get(offset);
    if (r === undefined || r.state !== "available" || r.availableAtMs > nowMs) continue;
    if (!redeliveries.present.has(offset)) {
      if (offset >= redeliveries.coveredUpTo) continue;
      drop(s, offset);
      done.archived++;
      continue;
    }
    if (out.length >= maxRecords) break;
    const next = { ...r, state: "acquired" as const, deliveryCount: r.deliveryCount + 1, acquisitionId, lockUntilMs, acquiredAtMs: nowMs, availableAtMs: 0 };
    put(s, offset, next);
    out.push({ offset, deliveryCount: next.deliveryCount, acquisitionId, lockUntilMs });
  }
  if (fresh !== null && fresh.fromOffset === s.nextOffset) {
    const windowEnd = s.spso + rules.maxRecordLocks;
    let end = fresh.nextOffset;
    for (const offset of fresh.offsets) {
      if (offset < s.nextOffset) continue;
      if (out.length >= maxRecords || offset >= windowEnd) {
        end = offset;
        break;
      }
      put(s, offset, { state: "acquired", deliveryCount: 1, acquisitionId, lockUntilMs, acquiredAtMs: nowMs, availableAtMs: 0, reason: null });
      out.push({ offset, deliveryCount: 1, acquisitionId, lockUntilMs });
    }
    if (end > s.nextOffset) s.nextOffset = end;
  }
  advanceSpso(s);
  return out;
}

function invalid(a: PartitionAck, r: InFlightRecord | undefined): ErrorBody {
  const why =
    r === undefined
      ? "it is no longer in flight (acknowledged, archived, or never acquired)"
      : r.acquisitionId !== a.acquisitionId
        ? `it was acquired again since (delivery ${r.deliveryCount})`
        : r.state === "archiving"
          ? "it is being dead-lettered"
          : "its lease ended";
  return errorBody("INVALID_RECORD_STATE", `offset ${a.offset}: ${a.type} refused: ${why}`, {
    offset: a.offset,
    ...(r === undefined ? {} : { currentDeliveryCount: r.deliveryCount, state: r.state }),
  });
}

/**
 * Applies acknowledgements for one share-partition, all or nothing: answers one outcome per ack in order, and
 * `applied` only when every one was valid (the state is then changed; else it is untouched). A lease is valid while
 * its record is ACQUIRED by that acquisition, or (accept, reject, release) AVAILABLE after its lease ended and not yet
 * acquired again: an ack that comes late but before anyone else got the record still counts. `renew` needs a live
 * lease and extends it to lockDurationMs from now (at most maxLeaseMs from its acquisition), without a new delivery.
 */
export function acknowledge(s: ShareState, nowMs: number, rules: ShareRules, acks: readonly PartitionAck[], done0: Done): { outcomes: AckOutcome[]; applied: boolean; state: ShareState; done: Done } {
  const ix = index(s);
  const before = { spso: s.spso, nextOffset: s.nextOffset, acquisitionSeq: s.acquisitionSeq };
  ix.journal = new Map();
  const done = { ...done0 };
  try {
    return applyAcks(s, nowMs, rules, acks, done0, done, ix.journal, before);
  } finally {
    ix.journal = null;
  }
}

function applyAcks(
  s: ShareState,
  nowMs: number,
  rules: ShareRules,
  acks: readonly PartitionAck[],
  done0: Done,
  done: Done,
  journal: Map<number, InFlightRecord | undefined>,
  before: { spso: number; nextOffset: number; acquisitionSeq: number },
): { outcomes: AckOutcome[]; applied: boolean; state: ShareState; done: Done } {
  expireLocks(s, nowMs, rules, done);
  const outcomes: AckOutcome[] = [];
  for (const a of acks) {
    const r = s.records.get(a.offset);
    const live = r !== undefined && r.acquisitionId === a.acquisitionId && r.state === "acquired";
    const late = r !== undefined && r.acquisitionId === a.acquisitionId && r.state === "available" && a.type !== "renew";
    if (!live && !late) {
      outcomes.push({ ok: false, error: invalid(a, r) });
      continue;
    }
    switch (a.type) {
      case "accept":
        drop(s, a.offset);
        done.acknowledged++;
        outcomes.push({ ok: true });
        break;
      case "reject":
        archiveOne(s, a.offset, r!, rules, a.reason === undefined ? "rejected" : `rejected: ${a.reason}`, done);
        outcomes.push({ ok: true });
        break;
      case "release":
        if (live) releaseOne(s, a.offset, r!, rules, nowMs + (a.delayMs ?? 0), done);
        else put(s, a.offset, { ...r!, availableAtMs: nowMs + (a.delayMs ?? 0) });
        outcomes.push({ ok: true });
        break;
      case "renew": {
        // Renewals stop at maxLeaseMs from the acquisition: a stuck worker cannot hold a record for ever.
        const lockUntilMs = Math.max(r!.lockUntilMs, Math.min(nowMs + rules.lockDurationMs, r!.acquiredAtMs + rules.maxLeaseMs));
        put(s, a.offset, { ...r!, lockUntilMs });
        outcomes.push({ ok: true, lockExpiresAt: lockUntilMs });
        break;
      }
    }
  }
  const applied = outcomes.every((o) => o.ok);
  if (!applied) {
    // All or nothing (Kafka's per-partition rollback): what changed is put back; the valid ones are refused too.
    index(s).journal = null;
    for (const [offset, r] of [...journal].reverse()) {
      if (r === undefined) drop(s, offset);
      else put(s, offset, r);
    }
    Object.assign(s, before);
    return {
      outcomes: outcomes.map((o) => (o.ok ? { ok: false, error: errorBody("INVALID_RECORD_STATE", "not applied: another acknowledgement for this share-partition in the same request was refused (all or nothing)", { notApplied: true }) } : o)),
      applied: false,
      state: s,
      done: done0,
    };
  }
  advanceSpso(s);
  return { outcomes, applied: true, state: s, done };
}

/** The oldest records waiting for their dead letter, at most `max`. */
export function archivingOffsets(s: ShareState, max: number): number[] {
  return sorted(index(s).archiving).slice(0, max);
}

/** Their dead letters are written: the records are ARCHIVED (done). */
export function completeArchiving(s: ShareState, offsets: readonly number[], done: Done): void {
  for (const o of offsets) {
    if (s.records.get(o)?.state !== "archiving") continue;
    drop(s, o);
    done.archived++;
  }
  advanceSpso(s);
}

export function counts(s: ShareState): { available: number; acquired: number; archiving: number } {
  const ix = index(s);
  return { available: ix.available.size, acquired: s.records.size - ix.available.size - ix.archiving.size, archiving: ix.archiving.size };
}

/** The next time something changes by itself: a lease ends, or a delayed release becomes available. */
export function nextDueMs(s: ShareState, nowMs: number): number | null {
  return nextDue(s, nowMs);
}

/** A stored range: consecutive kept offsets with the same fields, one SQLite row. */
export interface StoredRange extends InFlightRecord {
  first: number;
  last: number;
}

/** The kept records as ranges (one row each): a poll's new records share a lease and make one row. */
export function toRanges(s: ShareState): StoredRange[] {
  const out: StoredRange[] = [];
  for (const offset of sortedOffsets(s)) {
    const r = s.records.get(offset)!;
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.last === offset - 1 && sameFields(prev, r)) prev.last = offset;
    else out.push({ first: offset, last: offset, ...r });
  }
  return out;
}

export function fromRanges(spso: number, nextOffset: number, acquisitionSeq: number, ranges: readonly StoredRange[]): ShareState {
  const records = new Map<number, InFlightRecord>();
  for (const { first, last, ...r } of ranges) for (let o = first; o <= last; o++) records.set(o, { ...r });
  return { spso, nextOffset, acquisitionSeq, records };
}

function sameFields(a: InFlightRecord, b: InFlightRecord): boolean {
  return a.state === b.state && a.deliveryCount === b.deliveryCount && a.acquisitionId === b.acquisitionId && a.lockUntilMs === b.lockUntilMs && a.acquiredAtMs === b.acquiredAtMs && a.availableAtMs === b.availableAtMs && a.reason === b.reason;
}

/** A lease's id as clients see it: `<topic>:<partition>:<offset>:<acquisitionId>` (topic names never hold ':'). */
export function leaseId(topic: string, partition: number, offset: number, acquisitionId: number): string {
  return `${topic}:${partition}:${offset}:${acquisitionId}`;
}

export function parseLeaseId(id: string): { topic: string; partition: number; offset: number; acquisitionId: number } | undefined {
  const m = /^([a-zA-Z0-9._-]{1,249}):(\d{1,9}):(\d{1,16}):(\d{1,16})$/.exec(id);
  if (m === null) return undefined;
  const [partition, offset, acquisitionId] = [Number(m[2]), Number(m[3]), Number(m[4])];
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(acquisitionId) || acquisitionId < 1) return undefined;
  return { topic: m[1]!, partition, offset, acquisitionId };
}
