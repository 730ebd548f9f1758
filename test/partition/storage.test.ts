// Retention, compaction and tiering in the partition object, driven by its alarm (runDurableObjectAlarm) and an
// injected clock (the object's clock, moved forward), never by sleeping. R2 is the local bucket.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { partitionLogStub } from "../../src/names";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import { api, createTopic, fetchFrom, produceTo, readAll, records, uniqueTopic } from "../helpers";

const DAY = 86_400_000;

async function stubOf(topic: string, partition = 0) {
  const d = await api("GET", `/v1/topics/${topic}`);
  return partitionLogStub(env, d.body.topicId, partition);
}

async function describePartition(topic: string, partition = 0) {
  return (await api("GET", `/v1/topics/${topic}`)).body.partitions[partition];
}

async function shiftClock(stub: Awaited<ReturnType<typeof stubOf>>, ms: number) {
  await runInDurableObject(stub, (instance: PartitionLog) => {
    instance.clock.advance(ms);
  });
}

async function r2Keys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await env.SEGMENTS.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((o) => o.key));
    if (!page.truncated) return keys;
    cursor = page.cursor;
  }
}

/** Produces n records in batches of `batch`, values v<i>, key k<i % keys>. */
async function fill(topic: string, n: number, batch: number, keys = n, timestamp?: (i: number) => number) {
  for (let i = 0; i < n; i += batch) {
    const r = await produceTo(topic, 0, records(Math.min(batch, n - i), (j) => ({ key: `k${(i + j) % keys}`, value: `v${i + j}`, ...(timestamp ? { timestamp: timestamp(i + j) } : {}) })));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
}

describe("segments and retention", () => {
  it("rolls segments at segment.bytes, deletes whole segments by retention.bytes, and moves logStartOffset", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "segment.bytes": 2000, "retention.bytes": 6000 });
    await fill(t, 200, 10);
    const before = await describePartition(t);
    expect(before.localSegments).toBeGreaterThan(5);
    const stub = await stubOf(t);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await describePartition(t);
    expect(after.logStartOffset).toBeGreaterThan(0);
    expect(after.bytes).toBeLessThan(6000 + 2100);
    expect(after.bytes).toBeGreaterThanOrEqual(6000 - 2100);
    const all = await readAll(t, 0);
    expect(all[0].offset).toBe(after.logStartOffset);
    expect(all.map((r: any) => r.value)).toEqual(Array.from({ length: 200 - after.logStartOffset }, (_, i) => `v${after.logStartOffset + i}`));
    const below = await fetchFrom(t, 0, { offset: 0 });
    expect(below.status).toBe(416);
    expect(below.body.error.details).toMatchObject({ logStartOffset: after.logStartOffset, highWatermark: 200 });
  });

  it("deletes segments whose newest record is older than retention.ms (injected time), never the active one", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "segment.bytes": 1500, "retention.ms": DAY });
    const now = Date.now();
    await fill(t, 100, 10, 100, (i) => now - (i < 50 ? 3 * DAY : 0));
    const stub = await stubOf(t);
    await runDurableObjectAlarm(stub);
    const p = await describePartition(t);
    expect(p.logStartOffset).toBeGreaterThan(0);
    expect(p.logStartOffset).toBeLessThanOrEqual(50);
    // Everything is old two days later: all sealed segments go, the active one stays.
    await shiftClock(stub, 2 * DAY);
    await runDurableObjectAlarm(stub);
    const later = await describePartition(t);
    expect(later.logStartOffset).toBeGreaterThan(50);
    expect(later.highWatermark).toBe(100);
    expect((await readAll(t, 0)).length).toBe(100 - later.logStartOffset);
  });

  it("rolls by segment.ms from the alarm when nothing is appended", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "segment.ms": 60_000 });
    await fill(t, 10, 10);
    const stub = await stubOf(t);
    expect((await describePartition(t)).localSegments).toBe(1);
    await shiftClock(stub, 61_000);
    await runDurableObjectAlarm(stub);
    expect((await describePartition(t)).localSegments).toBe(2); // the sealed one and a new empty active one
  });

  it("DeleteRecords moves logStartOffset; fetches below it are 416; bad input changes nothing", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "segment.bytes": 1000 });
    await fill(t, 50, 5);
    const del = await api("POST", `/v1/topics/${t}/partitions/0/delete-records`, { beforeOffset: 23 });
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expect(del.body).toEqual({ partition: 0, logStartOffset: 23 });
    expect((await fetchFrom(t, 0, { offset: 22 })).status).toBe(416);
    expect((await fetchFrom(t, 0, { offset: 23 })).body.records[0]).toMatchObject({ offset: 23, value: "v23" });
    expect((await api("GET", `/v1/topics/${t}/partitions/0/offsets?at=earliest`)).body.offset).toBe(23);
    const past = await api("POST", `/v1/topics/${t}/partitions/0/delete-records`, { beforeOffset: 51 });
    expect(past.status).toBe(416);
    expect((await api("POST", `/v1/topics/${t}/partitions/0/delete-records`, { beforeOffset: -1 })).status).toBe(400);
    expect((await api("POST", `/v1/topics/${t}/partitions/0/delete-records`, { beforeOffset: 10 })).body.logStartOffset).toBe(23); // never backwards
    expect((await readAll(t, 0)).map((r: any) => r.offset)).toEqual(Array.from({ length: 27 }, (_, i) => 23 + i));
    expect((await api("POST", `/v1/topics/${t}/partitions/0/delete-records`, { beforeOffset: 50 })).body.logStartOffset).toBe(50);
    expect(await readAll(t, 0)).toEqual([]);
  });
});

