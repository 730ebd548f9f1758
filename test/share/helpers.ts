// Helpers for the share-group tests: groups and polls over HTTP, the share-partition's stub (to move its clock, run
// its alarm or evict it), and reading a dead-letter topic.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { expect } from "vitest";
import { sharePartitionStub } from "../../src/names";
import type { SharePartition } from "../../src/share/SharePartition";
import { api } from "../helpers";

export async function shareGroup(group: string, config: Record<string, unknown> = {}): Promise<any> {
  const r = await api("PUT", `/v1/share-groups/${group}`, { autoOffsetReset: "earliest", ...config });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

export async function poll(group: string, body: Record<string, unknown>): Promise<any> {
  const r = await api("POST", `/v1/share-groups/${group}/poll`, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

export async function ack(group: string, acknowledgements: Record<string, unknown>[]) {
  return api("POST", `/v1/share-groups/${group}/acknowledgements`, { acknowledgements });
}

export async function topicId(topic: string): Promise<string> {
  return (await api("GET", `/v1/topics/${topic}`)).body.topicId;
}

export async function shareStub(group: string, topic: string, partition = 0) {
  return sharePartitionStub(env, group, await topicId(topic), partition);
}

/** Moves a share-partition's clock forward (leases, delays) instead of sleeping. */
export async function advance(group: string, topic: string, ms: number, partition = 0): Promise<void> {
  await runInDurableObject(await shareStub(group, topic, partition), (instance: SharePartition) => instance.clock.advance(ms));
}

export const accept = (leaseId: string) => ({ leaseId, type: "accept" });
