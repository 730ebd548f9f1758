// Group commit in the partition object (src/partition/group-commit.ts, merge-appends.ts): concurrent plain produces to
// one partition share batch rows, each still gets its own contiguous offsets, every record is stored once at the offset
// it was told, and idempotent batches never share an append (the batch table is read back row by row). Appends queued
// behind a commit are checked again when their group is written. Then the pure parts: grouping at and over its bounds,
// by encoding, merging and splitting.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { mergeAppends, splitResult, takeGroup } from "../../src/partition/merge-appends";
import { packTails } from "../../src/log/batch";
import { MAX_COALESCED_APPEND_BYTES, MAX_COALESCED_APPEND_RECORDS } from "../../src/limits";
import { partitionLogStub } from "../../src/names";
import type { PartitionLog } from "../../src/partition/PartitionLog";
import type { AppendRequest, PartitionRef } from "../../src/protocol";
import { api, createTopic, produceTo, readAll, records, uniqueTopic } from "../helpers";

interface BatchRow extends Record<string, SqlStorageValue> {
  base_offset: number;
  last_offset: number;
  record_count: number;
  producer: string | null;
}

async function topicId(topic: string): Promise<string> {
  const r = await api("GET", `/v1/topics/${topic}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.topicId as string;
}

/** Partition 0's batch table, row by row, read from the partition object's own SQLite. */
async function batchRows(topic: string): Promise<BatchRow[]> {
  const stub = partitionLogStub(env, await topicId(topic), 0);
  return runInDurableObject(stub, (_instance: PartitionLog, state) =>
    state.storage.sql.exec<BatchRow>("SELECT base_offset, last_offset, record_count, producer FROM batches ORDER BY base_offset").toArray(),
  );
}

function request(values: string[], extra: Partial<AppendRequest> = {}): AppendRequest {
  return {
    acks: 1,
    encoding: "text",
    timestamps: Float64Array.from(values.map((_, i) => 1000 + i)),
    tails: packTails(values.map((v) => `"v":${JSON.stringify(v)}}`)),
    hasNullKey: false,
    ...extra,
  };
}

describe("concurrent produces to one partition share appends", () => {
  it("gives every request contiguous offsets of its own and stores each record once where it was told", async () => {
    const topic = uniqueTopic("coalesce");
    await createTopic(topic, 1);
    const clients = 24;
    const perRequest = 10;
    const answers = await Promise.all(
      Array.from({ length: clients }, (_, c) => produceTo(topic, 0, records(perRequest, (i) => ({ key: `c${c}`, value: `c${c}-r${i}` })))),
    );
    const told = new Map<number, string>();
    for (const [c, answer] of answers.entries()) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const offsets = answer.body.results.map((r: { offset: number }) => r.offset);
      for (let i = 1; i < perRequest; i++) expect(offsets[i]).toBe(offsets[0] + i);
      offsets.forEach((offset: number, i: number) => {
        expect(told.has(offset), `offset ${offset} given twice`).toBe(false);
        told.set(offset, `c${c}-r${i}`);
      });
    }
    const stored = await readAll(topic, 0);
    expect(stored).toHaveLength(clients * perRequest);
    for (const record of stored) expect(record.value).toBe(told.get(record.offset));
    // Fewer batch rows than requests: some shared an append (the first went alone, the rest waited behind it). The rows
    // are contiguous, and each request's records lie in one row (a request is never split across appends).
    const rows = await batchRows(topic);
    expect(rows.length).toBeLessThan(clients);
    expect(rows.length).toBeGreaterThanOrEqual(2);
    let next = 0;
    for (const row of rows) {
      expect(row.base_offset).toBe(next);
      expect(row.last_offset - row.base_offset + 1).toBe(row.record_count);
      expect(row.producer).toBeNull();
      next = row.last_offset + 1;
    }
    expect(next).toBe(clients * perRequest);
    for (const answer of answers) {
      const first = answer.body.results[0].offset as number;
      const row = rows.find((r) => r.base_offset <= first && first <= r.last_offset)!;
      expect(first + perRequest - 1, `request at ${first} split across rows`).toBeLessThanOrEqual(row.last_offset);
    }
  });

  it("keeps a client's pipelined requests in order", async () => {
    const topic = uniqueTopic("coalesce-order");
    await createTopic(topic, 1);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => produceTo(topic, 0, records(5, (i) => ({ value: `n${n}-${i}` })))));
    const bases = answers.map((a) => a.body.results[0].offset as number);
    // Requests are started in order; the lane sends in arrival order, so offsets grow with n.
    for (let n = 1; n < bases.length; n++) expect(bases[n]).toBeGreaterThan(bases[n - 1]!);
    const values = (await readAll(topic, 0)).map((r) => r.value);
    expect(values).toEqual(Array.from({ length: 12 }, (_, n) => Array.from({ length: 5 }, (_, i) => `n${n}-${i}`)).flat());
  });

  it("never merges idempotent batches: each keeps its own sequence check and its own row", async () => {
    const topic = uniqueTopic("coalesce-idem");
    await createTopic(topic, 1);
    const init = await api("POST", "/v1/producers", {});
    expect(init.status).toBe(200);
    const { producerId, producerEpoch } = init.body;
    // Sequences 0, 5, 10: sent concurrently but each alone, in order, so all three are accepted.
    const answers = await Promise.all(
      [0, 5, 10].map((baseSequence) => produceTo(topic, 0, records(5), { producer: { producerId, producerEpoch, baseSequence } })),
    );
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    // A retry of the middle one is answered from the producer state as a duplicate with its first offsets.
    const retry = await produceTo(topic, 0, records(5), { producer: { producerId, producerEpoch, baseSequence: 5 } });
    expect(retry.status).toBe(200);
    expect(retry.body.results.map((r: { offset: number }) => r.offset)).toEqual(answers[1]!.body.results.map((r: { offset: number }) => r.offset));
    expect((await readAll(topic, 0)).length).toBe(15);
    // Three appends, a batch row each, each stamped with its own producer batch; the retry wrote nothing.
    const rows = await batchRows(topic);
    expect(rows.map(({ base_offset, last_offset, record_count }) => [base_offset, last_offset, record_count])).toEqual([
      [0, 4, 5],
      [5, 9, 5],
      [10, 14, 5],
    ]);
    expect(rows.map((r) => JSON.parse(r.producer ?? "null"))).toEqual(
      [0, 5, 10].map((baseSequence) => expect.objectContaining({ producerId, producerEpoch, baseSequence, baseOffset: baseSequence })),
    );
  });

  it("a bad request among concurrent good ones fails alone and changes nothing of theirs", async () => {
    const topic = uniqueTopic("coalesce-bad");
    await createTopic(topic, 1);
    const bad = api("POST", `/v1/topics/${topic}/partitions/0/records`, { records: [{ value: "ok" }, { value: 5, key: {} }] });
    const good = Array.from({ length: 8 }, (_, n) => produceTo(topic, 0, records(3, (i) => ({ value: `g${n}-${i}` }))));
    const [badAnswer, ...goodAnswers] = await Promise.all([bad, ...good]);
    expect(badAnswer.status).toBe(400);
    expect(badAnswer.body.error.type).toBeDefined();
    for (const g of goodAnswers) expect(g.status).toBe(200);
    const values = (await readAll(topic, 0)).map((r) => r.value).sort();
    expect(values).toEqual(Array.from({ length: 8 }, (_, n) => [0, 1, 2].map((i) => `g${n}-${i}`)).flat().sort());
  });
});

describe("merge-appends (pure)", () => {
  it("takes a group up to the record bound exactly, and not one record over", () => {
    const atLimit = [request(new Array(MAX_COALESCED_APPEND_RECORDS - 1).fill("a")), request(["b"]), request(["c"])].map((r) => ({ request: r }));
    const group = takeGroup(atLimit, MAX_COALESCED_APPEND_RECORDS, MAX_COALESCED_APPEND_BYTES);
    expect(group).toHaveLength(2); // MAX - 1 + 1 records: at the limit
    expect(atLimit).toHaveLength(1); // "c" would be one over: it waits for the next append
  });

  it("takes a group up to the byte bound exactly, and not one byte over", () => {
    const one = request(["x"]);
    const per = one.tails.bytes.length;
    const queue = [{ request: one }, { request: request(["y"]) }, { request: request(["z"]) }];
    expect(takeGroup(queue.slice(), 10, 2 * per)).toHaveLength(2);
    expect(takeGroup(queue.slice(), 10, 2 * per - 1)).toHaveLength(1);
    // The first request always goes, even alone over the bound (it passed the per-request limits).
    expect(takeGroup([{ request: request(["long value"]) }], 10, 1)).toHaveLength(1);
  });

  it("keeps encodings apart: a group stops at the first request of another encoding", () => {
    const queue = [request(["a"]), request(["b"]), request(["c"], { encoding: "base64" }), request(["d"])].map((r) => ({ request: r }));
    const same = (x: { request: AppendRequest }, y: { request: AppendRequest }) => x.request.encoding === y.request.encoding;
    expect(takeGroup(queue, 10, 1000, same)).toHaveLength(2);
    expect(takeGroup(queue, 10, 1000, same)).toHaveLength(1);
    expect(takeGroup(queue, 10, 1000, same)).toHaveLength(1);
    expect(queue).toHaveLength(0);
  });

  it("merges in order and splits the answer back into contiguous offsets per part (and the broker time, for LogAppendTime)", () => {
    const a = request(["a1", "a2"]);
    const b = request(["bé"]);
    const c = request(["c1", "c2", "c3"], { hasNullKey: true });
    const merged = mergeAppends([a, b, c]);
    expect(Array.from(merged.timestamps)).toEqual([1000, 1001, 1000, 1000, 1001, 1002]);
    const parts = Array.from(merged.tails.ends).map((end, i, ends) => new TextDecoder().decode(merged.tails.bytes.subarray(i === 0 ? 0 : ends[i - 1], end)));
    expect(parts).toEqual(['"v":"a1"}', '"v":"a2"}', '"v":"bé"}', '"v":"c1"}', '"v":"c2"}', '"v":"c3"}']);
    expect(merged.hasNullKey).toBe(true);
    const split = splitResult({ baseOffset: 40, logAppendTimeMs: 7, duplicate: false }, [2, 1, 3]);
    expect(split).toEqual([40, 42, 43].map((baseOffset) => ({ baseOffset, logAppendTimeMs: 7, duplicate: false })));
  });
});

describe("group commit keeps each topic's rules", () => {
  it("LogAppendTime: concurrent appends all carry the broker's time, answered per request", async () => {
    const topic = uniqueTopic("gc-lat");
    await createTopic(topic, 1, { "message.timestamp.type": "LogAppendTime" });
    const answers = await Promise.all(Array.from({ length: 6 }, () => produceTo(topic, 0, records(4, (i) => ({ value: `x${i}`, timestamp: 5 })))));
    for (const a of answers) {
      expect(a.status).toBe(200);
      for (const r of a.body.results) expect(r.timestamp).toBeGreaterThan(5);
    }
    const stored = await readAll(topic, 0);
    expect(stored).toHaveLength(24);
    for (const r of stored) expect(r.timestamp).toBeGreaterThan(5);
  });

  // The refusal comes from the router (service/produce.ts), which knows the topic's config; a partition refuses too,
  // but a config change bumps the metadata version, so a request queued before it is refused as STALE_METADATA first.
  it("the router refuses a null key for a compacted topic in one request while concurrent keyed ones are written", async () => {
    const topic = uniqueTopic("gc-compact");
    await createTopic(topic, 1, { "cleanup.policy": "compact" });
    const [nullKey, ...keyed] = await Promise.all([
      produceTo(topic, 0, [{ value: "no key" }]),
      ...Array.from({ length: 5 }, (_, n) => produceTo(topic, 0, [{ key: `k${n}`, value: `v${n}` }])),
    ]);
    expect(nullKey.status).toBe(400);
    expect(nullKey.body.error.type).toBe("INVALID_RECORD");
    for (const k of keyed) expect(k.status).toBe(200);
    expect((await readAll(topic, 0)).map((r) => r.key).sort()).toEqual(["k0", "k1", "k2", "k3", "k4"]);
  });
});

describe("a queued append is checked again when its group is written", () => {
  async function setUp(): Promise<{ stub: ReturnType<typeof partitionLogStub>; ref: PartitionRef }> {
    const topic = uniqueTopic("gc-recheck");
    await createTopic(topic, 1);
    expect((await produceTo(topic, 0, [{ value: "first" }])).status).toBe(200);
    const id = await topicId(topic);
    return { stub: partitionLogStub(env, id, 0), ref: { topic, topicId: id, partition: 0, version: 1, replica: 0, leaderEpoch: 0 } };
  }

  it("the first append goes alone; those arriving while it commits go together as one row, each with its own offsets", async () => {
    const { stub, ref } = await setUp();
    // Called in one turn: the first is written at once, the others queue behind its commit.
    const answers = await runInDurableObject(stub, (instance: PartitionLog) =>
      Promise.all([instance.append(ref, request(["a1"])), instance.append(ref, request(["b1", "b2"])), instance.append(ref, request(["c1"]))]),
    );
    expect(answers).toMatchObject([1, 2, 4].map((baseOffset) => ({ ok: true, value: { baseOffset, duplicate: false } })));
    expect((await batchRows(ref.topic)).map((r) => [r.base_offset, r.last_offset])).toEqual([
      [0, 0],
      [1, 1],
      [2, 4],
    ]);
  });

  it("appends that passed their checks are refused, each alone, when the topic is deleted before their group is written", async () => {
    const { stub, ref } = await setUp();
    const answers = await runInDurableObject(stub, async (instance: PartitionLog) => {
      // Both pass the entry checks in this turn; the drop lands before either is written.
      const appends = [instance.append(ref, request(["x"])), instance.append(ref, request(["y"]))];
      await instance.drop();
      return Promise.all(appends);
    });
    for (const answer of answers) {
      expect(answer).toMatchObject({ ok: false, error: { type: "UNKNOWN_TOPIC_OR_PARTITION", message: `topic '${ref.topic}' was deleted` } });
    }
  });
});
