// GET /metrics' cluster gauges: equal to describe's figures, narrowed by ?topic=/?group=, and a scrape's cost in
// object requests bounded (counted by the objects themselves through /v1/usage) and cached.
import { describe, expect, it } from "vitest";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { accept, ack, poll, shareGroup, shareStub } from "../share/helpers";

/** `name{labels}` → value, from Prometheus text. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const scrape = async (query: string) => {
  const r = await api("GET", `/metrics${query}`);
  expect(r.status, String(r.body)).toBe(200);
  return parse(r.body as string);
};

describe("GET /metrics cluster gauges", () => {
  it("partition and group gauges equal describe's figures; ?topic= and ?group= narrow them", async () => {
    const [t, other, g] = [uniqueTopic(), uniqueTopic(), uniqueTopic("g")];
    await createTopic(t, 2);
    await createTopic(other, 1);
    await produceTo(t, 0, records(7));
    await produceTo(t, 1, records(3));
    expect((await api("POST", `/v1/groups/${g}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 5 }] })).status).toBe(200);
    const m = await scrape(`?topic=${t}&group=${g}`);
    const described = (await api("GET", `/v1/topics/${t}`)).body;
    for (const d of described.partitions) {
      const l = `{topic="${t}",partition="${d.partition}"}`;
      expect(m.get(`edgelog_partition_log_start_offset${l}`)).toBe(d.logStartOffset);
      expect(m.get(`edgelog_partition_high_watermark${l}`)).toBe(d.highWatermark);
      expect(m.get(`edgelog_partition_log_end_offset${l}`)).toBe(d.logEndOffset);
      expect(m.get(`edgelog_partition_last_stable_offset${l}`)).toBe(d.lastStableOffset);
      expect(m.get(`edgelog_partition_in_sync_replicas${l}`)).toBe(d.isr.length);
      expect(m.get(`edgelog_partition_under_replicated${l}`)).toBe(d.isr.length < d.replicas.length ? 1 : 0);
      expect(m.get(`edgelog_partition_offline${l}`)).toBe(0);
      expect(m.get(`edgelog_partition_local_bytes${l}`)).toBe(d.localBytes);
      expect(m.get(`edgelog_partition_tiered_bytes${l}`)).toBe(d.tieredBytes);
    }
    const offsets = (await api("GET", `/v1/groups/${g}/offsets`)).body;
    const p0 = offsets.topics[0].partitions[0];
    const gl = `{group="${g}",topic="${t}",partition="0"}`;
    expect(m.get(`edgelog_group_committed_offset${gl}`)).toBe(p0.committedOffset);
    expect(m.get(`edgelog_group_lag${gl}`)).toBe(p0.lag);
    expect(p0.lag).toBe(2);
    expect(m.get(`edgelog_group_lag_status{group="${g}",topic="${t}",partition="0",status="${p0.status}"}`)).toBe(1);
    expect(m.get(`edgelog_group_status{group="${g}",status="${offsets.status}"}`)).toBe(1);
    expect(m.get(`edgelog_group_state{group="${g}",state="EMPTY"}`)).toBe(1);
    expect(m.get(`edgelog_group_members{group="${g}"}`)).toBe(0);
    expect(m.has(`edgelog_group_committed_offset{group="${g}",topic="${t}",partition="1"}`)).toBe(false); // never committed
    // Narrowed: the other topic is not there; a topic-only scrape has no group gauges.
    expect([...m.keys()].some((k) => k.includes(other))).toBe(false);
    const topicOnly = await scrape(`?topic=${other}`);
    expect(topicOnly.get(`edgelog_partition_high_watermark{topic="${other}",partition="0"}`)).toBe(0);
    expect([...topicOnly.keys()].some((k) => k.startsWith("edgelog_group_"))).toBe(false);
    expect((await api("GET", "/metrics?nope=1")).status).toBe(400);
  });

  it("share-partition gauges equal describe's figures; a scrape asks each polled share-partition once, none while cached", async () => {
    const [t, g, idle] = [uniqueTopic("share"), uniqueTopic("sg"), uniqueTopic("sg")];
    await createTopic(t, 2);
    await produceTo(t, 0, records(5));
    await produceTo(t, 1, records(3));
    await shareGroup(g);
    await shareGroup(idle); // never polled: no share-partition to ask, no samples
    const got = (await poll(g, { topics: [t], maxRecords: 10 })).records;
    expect(got).toHaveLength(8);
    const p0 = got.filter((r: any) => r.partition === 0);
    const p1 = got.filter((r: any) => r.partition === 1);
    // Partition 0: two accepted, one released (available), two still leased. Partition 1: one rejected (archived: no
    // dead-letter topic), two leased.
    const acks = [accept(p0[0].leaseId), accept(p0[1].leaseId), { leaseId: p0[2].leaseId, type: "release" }, { leaseId: p1[0].leaseId, type: "reject" }];
    expect((await ack(g, acks)).status).toBe(200);
    const stubs = [await shareStub(g, t, 0), await shareStub(g, t, 1)];
    const requests = async () => (await Promise.all(stubs.map((s) => s.usage()))).reduce((n, u) => n + u.requests, 0);
    const before = await requests();
    const m = await scrape(`?group=${g}&group=${idle}`);
    expect((await requests()) - before).toBe(2); // one status per share-partition
    const described = (await api("GET", `/v1/share-groups/${g}`)).body;
    for (const d of described.partitions) {
      const l = `{group="${g}",topic="${t}",partition="${d.partition}"}`;
      expect(m.get(`edgelog_share_group_lag${l}`)).toBe(d.lag);
      expect(m.get(`edgelog_share_group_start_offset${l}`)).toBe(d.startOffset);
      expect(m.get(`edgelog_share_group_acquired_records${l}`)).toBe(d.inFlight.acquired);
      expect(m.get(`edgelog_share_group_available_records${l}`)).toBe(d.inFlight.available);
      expect(m.get(`edgelog_share_group_dead_letters_pending${l}`)).toBe(d.deadLettersPending);
      expect(m.get(`edgelog_share_group_acknowledged_records_total${l}`)).toBe(d.acknowledged);
      expect(m.get(`edgelog_share_group_archived_records_total${l}`)).toBe(d.archived);
      expect(m.get(`edgelog_share_group_dead_lettered_records_total${l}`)).toBe(d.deadLettered);
    }
    const l0 = `{group="${g}",topic="${t}",partition="0"}`;
    const l1 = `{group="${g}",topic="${t}",partition="1"}`;
    expect([m.get(`edgelog_share_group_lag${l0}`), m.get(`edgelog_share_group_start_offset${l0}`), m.get(`edgelog_share_group_acquired_records${l0}`), m.get(`edgelog_share_group_available_records${l0}`), m.get(`edgelog_share_group_acknowledged_records_total${l0}`)]).toEqual([3, 2, 2, 1, 2]);
    expect([m.get(`edgelog_share_group_lag${l1}`), m.get(`edgelog_share_group_start_offset${l1}`), m.get(`edgelog_share_group_acquired_records${l1}`), m.get(`edgelog_share_group_archived_records_total${l1}`)]).toEqual([2, 1, 2, 1]);
    expect([...m.keys()].some((k) => k.startsWith("edgelog_share_group_") && k.includes(idle))).toBe(false);
    const after = await requests();
    await scrape(`?group=${g}&group=${idle}`);
    expect(await requests()).toBe(after); // the isolate's cache answered
  });

  it("a scrape of N partitions makes N partition requests, and none while cached", async () => {
    const n = 200; // the scale: docs/observability.md documents N partition requests per scrape
    const t = uniqueTopic();
    await createTopic(t, n);
    const requests = async () => {
      const u = (await api("GET", `/v1/usage?topic=${t}`)).body;
      return (u.topics[0].partitions as { requests: number }[]).reduce((sum, p) => sum + p.requests, 0);
    };
    const before = await requests();
    const m = await scrape(`?topic=${t}`);
    expect([...m.keys()].filter((k) => k.startsWith("edgelog_partition_high_watermark")).length).toBe(n);
    const after = await requests();
    expect(after - before).toBe(n); // one describe per partition
    await scrape(`?topic=${t}`);
    expect(await requests()).toBe(after); // the isolate's cache answered
  });
});
