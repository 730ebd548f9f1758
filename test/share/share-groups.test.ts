// Share groups end to end (KIP-932, docs/share-groups.md): leases, redelivery, renew, late acknowledgements, the
// delivery limit and the dead-letter topic (exactly once across an eviction), eviction mid-lease, retention past
// in-flight records, and idle cost.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { SharePartition } from "../../src/share/SharePartition";
import { api, createTopic, produceTo, readAll, records, uniqueTopic } from "../helpers";
import { accept, ack, advance, poll, shareGroup, shareStub } from "./helpers";

describe("share groups", () => {
  it("leases each record to one poller, and accepts move the share-partition start offset", async () => {
    const t = uniqueTopic("sg");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(5));
    await shareGroup(g);
    const a = await poll(g, { topics: [t], maxRecords: 3 });
    expect(a.records.map((r: any) => [r.offset, r.value, r.deliveryCount])).toEqual([[0, "v0", 1], [1, "v1", 1], [2, "v2", 1]]);
    expect(a.records[0]).toMatchObject({ topic: t, partition: 0, key: null, headers: [], leaseId: expect.stringMatching(/:0:0:\d+$/) });
    expect(a.records[0].lockExpiresAt).toBeGreaterThan(Date.now());
    const b = await poll(g, { topics: [t], maxRecords: 10 });
    expect(b.records.map((r: any) => r.offset)).toEqual([3, 4]);
    const acked = await ack(g, [...a.records, ...b.records].map((r: any) => accept(r.leaseId)));
    expect(acked.status).toBe(200);
    expect(acked.body.acknowledgements.every((x: any) => x.ok)).toBe(true);
    const d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.status).toBe(200);
    expect(d.body.partitions[0]).toMatchObject({ topic: t, partition: 0, startOffset: 5, endOffset: 5, highWatermark: 5, lag: 0, acknowledged: 5, inFlight: { acquired: 0, available: 0, archiving: 0 } });
  });

  it("an expired lease is redelivered with deliveryCount + 1; renew keeps a lease without + 1; a late accept after redelivery is refused", async () => {
    const t = uniqueTopic("lease");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(2));
    await shareGroup(g, { lockDurationMs: 1_000 });
    const first = await poll(g, { topics: [t], maxRecords: 2 });
    // Renew record 1 just before its lease ends; let record 0's end.
    await advance(g, t, 900);
    const renewed = await ack(g, [{ leaseId: first.records[1].leaseId, type: "renew" }]);
    expect(renewed.body.acknowledgements[0]).toMatchObject({ ok: true, lockExpiresAt: expect.any(Number) });
    await advance(g, t, 200);
    const again = await poll(g, { topics: [t], maxRecords: 5 });
    expect(again.records.map((r: any) => [r.offset, r.deliveryCount])).toEqual([[0, 2]]);
    const late = await ack(g, [accept(first.records[0].leaseId)]);
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ type: "INVALID_RECORD_STATE", code: 121, details: { currentDeliveryCount: 2 } });
    // The renewed lease is still good.
    expect((await ack(g, [accept(first.records[1].leaseId), accept(again.records[0].leaseId)])).status).toBe(200);
  });

  it("a late accept before anyone else took the record counts; release with a delay holds it back", async () => {
    const t = uniqueTopic("late");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(2));
    await shareGroup(g, { lockDurationMs: 1_000 });
    const got = await poll(g, { topics: [t], maxRecords: 2 });
    await advance(g, t, 5_000);
    expect((await ack(g, [accept(got.records[0].leaseId)])).status).toBe(200);
    const again = await poll(g, { topics: [t] });
    expect(again.records.map((r: any) => r.offset)).toEqual([1]);
    expect((await ack(g, [{ leaseId: again.records[0].leaseId, type: "release", delayMs: 10_000 }])).status).toBe(200);
    expect((await poll(g, { topics: [t] })).records).toEqual([]);
    await advance(g, t, 10_000);
    expect((await poll(g, { topics: [t] })).records.map((r: any) => [r.offset, r.deliveryCount])).toEqual([[1, 3]]);
  });

  it("limit 3: the third release dead-letters the record exactly once with KIP-1191's headers, even when the object is evicted between the decision and the write", async () => {
    const t = uniqueTopic("dl");
    const dlq = uniqueTopic("dlq");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await createTopic(dlq, 1, { "errors.deadletterqueue.group.enable": "true" });
    await produceTo(t, 0, [{ key: "k", value: "poison", headers: [{ key: "h", value: "1" }] }]);
    await shareGroup(g, { deliveryCountLimit: 3, deadLetterTopic: dlq, deadLetterCopyRecord: true });
    const stub = await shareStub(g, t);
    for (let i = 1; i <= 3; i++) {
      const got = await poll(g, { topics: [t] });
      expect(got.records.map((r: any) => r.deliveryCount)).toEqual([i]);
      expect((await ack(g, [{ leaseId: got.records[0].leaseId, type: "release" }])).status).toBe(200);
    }
    // Decided (ARCHIVING, persisted), not written: evicted before the alarm writes it.
    let d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.body.partitions[0]).toMatchObject({ deadLettersPending: 1, startOffset: 0 });
    await evictDurableObject(stub);
    // Now evicted after the write reached the dead-letter topic but before the object recorded it: prepare and write
    // by hand, then abort; the alarm sends the same batch with the same sequence, and the partition drops it.
    const fresh = await shareStub(g, t);
    await runInDurableObject(fresh, async (instance: SharePartition, state) => {
      const self = instance as unknown as { meta: any; state: any; io(): any; save(d: unknown): void };
      const io = self.io();
      const dl = { ...(await io.newProducer()), nextSequence: 0, pending: { topic: dlq, partition: 0, baseSequence: 0, offsets: [0] } };
      self.meta = { ...self.meta, deadLetter: dl };
      self.save({ acknowledged: 0, archived: 0 });
      await io.writeDeadLetters(dlq, 0, { producerId: dl.producerId, producerEpoch: dl.producerEpoch, baseSequence: 0 }, [{ offset: 0, deliveryCount: 3, reason: "delivery-limit", record: undefined }], false);
      state.abort("evicted by the test");
    }).catch(() => {});
    const again = await shareStub(g, t);
    expect(await runDurableObjectAlarm(again)).toBe(true);
    const letters = await readAll(dlq, 0);
    expect(letters).toHaveLength(1);
    const headers = Object.fromEntries(letters[0].headers.map((h: any) => [h.key, h.value]));
    expect(headers).toMatchObject({ "__dlq.errors.topic": t, "__dlq.errors.partition": "0", "__dlq.errors.offset": "0", "__dlq.errors.group": g, "__dlq.errors.delivery.count": "3", "__dlq.errors.message": "delivery-limit" });
    d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.body.partitions[0]).toMatchObject({ deadLettersPending: 0, deadLettered: 1, startOffset: 1 });
    // Nothing outstanding: no alarm.
    expect(await runDurableObjectAlarm(again)).toBe(false);
  });

  it("reject dead-letters at once, copying the record when asked; a topic that did not opt in is refused", async () => {
    const t = uniqueTopic("rej");
    const dlq = uniqueTopic("dlq");
    const plain = uniqueTopic("plain");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await createTopic(plain, 1);
    await createTopic(dlq, 1, { "errors.deadletterqueue.group.enable": "true" });
    const refused = await api("PUT", `/v1/share-groups/${g}`, { deadLetterTopic: plain });
    expect(refused.status).toBe(400);
    expect(refused.body.error.type).toBe("INVALID_CONFIG");
    await produceTo(t, 0, [{ key: "k", value: "bad", headers: [{ key: "h", value: "1" }] }]);
    await shareGroup(g, { deadLetterTopic: dlq, deadLetterCopyRecord: true });
    const got = await poll(g, { topics: [t] });
    expect((await ack(g, [{ leaseId: got.records[0].leaseId, type: "reject", reason: "bad json" }])).status).toBe(200);
    expect(await runDurableObjectAlarm(await shareStub(g, t))).toBe(true);
    const [letter] = await readAll(dlq, 0);
    expect(letter).toMatchObject({ key: "k", value: "bad" });
    expect(letter.headers[0]).toEqual({ key: "h", value: "1" });
    expect(letter.headers.find((h: any) => h.key === "__dlq.errors.message").value).toBe("rejected: bad json");
  });

  it("an eviction mid-lease keeps the lease: nobody else gets the record before it ends", async () => {
    const t = uniqueTopic("evict");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(1));
    await shareGroup(g, { lockDurationMs: 10_000 });
    const got = await poll(g, { topics: [t] });
    await evictDurableObject(await shareStub(g, t));
    expect((await poll(g, { topics: [t] })).records).toEqual([]);
    expect((await ack(g, [accept(got.records[0].leaseId)])).status).toBe(200);
  });

  it("retention moving the log start past in-flight records archives them and advances the SPSO", async () => {
    const t = uniqueTopic("ret");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(6));
    await shareGroup(g);
    const got = await poll(g, { topics: [t], maxRecords: 4 });
    // 0 and 1 released (available again), 2 and 3 still leased.
    await ack(g, got.records.slice(0, 2).map((r: any) => ({ leaseId: r.leaseId, type: "release" })));
    expect((await api("POST", `/v1/topics/${t}/partitions/0/delete-records`, { beforeOffset: 5 })).status).toBe(200);
    const next = await poll(g, { topics: [t], maxRecords: 10 });
    expect(next.records.map((r: any) => r.offset)).toEqual([5]);
    let d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.body.partitions[0]).toMatchObject({ startOffset: 2, archived: 2 });
    await ack(g, [...got.records.slice(2), ...next.records].map((r: any) => accept(r.leaseId)));
    d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.body.partitions[0]).toMatchObject({ startOffset: 6, lag: 0 });
  });

  it("a long-poll is woken by an append; an idle share-partition keeps no alarm", async () => {
    const t = uniqueTopic("lp");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await shareGroup(g);
    const waiting = api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxWaitMs: 20_000 });
    // Give the poll time to park, then append.
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await produceTo(t, 1, records(1));
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.body.records.map((x: any) => [x.partition, x.offset])).toEqual([[1, 0]]);
    expect(Date.now() - started).toBeLessThan(10_000);
    await ack(g, [accept(r.body.records[0].leaseId)]);
    for (const p of [0, 1]) expect(await runDurableObjectAlarm(await shareStub(g, t, p))).toBe(false);
  });

  it("maxRecords is strict across partitions", async () => {
    const t = uniqueTopic("strict");
    const g = uniqueTopic("g");
    await createTopic(t, 3);
    for (const p of [0, 1, 2]) await produceTo(t, p, records(4));
    await shareGroup(g);
    const seen = new Set<string>();
    for (const max of [1, 2, 5, 10]) {
      const got = await poll(g, { topics: [t], maxRecords: max });
      expect(got.records.length).toBe(Math.min(max, 12 - seen.size));
      for (const r of got.records) seen.add(`${r.partition}/${r.offset}`);
    }
    expect(seen.size).toBe(12);
  });

  it("acknowledgements ride on a poll", async () => {
    const t = uniqueTopic("ride");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(2));
    await shareGroup(g);
    const a = await poll(g, { topics: [t], maxRecords: 1 });
    const b = await poll(g, { topics: [t], maxRecords: 1, acknowledgements: [accept(a.records[0].leaseId)] });
    expect(b.acknowledgements).toEqual([{ leaseId: a.records[0].leaseId, ok: true }]);
    expect(b.records.map((r: any) => r.offset)).toEqual([1]);
  });

  it("config: PUT creates (201) then replaces (200); reset refuses while records are leased; a deleted group created again starts over", async () => {
    const t = uniqueTopic("cfg");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(3));
    const created = await api("PUT", `/v1/share-groups/${g}`, { autoOffsetReset: "earliest" });
    expect(created.status).toBe(201);
    expect(created.body.config).toEqual({ lockDurationMs: 30_000, deliveryCountLimit: 5, maxRecordLocks: 2_000, autoOffsetReset: "earliest", isolation: "read_uncommitted", deadLetterTopic: null, deadLetterCopyRecord: false, sessionTimeoutMs: 45_000, heartbeatIntervalMs: 5_000 });
    const replaced = await api("PUT", `/v1/share-groups/${g}`, { autoOffsetReset: "earliest", lockDurationMs: 2_000 });
    expect([replaced.status, replaced.body.config.lockDurationMs]).toEqual([200, 2_000]);
    const got = await poll(g, { topics: [t], maxRecords: 1 });
    const refused = await api("POST", `/v1/share-groups/${g}/offsets/reset`, { topic: t, to: "latest" });
    expect([refused.status, refused.body.error.type]).toEqual([409, "NON_EMPTY_GROUP"]);
    await ack(g, [accept(got.records[0].leaseId)]);
    expect((await api("POST", `/v1/share-groups/${g}/offsets/reset`, { topic: t, to: { offset: 2 } })).body.partitions).toEqual([{ partition: 0, offset: 2 }]);
    expect((await poll(g, { topics: [t] })).records.map((r: any) => r.offset)).toEqual([2]);
    expect((await api("GET", "/v1/share-groups")).body.shareGroups).toContain(g);
    expect((await api("DELETE", `/v1/share-groups/${g}`)).status).toBe(200);
    expect((await api("GET", `/v1/share-groups/${g}`)).status).toBe(404);
    // Created again: a new generation, so the share-partition starts over (its old lease on offset 2 is gone).
    await api("PUT", `/v1/share-groups/${g}`, { autoOffsetReset: "earliest" });
    expect((await poll(g, { topics: [t], maxRecords: 10 })).records.map((r: any) => [r.offset, r.deliveryCount])).toEqual([[0, 1], [1, 1], [2, 1]]);
  });

  it("read_committed acquires only committed transactional records, below the last stable offset", async () => {
    const t = uniqueTopic("rc");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await shareGroup(g, { isolation: "read_committed" });
    const txn = uniqueTopic("tx");
    const init = await api("POST", `/v1/transactions/${txn}/init`, {});
    expect(init.status, JSON.stringify(init.body)).toBe(200);
    const { producerId, producerEpoch } = init.body;
    expect((await api("POST", `/v1/transactions/${txn}/begin`, { producerId, producerEpoch })).status).toBe(200);
    const w = await produceTo(t, 0, [{ value: "in-txn" }], { transaction: { transactionalId: txn, producerId, producerEpoch, baseSequence: 0 } });
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    await produceTo(t, 0, [{ value: "after" }]);
    expect((await poll(g, { topics: [t] })).records).toEqual([]);
    expect((await api("POST", `/v1/transactions/${txn}/commit`, { producerId, producerEpoch })).status).toBe(200);
    const got = await poll(g, { topics: [t], maxRecords: 10 });
    expect(got.records.map((r: any) => r.value)).toEqual(["in-txn", "after"]);
  });
});
