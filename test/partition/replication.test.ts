// Replication (kafka-semantics §5) end to end: replica objects in real SQLite, faults from the fault switch, elections
// by the controller, catch-up and ISR changes driven by the leader's alarm (runDurableObjectAlarm, never a sleep).
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { packTails } from "../../src/log/batch";
import { partitionLogStub } from "../../src/names";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import type { PartitionRef, ReplicaStatus } from "../../src/protocol";
import { setFault } from "../../src/service/replicas";
import type { Env } from "../../src/env";
import { KafkaError } from "../../src/errors";
import { MAX_REPLICATION_FACTOR } from "../../src/limits";
import { api, produceTo, readAll, uniqueTopic } from "../helpers";

async function replicatedTopic(name: string, config: Record<string, unknown> = {}, replicationFactor = 3): Promise<string> {
  const r = await api("POST", "/v1/topics", { name, partitions: 1, replicationFactor, config });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body.topicId as string;
}

const fault = async (topic: string, replica: number, down: boolean) => {
  const r = await api("POST", "/v1/faults", { topic, partition: 0, replica, down });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
};
const partition0 = async (topic: string) => {
  const r = await api("GET", `/v1/topics/${topic}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.partitions[0];
};
const replica = (topicId: string, i: number) => partitionLogStub(env, topicId, 0, i);
const status = async (topicId: string, i: number) => (await replica(topicId, i).replicaStatus()) as ReplicaStatus;
/** The leader's alarm: retries followers (catch-up, ISR changes) and returns when they are settled. */
async function leaderAlarm(topic: string, topicId: string): Promise<void> {
  const leader = (await partition0(topic)).leader as number;
  await runDurableObjectAlarm(replica(topicId, leader));
}
const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ value: `${prefix}-${i}` }));

describe("replication", () => {
  it("describes leader, replicas, ISR and leader epoch; acks=all answers once every in-sync replica holds the batch", async () => {
    const t = uniqueTopic("rep");
    const id = await replicatedTopic(t);
    expect(await partition0(t)).toMatchObject({ leader: 0, leaderEpoch: 0, replicas: [0, 1, 2], isr: [0, 1, 2], highWatermark: 0 });
    const r = await produceTo(t, 0, values("a", 10), { acks: "all" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    for (const i of [0, 1, 2]) expect((await status(id, i)).logEndOffset).toBe(10);
    expect(await partition0(t)).toMatchObject({ highWatermark: 10, logEndOffset: 10, replicaLogEndOffsets: { "1": 10, "2": 10 } });
    expect((await readAll(t, 0)).map((x) => x.value)).toEqual(values("a", 10).map((x) => x.value));
    // Followers refuse clients: only the leader serves (the router never sends them there).
    const ref: PartitionRef = { topic: t, topicId: id, partition: 0, version: 1, replica: 1, leaderEpoch: 0 };
    const direct = (await replica(id, 1).read(ref, { maxRecords: 10, maxBytes: 1 << 20, maxWaitMs: 0, encoding: "text" })) as { ok: boolean; error?: { type: string } };
    expect(direct.ok).toBe(false);
    expect(direct.error?.type).toBe("NOT_LEADER_OR_FOLLOWER");
  });

  it("acks=all with min.insync.replicas=2 writes with one replica down and refuses with two; the replicas rejoin once caught up", async () => {
    const t = uniqueTopic("minisr");
    const id = await replicatedTopic(t, { "min.insync.replicas": 2 });
    expect((await produceTo(t, 0, values("a", 5), { acks: "all" })).status).toBe(200);
    await fault(t, 2, true);
    const one = await produceTo(t, 0, values("b", 5), { acks: "all" });
    expect(one.status, JSON.stringify(one.body)).toBe(200);
    expect(one.body.results[0].offset).toBe(5);
    expect(await partition0(t)).toMatchObject({ isr: [0, 1], highWatermark: 10 });

    await fault(t, 1, true);
    const two = await produceTo(t, 0, [{ value: "ambiguous" }], { acks: "all" });
    expect(two.status).toBe(503);
    expect(two.body.error).toMatchObject({ type: "NOT_ENOUGH_REPLICAS_AFTER_APPEND", retriable: true, details: { isr: [0], ambiguous: true } });
    expect(await partition0(t)).toMatchObject({ isr: [0], highWatermark: 10, logEndOffset: 11 });
    const refused = await produceTo(t, 0, [{ value: "refused" }], { acks: "all" });
    expect(refused.status).toBe(503);
    expect(refused.body.error).toMatchObject({ type: "NOT_ENOUGH_REPLICAS", details: { isr: [0], minInsyncReplicas: 2 } });
    // acks=1 is accepted, but nothing past the high watermark is visible while the ISR is under min.insync.replicas.
    expect((await produceTo(t, 0, [{ value: "acks1" }], { acks: 1 })).status).toBe(200);
    const hidden = await api("GET", `/v1/topics/${t}/partitions/0/records?offset=10`);
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({ records: [], highWatermark: 10 });
    expect(await partition0(t)).toMatchObject({ highWatermark: 10, logEndOffset: 12 });

    await fault(t, 1, false);
    await fault(t, 2, false);
    await leaderAlarm(t, id);
    expect(await partition0(t)).toMatchObject({ isr: [0, 1, 2], highWatermark: 12, logEndOffset: 12 });
    for (const i of [0, 1, 2]) expect((await status(id, i)).logEndOffset).toBe(12);
    expect((await readAll(t, 0)).map((x) => x.value)).toEqual([...values("a", 5), ...values("b", 5)].map((x) => x.value).concat(["ambiguous", "acks1"]));
    expect((await produceTo(t, 0, [{ value: "again" }], { acks: "all" })).status).toBe(200);
  });

  it("with a follower down and out of the ISR, every later acks=all write is committed at once by the leader alone", async () => {
    const t = uniqueTopic("alone");
    const id = await replicatedTopic(t, { "min.insync.replicas": 1 }, 2);
    await fault(t, 1, true);
    expect((await produceTo(t, 0, values("a", 3), { acks: "all" })).status).toBe(200);
    expect(await partition0(t)).toMatchObject({ isr: [0], highWatermark: 3 });
    // The follower backs off between retries, so no push answer comes to move the high watermark: the append must.
    for (let i = 0; i < 5; i++) {
      const r = await produceTo(t, 0, values(`b${i}`, 2), { acks: "all" });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.results[0].offset).toBe(3 + i * 2);
    }
    expect(await partition0(t)).toMatchObject({ isr: [0], highWatermark: 13, logEndOffset: 13 });
    await fault(t, 1, false);
    await leaderAlarm(t, id);
    expect(await partition0(t)).toMatchObject({ isr: [0, 1], highWatermark: 13 });
    expect((await status(id, 1)).logEndOffset).toBe(13);
  });

  it("thousands of acks=all writes with a leader failover in the middle: every acknowledged value once, at its offset", async () => {
    const t = uniqueTopic("failover");
    const id = await replicatedTopic(t, { "min.insync.replicas": 2 });
    const producer = (await api("POST", "/v1/producers")).body as { producerId: number; producerEpoch: number };
    const acked = new Map<string, number>();
    const BATCHES = 60;
    const PER_BATCH = 50;
    let errors = 0;
    for (let b = 0; b < BATCHES; b++) {
      if (b === BATCHES / 2) await fault(t, 0, true);
      const recs = values(`w${b}`, PER_BATCH);
      for (let attempt = 0; ; attempt++) {
        expect(attempt, "a retriable error persisted").toBeLessThan(5);
        const r = await produceTo(t, 0, recs, { acks: "all", producer: { ...producer, baseSequence: b * PER_BATCH } });
        if (r.status === 200) {
          r.body.results.forEach((x: { offset: number }, i: number) => acked.set(recs[i]!.value, x.offset));
          break;
        }
        expect(r.body.error.retriable, JSON.stringify(r.body)).toBe(true);
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0); // the failover was seen by the producer
    expect(acked.size).toBe(BATCHES * PER_BATCH);
    const after = await partition0(t);
    expect(after).toMatchObject({ leader: 1, leaderEpoch: 1, isr: [1, 2] });
    const read = await readAll(t, 0);
    const seen = new Map<string, number[]>();
    for (const r of read) seen.set(r.value, [...(seen.get(r.value) ?? []), r.offset]);
    for (const [value, offset] of acked) expect(seen.get(value), value).toEqual([offset]);
    expect(read.length).toBe(acked.size);

    // The old leader comes back, is fenced as a leader, catches up as a follower and rejoins the ISR.
    await fault(t, 0, false);
    const stale: PartitionRef = { topic: t, topicId: id, partition: 0, version: 1, replica: 0, leaderEpoch: 0 };
    const tails = packTails(['"key":null,"value":"stale","headers":[]}']);
    const before = (await status(id, 0)).logEndOffset;
    const attempt = (await replica(id, 0).append(stale, { acks: 1, encoding: "text", timestamps: Float64Array.of(Date.now()), tails, hasNullKey: true })) as {
      ok: boolean;
      error?: { type: string };
    };
    expect(attempt.ok).toBe(false);
    expect(attempt.error?.type).toBe("FENCED_LEADER_EPOCH");
    expect((await status(id, 0)).logEndOffset).toBe(before);
    await leaderAlarm(t, id);
    expect(await partition0(t)).toMatchObject({ leader: 1, isr: [0, 1, 2], highWatermark: acked.size });
    for (const i of [0, 1, 2]) expect((await status(id, i)).logEndOffset).toBe(acked.size);
    // Preferred election moves the leadership back to replica 0, which serves the same log.
    const elected = await api("POST", `/v1/topics/${t}/partitions/0/elect`, { type: "preferred" });
    expect(elected.status, JSON.stringify(elected.body)).toBe(200);
    expect(elected.body).toMatchObject({ leader: 0, leaderEpoch: 2 });
    expect((await readAll(t, 0)).length).toBe(acked.size);
    expect((await produceTo(t, 0, [{ value: "back" }], { acks: "all" })).body.results[0].offset).toBe(acked.size);
  });

  it("a batch whose answer was lost in the failover is deduplicated by the new leader (producer state is replicated)", async () => {
    const t = uniqueTopic("dedup");
    const id = await replicatedTopic(t);
    const producer = (await api("POST", "/v1/producers")).body as { producerId: number; producerEpoch: number };
    const batch = { acks: "all", producer: { ...producer, baseSequence: 0 } };
    const first = await produceTo(t, 0, values("once", 3), batch);
    expect(first.status).toBe(200);
    await fault(t, 0, true);
    // The producer never heard (say): it retries the same sequence, which reaches the new leader.
    let retry = await produceTo(t, 0, values("once", 3), batch);
    if (retry.status !== 200) retry = await produceTo(t, 0, values("once", 3), batch);
    expect(retry.status, JSON.stringify(retry.body)).toBe(200);
    expect(retry.body.results.map((r: { offset: number }) => r.offset)).toEqual([0, 1, 2]);
    expect((await partition0(t)).leader).toBe(1);
    expect((await readAll(t, 0)).map((r) => r.value)).toEqual(["once-0", "once-1", "once-2"]);
    expect((await status(id, 1)).logEndOffset).toBe(3);
  });

  it("a leader that missed its replacement is fenced by its followers, and its divergent suffix is truncated (KIP-101)", async () => {
    const t = uniqueTopic("zombie");
    const id = await replicatedTopic(t);
    expect((await produceTo(t, 0, values("c", 4), { acks: "all" })).status).toBe(200);
    await fault(t, 0, true);
    expect((await produceTo(t, 0, [{ value: "elects" }])).status).toBe(503);
    expect(await partition0(t)).toMatchObject({ leader: 1, leaderEpoch: 1 });
    expect((await produceTo(t, 0, values("d", 2), { acks: "all" })).status).toBe(200);
    await fault(t, 0, false);
    // Replica 0 restarts believing it still leads epoch 0 (as if the controller's notice never arrived).
    await runInDurableObject(replica(id, 0), async (instance: PartitionLog) => {
      const o = instance as unknown as { log: { current: { replication: object }; setReplication(r: object): void }; role: { confirmed: boolean; apply(): void } };
      await instance.replicaStatus();
      o.log.setReplication({ ...o.log.current.replication, leader: 0, leaderEpoch: 0, isr: [0, 1, 2] });
      o.role.confirmed = true;
      o.role.apply();
    });
    const stale: PartitionRef = { topic: t, topicId: id, partition: 0, version: 1, replica: 0, leaderEpoch: 0 };
    const tails = packTails(['"key":null,"value":"zombie","headers":[]}']);
    const write = (await replica(id, 0).append(stale, { acks: -1, encoding: "text", timestamps: Float64Array.of(Date.now()), tails, hasNullKey: true })) as {
      ok: boolean;
      error?: { type: string; details?: { ambiguous?: boolean } };
    };
    expect(write.ok).toBe(false);
    expect(write.error?.type).toBe("NOT_LEADER_OR_FOLLOWER");
    expect(write.error?.details?.ambiguous).toBe(true);
    expect((await status(id, 0)).logEndOffset).toBe(5); // the zombie's record, at offset 4, where the new leader wrote d-0
    await leaderAlarm(t, id);
    for (const i of [0, 1, 2]) expect((await status(id, i)).logEndOffset).toBe(6);
    const elected = await api("POST", `/v1/topics/${t}/partitions/0/elect`, { type: "preferred" });
    expect(elected.status, JSON.stringify(elected.body)).toBe(200);
    // Replica 0 now leads and serves the new leader's records, not its own divergent one.
    expect((await readAll(t, 0)).map((r) => r.value)).toEqual([...values("c", 4), ...values("d", 2)].map((x) => x.value));
  });

  it("takes replicationFactor and placement at their limit (MAX_REPLICATION_FACTOR), and refuses one over it", async () => {
    const t = uniqueTopic("maxrf");
    const placement = ["enam", "weur", "apac", "oc", "sam"].slice(0, MAX_REPLICATION_FACTOR);
    const r = await api("POST", "/v1/topics", { name: t, replicationFactor: MAX_REPLICATION_FACTOR, placement, config: { "min.insync.replicas": MAX_REPLICATION_FACTOR } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ replicationFactor: MAX_REPLICATION_FACTOR, placement });
    expect((await produceTo(t, 0, values("x", 3), { acks: "all" })).status).toBe(200);
    const all = Array.from({ length: MAX_REPLICATION_FACTOR }, (_, i) => i);
    expect(await partition0(t)).toMatchObject({ replicas: all, isr: all, highWatermark: 3 });
    for (const i of all) expect((await status(r.body.topicId, i)).logEndOffset).toBe(3);
    const over = await api("POST", "/v1/topics", { name: uniqueTopic("overrf"), replicationFactor: MAX_REPLICATION_FACTOR + 1 });
    expect(over.status).toBe(400);
    expect(over.body.error.type).toBe("INVALID_REPLICATION_FACTOR");
  });

  it("the fault switch does not exist in a production configuration", async () => {
    for (const EDGELOG_ENV of ["production", undefined, "staging"]) {
      const error = await setFault({ ...env, EDGELOG_ENV } as Env, { topic: "x", partition: 0, replica: 0, down: true }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KafkaError);
      expect((error as KafkaError).body.type).toBe("NOT_FOUND");
    }
  });

  it("property: under random fault schedules no acks=all write is lost or duplicated, and the replicas converge", async () => {
    type Op = { kind: "produce"; n: number; acks: "all" | 1 } | { kind: "down" | "up"; replica: number } | { kind: "alarm" };
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ kind: fc.constant("produce" as const), n: fc.integer({ min: 1, max: 20 }), acks: fc.constantFrom("all" as const, 1 as const) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constantFrom("down" as const, "up" as const), replica: fc.integer({ min: 0, max: 2 }) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("alarm" as const) }) },
    );
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 25 }), async (ops) => {
        const t = uniqueTopic(`prop${run++}`);
        const id = await replicatedTopic(t, { "min.insync.replicas": 2 });
        const down = new Set<number>();
        const acked = new Map<string, number>();
        let seq = 0;
        for (const o of ops) {
          if (o.kind === "produce") {
            const recs = values(`v${seq++}`, o.n);
            const r = await produceTo(t, 0, recs, { acks: o.acks });
            if (r.status === 200 && o.acks === "all") r.body.results.forEach((x: { offset: number }, i: number) => acked.set(recs[i]!.value, x.offset));
            else if (r.status !== 200) expect(r.body.error.retriable, JSON.stringify(r.body)).toBe(true);
          } else if (o.kind === "down" || o.kind === "up") {
            // Keep one replica up, or nothing can make progress and the run only tests refusals.
            if (o.kind === "down" && down.size === 2 && !down.has(o.replica)) continue;
            await fault(t, o.replica, o.kind === "down");
            if (o.kind === "down") down.add(o.replica);
            else down.delete(o.replica);
          } else {
            const d = await api("GET", `/v1/topics/${t}`);
            if (d.status === 200) await runDurableObjectAlarm(replica(id, d.body.partitions[0].leader));
          }
        }
        for (const i of [...down]) await fault(t, i, false);
        // Wake the partition (a request elects a leader if needed), then let the leader settle its followers.
        await produceTo(t, 0, [{ value: "final" }], { acks: 1 });
        await leaderAlarm(t, id);
        await leaderAlarm(t, id);
        const d = await partition0(t);
        expect(d.isr).toEqual([0, 1, 2]);
        expect(d.highWatermark).toBe(d.logEndOffset);
        for (const i of [0, 1, 2]) expect((await status(id, i)).logEndOffset).toBe(d.logEndOffset);
        const read = await readAll(t, 0);
        const offsets = new Map<string, number[]>();
        for (const r of read) offsets.set(r.value, [...(offsets.get(r.value) ?? []), r.offset]);
        for (const [value, offset] of acked) expect(offsets.get(value), value).toEqual([offset]);
        for (const [value, at] of offsets) expect(at.length, `${value} at ${at.join(", ")}`).toBe(1);
        for (let i = 1; i < read.length; i++) expect(read[i].offset).toBeGreaterThan(read[i - 1].offset);
      }),
      { numRuns: 12, seed: 6 },
    );
  });
});
