// REQUEST_TIMED_OUT over HTTP: an acks=all produce whose records the in-sync replicas never confirm answers 504 after
// ACKS_ALL_TIMEOUT_MS, ambiguous (the records were written, which is why errors.test.ts's table, where nothing may
// change, cannot hold it). The stall is deterministic: the follower answers every push with an error, and a follower
// that answers stays in the ISR (only an unreachable one leaves at once; one that is merely behind leaves after
// replica.lag.time.max.ms, 30 s on the leader's clock), so the ISR stays at min.insync.replicas while the high
// watermark cannot pass the follower's log end. This file runs in a vitest project of its own ("acks-timeout",
// vitest.config.ts) whose ACKS_ALL_TIMEOUT_MS is 1 s: the wait is the partition object's own timer.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ERRORS } from "../../src/errors";
import { REPLICA_LAG_TIME_MAX_MS } from "../../src/limits";
import { partitionLogClient } from "../../src/names";
import { settings } from "../../src/settings";
import { api, produceTo, readAll, uniqueTopic } from "../helpers";

const partition0 = async (topic: string) => {
  const r = await api("GET", `/v1/topics/${topic}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.partitions[0];
};

describe("acks=all over a follower that never confirms", () => {
  it("answers 504 REQUEST_TIMED_OUT after ACKS_ALL_TIMEOUT_MS, ambiguous, with the ISR unchanged and the record written but not committed", async () => {
    const timeoutMs = settings(env).acksAllTimeoutMs;
    expect(timeoutMs, "the acks-timeout project sets ACKS_ALL_TIMEOUT_MS well under the ISR's lag bound").toBeLessThan(REPLICA_LAG_TIME_MAX_MS / 10);
    const topic = uniqueTopic("acks-timeout");
    const created = await api("POST", "/v1/topics", { name: topic, replicationFactor: 2, config: { "min.insync.replicas": 2 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const topicId = created.body.topicId as string;
    const first = await produceTo(topic, 0, [{ value: "committed" }], { acks: "all" });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(await partition0(topic)).toMatchObject({ leader: 0, isr: [0, 1], highWatermark: 1, logEndOffset: 1 });

    // The follower drops its copy (as a deleted topic's replica does) and from now on answers every push with an
    // error (UNKNOWN_TOPIC_OR_PARTITION): it is reachable, so the leader keeps it in the ISR and backs off between tries.
    await partitionLogClient(env, topicId, 0, 1).drop();
    const startedMs = Date.now();
    const r = await produceTo(topic, 0, [{ value: "never confirmed" }], { acks: "all" });
    expect(Date.now() - startedMs, "answered before the timeout").toBeGreaterThanOrEqual(timeoutMs);
    expect(r.status, JSON.stringify(r.body)).toBe(504);
    expect(r.body.error).toEqual({
      type: "REQUEST_TIMED_OUT",
      code: ERRORS.REQUEST_TIMED_OUT.code,
      message: `the in-sync replicas did not confirm offset 1 within ${timeoutMs} ms; the records may still be committed`,
      retriable: ERRORS.REQUEST_TIMED_OUT.retriable,
      details: { ambiguous: true },
    });
    expect(ERRORS.REQUEST_TIMED_OUT.status).toBe(504);
    // Written, not committed: the record lies past the high watermark, invisible to readers; the ISR did not change.
    expect(await partition0(topic)).toMatchObject({ leader: 0, isr: [0, 1], highWatermark: 1, logEndOffset: 2 });
    expect((await readAll(topic, 0)).map((x) => x.value)).toEqual(["committed"]);
    // Alarms outlive a test file's storage: dropping the leader too clears its retry alarm and stops its pushes.
    await partitionLogClient(env, topicId, 0, 0).drop();
  });
});
