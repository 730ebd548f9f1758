// Consume-transform-produce, exactly once (fixed seed): a loop reads its input from its group's committed offset,
// writes one output per input record in a transaction across two partitions with the offsets, and then, at random,
// commits, aborts, crashes (a new incarnation inits, fencing and aborting the open transaction), or commits while an
// output partition is down (the coordinator's alarm finishes the markers once it is back). At the end every input
// record's output appears exactly once among committed records, in input order per key.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { transactionCoordinatorStub } from "../../src/names";
import { api, createTopic, produceTo, uniqueTopic } from "../helpers";
import { commitTxn, abortTxn, committedOffset, initTxn, sendOffsets, sendTxn, values, type Identity } from "./helpers";

const INPUTS = 12;
const KEYS = 3;
type Step = { batch: number; end: "commit" | "abort" | "crash" | "commit-with-fault" };
const stepArb = fc.record({ batch: fc.integer({ min: 1, max: 4 }), end: fc.constantFrom("commit", "abort", "crash", "commit-with-fault") }) as fc.Arbitrary<Step>;

describe("consume-transform-produce property", () => {
  it("every input's output is committed exactly once, in input order per key", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 30, maxLength: 30 }), async (steps) => {
        const input = uniqueTopic("ctp-in");
        const output = uniqueTopic("ctp-out");
        const group = uniqueTopic("ctp-g");
        const id = uniqueTopic("ctp-txn");
        await createTopic(input, 1);
        await createTopic(output, 2);
        await produceTo(input, 0, Array.from({ length: INPUTS }, (_, i) => ({ key: `k${i % KEYS}`, value: String(i) })));
        const joined = await api("POST", `/v1/groups/${group}/heartbeat`, { memberEpoch: 0, subscribedTopics: [input], rebalanceTimeoutMs: 60_000 });
        const member = { memberId: joined.body.memberId as string, memberEpoch: joined.body.memberEpoch as number };
        let who = (await initTxn(id)).body as Identity;
        for (const step of steps) {
          const position = (await committedOffset(group, input, 0)) ?? 0;
          if (position >= INPUTS) break;
          const read = await api("GET", `/v1/topics/${input}/partitions/0/records?offset=${position}&maxRecords=${step.batch}&isolation=read_committed`);
          const records = read.body.records as { key: string; value: string }[];
          const seq = [0, 0];
          for (const r of records) {
            const p = Number(r.key.slice(1)) % 2;
            const sent = await sendTxn(id, who, output, p, [`${r.key}:${r.value}`], seq[p]!);
            expect(sent.status, JSON.stringify(sent.body)).toBe(200);
            seq[p]!++;
          }
          const offsets = await sendOffsets(id, who, group, [{ topic: input, partition: 0, offset: position + records.length }], member);
          expect(offsets.status, JSON.stringify(offsets.body)).toBe(200);
          if (step.end === "crash") {
            who = (await initTxn(id)).body as Identity; // the old incarnation is fenced and its transaction aborted
            continue;
          }
          if (step.end === "commit-with-fault") await api("POST", "/v1/faults", { topic: output, partition: 1, replica: 0, down: true });
          const ended = step.end === "abort" ? await abortTxn(id, who) : await commitTxn(id, who);
          expect(ended.status, JSON.stringify(ended.body)).toBe(200);
          who = { producerId: ended.body.producerId, producerEpoch: ended.body.producerEpoch };
          if (step.end === "commit-with-fault") {
            await api("POST", "/v1/faults", { topic: output, partition: 1, replica: 0, down: false });
            await runDurableObjectAlarm(transactionCoordinatorStub(env, id));
          }
        }
        const committed = [...(await values(output, 0)), ...(await values(output, 1))];
        const done = (await committedOffset(group, input, 0)) ?? 0;
        expect(done, "the loop committed something").toBeGreaterThan(0);
        const expected = Array.from({ length: done }, (_, i) => `k${i % KEYS}:${i}`);
        expect([...committed].sort()).toEqual([...expected].sort());
        for (let k = 0; k < KEYS; k++) {
          const ofKey = committed.filter((v) => v.startsWith(`k${k}:`));
          expect(ofKey).toEqual(expected.filter((v) => v.startsWith(`k${k}:`)));
        }
      }),
      { seed: 20_260_514, numRuns: 4 },
    );
    // 4 runs of 30 transactions each take under a second alone, but passed the default 5 s on a loaded machine.
  }, 120_000);
});