describe("tiered storage", () => {
  it("moves sealed segments to R2 and reads them back transparently, one continuous answer across R2 and SQLite", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "segment.bytes": 3000, "local.retention.bytes": 0 });
    await fill(t, 300, 20);
    const stub = await stubOf(t);
    const local = await readAll(t, 0);
    for (let i = 0; i < 5 && (await runDurableObjectAlarm(stub)); i++);
    const p = await describePartition(t);
    expect(p.tieredSegments).toBeGreaterThan(3);
    expect(p.tieredBytes).toBeGreaterThan(0);
    expect(p.tieredStoredBytes).toBeLessThan(p.tieredBytes); // compressed
    expect(p.localSegments).toBe(1);
    expect(p.bytes).toBe(p.localBytes + p.tieredBytes);
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId;
    expect((await r2Keys(`${topicId}/0/`)).length).toBe(p.tieredSegments);
    // Byte-exact from R2, in both encodings, and spanning into the active segment.
    expect(await readAll(t, 0)).toEqual(local);
    const b64 = await readAll(t, 0, "base64");
    expect(b64.map((r: any) => atob(r.value))).toEqual(local.map((r: any) => r.value));
    const span = await fetchFrom(t, 0, { offset: 250, maxRecords: 50 });
    expect(span.body.records.map((r: any) => r.offset)).toEqual(Array.from({ length: 50 }, (_, i) => 250 + i));
    const mid = await fetchFrom(t, 0, { offset: 37, maxRecords: 3 });
    expect(mid.body.records.map((r: any) => r.value)).toEqual(["v37", "v38", "v39"]);
    expect((await api("GET", `/v1/topics/${t}/partitions/0/offsets?at=${local[5].timestamp}`)).body.offset).toBeLessThanOrEqual(5);
  });

  it("an eviction between the R2 PUT and the index write loses nothing and duplicates nothing", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "segment.bytes": 2000 });
    await fill(t, 100, 10);
    const stub = await stubOf(t);
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId;
    const before = await readAll(t, 0);
    // Do exactly the first half of a tiering step (record the key as pending, PUT the object), then die.
    const orphan = await runInDurableObject(stub, async (instance: PartitionLog) => {
      const inner = instance as unknown as { log: any; tiered: any };
      const seg = inner.log.segments.list()[0];
      const key = `${topicId}/0/orphan-${crypto.randomUUID()}.seg`;
      inner.log.segments.addPendingUpload(key, seg.baseOffset);
      await inner.tiered.upload(key, inner.log.batches.inRange(seg.baseOffset, seg.lastOffset));
      return key;
    });
    expect(await r2Keys(orphan)).toEqual([orphan]);
    await evictDurableObject(stub);
    expect(await readAll(t, 0)).toEqual(before); // still served from SQLite: the object was never indexed
    // The next alarm deletes the orphan; with tiering on, segments then go to R2 once each.
    await api("PATCH", `/v1/topics/${t}`, { config: { "local.retention.bytes": 0 } });
    await produceTo(t, 0, [{ key: "x", value: "after" }]);
    for (let i = 0; i < 5 && (await runDurableObjectAlarm(stub)); i++);
    expect(await r2Keys(orphan)).toEqual([]);
    const p = await describePartition(t);
    expect((await r2Keys(`${topicId}/0/`)).length).toBe(p.tieredSegments);
    expect(await readAll(t, 0)).toEqual([...before, expect.objectContaining({ offset: 100, value: "after" })]);
  });

  it("retention deletes tiered segments and their R2 objects; deleting the topic deletes the rest", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "segment.bytes": 2000, "local.retention.bytes": 0 });
    await fill(t, 150, 10);
    const stub = await stubOf(t);
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId;
    for (let i = 0; i < 5 && (await runDurableObjectAlarm(stub)); i++);
    const tiered = (await describePartition(t)).tieredSegments;
    expect(tiered).toBeGreaterThan(2);
    await api("PATCH", `/v1/topics/${t}`, { config: { "retention.bytes": 4000 } });
    await produceTo(t, 0, [{ key: "k", value: "tick" }]);
    await runDurableObjectAlarm(stub);
    const p = await describePartition(t);
    expect(p.tieredSegments).toBeLessThan(tiered);
    expect((await r2Keys(`${topicId}/0/`)).length).toBe(p.tieredSegments);
    expect((await readAll(t, 0))[0].offset).toBe(p.logStartOffset);
    expect((await api("DELETE", `/v1/topics/${t}`)).status).toBe(200);
    expect(await r2Keys(`${topicId}/`)).toEqual([]);
  });
});

