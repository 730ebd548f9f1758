// Helpers for the subscription tests: create subscriptions over HTTP, read what the test consumer Worker
// (test/fixtures/consumer-worker.mjs) logged, and wait (by asking, never by sleeping a fixed time) for a subscription
// to catch up.
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { subscriptionPartitionName, subscriptionPartitionStub } from "../../src/names";
import { api } from "../helpers";

export interface Delivery {
  topic: string;
  partition: number;
  attempt: number;
  offsets: number[];
  values: (string | null)[];
  headers: { key: string; value: string }[][];
  outcome: { kind: "ack" } | { kind: "retry"; offsets: number[] } | { kind: "throw" } | { kind: "hang" };
  at: number;
}

export async function topicId(topic: string): Promise<string> {
  return (await api("GET", `/v1/topics/${topic}`)).body.topicId;
}

/** The delivery object of (subscription, topic, partition). */
export async function subStub(name: string, topic: string, partition = 0) {
  return subscriptionPartitionStub(env, subscriptionPartitionName(name, await topicId(topic), partition));
}

export async function highWatermarks(topic: string): Promise<Record<string, number>> {
  const d = (await api("GET", `/v1/topics/${topic}`)).body;
  return Object.fromEntries(d.partitions.map((p: any) => [`${topic}/${p.partition}`, p.highWatermark]));
}

/** Between two looks, a pause in which the objects' own timers (delivery timeouts) get their turn. */
const pause = () => new Promise((resolve) => setTimeout(resolve, 10));

export const serviceTarget = { type: "service", binding: "TEST_CONSUMER", timeoutMs: 5_000 };

export async function subscribe(body: Record<string, unknown>): Promise<any> {
  const r = await api("POST", "/v1/subscriptions", { target: serviceTarget, startAt: "earliest", maxBatchWaitMs: 0, retryDelayMs: 0, ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

export async function script(subscription: string, s: Record<string, unknown>): Promise<void> {
  const r = await env.TEST_CONSUMER_LOG.fetch(`http://consumer/script?subscription=${subscription}`, { method: "POST", body: JSON.stringify(s) });
  expect(r.status).toBe(200);
}

export async function deliveries(subscription: string): Promise<Delivery[]> {
  return (await (await env.TEST_CONSUMER_LOG.fetch(`http://consumer/deliveries?subscription=${subscription}`)).json()) as Delivery[];
}

/** The offsets each delivery acknowledged, in delivery order, per "topic/partition". */
export function acknowledged(list: readonly Delivery[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const d of list) {
    const key = `${d.topic}/${d.partition}`;
    if (!out.has(key)) out.set(key, []);
    if (d.outcome.kind === "ack") out.get(key)!.push(...d.offsets);
    else if (d.outcome.kind === "retry") {
      const retried = new Set(d.outcome.offsets);
      out.get(key)!.push(...d.offsets.filter((o) => !retried.has(o)));
    }
  }
  return out;
}

/** Waits until the subscription's lag is 0 and no partition is delivering or retrying; fails with what it saw. */
export async function untilCaughtUp(name: string, attempts = 1_500): Promise<any> {
  let last: any;
  for (let i = 0; i < attempts; i++) {
    const r = await api("GET", `/v1/subscriptions/${name}`);
    last = r.body;
    if (r.status === 200 && last.totalLag === 0 && last.partitions.every((p: any) => p.status === "waiting" && p.lag === 0)) return last;
    await pause();
  }
  const stuck = new Set((last?.partitions ?? []).filter((p: any) => p.status !== "waiting").map((p: any) => p.partition));
  const log = (await deliveries(name)).filter((d) => stuck.has(d.partition)).slice(-6).map((d) => ({ p: d.partition, attempt: d.attempt, first: d.offsets[0], n: d.offsets.length, outcome: d.outcome.kind, at: d.at }));
  throw new Error(`subscription ${name} did not catch up: ${JSON.stringify(last)}; last deliveries ${JSON.stringify(log)} (now ${Date.now()})`);
}

/** Waits until `check` holds for the consumer's log; fails with the log. */
export async function untilDelivered(name: string, check: (list: Delivery[]) => boolean, attempts = 1_500): Promise<Delivery[]> {
  let list: Delivery[] = [];
  for (let i = 0; i < attempts; i++) {
    list = await deliveries(name);
    if (check(list)) return list;
    await pause();
  }
  throw new Error(`deliveries of ${name} never satisfied the check: ${JSON.stringify(list).slice(0, 2000)}`);
}

/** Per partition: no delivery overtook an unacknowledged record, and each record was acknowledged exactly once. */
export function expectOrderedOnce(list: readonly Delivery[], highWatermarks: Record<string, number>): void {
  const acked = new Map<string, Set<number>>();
  for (const d of list) {
    const key = `${d.topic}/${d.partition}`;
    const done = acked.get(key) ?? new Set<number>();
    acked.set(key, done);
    // The first record a delivery carries is the first not yet acknowledged: nothing later went before it.
    let next = 0;
    while (done.has(next)) next++;
    expect(Math.min(...d.offsets), `${key}: a delivery starting at ${Math.min(...d.offsets)} overtook unacknowledged offset ${next}`).toBe(next);
    const retried = d.outcome.kind === "retry" ? new Set(d.outcome.offsets) : new Set<number>();
    const ok = d.outcome.kind === "ack" || d.outcome.kind === "retry";
    if (!ok) continue;
    for (const o of d.offsets) {
      if (retried.has(o)) continue;
      expect(done.has(o), `${key}: offset ${o} acknowledged twice`).toBe(false);
      done.add(o);
    }
  }
  for (const [key, hw] of Object.entries(highWatermarks)) {
    const done = acked.get(key) ?? new Set<number>();
    expect(done.size, `${key}: acknowledged ${done.size} of ${hw}`).toBe(hw);
    for (let o = 0; o < hw; o++) expect(done.has(o), `${key}: offset ${o} never acknowledged`).toBe(true);
  }
}

/**
 * At least once, in order, nothing skipped, per partition: each delivery starts at or before the first record not yet
 * acknowledged (a redelivery after a crash may repeat records, never jump past one), carries consecutive offsets, and
 * in the end every offset below the high watermark was acknowledged.
 */
export function expectOrderedAtLeastOnce(list: readonly Delivery[], highWatermarks: Record<string, number>): void {
  const acked = new Map<string, Set<number>>();
  for (const d of list) {
    const key = `${d.topic}/${d.partition}`;
    const done = acked.get(key) ?? new Set<number>();
    acked.set(key, done);
    let next = 0;
    while (done.has(next)) next++;
    const first = Math.min(...d.offsets);
    expect(first, `${key}: a delivery starting at ${first} skipped unacknowledged offset ${next}`).toBeLessThanOrEqual(next);
    expect(d.offsets, `${key}: a delivery's offsets are not consecutive`).toEqual(d.offsets.map((_, i) => first + i));
    if (d.outcome.kind !== "ack" && d.outcome.kind !== "retry") continue;
    const retried = d.outcome.kind === "retry" ? new Set(d.outcome.offsets) : new Set<number>();
    for (const o of d.offsets) if (!retried.has(o)) done.add(o);
  }
  for (const [key, hw] of Object.entries(highWatermarks)) {
    const done = acked.get(key) ?? new Set<number>();
    for (let o = 0; o < hw; o++) expect(done.has(o), `${key}: offset ${o} never acknowledged`).toBe(true);
  }
}
