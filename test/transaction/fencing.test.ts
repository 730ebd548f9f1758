// Zombies, delayed writes (KIP-890), timeouts, expiration, and faults while markers are written: the coordinator's
// alarm is fired with runDurableObjectAlarm and its clock moved forward, never slept on.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { transactionCoordinatorStub } from "../../src/names";
import type { TransactionCoordinator } from "../../src/transaction/TransactionCoordinator";
import { TRANSACTIONAL_ID_EXPIRATION_MS } from "../../src/limits";
import { api, createTopic, uniqueTopic } from "../helpers";
import { abortTxn, commitTxn, describeTxn, initTxn, sendOffsets, sendTxn, values, type Identity } from "./helpers";

const fault = (topic: string, partition: number, down: boolean) => api("POST", "/v1/faults", { topic, partition, replica: 0, down });
const lso = async (topic: string, partition: number) => (await api("GET", `/v1/topics/${topic}/partitions/${partition}/offsets?at=latest&isolation=read_committed`)).body.offset as number;

describe("zombie fencing", () => {
  it("after a new init, the old incarnation's send, offsets and commit are refused, and its open transaction is aborted", async () => {
    const t = uniqueTopic();
    const id = uniqueTopic("txn");
    await createTopic(t, 1);
    const old = (await initTxn(id)).body as Identity;
    expect((await sendTxn(id, old, t, 0, ["zombie-1"], 0)).status).toBe(200);
    expect(await lso(t, 0)).toBe(0);
    const fresh = (await initTxn(id)).body as Identity;
    expect(fresh).toEqual({ producerId: old.producerId, producerEpoch: old.producerEpoch + 1 });
    // The old transaction was aborted by the init: the LSO moved past its marker.
    expect(await lso(t, 0)).toBe(2);
    const send = await sendTxn(id, old, t, 0, ["zombie-2"], 1);
    expect(send.status).toBe(409);
    expect(send.body.error.type).toBe("INVALID_PRODUCER_EPOCH");
    const offsets = await sendOffsets(id, old, uniqueTopic("g"), [{ topic: t, partition: 0, offset: 1 }]);
    expect(offsets.body.error).toMatchObject({ type: "PRODUCER_FENCED", code: 90 });
    const commit = await commitTxn(id, old);
    expect(commit.status).toBe(409);
    expect(commit.body.error).toMatchObject({ type: "PRODUCER_FENCED", code: 90 });
    // The new incarnation works.
    expect((await sendTxn(id, fresh, t, 0, ["new"], 0)).status).toBe(200);
    expect((await commitTxn(id, fresh)).status).toBe(200);
    expect(await values(t, 0)).toEqual(["new"]);
  });

  it("a delayed write of transaction k sent after transaction k+1 began is refused (KIP-890)", async () => {
    const t = uniqueTopic();
    const id = uniqueTopic("txn");
    await createTopic(t, 2);
    const k = (await initTxn(id)).body as Identity;
    expect((await sendTxn(id, k, t, 0, ["k"], 0)).status).toBe(200);
    const ended = await abortTxn(id, k);
    const k1 = { producerId: ended.body.producerId, producerEpoch: ended.body.producerEpoch };
    expect(k1.producerEpoch).toBe(k.producerEpoch + 1);
    expect((await sendTxn(id, k1, t, 0, ["k+1"], 0)).status).toBe(200);
    expect((await sendTxn(id, k1, t, 1, ["k+1"], 0)).status).toBe(200);
    // To a partition transaction k wrote to (its marker is there), and to one it never reached (the coordinator says no).
    const late0 = await sendTxn(id, k, t, 0, ["late"], 1);
    const late1 = await sendTxn(id, k, t, 1, ["late"], 0);
    expect(late0.body.error.type).toBe("INVALID_PRODUCER_EPOCH");
    expect(late1.status).toBe(409);
    expect(["INVALID_TXN_STATE", "INVALID_PRODUCER_EPOCH"]).toContain(late1.body.error.type);
    expect((await commitTxn(id, k1)).status).toBe(200);
    expect(await values(t, 0)).toEqual(["k+1"]);
    expect(await values(t, 1)).toEqual(["k+1"]);
    expect(await values(t, 0, "read_uncommitted")).toEqual(["k", "k+1"]);
  });
});

