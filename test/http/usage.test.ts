// GET /v1/usage: the objects count their own billed items (src/usage.ts): requests, SQLite rows read and written,
// R2 operations, active time. Checked against what a produce, a fetch and a commit are known to store and read,
// then the counter itself with a fake clock, SQL and bucket, then the endpoint's input errors.
import { describe, expect, it } from "vitest";
import { MAX_USAGE_NAMES } from "../../src/limits";
import { HIBERNATE_AFTER_MS, Usage, type UsageCounts } from "../../src/usage";
import { api, createTopic, fetchFrom, produceTo, records, uniqueTopic } from "../helpers";

type Report = { controller: UsageCounts; topics: { topic: string; partitions: UsageCounts[] }[]; groups: { groupId: string; usage: UsageCounts }[]; total: UsageCounts & { objects: number } };

async function usage(query: string): Promise<Report> {
  const r = await api<Report>("GET", `/v1/usage?${query}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

describe("GET /v1/usage", () => {
  it("counts a partition's requests and rows: an append writes rows, a fetch only reads", async () => {
    const topic = uniqueTopic("usage");
    const group = `g-${topic}`;
    await createTopic(topic, 2);
    expect((await produceTo(topic, 0, records(100))).status).toBe(200);
    const before = (await usage(`topic=${topic}&group=${group}`)).topics[0]!.partitions[0]!;
    expect(before.requests).toBeGreaterThanOrEqual(1);
    expect(before.rowsWritten).toBeGreaterThanOrEqual(2); // the batch row and the partition state

    expect((await produceTo(topic, 0, records(100))).status).toBe(200);
    const afterAppend = (await usage(`topic=${topic}`)).topics[0]!.partitions[0]!;
    expect(afterAppend.requests - before.requests).toBe(1);
    const appendRows = afterAppend.rowsWritten - before.rowsWritten;
    expect(appendRows).toBe(1); // one batch row; the partition state is recovered from the batches, not rewritten

    const f = await fetchFrom(topic, 0, { offset: 0, maxRecords: 200 });
    expect(f.body.records).toHaveLength(200);
    const afterFetch = (await usage(`topic=${topic}`)).topics[0]!.partitions[0]!;
    expect(afterFetch.requests - afterAppend.requests).toBe(1);
    expect(afterFetch.rowsWritten).toBe(afterAppend.rowsWritten);
    // Both batches are the partition's newest: the tail cache serves them, no batch row is read (at most the one row
    // that finds where local data starts, the first time it is asked).
    expect(afterFetch.rowsRead - afterAppend.rowsRead).toBeLessThanOrEqual(1);
    expect(afterFetch.r2ClassA + afterFetch.r2ClassB).toBe(0); // nothing tiered

    expect((await api("POST", `/v1/groups/${group}/offsets`, { offsets: [{ topic, partition: 0, offset: 200 }] })).status).toBe(200);
    const report = await usage(`topic=${topic}&group=${group}`);
    expect(report.topics[0]!.partitions).toHaveLength(2);
    expect(report.groups[0]!.groupId).toBe(group);
    expect(report.groups[0]!.usage.requests).toBeGreaterThanOrEqual(1);
    expect(report.groups[0]!.usage.rowsWritten).toBeGreaterThanOrEqual(1);
    expect(report.controller.requests).toBeGreaterThanOrEqual(1);
    expect(report.total.objects).toBe(1 + 2 + 1);
    const sum = [report.controller, ...report.topics[0]!.partitions, report.groups[0]!.usage].reduce((n, u) => n + u.rowsWritten, 0);
    expect(report.total.rowsWritten).toBe(sum);
  });

  it("refuses bad input", async () => {
    const many = Array.from({ length: MAX_USAGE_NAMES + 1 }, (_, i) => `topic=t${i}`).join("&");
    expect((await api("GET", `/v1/usage?${many}`)).body.error.type).toBe("INVALID_REQUEST");
    const manyGroups = Array.from({ length: MAX_USAGE_NAMES + 1 }, (_, i) => `group=g${i}`).join("&");
    expect((await api("GET", `/v1/usage?${manyGroups}`)).body.error.type).toBe("INVALID_REQUEST");
    expect((await api("GET", `/v1/usage?topics=x`)).status).toBe(400);
    expect((await api("GET", `/v1/usage?topic=${uniqueTopic("missing")}`)).body.error.type).toBe("UNKNOWN_TOPIC_OR_PARTITION");
    expect((await api("GET", `/v1/usage?topic=${encodeURIComponent("bad name")}`)).body.error.type).toBe("INVALID_TOPIC_EXCEPTION");
    expect((await api("GET", `/v1/usage?group=${encodeURIComponent("bad/id")}`)).body.error.type).toBe("INVALID_GROUP_ID");
    // Nothing named: just the controller.
    expect((await usage("")).total.objects).toBe(1);
  });
});

describe("Usage", () => {
  it("counts no time between requests: an idle object that may hibernate is not billed, even before it does", () => {
    let now = 1_000;
    const u = new Usage(() => now);
    u.request();
    now += 400;
    u.request();
    now += HIBERNATE_AFTER_MS + 1;
    u.request();
    now += 100;
    expect(u.snapshot()).toMatchObject({ requests: 3, activeMs: 0 });
  });

  it("counts a request parked in the object as active for as long as it lasts, overlapping ones once", () => {
    let now = 0;
    const u = new Usage(() => now);
    u.begin(); // a long-poll parked 30 s
    now += 30_000;
    expect(u.snapshot().activeMs).toBe(30_000); // in progress: counted up to now
    u.end();
    now += HIBERNATE_AFTER_MS + 1;
    u.begin(); // two overlapping requests: 100 ms of activity, not 150
    u.begin();
    now += 50;
    u.end();
    now += 50;
    u.end();
    expect(u.snapshot()).toMatchObject({ requests: 3, activeMs: 30_100 });
    u.end(); // an unmatched end changes nothing
    expect(u.snapshot()).toMatchObject({ requests: 3, activeMs: 30_100 });
  });

  it("counts rows of every statement once, when they are done", () => {
    const u = new Usage(() => 0);
    const cursor = { rowsRead: 0, rowsWritten: 0 };
    const fake = { exec: () => cursor, databaseSize: 42, Cursor: undefined, Statement: undefined } as unknown as SqlStorage;
    const sql = u.sql(fake);
    expect(sql.databaseSize).toBe(42);
    sql.exec("INSERT");
    cursor.rowsRead = 3; // the cursor advanced after exec returned
    cursor.rowsWritten = 2;
    u.request();
    expect(u.snapshot()).toMatchObject({ rowsRead: 3, rowsWritten: 2 });
    expect(u.snapshot()).toMatchObject({ rowsRead: 3, rowsWritten: 2 }); // not counted twice
  });

  it("counts R2 class A and B operations; deletes are free", async () => {
    const u = new Usage(() => 0);
    const calls: string[] = [];
    const fake = {
      put: async () => calls.push("put"),
      get: async () => calls.push("get"),
      head: async () => calls.push("head"),
      list: async () => calls.push("list"),
      delete: async () => calls.push("delete"),
    } as unknown as R2Bucket;
    const bucket = u.bucket(fake);
    await bucket.put("k", "v");
    await bucket.get("k");
    await bucket.head("k");
    await bucket.list();
    await bucket.delete("k");
    expect(calls).toEqual(["put", "get", "head", "list", "delete"]);
    expect(u.snapshot()).toMatchObject({ r2ClassA: 2, r2ClassB: 2 });
  });
});
