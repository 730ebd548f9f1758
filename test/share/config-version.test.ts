// A share group's config reaches routers through its share-partitions (issue 23): the coordinator tells each attached
// share-partition of a change, and a share-partition answers a call made with an older configVersion with the new
// config, which the router caches. So a router polling from anywhere never re-reads the config from the coordinator
// on a timer; SHARE_GROUP_CONFIG_CACHE_MS is a safety net.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SHARE_GROUP_CONFIG_CACHE_MS } from "../../src/limits";
import { groupCoordinatorStub } from "../../src/names";
import { shareGroupClock, shareGroupReads } from "../../src/service/share-groups";
import type { ShareGroupConfig, StoredShareGroup } from "../../src/share-protocol";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";
import { accept, ack, poll, shareGroup } from "./helpers";

const coordinatorRequests = async (group: string) => (await groupCoordinatorStub(env, group).usage()).requests;

/** A PATCH made through another isolate: straight at the coordinator, so this isolate's cache is not touched. */
async function alterElsewhere(group: string, change: Partial<ShareGroupConfig>): Promise<StoredShareGroup> {
  const stub = groupCoordinatorStub(env, group);
  const current = (await stub.share(group, { op: "get" })) as { ok: true; value: StoredShareGroup };
  const answer = (await stub.share(group, { op: "put", config: { ...current.value.config, ...change }, mustExist: true })) as { ok: true; value: StoredShareGroup };
  expect(answer.ok).toBe(true);
  return answer.value;
}

describe("share group config versions", () => {
  it("a router keeps polling without reading the coordinator; a change made elsewhere reaches its next poll through the share-partition", async () => {
    const t = uniqueTopic("scv");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await produceTo(t, 0, records(2));
    await produceTo(t, 1, records(2));
    await shareGroup(g, { lockDurationMs: 30_000 });
    const first = await poll(g, { topics: [t], maxRecords: 10 });
    expect(first.records).toHaveLength(4);
    expect((await ack(g, first.records.map((r: any) => accept(r.leaseId)))).status).toBe(200);

    // Steady polling, long past the 5 s the cache used to keep the config: the coordinator is not asked.
    const reads = shareGroupReads();
    const before = await coordinatorRequests(g);
    for (let i = 0; i < 5; i++) {
      shareGroupClock.advance(30_000);
      expect((await poll(g, { topics: [t], maxRecords: 10 })).records).toEqual([]);
    }
    expect(shareGroupReads()).toBe(reads);
    expect(await coordinatorRequests(g)).toBe(before);

    // Another isolate lengthens the lock: the coordinator tells both share-partitions; this router's next poll is
    // answered STALE_SHARE_GROUP with the new config by the share-partition, and leases under it, with no read.
    const altered = await alterElsewhere(g, { lockDurationMs: 600_000 });
    expect(altered.configVersion).toBe(2);
    const afterChange = await coordinatorRequests(g);
    await produceTo(t, 0, records(1));
    await produceTo(t, 1, records(1));
    const polled = Date.now();
    const next = await poll(g, { topics: [t], maxRecords: 10 });
    expect(next.records).toHaveLength(2);
    for (const r of next.records) expect(r.lockExpiresAt - polled).toBeGreaterThan(500_000);
    expect(shareGroupReads()).toBe(reads);
    expect(await coordinatorRequests(g)).toBe(afterChange);
    // Describe shows the new config too (it reads the coordinator: not the poll path).
    expect((await api("GET", `/v1/share-groups/${g}`)).body.config.lockDurationMs).toBe(600_000);
  });

  it("the safety net: a config entry older than SHARE_GROUP_CONFIG_CACHE_MS is read again once", async () => {
    const t = uniqueTopic("scv");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await shareGroup(g);
    await poll(g, { topics: [t], maxRecords: 1 });
    const reads = shareGroupReads();
    shareGroupClock.advance(SHARE_GROUP_CONFIG_CACHE_MS - 1_000);
    await poll(g, { topics: [t], maxRecords: 1 });
    expect(shareGroupReads()).toBe(reads);
    shareGroupClock.advance(1_000);
    await poll(g, { topics: [t], maxRecords: 1 });
    await poll(g, { topics: [t], maxRecords: 1 });
    expect(shareGroupReads()).toBe(reads + 1);
  });

  it("a share-partition first polled after a change starts under the coordinator's config, not the router's older copy", async () => {
    const t = uniqueTopic("scv");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await shareGroup(g, { lockDurationMs: 30_000 });
    // Attaches partition 0 only (records on partition 0 alone are leased; 1 stays unpolled until it has records).
    await produceTo(t, 0, records(1));
    expect((await poll(g, { topics: [t], maxRecords: 1 })).records).toHaveLength(1);
    await alterElsewhere(g, { lockDurationMs: 900_000 });
    await produceTo(t, 1, records(1));
    const polled = Date.now();
    const got = await poll(g, { topics: [t], maxRecords: 10 });
    const fromOne = got.records.filter((r: any) => r.partition === 1);
    expect(fromOne).toHaveLength(1);
    expect(fromOne[0].lockExpiresAt - polled).toBeGreaterThan(800_000);
  });
});
