// The objects' counters on GET /metrics move by exactly the traffic sent: records and bytes appended and fetched,
// requests, errors by type, duplicates; a group's joins, leaves, expiries, rebalances and fenced commits; the group
// epoch gauges equal describe's; an evicted object starts its counters again from zero (documented reset semantics).
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { groupCoordinatorStub, partitionLogStub } from "../../src/names";
import type { GroupCoordinator } from "../../src/group/GroupCoordinator";
import { api, createTopic, fetchFrom, produceTo, records, uniqueTopic } from "../helpers";
import { subscribe, untilCaughtUp } from "../subscription/helpers";

function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** A scrape the isolate's cache cannot answer: each query names a topic never asked before. */
async function scrape(query: string): Promise<Map<string, number>> {
  const fresh = uniqueTopic("fresh");
  await createTopic(fresh, 1);
  const r = await api("GET", `/metrics?${query}&topic=${fresh}`);
  expect(r.status, String(r.body)).toBe(200);
  return parse(r.body as string);
}

describe("per-object counters on GET /metrics", () => {
  it("a partition counts exactly the records, bytes, requests, errors and duplicates sent", async () => {
    const t = uniqueTopic();
    await createTopic(t, 2);
    const l = `{topic="${t}",partition="0",replica="0"}`;
    const before = await scrape(`topic=${t}`);
    expect(before.get(`edgelog_partition_records_appended_total${l}`)).toBe(0);
    expect(before.get(`edgelog_partition_produce_requests_total${l}`)).toBe(0);
    expect((await produceTo(t, 0, records(7))).status).toBe(200);
    expect((await produceTo(t, 0, records(3, (i) => ({ key: `k${i}`, value: "é".repeat(i + 1) })))).status).toBe(200);
    const all = await fetchFrom(t, 0, { offset: 0, maxRecords: 100 });
    expect(all.body.records).toHaveLength(10);
    expect((await fetchFrom(t, 0, { offset: 999 })).status).toBe(416); // OFFSET_OUT_OF_RANGE
    const described = (await api("GET", `/v1/topics/${t}`)).body.partitions[0];
    const m = await scrape(`topic=${t}`);
    expect(m.get(`edgelog_partition_records_appended_total${l}`)).toBe(10);
    expect(m.get(`edgelog_partition_appended_bytes_total${l}`)).toBe(described.bytes); // every stored byte, no more
    expect(m.get(`edgelog_partition_produce_requests_total${l}`)).toBe(2);
    expect(m.get(`edgelog_partition_failed_produce_requests_total${l}`)).toBe(0);
    expect(m.get(`edgelog_partition_records_fetched_total${l}`)).toBe(10);
    // Two batches read whole: the bytes fetched are the bytes stored.
    expect(m.get(`edgelog_partition_fetched_bytes_total${l}`)).toBe(described.bytes);
    expect(m.get(`edgelog_partition_fetch_requests_total${l}`)).toBe(2);
    expect(m.get(`edgelog_partition_failed_fetch_requests_total${l}`)).toBe(1);
    expect(m.get(`edgelog_partition_errors_total{topic="${t}",partition="0",replica="0",type="OFFSET_OUT_OF_RANGE"}`)).toBe(1);
    // The other partition saw nothing.
    expect(m.get(`edgelog_partition_records_appended_total{topic="${t}",partition="1",replica="0"}`)).toBe(0);
    // Gauges still equal describe's figures.
    expect(m.get(`edgelog_partition_high_watermark{topic="${t}",partition="0"}`)).toBe(described.highWatermark);
    expect(m.get(`edgelog_partition_local_bytes{topic="${t}",partition="0"}`)).toBe(described.localBytes);

    // An idempotent producer's retry is dropped as a duplicate, written once.
    const { producerId, producerEpoch } = (await api("POST", "/v1/producers", {})).body;
    const batch = { records: records(4), producer: { producerId, producerEpoch, baseSequence: 0 } };
    expect((await api("POST", `/v1/topics/${t}/partitions/1/records`, batch)).status).toBe(200);
    expect((await api("POST", `/v1/topics/${t}/partitions/1/records`, batch)).status).toBe(200);
    const d = await scrape(`topic=${t}`);
    const l1 = `{topic="${t}",partition="1",replica="0"}`;
    expect(d.get(`edgelog_partition_records_appended_total${l1}`)).toBe(4);
    expect(d.get(`edgelog_partition_produce_requests_total${l1}`)).toBe(2);
    expect(d.get(`edgelog_partition_duplicates_dropped_total${l1}`)).toBe(1);

    // Evicted: the object starts counting again from zero, with a later start time (a Prometheus counter reset).
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId as string;
    await evictDurableObject(partitionLogStub(env, topicId, 0));
    const after = await scrape(`topic=${t}`);
    expect(after.get(`edgelog_partition_records_appended_total${l}`)).toBe(0);
    expect(after.get(`edgelog_partition_high_watermark{topic="${t}",partition="0"}`)).toBe(10); // the log itself stays
    expect(after.get(`edgelog_partition_start_time_seconds${l}`)).toBeGreaterThanOrEqual(m.get(`edgelog_partition_start_time_seconds${l}`)!);
  });

  it("a group counts joins, leaves, session expiries, rebalances and fenced commits; its epochs equal describe's", async () => {
    const t = uniqueTopic();
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    const hb = (body: Record<string, unknown>) => api("POST", `/v1/groups/${g}/heartbeat`, body);
    const a = (await hb({ memberEpoch: 0, subscribedTopics: [t], sessionTimeoutMs: 60_000 })).body;
    const b = (await hb({ memberEpoch: 0, subscribedTopics: [t], sessionTimeoutMs: 1_000 })).body;
    // A commit with an epoch the member does not have is fenced.
    expect((await api("POST", `/v1/groups/${g}/offsets`, { memberId: a.memberId, memberEpoch: a.memberEpoch + 5, offsets: [{ topic: t, partition: 0, offset: 0 }] })).status).toBe(409); // STALE_MEMBER_EPOCH
    // b's session runs out (injected clock, the coordinator's alarm); a leaves.
    const stub = groupCoordinatorStub(env, g);
    await runInDurableObject(stub, (instance: GroupCoordinator) => instance.clock.advance(1_001));
    await runDurableObjectAlarm(stub);
    expect((await hb({ memberId: a.memberId, memberEpoch: -1 })).status).toBe(200);
    const described = (await api("GET", `/v1/groups/${g}`)).body;
    const m = await scrape(`group=${g}`);
    const l = `{group="${g}"}`;
    expect(m.get(`edgelog_group_joins_total${l}`)).toBe(2);
    expect(m.get(`edgelog_group_leaves_total${l}`)).toBe(1);
    expect(m.get(`edgelog_group_session_expiries_total${l}`)).toBe(1);
    expect(m.get(`edgelog_group_epoch${l}`)).toBe(described.groupEpoch);
    expect(m.get(`edgelog_group_assignment_epoch${l}`)).toBe(described.assignmentEpoch);
    // Every assignment epoch this instance computed is one rebalance (two joins, an expiry, a leave: at most four).
    expect(m.get(`edgelog_group_rebalances_total${l}`)).toBeGreaterThanOrEqual(2);
    expect(m.get(`edgelog_group_rebalances_total${l}`)).toBeLessThanOrEqual(described.assignmentEpoch);
    const fenced = [...m].filter(([k]) => k.startsWith(`edgelog_group_fenced_commits_total{group="${g}"`));
    expect(fenced.map(([, v]) => v)).toEqual([1]);
    expect(b.memberId).not.toBe(a.memberId);

    await evictDurableObject(stub);
    const after = await scrape(`group=${g}`);
    expect(after.get(`edgelog_group_joins_total${l}`)).toBe(0);
    expect(after.get(`edgelog_group_epoch${l}`)).toBe(described.groupEpoch); // persisted state, not a counter
  });

  it("a replicated partition counts pushes, ISR shrinks and expands; the controller counts its elections", async () => {
    const t = uniqueTopic("rep");
    const created = await api("POST", "/v1/topics", { name: t, partitions: 1, replicationFactor: 2, config: { "min.insync.replicas": 1 } });
    expect(created.status).toBe(201);
    const topicId = created.body.topicId as string;
    const fault = async (replica: number, down: boolean) => expect((await api("POST", "/v1/faults", { topic: t, partition: 0, replica, down })).status).toBe(200);
    expect((await produceTo(t, 0, records(5), { acks: "all" })).status).toBe(200);
    await fault(1, true);
    expect((await produceTo(t, 0, records(2), { acks: "all" })).status).toBe(200); // the ISR shrinks to [0]
    await fault(1, false);
    await runDurableObjectAlarm(partitionLogStub(env, topicId, 0, 0)); // the follower catches up and rejoins
    const l = `{topic="${t}",partition="0",replica="0"}`;
    const m = await scrape(`topic=${t}`);
    expect(m.get(`edgelog_partition_isr_shrinks_total${l}`)).toBe(1);
    expect(m.get(`edgelog_partition_isr_expands_total${l}`)).toBe(1);
    expect(m.get(`edgelog_partition_replication_pushes_total${l}`)).toBeGreaterThanOrEqual(2);
    expect(m.get(`edgelog_partition_records_appended_total${l}`)).toBe(7);
    expect(m.has(`edgelog_controller_leader_elections_total{topic="${t}",partition="0",type="unavailable"}`)).toBe(false);

    // The leader goes down: the next produce elects replica 1, counted by the controller; its counters are its own.
    await fault(0, true);
    let produced = await produceTo(t, 0, records(1));
    if (produced.status !== 200) produced = await produceTo(t, 0, records(1));
    expect(produced.status, JSON.stringify(produced.body)).toBe(200);
    const after = await scrape(`topic=${t}`);
    expect(after.get(`edgelog_controller_leader_elections_total{topic="${t}",partition="0",type="unavailable"}`)).toBe(1);
    expect(after.get(`edgelog_partition_records_appended_total{topic="${t}",partition="0",replica="1"}`)).toBe(1);
    expect(after.has("edgelog_controller_start_time_seconds")).toBe(true);
    await fault(0, false);
  });

  it("a subscription's gauges equal its describe: lag, last delivery, failing, records delivered", async () => {
    const t = uniqueTopic("sub");
    await createTopic(t, 2);
    expect((await produceTo(t, 0, records(5))).status).toBe(200);
    const name = uniqueTopic("s");
    await subscribe({ name, topics: [t] });
    const described = await untilCaughtUp(name);
    const m = await scrape(`group=${name}`);
    for (const p of described.partitions) {
      const l = `{subscription="${name}",topic="${t}",partition="${p.partition}"}`;
      expect(m.get(`edgelog_subscription_lag${l}`)).toBe(p.lag);
      expect(m.get(`edgelog_subscription_failing${l}`)).toBe(0);
      expect(m.get(`edgelog_subscription_delivered_records_total${l}`)).toBe(p.deliveredRecords);
      if (p.lastDeliveryMs === null) expect(m.has(`edgelog_subscription_last_delivery_timestamp_seconds${l}`)).toBe(false);
      else expect(m.get(`edgelog_subscription_last_delivery_timestamp_seconds${l}`)).toBe(p.lastDeliveryMs / 1000);
    }
    expect(described.partitions.find((p: any) => p.partition === 0).deliveredRecords).toBe(5);
    expect(described.partitions.find((p: any) => p.partition === 0).lastDeliveryMs).toEqual(expect.any(Number));
    expect(m.get(`edgelog_subscription_paused{subscription="${name}"}`)).toBe(0);
  });

  it("tiering counts each uploaded segment and its stored bytes; concurrent plain appends count their group-commit merges", async () => {
    const t = uniqueTopic("tier");
    await createTopic(t, 1, { "segment.bytes": 3000, "local.retention.bytes": 0 });
    for (let i = 0; i < 15; i++) expect((await produceTo(t, 0, records(20, (j) => ({ value: `v${i}-${j}` })))).status).toBe(200);
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId as string;
    for (let i = 0; i < 5 && (await runDurableObjectAlarm(partitionLogStub(env, topicId, 0))); i++);
    const d = (await api("GET", `/v1/topics/${t}`)).body.partitions[0];
    expect(d.tieredSegments).toBeGreaterThan(1);
    // Concurrent appends: while the first commits, the rest queue and are written together.
    const parallel = await Promise.all(Array.from({ length: 8 }, () => produceTo(t, 0, records(1))));
    expect(parallel.every((r) => r.status === 200)).toBe(true);
    const l = `{topic="${t}",partition="0",replica="0"}`;
    const m = await scrape(`topic=${t}`);
    expect(m.get(`edgelog_partition_tiered_uploads_total${l}`)).toBe(d.tieredSegments);
    expect(m.get(`edgelog_partition_tiered_upload_bytes_total${l}`)).toBe(d.tieredStoredBytes);
    expect(m.get(`edgelog_partition_records_appended_total${l}`)).toBe(15 * 20 + 8);
    // Every append after the first of a flush is a merge: 8 appends in at most 8 batches.
    const batchesAfter = (await api("GET", `/v1/topics/${t}`)).body.partitions[0].batches - d.batches;
    expect(m.get(`edgelog_partition_group_commit_merges_total${l}`)).toBe(8 - batchesAfter);
  });
});
