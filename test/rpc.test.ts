// The RPC entrypoint another Worker reaches through a service binding: same operations as HTTP, Result-shaped.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decodeRecordFrame } from "../src/log/record-frame";
import { api, uniqueTopic } from "./helpers";

describe("EdgelogRpc", () => {
  const rpc = (exports as any).EdgelogRpc;

  it("creates, produces, fetches, lists offsets and administers topics", async () => {
    const t = uniqueTopic("rpc");
    const created = await rpc.createTopic({ name: t, partitions: 2 });
    expect(created.ok).toBe(true);
    expect(created.value.partitionCount).toBe(2);
    const produced = await rpc.produce(t, { records: [{ key: "a", value: "1" }, { value: "2", partition: 1 }] });
    expect(produced.ok).toBe(true);
    expect(produced.value.status).toBe(200);
    const onPartition = await rpc.produce(t, { records: [{ value: "3" }] }, 1);
    expect(onPartition.value.results[0]).toMatchObject({ partition: 1, offset: 1 });
    const fetched = await rpc.fetchRecords(t, 1, { offset: 0 });
    expect(fetched.ok).toBe(true);
    expect(fetched.value.records.map((r: any) => r.value)).toEqual(["2", "3"]);
    expect(fetched.value).toMatchObject({ nextOffset: 2, highWatermark: 2, logStartOffset: 0 });
    expect((await rpc.listOffsets(t, 1, "latest")).value).toEqual({ offset: 2, timestamp: -1 });
    expect((await rpc.describeTopic(t)).value.partitions[1].highWatermark).toBe(2);
    expect((await rpc.alterTopicConfig(t, { config: { "retention.ms": 1 } })).value.config["retention.ms"]).toBe("1");
    expect((await rpc.addPartitions(t, { count: 3 })).value.partitionCount).toBe(3);
    expect((await rpc.listTopics()).value.some((x: any) => x.name === t)).toBe(true);
    expect((await rpc.deleteTopic(t)).ok).toBe(true);
  });

  it("fetchRecordFrame: the fetch as the binary record frame, same records and offsets", async () => {
    const t = uniqueTopic("rpc-frame");
    expect((await rpc.createTopic({ name: t, partitions: 1 })).ok).toBe(true);
    await rpc.produce(t, { records: [{ key: "k", value: "caf\u00e9", headers: [{ key: "h", value: null }] }, { value: null }] });
    const json = await rpc.fetchRecords(t, 0, { offset: 0, encoding: "base64" });
    const frame = await rpc.fetchRecordFrame(t, 0, { offset: 0, encoding: "base64" });
    expect(frame.ok).toBe(true);
    const { records, encoding, ...offsets } = decodeRecordFrame(frame.value);
    expect(encoding).toBe("base64");
    expect(records.map((r) => r.toJSON())).toEqual(json.value.records);
    expect(offsets).toEqual({ nextOffset: 2, highWatermark: 2, logStartOffset: 0 });
    expect(await rpc.fetchRecordFrame("no-such-topic", 0, {})).toMatchObject({ ok: false, error: { type: "UNKNOWN_TOPIC_OR_PARTITION" } });
  });

  it("returns the HTTP API's error bodies", async () => {
    const missing = await rpc.fetchRecords("no-such-topic", 0, {});
    expect(missing).toMatchObject({ ok: false, error: { type: "UNKNOWN_TOPIC_OR_PARTITION", code: 3, retriable: false } });
    const bad = await rpc.produce("x", { records: [] });
    expect(bad).toMatchObject({ ok: false, error: { type: "INVALID_REQUEST", code: 42 } });
    const name = await rpc.createTopic({ name: "bad name" });
    expect(name.error.type).toBe("INVALID_TOPIC_EXCEPTION");
  });

  it("produce: {ok: false} with the first failure when no partition took the records, ok with per-record results when one did", async () => {
    const t = uniqueTopic("rpc-down");
    expect((await rpc.createTopic({ name: t, partitions: 2, replicationFactor: 2 })).ok).toBe(true);
    for (const replica of [0, 1]) expect((await api("POST", "/v1/faults", { topic: t, partition: 0, replica, down: true })).status).toBe(200);

    const none = await rpc.produce(t, { records: [{ partition: 0, value: "a" }] });
    expect(none).toMatchObject({ ok: false, error: { type: "KAFKA_STORAGE_ERROR", code: 56, retriable: true, details: { partition: 0 } } });
    expect(none.error.details.results).toMatchObject([{ partition: 0, error: { type: "KAFKA_STORAGE_ERROR" } }]);
    const onPartition = await rpc.produce(t, { records: [{ value: "b" }] }, 0);
    expect(onPartition).toMatchObject({ ok: false, error: { type: "KAFKA_STORAGE_ERROR", details: { partition: 0 } } });
    expect(onPartition.error.details.results).toBeUndefined();

    const some = await rpc.produce(t, { records: [{ partition: 0, value: "c" }, { partition: 1, value: "d" }] });
    expect(some.ok).toBe(true);
    expect(some.value.status).toBe(200);
    expect(some.value.results[0]).toMatchObject({ partition: 0, error: { type: "KAFKA_STORAGE_ERROR" } });
    expect(some.value.results[1]).toMatchObject({ partition: 1, offset: 0 });
  });

  it("runs a consumer group: join, commit, lag, leave, reset, delete", async () => {
    const t = uniqueTopic("rpc");
    const g = uniqueTopic("rpcg");
    await rpc.createTopic({ name: t, partitions: 1 });
    await rpc.produce(t, { records: [{ value: "a" }, { value: "b" }, { value: "c" }] });
    const joined = await rpc.heartbeat(g, { memberEpoch: 0, subscribedTopics: [t] });
    expect(joined.ok).toBe(true);
    expect(joined.value.assignment).toEqual([{ topic: t, partitions: [0] }]);
    const { memberId, memberEpoch } = joined.value;
    expect((await rpc.commitOffsets(g, { memberId, memberEpoch, offsets: [{ topic: t, partition: 0, offset: 1 }] })).ok).toBe(true);
    expect((await rpc.groupOffsets(g)).value.totalLag).toBe(2);
    expect((await rpc.describeGroup(g)).value.members).toHaveLength(1);
    expect((await rpc.listGroups()).value.some((x: any) => x.groupId === g)).toBe(true);
    expect((await rpc.resetOffsets(g, { topic: t, to: "earliest" })).error.type).toBe("NON_EMPTY_GROUP");
    expect((await rpc.heartbeat(g, { memberId, memberEpoch: -1 })).value.memberEpoch).toBe(-1);
    expect((await rpc.resetOffsets(g, { topic: t, to: "earliest" })).value.partitions).toEqual([{ partition: 0, offset: 0 }]);
    expect((await rpc.deleteGroup(g)).ok).toBe(true);
    expect((await rpc.describeGroup(g)).error.type).toBe("GROUP_ID_NOT_FOUND");
  });
});
