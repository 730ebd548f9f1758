// A long-poll that finds every window full (maxRecordLocks) is woken by the acknowledgement that frees room, not by
// its maxWaitMs; and GET /v1/usage counts a share group's share-partition objects with the group.
import { describe, expect, it } from "vitest";
import type { UsageCounts } from "../../src/usage";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { accept, ack, poll, shareGroup, shareStub } from "./helpers";

describe("share groups: room and usage", () => {
  it("a long-poll on a full window answers when an acknowledgement frees room", async () => {
    const t = uniqueTopic("room");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(150));
    // The smallest window (100 records) and the longest wait: without the wake-up the poll would wait 20 s (its
    // leases end in 30 s).
    await shareGroup(g, { maxRecordLocks: 100 });
    const held = await poll(g, { topics: [t], maxRecords: 100 });
    expect(held.records).toHaveLength(100);
    expect((await poll(g, { topics: [t], maxRecords: 10 })).records).toEqual([]); // full
    const waiting = api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: 10, maxWaitMs: 20_000 });
    // Let the poll find the window full and park (if the accept came first, it would find room at once anyway).
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    expect((await ack(g, held.records.slice(0, 5).map((r: any) => accept(r.leaseId)))).status).toBe(200);
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.body.records.map((x: any) => x.offset)).toEqual([100, 101, 102, 103, 104]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a release frees no room but makes a record available: it wakes the poll too", async () => {
    const t = uniqueTopic("room");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(100));
    await shareGroup(g, { maxRecordLocks: 100 });
    const held = await poll(g, { topics: [t], maxRecords: 100 });
    const waiting = api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: 10, maxWaitMs: 20_000 });
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    expect((await ack(g, [{ leaseId: held.records[7].leaseId, type: "release" }])).status).toBe(200);
    const r = await waiting;
    expect(r.body.records.map((x: any) => [x.offset, x.deliveryCount])).toEqual([[7, 2]]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("a wake-up taken by a poll that another window woke first is passed on: the next waiting poll gets the room", async () => {
    const t = uniqueTopic("room");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await produceTo(t, 0, records(110));
    await produceTo(t, 1, records(110));
    await shareGroup(g, { maxRecordLocks: 100 });
    const a = (await poll(g, { topics: [t], maxRecords: 100 })).records;
    const b = (await poll(g, { topics: [t], maxRecords: 100 })).records;
    const [p0, p1] = a[0].partition === 0 ? [a, b] : [b, a];
    expect([p0[0].partition, p1[0].partition]).toEqual([0, 1]);
    // Two polls park on both full windows, the first before the second.
    const settle = async () => {
      for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    };
    const first = api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: 5, maxWaitMs: 20_000 });
    await settle();
    const second = api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: 5, maxWaitMs: 20_000 });
    await settle();
    // Room on partition 0 wakes the first; it takes that room and is no longer waiting on partition 1.
    expect((await ack(g, p0.slice(0, 5).map((r: any) => accept(r.leaseId)))).status).toBe(200);
    expect((await first).body.records.map((r: any) => [r.partition, r.offset])).toEqual([0, 1, 2, 3, 4].map((i) => [0, 100 + i]));
    // Room on partition 1 wakes the first again (it is still listed there): unclaimed, the wake-up goes on to the second.
    const started = Date.now();
    expect((await ack(g, p1.slice(0, 5).map((r: any) => accept(r.leaseId)))).status).toBe(200);
    expect((await second).body.records.map((r: any) => [r.partition, r.offset])).toEqual([0, 1, 2, 3, 4].map((i) => [1, 100 + i]));
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("acknowledgements riding on a poll free room for that poll first, in the same share-partition call", async () => {
    const t = uniqueTopic("room");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await produceTo(t, 0, records(150));
    await shareGroup(g, { maxRecordLocks: 100 });
    const held = (await poll(g, { topics: [t], maxRecords: 100 })).records;
    expect(held.map((r: any) => r.partition)).toEqual(new Array(100).fill(0));
    // Another poller parks on the full window (its acquire finds partition 0 full and partition 1 empty).
    const waiting = api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: 10, maxWaitMs: 1_000 });
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 5));
    const stub = await shareStub(g, t, 0);
    const before = (await stub.usage()).requests;
    // The holder accepts its ten oldest records with its next poll: the room they free is its own.
    const next = await poll(g, { topics: [t], maxRecords: 10, acknowledgements: held.slice(0, 10).map((r: any) => accept(r.leaseId)) });
    expect(next.acknowledgements.map((a: any) => a.ok)).toEqual(new Array(10).fill(true));
    expect(next.records.map((r: any) => r.offset)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    // One call to partition 0's share-partition took the acknowledgements and leased the records.
    expect((await stub.usage()).requests - before).toBe(1);
    const r = await waiting;
    expect(r.status).toBe(200);
    expect(r.body.records).toEqual([]);
    // A refused one rides the same way: answered per item, and the poll still leases.
    const again = await poll(g, { topics: [t], maxRecords: 5, acknowledgements: [accept(held[0].leaseId)] });
    expect(again.acknowledgements[0].error.type).toBe("INVALID_RECORD_STATE");
    expect(again.records).toEqual([]); // the window is still full (offsets 10 to 109 are leased)
  });

  it("GET /v1/usage counts the share-partition objects with their group", async () => {
    const t = uniqueTopic("usage");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    for (const p of [0, 1]) await produceTo(t, p, records(3));
    await shareGroup(g);
    const got = await poll(g, { topics: [t], maxRecords: 10 });
    expect(got.records).toHaveLength(6);
    expect((await ack(g, got.records.map((r: any) => accept(r.leaseId)))).status).toBe(200);
    const own: UsageCounts[] = [];
    for (const p of [0, 1]) own.push(await (await shareStub(g, t, p)).usage());
    const report = (await api("GET", `/v1/usage?group=${g}`)).body;
    // The controller, the group's coordinator and its two share-partitions.
    expect(report.total.objects).toBe(1 + 1 + 2);
    const group: UsageCounts = report.groups[0].usage;
    const shareRows = own.reduce((n, u) => n + u.rowsWritten, 0);
    expect(shareRows).toBeGreaterThanOrEqual(2); // each stored its leases, then their acceptance
    expect(group.rowsWritten).toBeGreaterThanOrEqual(shareRows);
    expect(group.requests).toBeGreaterThanOrEqual(own.reduce((n, u) => n + u.requests, 0) + 1);
    // A consumer group's report is only its coordinator.
    const other = uniqueTopic("cg");
    expect((await api("POST", `/v1/groups/${other}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 1 }] })).status).toBe(200);
    expect((await api("GET", `/v1/usage?group=${other}`)).body.total.objects).toBe(1 + 1);
  });
});
