// The per-run produce answer (`?results=runs`, docs/api.md): the same writes as the per-record answer, answered as
// runs of consecutive records with one partition and one timestamp; each record's offset and timestamp, rebuilt from
// its run, is what a fetch then reads back.
import { describe, expect, it } from "vitest";
import { api, createTopic, readAll, records, uniqueTopic } from "../helpers";

type Run = { partition: number; baseOffset: number; count: number; timestamp: number } | { partition: number; count: number; error: { type: string } };

/** The per-record answer a list of runs stands for, in request order. */
function expand(runs: Run[]): { partition: number; offset: number; timestamp: number }[] {
  const out: { partition: number; offset: number; timestamp: number }[] = [];
  for (const run of runs) {
    if ("error" in run) throw new Error(`unexpected error run ${JSON.stringify(run)}`);
    for (let k = 0; k < run.count; k++) out.push({ partition: run.partition, offset: run.baseOffset + k, timestamp: run.timestamp });
  }
  return out;
}

describe("produce ?results=runs", () => {
  it("answers runs that rebuild each record's partition, offset and timestamp as a fetch reads them back", async () => {
    const T = uniqueTopic("runs");
    await createTopic(T, 3);
    // Partitions interleaved, one explicit timestamp in the middle of a partition's stretch, and a keyed record.
    const sent = [
      { partition: 0, value: "a" },
      { partition: 0, value: "b" },
      { partition: 1, value: "c" },
      { partition: 0, value: "d" },
      { partition: 0, value: "e", timestamp: 1_700_000_000_000 },
      { partition: 0, value: "f" },
      { partition: 2, value: "g" },
      { partition: 2, value: "h" },
    ];
    // Something already in partition 0, so base offsets are not all 0.
    expect((await api("POST", `/v1/topics/${T}/partitions/0/records`, { records: records(3) })).status).toBe(200);
    const r = await api("POST", `/v1/topics/${T}/records?results=runs`, { records: sent });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(Object.keys(r.body)).toEqual(["runs"]);
    const runs: Run[] = r.body.runs;
    expect(runs.map((run) => [run.partition, run.count])).toEqual([
      [0, 2],
      [1, 1],
      [0, 1],
      [0, 1],
      [0, 1],
      [2, 2],
    ]);
    const answers = expand(runs);
    expect(answers).toHaveLength(sent.length);
    const stored = new Map<number, any[]>();
    for (const p of [0, 1, 2]) stored.set(p, await readAll(T, p));
    answers.forEach((answer, i) => {
      expect(answer.partition).toBe(sent[i]!.partition);
      const record = stored.get(answer.partition)!.find((x) => x.offset === answer.offset);
      expect(record, `records[${i}]`).toMatchObject({ value: sent[i]!.value, timestamp: answer.timestamp });
    });
    expect(answers[4]!.timestamp).toBe(1_700_000_000_000);
    expect(answers[0]!.offset).toBe(3);
  });

  it("answers one run for a batch of keyless records without timestamps, and the same writes as the default answer", async () => {
    const T = uniqueTopic("runs-one");
    await createTopic(T, 1);
    const runs = await api("POST", `/v1/topics/${T}/partitions/0/records?results=runs`, { records: records(100) });
    expect(runs.status, JSON.stringify(runs.body)).toBe(200);
    expect(runs.body.runs).toEqual([{ partition: 0, baseOffset: 0, count: 100, timestamp: expect.any(Number) }]);
    const plain = await api("POST", `/v1/topics/${T}/partitions/0/records?results=records`, { records: records(100) });
    expect(plain.status).toBe(200);
    expect(plain.body.results).toHaveLength(100);
    expect(plain.body.results[0]).toEqual({ partition: 0, offset: 100, timestamp: expect.any(Number) });
    const stored = await readAll(T, 0);
    expect(stored.map((x) => x.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(stored.slice(0, 100).every((x) => x.timestamp === runs.body.runs[0].timestamp)).toBe(true);
  });

  it("stamps one run with the append time on a LogAppendTime topic, whatever the records' own timestamps", async () => {
    const T = uniqueTopic("runs-lat");
    await createTopic(T, 1, { "message.timestamp.type": "LogAppendTime" });
    const r = await api("POST", `/v1/topics/${T}/partitions/0/records?results=runs`, { records: [{ value: "a", timestamp: 1 }, { value: "b", timestamp: 2 }] });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.runs).toEqual([{ partition: 0, baseOffset: 0, count: 2, timestamp: expect.any(Number) }]);
    expect(r.body.runs[0].timestamp).toBeGreaterThan(2);
    expect((await readAll(T, 0)).map((x) => x.timestamp)).toEqual([r.body.runs[0].timestamp, r.body.runs[0].timestamp]);
  });

  it("answers acks=0 with 202 and runs of unknown offsets", async () => {
    const T = uniqueTopic("runs-acks0");
    await createTopic(T, 2);
    const r = await api("POST", `/v1/topics/${T}/records?results=runs`, { acks: 0, records: [{ partition: 1, value: "a" }, { partition: 1, value: "b" }, { partition: 0, value: "c" }] });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.runs).toEqual([
      { partition: 1, baseOffset: -1, count: 2, timestamp: -1 },
      { partition: 0, baseOffset: -1, count: 1, timestamp: -1 },
    ]);
  });

  it("answers an idempotent producer's retried batch with the original run", async () => {
    const T = uniqueTopic("runs-idem");
    await createTopic(T, 1);
    const init = await api("POST", "/v1/producers", {});
    expect(init.status, JSON.stringify(init.body)).toBe(200);
    const producer = { producerId: init.body.producerId, producerEpoch: init.body.producerEpoch, baseSequence: 0 };
    const send = () => api("POST", `/v1/topics/${T}/partitions/0/records?results=runs`, { producer, records: records(3) });
    const first = await send();
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const retry = await send();
    // A duplicate answers the original offsets and timestamps, once.
    expect(retry.body).toEqual(first.body);
    expect(await readAll(T, 0)).toHaveLength(3);
  });

  it("refuses another value of results, and a repeated one, before reading the body", async () => {
    const T = uniqueTopic("runs-bad");
    await createTopic(T, 1);
    for (const query of ["results=all", "results=", "results=runs&results=records"]) {
      const r = await api("POST", `/v1/topics/${T}/records?${query}`, { records: records(1) });
      expect(r.status, query).toBe(400);
      expect(r.body.error, query).toMatchObject({ type: "INVALID_REQUEST", details: { field: "results" } });
    }
    expect(await readAll(T, 0)).toHaveLength(0);
  });
});