describe("timeouts and expiration", () => {
  it("the coordinator aborts a transaction past its timeout: the LSO is released, the producer must abort to go on", async () => {
    const t = uniqueTopic();
    const id = uniqueTopic("txn");
    await createTopic(t, 1);
    const who = (await initTxn(id, { transactionTimeoutMs: 1_000 })).body as Identity;
    await sendTxn(id, who, t, 0, ["hung"], 0);
    expect(await lso(t, 0)).toBe(0);
    const stub = transactionCoordinatorStub(env, id);
    await runDurableObjectAlarm(stub); // not yet due: nothing happens
    expect((await describeTxn(id)).body.state).toBe("Ongoing");
    await runInDurableObject(stub, (instance: TransactionCoordinator) => instance.clock.advance(1_001));
    await runDurableObjectAlarm(stub);
    expect((await describeTxn(id)).body).toMatchObject({ state: "CompleteAbort", producerEpoch: who.producerEpoch + 1 });
    expect(await lso(t, 0)).toBe(2);
    expect(await values(t, 0)).toEqual([]);
    const commit = await commitTxn(id, who);
    expect(commit.body.error).toMatchObject({ type: "TRANSACTION_ABORTABLE", code: 120 });
    const abort = await abortTxn(id, who);
    expect(abort.body).toMatchObject({ producerId: who.producerId, producerEpoch: who.producerEpoch + 1 });
  });

  it("a transactional id silent for transactional.id.expiration.ms is forgotten", async () => {
    const id = uniqueTopic("txn");
    await initTxn(id);
    expect((await api("GET", "/v1/transactions")).body.transactions.map((x: { transactionalId: string }) => x.transactionalId)).toContain(id);
    const stub = transactionCoordinatorStub(env, id);
    await runInDurableObject(stub, (instance: TransactionCoordinator) => instance.clock.advance(TRANSACTIONAL_ID_EXPIRATION_MS));
    await runDurableObjectAlarm(stub);
    const gone = await describeTxn(id);
    expect(gone.status).toBe(404);
    expect(gone.body.error).toMatchObject({ type: "TRANSACTIONAL_ID_NOT_FOUND", code: 105 });
    expect((await api("GET", "/v1/transactions")).body.transactions.map((x: { transactionalId: string }) => x.transactionalId)).not.toContain(id);
  });
});

describe("faults while markers are written", () => {
  it("a partition unreachable during the markers gets its marker from the alarm once it is back", async () => {
    const t = uniqueTopic();
    const id = uniqueTopic("txn");
    await createTopic(t, 2);
    const who = (await initTxn(id)).body as Identity;
    await sendTxn(id, who, t, 0, ["a"], 0);
    await sendTxn(id, who, t, 1, ["b"], 0);
    await fault(t, 1, true);
    const commit = await commitTxn(id, who);
    expect(commit.status).toBe(200);
    expect(commit.body.state).toBe("PrepareCommit");
    expect(await values(t, 0)).toEqual(["a"]);
    // The next transaction waits for this one to complete.
    const next = { producerId: commit.body.producerId, producerEpoch: commit.body.producerEpoch };
    const early = await sendTxn(id, next, t, 0, ["c"], 0);
    expect(early.body.error).toMatchObject({ type: "CONCURRENT_TRANSACTIONS", retriable: true });
    await fault(t, 1, false);
    await runDurableObjectAlarm(transactionCoordinatorStub(env, id));
    expect((await describeTxn(id)).body).toMatchObject({ state: "CompleteCommit", pendingMarkers: 0 });
    expect(await values(t, 1)).toEqual(["b"]);
    expect((await sendTxn(id, next, t, 0, ["c"], 0)).status).toBe(200);
  });

  it("a coordinator evicted between PrepareCommit and the markers completes the transaction when it comes back", async () => {
    const t = uniqueTopic();
    const id = uniqueTopic("txn");
    await createTopic(t, 2);
    const who = (await initTxn(id)).body as Identity;
    await sendTxn(id, who, t, 0, ["a"], 0);
    await sendTxn(id, who, t, 1, ["b"], 0);
    // No marker can be written: the decision is all that is stored when the coordinator goes away.
    await fault(t, 0, true);
    await fault(t, 1, true);
    expect((await commitTxn(id, who)).body.state).toBe("PrepareCommit");
    const stub = transactionCoordinatorStub(env, id);
    await evictDurableObject(stub);
    await fault(t, 0, false);
    await fault(t, 1, false);
    expect(await values(t, 0)).toEqual([]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await describeTxn(id)).body.state).toBe("CompleteCommit");
    expect(await values(t, 0)).toEqual(["a"]);
    expect(await values(t, 1)).toEqual(["b"]);
  });
});
