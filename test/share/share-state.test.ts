// The share-partition state machine from fixed inputs (src/share/share-state.ts): acquisition order and bounds,
// leases, acknowledgements all or nothing, the delivery limit, the log start, and the stored ranges.
import { describe, expect, it } from "vitest";
import {
  acknowledge,
  acquire,
  applyLogStart,
  archivingOffsets,
  completeArchiving,
  counts,
  emptyState,
  expireLocks,
  fromRanges,
  leaseId,
  nextDueMs,
  parseLeaseId,
  planAcquire,
  toRanges,
  type Done,
  type ShareRules,
  type ShareState,
} from "../../src/share/share-state";

const rules: ShareRules = { lockDurationMs: 1_000, maxLeaseMs: 3_000, deliveryCountLimit: 3, maxRecordLocks: 5, deadLetter: false };
const dlq: ShareRules = { ...rules, deadLetter: true };
const zero = (): Done => ({ acknowledged: 0, archived: 0 });
const none = { offsets: [], present: new Set<number>(), coveredUpTo: 0 };

function take(s: ShareState, now: number, r: ShareRules, max: number, logEnd: number, done = zero()) {
  expireLocks(s, now, r, done);
  const plan = planAcquire(s, now, r, max);
  const offsets = Array.from({ length: Math.max(0, Math.min(plan.newRecords, logEnd - s.nextOffset)) }, (_, i) => s.nextOffset + i);
  const fresh = { fromOffset: s.nextOffset, offsets, nextOffset: s.nextOffset + offsets.length };
  return acquire(s, now, r, max, { offsets: plan.redeliveries, present: new Set(plan.redeliveries), coveredUpTo: logEnd }, fresh, done);
}

