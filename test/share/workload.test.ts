// Share groups under concurrency and faults: a property test that two pollers never hold the same offset at once
// (fast-check, fixed seed, many concurrent pollers), and a Jepsen-style workload (consumers accepting, releasing,
// rejecting and crashing at random while partition replicas go down and come back) whose every record must end
// accepted exactly once or dead-lettered exactly once: none lost, none accepted twice.
import { runDurableObjectAlarm } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { api, createTopic, produceTo, readAll, records, uniqueTopic } from "../helpers";
import { ack, advance, shareGroup, shareStub } from "./helpers";

type Action = { kind: "poll"; max: number } | { kind: "ack"; type: "accept" | "release" | "reject" } | { kind: "crash" } | { kind: "idle" };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("poll" as const), max: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("ack" as const), type: fc.constantFrom("accept" as const, "release" as const, "reject" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("idle" as const) }) },
);

describe("share groups under concurrency", () => {
  it("property: two pollers never hold the same offset at once", async () => {
    const POLLERS = 8;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(action, { minLength: POLLERS, maxLength: POLLERS }), { minLength: 4, maxLength: 12 }), async (rounds) => {
        const t = uniqueTopic(`prop${run++}`);
        const g = uniqueTopic("g");
        await createTopic(t, 2);
        await produceTo(t, 0, records(20));
        await produceTo(t, 1, records(20));
        await shareGroup(g, { lockDurationMs: 60_000, deliveryCountLimit: 10 });
        // Who holds each offset as far as the pollers know: a lease is given up before its acknowledgement is sent.
        const held = new Map<string, number>();
        const mine: string[][] = Array.from({ length: POLLERS }, () => []);
        const leases = new Map<string, string>();
        for (const round of rounds) {
          await Promise.all(
            round.map(async (a, p) => {
              if (a.kind === "poll") {
                const r = await api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: a.max });
                expect(r.status, JSON.stringify(r.body)).toBe(200);
                for (const rec of r.body.records) {
                  const key = `${rec.partition}/${rec.offset}`;
                  expect(held.has(key), `${key} handed to poller ${p} while poller ${held.get(key)} holds it`).toBe(false);
                  held.set(key, p);
                  leases.set(key, rec.leaseId);
                  mine[p]!.push(key);
                }
              } else if (a.kind === "ack" && mine[p]!.length > 0) {
                const keys = mine[p]!.splice(0);
                for (const k of keys) held.delete(k);
                const r = await ack(g, keys.map((k) => ({ leaseId: leases.get(k)!, type: a.type })));
                expect(r.status, JSON.stringify(r.body)).toBe(200);
              }
            }),
          );
        }
      }),
      { numRuns: 8, seed: 932 },
    );
  }, 30_000); // hundreds of requests: past the default 5 s when the shared machine is loaded

  it("Jepsen-style: random accept/release/reject/crash with replica faults; every record is accepted exactly once or dead-lettered exactly once", async () => {
    const PARTITIONS = 3;
    const CONSUMERS = 6;
    const t = uniqueTopic("jepsen");
    const dlq = uniqueTopic("jdlq");
    const g = uniqueTopic("g");
    const r0 = await api("POST", "/v1/topics", { name: t, partitions: PARTITIONS, replicationFactor: 3 });
    expect(r0.status, JSON.stringify(r0.body)).toBe(201);
    await createTopic(dlq, 2, { "errors.deadletterqueue.group.enable": "true" });
    const produced = new Set<string>();
    for (let p = 0; p < PARTITIONS; p++) {
      const r = await produceTo(t, p, records(30, (i) => ({ value: `p${p}-${i}` })), { acks: "all" });
      expect(r.status).toBe(200);
      r.body.results.forEach((x: any) => produced.add(`${p}/${x.offset}`));
    }
    await shareGroup(g, { lockDurationMs: 5_000, deliveryCountLimit: 3, deadLetterTopic: dlq });
    const accepted = new Map<string, number>();
    const leases = new Map<string, string>();
    const mine: string[][] = Array.from({ length: CONSUMERS }, () => []);
    const down = new Map<number, Set<number>>(Array.from({ length: PARTITIONS }, (_, p) => [p, new Set<number>()]));
    const fault = async (partition: number, replica: number, isDown: boolean) => {
      const r = await api("POST", "/v1/faults", { topic: t, partition, replica, down: isDown });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      if (isDown) down.get(partition)!.add(replica);
      else down.get(partition)!.delete(replica);
    };
    const settle = async (keys: string[], type: string, results: any[]) => {
      keys.forEach((k, i) => {
        if (type === "accept" && results[i]?.ok) accepted.set(k, (accepted.get(k) ?? 0) + 1);
      });
    };
    const act = async (c: number, a: Action) => {
      if (a.kind === "poll") {
        const r = await api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: a.max });
        if (r.status !== 200) {
          expect(r.body.error.retriable, JSON.stringify(r.body)).toBe(true);
          return;
        }
        for (const rec of r.body.records) {
          const key = `${rec.partition}/${rec.offset}`;
          leases.set(rec.leaseId, key);
          mine[c]!.push(rec.leaseId);
        }
      } else if (a.kind === "ack" && mine[c]!.length > 0) {
        const ids = mine[c]!.splice(0);
        const r = await ack(g, ids.map((leaseId) => ({ leaseId, type: a.type })));
        expect([200, 409], JSON.stringify(r.body)).toContain(r.status);
        await settle(ids.map((id) => leases.get(id)!), a.type, r.status === 200 ? r.body.acknowledgements : []);
      } else if (a.kind === "crash") mine[c]!.length = 0; // its leases run out
    };
    const advanceAll = async (ms: number) => {
      for (let p = 0; p < PARTITIONS; p++) await advance(g, t, ms, p);
    };

    const rounds = fc.sample(fc.array(action, { minLength: CONSUMERS, maxLength: CONSUMERS }), { numRuns: 40, seed: 1191 });
    const faults = fc.sample(fc.record({ partition: fc.integer({ min: 0, max: PARTITIONS - 1 }), replica: fc.integer({ min: 0, max: 2 }), down: fc.boolean() }), { numRuns: 40, seed: 121 });
    for (let i = 0; i < rounds.length; i++) {
      const f = faults[i]!;
      // Keep one replica of each partition up (two of three down at most).
      if (f.down && down.get(f.partition)!.size < 2) await fault(f.partition, f.replica, true);
      else if (!f.down && down.get(f.partition)!.has(f.replica)) await fault(f.partition, f.replica, false);
      await Promise.all(rounds[i]!.map((a, c) => act(c, a)));
      if (i % 8 === 7) await advanceAll(5_000);
    }
    for (const [p, replicas] of down) for (const r of [...replicas]) await fault(p, r, false);
    // Drain: let every lease end, accept whatever comes, until nothing is left in flight.
    for (let i = 0; i < 30; i++) {
      await advanceAll(5_000);
      for (let p = 0; p < PARTITIONS; p++) await runDurableObjectAlarm(await shareStub(g, t, p));
      const r = await api("POST", `/v1/share-groups/${g}/poll`, { topics: [t], maxRecords: 200 });
      if (r.status === 200 && r.body.records.length > 0) {
        const keys = r.body.records.map((x: any) => `${x.partition}/${x.offset}`);
        const a = await ack(g, r.body.records.map((x: any) => ({ leaseId: x.leaseId, type: "accept" })));
        expect(a.status, JSON.stringify(a.body)).toBe(200);
        await settle(keys, "accept", a.body.acknowledgements);
        continue;
      }
      const d = await api("GET", `/v1/share-groups/${g}`);
      if (d.body.partitions.every((s: any) => s.lag === 0 && s.deadLettersPending === 0)) break;
    }
    const d = await api("GET", `/v1/share-groups/${g}`);
    expect(d.body.totalLag, JSON.stringify(d.body)).toBe(0);
    const letters = new Map<string, number>();
    for (const p of [0, 1]) {
      for (const l of await readAll(dlq, p)) {
        const h = Object.fromEntries(l.headers.map((x: any) => [x.key, x.value]));
        expect(h["__dlq.errors.topic"]).toBe(t);
        const key = `${h["__dlq.errors.partition"]}/${h["__dlq.errors.offset"]}`;
        letters.set(key, (letters.get(key) ?? 0) + 1);
      }
    }
    for (const key of produced) {
      const a = accepted.get(key) ?? 0;
      const l = letters.get(key) ?? 0;
      expect(a + l, `${key}: accepted ${a}, dead-lettered ${l}`).toBe(1);
    }
    expect(letters.size).toBeGreaterThan(0);
    expect([...accepted.keys(), ...letters.keys()].every((k) => produced.has(k))).toBe(true);
  }, 30_000);
});
