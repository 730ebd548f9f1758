// The transactional id's state machine, table-driven: transitions, fencing answers, epoch bumps (KIP-890 part 2).
import { describe, expect, it } from "vitest";
import { acknowledged, addGroup, addPartition, begin, end, expired, init, nextDueMs, timedOut, type TxnRecord } from "../../src/transaction/txn-state";
import { MAX_PRODUCER_EPOCH, TRANSACTIONAL_ID_EXPIRATION_MS } from "../../src/limits";

const tp = { topic: "t", partition: 0 };
function fresh(): TxnRecord {
  const r = init(undefined, "id", 60_000, 0, 7);
  if (!r.ok) throw new Error("init");
  return r.value;
}
function must(r: { ok: boolean; value?: TxnRecord; error?: { type: string } }): TxnRecord {
  if (!r.ok) throw new Error(`expected ok, got ${r.error!.type}`);
  return r.value!;
}
const errorOf = (r: { ok: boolean; error?: { type: string } }) => (r.ok ? "ok" : r.error!.type);

describe("txn-state", () => {
  it("runs Empty -> Ongoing -> PrepareCommit -> CompleteCommit, bumping the epoch at the end", () => {
    let r = fresh();
    expect(r).toMatchObject({ producerId: 7, producerEpoch: 0, state: "Empty" });
    r = must(addPartition(r, 7, 0, tp, 10));
    expect(r).toMatchObject({ state: "Ongoing", startedMs: 10, partitions: [tp] });
    r = must(addGroup(r, 7, 0, "g", 11));
    r = must(end(r, 7, 0, "commit", 12, undefined));
    expect(r).toMatchObject({ state: "PrepareCommit", producerEpoch: 1, ending: { producerEpoch: 0, outcome: "commit", partitions: [tp], groups: ["g"] } });
    r = acknowledged(r, { partition: tp }, 13);
    expect(r.state).toBe("PrepareCommit");
    r = acknowledged(r, { group: "g" }, 14);
    expect(r).toMatchObject({ state: "CompleteCommit", producerEpoch: 1 });
    expect(r.ending).toBeUndefined();
  });

  it.each([
    ["commit with no transaction", (r: TxnRecord) => end(r, 7, 0, "commit", 1, undefined), "INVALID_TXN_STATE"],
    ["abort with no transaction", (r: TxnRecord) => end(r, 7, 0, "abort", 1, undefined), "INVALID_TXN_STATE"],
    ["a future epoch", (r: TxnRecord) => addPartition(r, 7, 5, tp, 1), "INVALID_PRODUCER_EPOCH"],
    ["another producer id", (r: TxnRecord) => begin(r, 3, 0, 1), "PRODUCER_FENCED"],
  ])("refuses %s", (_name, step, type) => {
    expect(errorOf(step(fresh()))).toBe(type);
  });

  it("answers a retried EndTxn the same, and refuses the other outcome and writes to the ended transaction", () => {
    let r = must(begin(fresh(), 7, 0, 1));
    r = must(end(r, 7, 0, "abort", 2, undefined));
    expect(errorOf(end(r, 7, 0, "abort", 3, undefined))).toBe("ok");
    expect(errorOf(end(r, 7, 0, "commit", 3, undefined))).toBe("INVALID_TXN_STATE");
    const pending = must(end(must(addPartition(must(begin(fresh(), 7, 0, 1)), 7, 0, tp, 1)), 7, 0, "commit", 2, undefined));
    expect(errorOf(addPartition(pending, 7, 1, tp, 3))).toBe("CONCURRENT_TRANSACTIONS");
    expect(r.state).toBe("CompleteAbort"); // nothing to tell: complete at once
    expect(errorOf(addPartition(r, 7, 0, tp, 5))).toBe("INVALID_TXN_STATE");
    expect(errorOf(addPartition(r, 7, 1, tp, 5))).toBe("ok");
  });

  it("init fences the previous incarnation and aborts its open transaction", () => {
    let r = must(addPartition(fresh(), 7, 0, tp, 1));
    r = must(init(r, "id", 60_000, 2, undefined));
    expect(r).toMatchObject({ state: "PrepareAbort", producerEpoch: 1, initEpoch: 1, ending: { producerEpoch: 0, outcome: "abort" } });
    expect(errorOf(end(r, 7, 0, "commit", 3, undefined))).toBe("PRODUCER_FENCED");
    expect(errorOf(init(r, "id", 60_000, 3, undefined))).toBe("CONCURRENT_TRANSACTIONS");
    r = acknowledged(r, { partition: tp }, 4);
    r = must(init(r, "id", 60_000, 5, undefined));
    expect(r).toMatchObject({ state: "CompleteAbort", producerEpoch: 2, initEpoch: 2 });
    expect(errorOf(begin(r, 7, 1, 6))).toBe("PRODUCER_FENCED");
  });

  it("times out, expires, and takes a new producer id when the epoch runs out", () => {
    const r = must(addPartition(fresh(), 7, 0, tp, 100));
    expect(nextDueMs(r, 1_000, 100)).toBe(60_100);
    expect(timedOut(r, 60_099, undefined)).toBeUndefined();
    const aborted = timedOut(r, 60_100, undefined)!;
    expect(aborted).toMatchObject({ state: "PrepareAbort", last: { reason: "timeout" } });
    expect(errorOf(end(aborted, 7, 0, "commit", 60_200, undefined))).toBe("TRANSACTION_ABORTABLE");
    const done = acknowledged(aborted, { partition: tp }, 60_300);
    expect(expired(done, 60_300 + TRANSACTIONAL_ID_EXPIRATION_MS - 1)).toBe(false);
    expect(expired(done, 60_300 + TRANSACTIONAL_ID_EXPIRATION_MS)).toBe(true);
    const old = { ...must(begin(fresh(), 7, 0, 1)), producerEpoch: MAX_PRODUCER_EPOCH - 1 };
    expect(must(end(old, 7, MAX_PRODUCER_EPOCH - 1, "commit", 2, 99))).toMatchObject({ producerId: 99, producerEpoch: 0 });
  });
});