describe("compaction", () => {
  it("keeps the latest record per key, never changes an offset, and a removed offset reads as the next survivor", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "cleanup.policy": "compact", "segment.bytes": 1500, "min.cleanable.dirty.ratio": 0 });
    await fill(t, 200, 10, 7); // keys k0..k6, each updated many times
    const stub = await stubOf(t);
    const original = await readAll(t, 0);
    for (let i = 0; i < 5 && (await runDurableObjectAlarm(stub)); i++);
    const compacted = await readAll(t, 0);
    expect(compacted.length).toBeLessThan(original.length);
    // Every survivor is byte-identical to the original record at its offset.
    const byOffset = new Map(original.map((r: any) => [r.offset, r]));
    for (const r of compacted) expect(r).toEqual(byOffset.get(r.offset));
    // End to end the topic equals the map of key to latest value.
    const latest = new Map<string, string>();
    for (const r of original) latest.set(r.key, r.value);
    const read = new Map<string, string>();
    for (const r of compacted) read.set(r.key, r.value);
    expect(read).toEqual(latest);
    // A fetch at a removed offset answers from the next surviving one; offsets never move.
    const removed = original.find((r: any) => !compacted.some((c: any) => c.offset === r.offset))!;
    const at = await fetchFrom(t, 0, { offset: removed.offset, maxRecords: 1 });
    expect(at.body.records[0].offset).toBeGreaterThan(removed.offset);
    expect((await describePartition(t)).highWatermark).toBe(200);
  });

  it("removes tombstones only after delete.retention.ms, and honours min.compaction.lag.ms", async () => {
    const t = uniqueTopic();
    await createTopic(t, 1, { "cleanup.policy": "compact", "segment.bytes": 1000, "min.cleanable.dirty.ratio": 0, "delete.retention.ms": DAY, "min.compaction.lag.ms": 0 });
    await produceTo(t, 0, [{ key: "a", value: "1" }, { key: "b", value: "1" }, { key: "a", value: null }]);
    await fill(t, 40, 10, 40); // unrelated keys to fill segments
    const stub = await stubOf(t);
    await runDurableObjectAlarm(stub);
    let all = await readAll(t, 0);
    expect(all.find((r: any) => r.key === "a" && r.value === "1")).toBeUndefined(); // superseded by its tombstone
    expect(all.find((r: any) => r.key === "a" && r.value === null)).toBeDefined(); // the tombstone stays for now
    await shiftClock(stub, DAY + 1);
    await produceTo(t, 0, records(20, (i) => ({ key: `z${i}`, value: "x" })));
    await api("PATCH", `/v1/topics/${t}`, { config: { "min.cleanable.dirty.ratio": 0 } });
    for (let i = 0; i < 3 && (await runDurableObjectAlarm(stub)); i++);
    all = await readAll(t, 0);
    expect(all.find((r: any) => r.key === "a")).toBeUndefined();
    expect(all.find((r: any) => r.key === "b")).toMatchObject({ value: "1" });

    const lag = uniqueTopic();
    await createTopic(lag, 1, { "cleanup.policy": "compact", "segment.bytes": 1000, "min.cleanable.dirty.ratio": 0, "min.compaction.lag.ms": DAY });
    await fill(lag, 60, 10, 3);
    const lagStub = await stubOf(lag);
    await runDurableObjectAlarm(lagStub);
    expect((await readAll(lag, 0)).length).toBe(60); // too young to compact
    await shiftClock(lagStub, 2 * DAY);
    await runDurableObjectAlarm(lagStub);
    expect((await readAll(lag, 0)).length).toBeLessThan(60);
  });
});
