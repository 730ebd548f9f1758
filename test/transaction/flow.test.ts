// The seeds' exactly-once flow over HTTP (initTransactions, sends to several partitions, sendOffsetsToTransaction,
// commitTransaction / abortTransaction), and what read_committed and read_uncommitted readers see of it.
import { describe, expect, it } from "vitest";
import { api, createTopic, fetchFrom, produceTo, uniqueTopic } from "../helpers";
import { abortTxn, commitTxn, committedOffset, describeTxn, initTxn, sendOffsets, sendTxn, values } from "./helpers";

async function joinGroup(group: string, topic: string) {
  const r = await api("POST", `/v1/groups/${group}/heartbeat`, { memberEpoch: 0, subscribedTopics: [topic], rebalanceTimeoutMs: 60_000 });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { memberId: r.body.memberId as string, memberEpoch: r.body.memberEpoch as number };
}

describe("the seeds' transactional flow", () => {
  it("two partitions and a group offset become visible together on commit, and never on abort", async () => {
    const input = uniqueTopic("in");
    const output = uniqueTopic("out");
    const group = uniqueTopic("g");
    const id = uniqueTopic("txn");
    await createTopic(input, 1);
    await createTopic(output, 2);
    await produceTo(input, 0, [{ value: "a" }, { value: "b" }, { value: "c" }, { value: "d" }]);
    const member = await joinGroup(group, input);

    const init = await initTxn(id);
    expect(init.status, JSON.stringify(init.body)).toBe(200);
    let who = init.body as { producerId: number; producerEpoch: number };
    expect(who).toEqual({ producerId: expect.any(Number), producerEpoch: 0 });

    // Transaction 1: A, B to two partitions, offset 2 of the input; committed.
    expect((await sendTxn(id, who, output, 0, ["A"], 0)).status).toBe(200);
    expect((await sendTxn(id, who, output, 1, ["B"], 0)).status).toBe(200);
    const offsets = await sendOffsets(id, who, group, [{ topic: input, partition: 0, offset: 2 }], member);
    expect(offsets.status, JSON.stringify(offsets.body)).toBe(200);
    const open = await describeTxn(id);
    expect(open.body).toMatchObject({ state: "Ongoing", partitions: [{ topic: output, partition: 0 }, { topic: output, partition: 1 }], groups: [group] });
    // Open: read_uncommitted sees the records, read_committed neither them nor the offset.
    expect(await values(output, 0, "read_uncommitted")).toEqual(["A"]);
    expect(await values(output, 0)).toEqual([]);
    expect(await values(output, 1)).toEqual([]);
    expect(await committedOffset(group, input, 0)).toBeNull();
    const lso = await api("GET", `/v1/topics/${output}/partitions/0/offsets?at=latest&isolation=read_committed`);
    expect(lso.body.offset).toBe(0);
    expect((await api("GET", `/v1/topics/${output}/partitions/0/offsets?at=latest`)).body.offset).toBe(1);

    const committed = await commitTxn(id, who);
    expect(committed.status, JSON.stringify(committed.body)).toBe(200);
    expect(committed.body).toEqual({ producerId: who.producerId, producerEpoch: 1, state: "CompleteCommit" });
    expect(await values(output, 0)).toEqual(["A"]);
    expect(await values(output, 1)).toEqual(["B"]);
    expect(await committedOffset(group, input, 0)).toBe(2);
    // The marker took offset 1: the LSO and the high watermark are past it, and no reader sees it.
    const after = await fetchFrom(output, 0, { offset: 0, isolation: "read_committed" });
    expect(after.body).toMatchObject({ nextOffset: 2, highWatermark: 2, lastStableOffset: 2 });
    expect((await fetchFrom(output, 0, { offset: 0 })).body.records.map((r: { offset: number }) => r.offset)).toEqual([0]);

    // Transaction 2 (epoch 1): C, D and offset 4; aborted.
    who = { producerId: committed.body.producerId, producerEpoch: committed.body.producerEpoch };
    expect((await sendTxn(id, who, output, 0, ["C"], 0)).status).toBe(200);
    expect((await sendTxn(id, who, output, 1, ["D"], 0)).status).toBe(200);
    expect((await sendOffsets(id, who, group, [{ topic: input, partition: 0, offset: 4 }], member)).status).toBe(200);
    const aborted = await abortTxn(id, who);
    expect(aborted.body).toEqual({ producerId: who.producerId, producerEpoch: 2, state: "CompleteAbort" });
    expect(await values(output, 0)).toEqual(["A"]);
    expect(await values(output, 1)).toEqual(["B"]);
    expect(await values(output, 0, "read_uncommitted")).toEqual(["A", "C"]);
    expect(await committedOffset(group, input, 0)).toBe(2);

    // Transaction 3 commits after the aborted one: read_committed steps over the aborted record and both markers.
    who = { producerId: aborted.body.producerId, producerEpoch: aborted.body.producerEpoch };
    expect((await sendTxn(id, who, output, 0, ["E"], 0)).status).toBe(200);
    expect((await commitTxn(id, who)).status).toBe(200);
    expect(await values(output, 0)).toEqual(["A", "E"]);
    const described = await api("GET", `/v1/topics/${output}`);
    expect(described.body.partitions[0]).toMatchObject({ highWatermark: 6, lastStableOffset: 6, openTransactions: 0 });
  });

  it("a retried commit gets the same answer; the other outcome, or commit without a transaction, is INVALID_TXN_STATE", async () => {
    const t = uniqueTopic();
    const id = uniqueTopic("txn");
    await createTopic(t, 1);
    const who = (await initTxn(id)).body;
    const noTxn = await commitTxn(id, who);
    expect(noTxn.status).toBe(409);
    expect(noTxn.body.error).toMatchObject({ type: "INVALID_TXN_STATE", code: 48 });
    await sendTxn(id, who, t, 0, ["x"], 0);
    const first = await commitTxn(id, who);
    const retry = await commitTxn(id, who);
    expect(retry.body).toEqual(first.body);
    const other = await abortTxn(id, who);
    expect(other.body.error.type).toBe("INVALID_TXN_STATE");
    // A send of the ended transaction is refused: its epoch ended here.
    const late = await sendTxn(id, who, t, 0, ["late"], 1);
    expect(late.status).toBe(409);
    expect(late.body.error.type).toBe("INVALID_PRODUCER_EPOCH");
    expect(await values(t, 0, "read_uncommitted")).toEqual(["x"]);
  });
});
