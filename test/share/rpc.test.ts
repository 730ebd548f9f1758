// Share groups through the service binding (EdgelogRpc): the same operations as HTTP, membership included, Result-shaped.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createTopic, produceTo, records, uniqueTopic } from "../helpers";

describe("EdgelogRpc share groups", () => {
  const rpc = (exports as any).EdgelogRpc;

  it("creates, polls, acknowledges, describes, resets, lists and deletes", async () => {
    const t = uniqueTopic("rpc");
    const g = uniqueTopic("g");
    await createTopic(t, 1);
    await produceTo(t, 0, records(3));
    const created = await rpc.putShareGroup(g, { autoOffsetReset: "earliest", lockDurationMs: 5_000 });
    expect(created).toMatchObject({ ok: true, value: { created: true, groupId: g, config: { lockDurationMs: 5_000, deliveryCountLimit: 5, maxRecordLocks: 2_000 } } });
    expect((await rpc.putShareGroup(g, { autoOffsetReset: "earliest" })).value.created).toBe(false);
    const polled = await rpc.pollShareGroup(g, { topics: [t], maxRecords: 2 });
    expect(polled.value.records.map((r: any) => r.value)).toEqual(["v0", "v1"]);
    const acked = await rpc.acknowledgeShareGroup(g, { acknowledgements: polled.value.records.map((r: any) => ({ leaseId: r.leaseId, type: "accept" })) });
    expect(acked.value.acknowledgements.every((a: any) => a.ok)).toBe(true);
    const again = await rpc.acknowledgeShareGroup(g, { acknowledgements: [{ leaseId: polled.value.records[0].leaseId, type: "accept" }] });
    expect(again).toMatchObject({ ok: false, error: { type: "INVALID_RECORD_STATE", code: 121 } });
    expect((await rpc.describeShareGroup(g)).value.partitions[0]).toMatchObject({ startOffset: 2, lag: 1 });
    expect((await rpc.alterShareGroup(g, { deliveryCountLimit: 2 })).value.config.deliveryCountLimit).toBe(2);
    expect((await rpc.resetShareGroupOffsets(g, { topic: t, to: "earliest" })).value.partitions).toEqual([{ partition: 0, offset: 0 }]);
    expect((await rpc.listShareGroups()).value).toContain(g);
    expect((await rpc.deleteShareGroup(g)).ok).toBe(true);
    expect(await rpc.describeShareGroup(g)).toMatchObject({ ok: false, error: { type: "GROUP_ID_NOT_FOUND" } });
  });

  it("shareGroupHeartbeat: joins, polls by member, is fenced on a stale epoch, leaves", async () => {
    const t = uniqueTopic("rpcm");
    const g = uniqueTopic("g");
    await createTopic(t, 2);
    await produceTo(t, 1, records(2));
    await rpc.putShareGroup(g, { autoOffsetReset: "earliest" });
    const joined = await rpc.shareGroupHeartbeat(g, { memberId: "w1", memberEpoch: 0, subscribedTopicNames: [t] });
    expect(joined).toEqual({ ok: true, value: { memberId: "w1", memberEpoch: 1, heartbeatIntervalMs: 5_000, assignment: { topicPartitions: [{ topic: t, partitions: [0, 1] }] } } });
    const polled = await rpc.pollShareGroup(g, { memberId: "w1", memberEpoch: 1 });
    expect(polled.value.records.map((r: any) => [r.partition, r.offset])).toEqual([[1, 0], [1, 1]]);
    expect(await rpc.shareGroupHeartbeat(g, { memberId: "w1", memberEpoch: 7 })).toMatchObject({ ok: false, error: { type: "FENCED_MEMBER_EPOCH" } });
    expect((await rpc.shareGroupHeartbeat(g, { memberId: "w1", memberEpoch: -1 })).value.memberEpoch).toBe(-1);
    expect(await rpc.pollShareGroup(g, { memberId: "w1" })).toMatchObject({ ok: false, error: { type: "UNKNOWN_MEMBER_ID" } });
  });
});
