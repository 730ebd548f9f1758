// Transactions across tiered storage and a failover: a follower that was down while the leader wrote an aborted
// transaction and then tiered those segments to R2 catches up from R2. Elected leader, it must still hide the aborted
// records from read_committed readers and keep the producers' state: the transaction metadata of tiered batches
// (which producer, transactional or not, which marker) travels with them, as it does for local batches.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { partitionLogStub } from "../../src/names";
import type { ReplicaStatus } from "../../src/protocol";
import { api, produceTo, uniqueTopic } from "../helpers";
import { abortTxn, commitTxn, initTxn, sendTxn, values, type Identity } from "./helpers";

const fault = async (topic: string, replica: number, down: boolean) => {
  const r = await api("POST", "/v1/faults", { topic, partition: 0, replica, down });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};
const partition0 = async (topic: string) => (await api("GET", `/v1/topics/${topic}`)).body.partitions[0];

describe("transactions and tiered storage", () => {
  it("a follower caught up from R2 and elected leader hides the aborted records it never saw locally", async () => {
    const t = uniqueTopic("txntier");
    const created = await api("POST", "/v1/topics", {
      name: t,
      partitions: 1,
      replicationFactor: 2,
      config: { "segment.bytes": 2000, "local.retention.bytes": 0, "min.insync.replicas": 1 },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const topicId = created.body.topicId as string;
    const replica = (i: number) => partitionLogStub(env, topicId, 0, i);

    expect((await produceTo(t, 0, [{ value: "first" }], { acks: "all" })).status).toBe(200);
    await fault(t, 1, true);
    // The follower is out of the ISR from here on: the leader goes on alone.
    expect((await produceTo(t, 0, [{ value: "alone" }], { acks: "all" })).status).toBe(200);
    expect(await partition0(t)).toMatchObject({ leader: 0, isr: [0] });

    const aborted = Array.from({ length: 30 }, (_, i) => `aborted-${i}`);
    const committed = Array.from({ length: 30 }, (_, i) => `committed-${i}`);
    const a = (await initTxn("tiered-a")).body as Identity;
    for (let i = 0; i < 3; i++) expect((await sendTxn("tiered-a", a, t, 0, aborted.slice(i * 10, i * 10 + 10), i * 10)).status).toBe(200);
    expect((await abortTxn("tiered-a", a)).status).toBe(200);
    const c = (await initTxn("tiered-c")).body as Identity;
    for (let i = 0; i < 3; i++) expect((await sendTxn("tiered-c", c, t, 0, committed.slice(i * 10, i * 10 + 10), i * 10)).status).toBe(200);
    expect((await commitTxn("tiered-c", c)).status).toBe(200);
    const after = Array.from({ length: 60 }, (_, i) => ({ value: `after-${i}`.padEnd(60, ".") }));
    for (let i = 0; i < 6; i++) expect((await produceTo(t, 0, after.slice(i * 10, i * 10 + 10))).status).toBe(200);
    const expected = ["first", "alone", ...committed, ...after.map((r) => r.value)];
    expect(await values(t, 0)).toEqual(expected);

    // The leader tiers everything but its active segment, the transactions' batches included.
    for (let i = 0; i < 10 && (await runDurableObjectAlarm(replica(0))); i++);
    const described = await partition0(t);
    expect(described.tieredSegments, JSON.stringify(described)).toBeGreaterThan(2);
    const leaderStatus = (await replica(0).replicaStatus()) as ReplicaStatus;
    expect(await values(t, 0)).toEqual(expected);

    // The follower comes back and catches up: what it lacks now lives in R2 only.
    await fault(t, 1, false);
    for (let i = 0; i < 20 && (await partition0(t)).isr.length < 2; i++) await runDurableObjectAlarm(replica(0));
    expect(await partition0(t)).toMatchObject({ leader: 0, isr: [0, 1] });
    expect(((await replica(1).replicaStatus()) as ReplicaStatus).logEndOffset).toBe(leaderStatus.logEndOffset);

    // The old leader goes down; the follower is elected and serves read_committed alone.
    await fault(t, 0, true);
    let moved = await produceTo(t, 0, [{ value: "on-new-leader" }], { acks: "all" });
    for (let i = 0; i < 3 && moved.status !== 200; i++) moved = await produceTo(t, 0, [{ value: "on-new-leader" }], { acks: "all" });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(await partition0(t)).toMatchObject({ leader: 1 });
    expect(await values(t, 0)).toEqual([...expected, "on-new-leader"]);
    const uncommitted = await values(t, 0, "read_uncommitted");
    expect(uncommitted).toEqual(expect.arrayContaining(aborted));
  }, 60_000);
});
