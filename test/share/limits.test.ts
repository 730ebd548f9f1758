// Every share-group bound (src/limits.ts) at its limit (accepted) and one past it (400 INVALID_REQUEST naming the
// field), and the in-flight window's back-pressure (share.partition.max.record.locks).
import { describe, expect, it } from "vitest";
import {
  MAX_FETCH_WAIT_MS,
  MAX_SHARE_ACKS_PER_REQUEST,
  MAX_SHARE_DELIVERY_COUNT_LIMIT,
  MAX_SHARE_LOCK_DURATION_MS,
  MAX_SHARE_MAX_RECORD_LOCKS,
  MAX_SHARE_POLL_MAX_RECORDS,
  MAX_SHARE_POLL_TOPICS,
  MAX_SHARE_REJECT_REASON_LENGTH,
  MAX_SHARE_RELEASE_DELAY_MS,
  MIN_SHARE_DELIVERY_COUNT_LIMIT,
  MIN_SHARE_LOCK_DURATION_MS,
  MIN_SHARE_MAX_RECORD_LOCKS,
} from "../../src/limits";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { ack, poll, shareGroup } from "./helpers";

const t = uniqueTopic("lim");
const g = uniqueTopic("g");
const fakeLease = `${t}:0:999:1`;

describe("share group limits", () => {
  it("config bounds: at the limit accepted, past it refused", async () => {
    await createTopic(t, 1);
    await shareGroup(g);
    const cases: [string, number, number][] = [
      ["lockDurationMs", MIN_SHARE_LOCK_DURATION_MS, MIN_SHARE_LOCK_DURATION_MS - 1],
      ["lockDurationMs", MAX_SHARE_LOCK_DURATION_MS, MAX_SHARE_LOCK_DURATION_MS + 1],
      ["deliveryCountLimit", MIN_SHARE_DELIVERY_COUNT_LIMIT, MIN_SHARE_DELIVERY_COUNT_LIMIT - 1],
      ["deliveryCountLimit", MAX_SHARE_DELIVERY_COUNT_LIMIT, MAX_SHARE_DELIVERY_COUNT_LIMIT + 1],
      ["maxRecordLocks", MIN_SHARE_MAX_RECORD_LOCKS, MIN_SHARE_MAX_RECORD_LOCKS - 1],
      ["maxRecordLocks", MAX_SHARE_MAX_RECORD_LOCKS, MAX_SHARE_MAX_RECORD_LOCKS + 1],
    ];
    for (const [field, at, over] of cases) {
      const ok = await api("PATCH", `/v1/share-groups/${g}`, { [field]: at });
      expect(ok.status, `${field}=${at}: ${JSON.stringify(ok.body)}`).toBe(200);
      expect(ok.body.config[field]).toBe(at);
      const bad = await api("PATCH", `/v1/share-groups/${g}`, { [field]: over });
      expect(bad.status, `${field}=${over}`).toBe(400);
      expect(bad.body.error).toMatchObject({ type: "INVALID_REQUEST", details: { field } });
    }
    for (const bad of [{ lockDurationMs: "x" }, { autoOffsetReset: "beginning" }, { isolation: "serializable" }, { deadLetterCopyRecord: "yes" }, { maxInFlight: 1 }]) {
      expect((await api("PATCH", `/v1/share-groups/${g}`, bad)).status, JSON.stringify(bad)).toBe(400);
    }
    const internal = await api("PATCH", `/v1/share-groups/${g}`, { deadLetterTopic: "__consumer_offsets" });
    expect([internal.status, internal.body.error.type]).toEqual([400, "INVALID_CONFIG"]);
  });

  it("poll bounds: maxRecords, maxWaitMs, topics", async () => {
    await produceTo(t, 0, records(2));
    const at = [{ maxRecords: MAX_SHARE_POLL_MAX_RECORDS }, { maxWaitMs: MAX_FETCH_WAIT_MS }, { topics: Array(MAX_SHARE_POLL_TOPICS).fill(t) }];
    for (const extra of at) {
      const r = await api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], ...extra, acknowledgements: [] });
      expect(r.status, JSON.stringify(extra)).toBe(200);
      await ack(g, r.body.records.map((x: any) => ({ leaseId: x.leaseId, type: "release" })));
    }
    const over: [Record<string, unknown>, string][] = [
      [{ maxRecords: MAX_SHARE_POLL_MAX_RECORDS + 1 }, "maxRecords"],
      [{ maxRecords: 0 }, "maxRecords"],
      [{ maxWaitMs: MAX_FETCH_WAIT_MS + 1 }, "maxWaitMs"],
      [{ topics: Array(MAX_SHARE_POLL_TOPICS + 1).fill(t) }, "topics"],
      [{ topics: [] }, "topics"],
    ];
    for (const [extra, field] of over) {
      const r = await api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], ...extra });
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(r.body.error.details.field).toBe(field);
    }
  });

  it("acknowledgement bounds: count, release delay, reject reason", async () => {
    const many = (n: number) => Array.from({ length: n }, () => ({ leaseId: fakeLease, type: "accept" }));
    // Well-formed at the limit: refused by the share-partition (nobody holds the lease), not by the parser.
    expect((await ack(g, many(MAX_SHARE_ACKS_PER_REQUEST))).status).toBe(409);
    const tooMany = await ack(g, many(MAX_SHARE_ACKS_PER_REQUEST + 1));
    expect([tooMany.status, tooMany.body.error.details.field]).toEqual([400, "acknowledgements"]);
    expect((await ack(g, [{ leaseId: fakeLease, type: "release", delayMs: MAX_SHARE_RELEASE_DELAY_MS }])).status).toBe(409);
    expect((await ack(g, [{ leaseId: fakeLease, type: "release", delayMs: MAX_SHARE_RELEASE_DELAY_MS + 1 }])).status).toBe(400);
    expect((await ack(g, [{ leaseId: fakeLease, type: "release", delayMs: -1 }])).status).toBe(400);
    expect((await ack(g, [{ leaseId: fakeLease, type: "reject", reason: "r".repeat(MAX_SHARE_REJECT_REASON_LENGTH) }])).status).toBe(409);
    expect((await ack(g, [{ leaseId: fakeLease, type: "reject", reason: "r".repeat(MAX_SHARE_REJECT_REASON_LENGTH + 1) }])).status).toBe(400);
    expect((await ack(g, [{ leaseId: fakeLease, type: "accept", delayMs: 1 }])).status).toBe(400);
    expect((await ack(g, [{ leaseId: fakeLease, type: "accept", reason: "x" }])).status).toBe(400);
    expect((await ack(g, [])).status).toBe(400);
    expect((await api("POST", `/v1/share-groups/${g}/acknowledgements`, { acknowledgements: [{ leaseId: fakeLease, type: "accept" }], extra: 1 })).status).toBe(400);
  });

  it("the in-flight window (maxRecordLocks) holds back new records until earlier ones are done", async () => {
    const topic = uniqueTopic("win");
    const group = uniqueTopic("g");
    await createTopic(topic, 1);
    await produceTo(topic, 0, records(150));
    await shareGroup(group, { maxRecordLocks: 100 });
    const first = await poll(group, { topics: [topic], maxRecords: 500 });
    expect(first.records).toHaveLength(100);
    expect((await poll(group, { topics: [topic], maxRecords: 500 })).records).toEqual([]);
    await ack(group, first.records.slice(0, 30).map((r: any) => ({ leaseId: r.leaseId, type: "accept" })));
    const next = await poll(group, { topics: [topic], maxRecords: 500 });
    expect(next.records.map((r: any) => r.offset)).toEqual(Array.from({ length: 30 }, (_, i) => 100 + i));
  });
});