describe("share-partition state", () => {
  it("acquires new records within the window and the log, one acquisition id per call", () => {
    const s = emptyState(10);
    const a = take(s, 0, rules, 3, 100);
    expect(a.map((x) => [x.offset, x.deliveryCount, x.acquisitionId, x.lockUntilMs])).toEqual([[10, 1, 1, 1_000], [11, 1, 1, 1_000], [12, 1, 1, 1_000]]);
    // maxRecordLocks 5: two more fit, then nothing however many are asked.
    expect(take(s, 0, rules, 10, 100).map((x) => x.offset)).toEqual([13, 14]);
    expect(take(s, 0, rules, 10, 100)).toEqual([]);
    expect(s.nextOffset - s.spso).toBe(5);
    expect(counts(s)).toEqual({ available: 0, acquired: 5, archiving: 0 });
  });

  it("an expired lease is redelivered first with deliveryCount + 1; the late ack of the old lease is refused", () => {
    const s = emptyState(0);
    take(s, 0, rules, 2, 100);
    expect(nextDueMs(s, 0)).toBe(1_000);
    const again = take(s, 1_000, rules, 3, 100);
    expect(again.map((x) => [x.offset, x.deliveryCount, x.acquisitionId])).toEqual([[0, 2, 2], [1, 2, 2], [2, 1, 2]]);
    const late = acknowledge(s, 1_001, rules, [{ offset: 0, acquisitionId: 1, type: "accept" }], zero());
    expect(late.applied).toBe(false);
    expect(late.outcomes[0]).toMatchObject({ ok: false, error: { type: "INVALID_RECORD_STATE", details: { currentDeliveryCount: 2 } } });
  });

  it("a late accept before anyone re-acquired the record still counts", () => {
    const s = emptyState(0);
    take(s, 0, rules, 1, 100);
    const r = acknowledge(s, 5_000, rules, [{ offset: 0, acquisitionId: 1, type: "accept" }], zero());
    expect(r.applied).toBe(true);
    expect(r.state.spso).toBe(1);
    expect(r.done.acknowledged).toBe(1);
  });

  it("renew extends the lease without a new delivery; a renew of an ended lease is refused", () => {
    const s = emptyState(0);
    take(s, 0, rules, 1, 100);
    const r = acknowledge(s, 900, rules, [{ offset: 0, acquisitionId: 1, type: "renew" }], zero());
    expect(r.outcomes).toEqual([{ ok: true, lockExpiresAt: 1_900 }]);
    expect(take(r.state, 1_500, rules, 1, 1)).toEqual([]); // still leased
    expect(r.state.records.get(0)!.deliveryCount).toBe(1);
    const ended = acknowledge(r.state, 2_000, rules, [{ offset: 0, acquisitionId: 1, type: "renew" }], zero());
    expect(ended.applied).toBe(false);
    // Renewals stop at maxLeaseMs (3 s here) from the acquisition.
    let t = emptyState(0);
    take(t, 0, rules, 1, 1);
    for (const now of [800, 1_600, 2_400]) t = acknowledge(t, now, rules, [{ offset: 0, acquisitionId: 1, type: "renew" }], zero()).state;
    expect(t.records.get(0)!.lockUntilMs).toBe(3_000);
    expect(take(t, 3_000, rules, 1, 1).map((x) => x.deliveryCount)).toEqual([2]);
  });

  it("is all or nothing per share-partition", () => {
    const s = emptyState(0);
    take(s, 0, rules, 2, 100);
    const r = acknowledge(s, 10, rules, [{ offset: 0, acquisitionId: 1, type: "accept" }, { offset: 1, acquisitionId: 9, type: "accept" }], zero());
    expect(r.applied).toBe(false);
    expect(r.outcomes[0]).toMatchObject({ ok: false, error: { details: { notApplied: true } } });
    expect(r.state).toBe(s);
    expect(s.records.get(0)!.state).toBe("acquired");
    // The same offset twice: the second finds it done.
    expect(acknowledge(s, 10, rules, [{ offset: 0, acquisitionId: 1, type: "accept" }, { offset: 0, acquisitionId: 1, type: "accept" }], zero()).applied).toBe(false);
  });

  it("release with a delay holds the record back; at the limit a release archives (or dead-letters)", () => {
    for (const r0 of [rules, dlq]) {
      let s = emptyState(0);
      for (let delivery = 1; delivery <= 3; delivery++) {
        const now = delivery * 10_000;
        const got = take(s, now, r0, 1, 1);
        expect(got.map((x) => x.deliveryCount)).toEqual([delivery]);
        const out = acknowledge(s, now, r0, [{ offset: 0, acquisitionId: got[0]!.acquisitionId, type: "release", delayMs: 500 }], zero());
        expect(out.applied).toBe(true);
        s = out.state;
        if (delivery < 3) {
          expect(take(s, now + 499, r0, 1, 1)).toEqual([]);
          expect(nextDueMs(s, now)).toBe(now + 500);
        }
      }
      if (r0.deadLetter) {
        expect(s.records.get(0)).toMatchObject({ state: "archiving", reason: "delivery-limit" });
        expect(s.spso).toBe(0); // never past ARCHIVING
        expect(archivingOffsets(s, 10)).toEqual([0]);
        const done = zero();
        completeArchiving(s, [0], done);
        expect([s.spso, done.archived]).toEqual([1, 1]);
      } else {
        expect(s.records.size).toBe(0);
        expect(s.spso).toBe(1);
      }
    }
  });

  it("a lease ending at the limit archives; reject archives at once with its reason", () => {
    const s = emptyState(0);
    for (let i = 0; i < 3; i++) take(s, i * 2_000, dlq, 2, 2);
    const done = zero();
    expireLocks(s, 10_000, dlq, done);
    expect(counts(s)).toEqual({ available: 0, acquired: 0, archiving: 2 });
    const t = emptyState(0);
    take(t, 0, dlq, 1, 1);
    const r = acknowledge(t, 1, dlq, [{ offset: 0, acquisitionId: 1, type: "reject", reason: "bad json" }], zero());
    expect(r.state.records.get(0)).toMatchObject({ state: "archiving", reason: "rejected: bad json" });
  });

  it("the log start moving past available records archives them and advances the SPSO; leased ones wait for their lease", () => {
    const s = emptyState(0);
    take(s, 0, rules, 4, 4);
    const a = acknowledge(s, 0, rules, [{ offset: 0, acquisitionId: 1, type: "release" }, { offset: 1, acquisitionId: 1, type: "release" }], zero()).state;
    const done = zero();
    applyLogStart(a, 3, done);
    expect(done.archived).toBe(2);
    expect(a.spso).toBe(2); // offset 2 is still leased
    applyLogStart(a, 50, done);
    expect(a.nextOffset).toBe(50);
  });

  it("gaps in what the log returned are done; redeliveries the log no longer has are archived", () => {
    const s = emptyState(0);
    acquire(s, 0, rules, 5, none, { fromOffset: 0, offsets: [0, 3], nextOffset: 5 }, zero());
    expect([...s.records.keys()]).toEqual([0, 3]);
    expect(s.nextOffset).toBe(5);
    const out = acknowledge(s, 0, rules, [{ offset: 0, acquisitionId: 1, type: "release" }, { offset: 3, acquisitionId: 1, type: "accept" }], zero()).state;
    const done = zero();
    // Not read (past what the read reached): it stays; read and not there: it is gone.
    expect(acquire(out, 0, rules, 5, { offsets: [0], present: new Set(), coveredUpTo: 0 }, null, done)).toEqual([]);
    expect(out.records.get(0)?.state).toBe("available");
    expect(acquire(out, 0, rules, 5, { offsets: [0], present: new Set(), coveredUpTo: 1 }, null, done)).toEqual([]);
    expect([done.archived, out.spso]).toEqual([1, 5]);
  });

  it("a fetch that raced another acquisition (nextOffset moved) takes no new records", () => {
    const s = emptyState(0);
    take(s, 0, rules, 2, 10);
    expect(acquire(s, 0, rules, 2, none, { fromOffset: 0, offsets: [0, 1], nextOffset: 2 }, zero())).toEqual([]);
  });

  it("stores consecutive equal records as one range and reads them back", () => {
    const s = emptyState(0);
    take(s, 0, { ...rules, maxRecordLocks: 100 }, 50, 100);
    expect(toRanges(s)).toHaveLength(1);
    const a = acknowledge(s, 1, rules, [{ offset: 10, acquisitionId: 1, type: "accept" }], zero()).state;
    const ranges = toRanges(a);
    expect(ranges.map((r) => [r.first, r.last])).toEqual([[0, 9], [11, 49]]);
    expect(fromRanges(a.spso, a.nextOffset, a.acquisitionSeq, ranges)).toEqual(a);
  });

  it("lease ids round-trip and refuse garbage", () => {
    expect(parseLeaseId(leaseId("orders.v1", 3, 42, 7))).toEqual({ topic: "orders.v1", partition: 3, offset: 42, acquisitionId: 7 });
    for (const bad of ["", "t:0:1", "t:0:1:0", "t/x:0:1:2", "t:-1:1:2", "t:0:1:2:3"]) expect(parseLeaseId(bad)).toBeUndefined();
  });
});
