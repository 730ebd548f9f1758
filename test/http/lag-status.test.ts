// GET /v1/groups/{group}/status end to end: commits scripted over HTTP against a real partition's high watermark,
// the coordinator's clock moved forward (no sleeps) so each commit lands in its own window slot.
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { groupCoordinatorStub } from "../../src/names";
import type { GroupCoordinator } from "../../src/group/GroupCoordinator";
import { DEFAULT_LAG_STOPPED_AFTER_MS } from "../../src/limits";
import { api, createTopic, produceTo, records, uniqueTopic } from "../helpers";

const advance = (g: string, ms: number) => runInDurableObject(groupCoordinatorStub(env, g), (instance: GroupCoordinator) => instance.clock.advance(ms));

async function commit(g: string, t: string, offset: number): Promise<void> {
  const r = await api("POST", `/v1/groups/${g}/offsets`, { offsets: [{ topic: t, partition: 0, offset }] });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  await advance(g, 10_000);
}

const status = async (g: string) => {
  const r = await api("GET", `/v1/groups/${g}/status`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

describe("lag status over HTTP", () => {
  it("OK when caught up; WARNING while lag grows; the same status in describe and offsets", async () => {
    const [t, g] = [uniqueTopic(), uniqueTopic("g")];
    await createTopic(t, 1);
    await produceTo(t, 0, records(10));
    await commit(g, t, 10);
    expect((await status(g)).status).toBe("OK");
    // Each commit moves the offset by 2 while the producer adds 5: lag 3, 6, 9 at commit time.
    for (let i = 1; i <= 3; i++) {
      await produceTo(t, 0, records(5));
      await commit(g, t, 10 + 2 * i);
    }
    await produceTo(t, 0, records(1));
    const s = await status(g);
    // The window still holds the caught-up commit (lag 0): Burrow's rule 1 says OK until it drops out.
    expect(s.status).toBe("OK");
    for (let i = 4; i <= 12; i++) {
      await produceTo(t, 0, records(5));
      await commit(g, t, 10 + 2 * i);
    }
    const w = await status(g);
    expect(w).toMatchObject({ status: "WARNING", partitions: [{ topic: t, partition: 0, status: "WARNING", committedOffset: 34 }] });
    const described = await api("GET", `/v1/groups/${g}`);
    expect(described.body.lag.status).toBe("WARNING");
    expect(described.body.lag.topics[0].partitions[0].status).toBe("WARNING");
    expect((await api("GET", `/v1/groups/${g}/offsets`)).body.status).toBe("WARNING");
  });

  it("STALL, REWIND, and STOPPED (which survives the coordinator's eviction); a reset clears the window", async () => {
    const [t, g] = [uniqueTopic(), uniqueTopic("g")];
    await createTopic(t, 1);
    await produceTo(t, 0, records(20));
    for (let i = 0; i < 3; i++) await commit(g, t, 5);
    expect((await status(g)).status).toBe("ERROR");
    expect((await status(g)).partitions[0].status).toBe("STALL");
    await commit(g, t, 3);
    expect((await status(g)).partitions[0].status).toBe("REWIND");
    // A reset (an operator's replay) is no consumer's rewind: the window starts again.
    expect((await api("POST", `/v1/groups/${g}/offsets/reset`, { topic: t, to: { offset: 2 } })).status).toBe(200);
    expect((await status(g)).partitions[0].status).toBe("OK");
    const stub = groupCoordinatorStub(env, g);
    await evictDurableObject(stub);
    // A new instance's clock starts again at real time, behind the commit times the old one wrote (its clock was
    // moved 40 s ahead above): move past them and the threshold.
    await advance(g, 60_000 + DEFAULT_LAG_STOPPED_AFTER_MS);
    expect(await status(g)).toMatchObject({ status: "ERROR", partitions: [{ status: "STOPPED", lag: 18 }] });
  });

  it("the STOPPED threshold is the group's own (PATCH /v1/groups/{group}), kept across eviction", async () => {
    const [t, g] = [uniqueTopic(), uniqueTopic("g")];
    await createTopic(t, 1);
    await produceTo(t, 0, records(5));
    await commit(g, t, 1); // moves the clock 10 s
    expect((await status(g)).partitions[0].status).toBe("OK");
    expect((await api("PATCH", `/v1/groups/${g}`, { lagStoppedAfterMs: 5_000 })).body).toEqual({ groupId: g, lagStoppedAfterMs: 5_000 });
    expect((await status(g)).partitions[0].status).toBe("STOPPED");
    await evictDurableObject(groupCoordinatorStub(env, g));
    await advance(g, 20_000); // past the commit time the evicted instance's moved clock wrote
    expect((await status(g)).partitions[0].status).toBe("STOPPED");
    expect((await api("PATCH", `/v1/groups/${g}`, { lagStoppedAfterMs: 999 })).status).toBe(400);
    expect((await api("PATCH", `/v1/groups/${g}`, { other: 1 })).status).toBe(400);
    expect((await api("PATCH", `/v1/groups/${uniqueTopic("nope")}`, { lagStoppedAfterMs: 5_000 })).status).toBe(404);
  });
});
