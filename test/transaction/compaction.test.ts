// Compaction of a transactional, compacted topic (partition/maintenance.ts, log/compaction.ts): the cleaner never
// passes the last stable offset, drops aborted records, and never lets an aborted or open record supersede a committed
// one; markers stay. Driven by the partition's alarm and its injected clock.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { partitionLogStub } from "../../src/names";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import { api, createTopic, readAll, uniqueTopic } from "../helpers";
import { abortTxn, commitTxn, initTxn, values, type Identity } from "./helpers";

const DAY = 86_400_000;

/** The producer identity of an init, commit or abort answer (which also carries the state). */
const identity = (body: Identity): Identity => ({ producerId: body.producerId, producerEpoch: body.producerEpoch });

function sendKeyed(id: string, who: Identity, topic: string, key: string, value: string) {
  return api("POST", `/v1/topics/${topic}/partitions/0/records`, {
    records: [{ key, value }],
    transaction: { transactionalId: id, producerId: who.producerId, producerEpoch: who.producerEpoch, baseSequence: 0 },
  });
}

describe("compaction and transactions", () => {
  it("a committed value survives an aborted and an open later one; the committed later value wins once it commits", async () => {
    const t = uniqueTopic();
    const id = uniqueTopic("txn");
    await createTopic(t, 1, { "cleanup.policy": "compact", "segment.ms": DAY, "min.cleanable.dirty.ratio": 0, "min.compaction.lag.ms": 0 });
    const topicId = (await api("GET", `/v1/topics/${t}`)).body.topicId as string;
    const stub = partitionLogStub(env, topicId, 0);
    const shiftClock = (ms: number) => runInDurableObject(stub, (p: PartitionLog) => void p.clock.advance(ms));

    // Offsets: 0 k=v1, 1 commit marker, 2 k=v2, 3 abort marker | new segment | 4 k=v3 (open).
    let who = identity((await initTxn(id)).body);
    expect((await sendKeyed(id, who, t, "k", "v1")).status).toBe(200);
    who = identity((await commitTxn(id, who)).body);
    expect((await sendKeyed(id, who, t, "k", "v2")).status).toBe(200);
    const aborted = await abortTxn(id, who);
    expect(aborted.body.state).toBe("CompleteAbort");
    who = identity(aborted.body);
    await shiftClock(DAY + 1); // the active segment is segment.ms old: the next append rolls it first
    expect((await sendKeyed(id, who, t, "k", "v3")).status).toBe(200);
    await shiftClock(DAY + 1);
    // The alarm rolls the aged segment holding v3, so it is sealed and below the high watermark, but not below the
    // last stable offset (4): only the first segment is cleaned.
    await runDurableObjectAlarm(stub);
    const described = (await api("GET", `/v1/topics/${t}`)).body.partitions[0];
    expect(described).toMatchObject({ highWatermark: 5, lastStableOffset: 4, localSegments: 3 }); // two sealed, and the empty active one
    expect(await values(t, 0, "read_committed")).toEqual(["v1"]);
    // read_uncommitted sees what it would in Kafka after cleaning: the aborted record is gone, the open one is there.
    expect((await readAll(t, 0)).map((r) => [r.offset, r.value])).toEqual([
      [0, "v1"],
      [4, "v3"],
    ]);

    // v3 commits: the last stable offset passes it, and the next cleaning keeps it alone. The marker stays.
    expect((await commitTxn(id, who)).status).toBe(200);
    await shiftClock(DAY + 1);
    for (let i = 0; i < 3 && (await runDurableObjectAlarm(stub)); i++);
    expect(await values(t, 0, "read_committed")).toEqual(["v3"]);
    expect((await readAll(t, 0)).map((r) => [r.offset, r.value])).toEqual([[4, "v3"]]);
    const after = (await api("GET", `/v1/topics/${t}`)).body.partitions[0];
    expect(after).toMatchObject({ highWatermark: 6, lastStableOffset: 6 });
  });
});
