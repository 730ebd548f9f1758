// Share groups through the service binding (EdgelogRpc): the same operations as HTTP, Result-shaped.
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
});
