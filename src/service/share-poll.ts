// A share group's poll and acknowledgements. A poll names topics (no membership needed: any number of stateless
// pollers): it asks the share-partition at a rotating start for all of maxRecords (with many pollers, each poll then
// costs one share-partition call, not one per partition), then fans out over the others for what is left, never
// answering more than maxRecords. When nothing is there it long-polls: it parks on each partition's append watch (the
// machinery fetch's long-poll uses, src/watch.ts) and on each full window (SharePartition.waitForRoom: an
// acknowledgement frees room) until an append, room, a lease's end or maxWaitMs. Acknowledgements go to their
// share-partitions grouped, in parallel; each share-partition applies its own all or nothing. Those riding on a poll
// for the share-partition most of them are for go with that poll's first acquire, in the same call (one call less,
// and the room they free is this poll's), and that share-partition is asked first.
import type { Env } from "../env";
import { errorBody, KafkaError, type ErrorBody } from "../errors";
import { mapBounded } from "../concurrency";
import { MAX_WATCH_ATTEMPTS, PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { sharePartitionStub } from "../names";
import type { IsolationLevel } from "../protocol";
import type { AckOutcome, AcquiredRecord, AcquireResult, PartitionAck } from "../share-protocol";
import { callPartition, topicMetadata } from "./metadata";
import { callSharePartition, memberAssignment, shareGroup } from "./share-groups";
import { parseAcknowledgements, parsePoll, type ParsedAck, type PollRequest } from "./share-request";
import { requireObject } from "./validate";
import { openWatch, type WakeSocket } from "./watch-client";

export type AckResult = { leaseId: string; ok: true; lockExpiresAt?: number } | { leaseId: string; error: ErrorBody };

interface Part {
  topic: string;
  topicId: string;
  partition: number;
}

let rotation = 0;

/** POST /v1/share-groups/{group}/acknowledgements {acknowledgements}: one result per item, in order. */
export async function acknowledgeShare(env: Env, group: string, input: unknown): Promise<{ acknowledgements: AckResult[] }> {
  const body = requireObject(input, "acknowledgement request", ["acknowledgements"]);
  const acks = parseAcknowledgements(body.acknowledgements);
  if (acks.length === 0) throw new KafkaError("INVALID_REQUEST", "acknowledgements must not be empty", { field: "acknowledgements" });
  await shareGroup(env, group);
  const results = await applyAcks(env, group, acks);
  // As a produce: when nothing was applied, the first refusal is the answer (409 INVALID_RECORD_STATE for a stale
  // lease), with every item's result in its details.
  const first = results[0]!;
  if (results.every((r) => "error" in r) && "error" in first) throw new KafkaError(first.error.type, first.error.message, { ...first.error.details, acknowledgements: results });
  return { acknowledgements: results };
}

/** POST /v1/share-groups/{group}/poll: acknowledgements riding on it first (Kafka's ShareFetch), then records. */
export async function pollShare(env: Env, group: string, input: unknown, signal?: AbortSignal): Promise<{ records: AcquiredRecord[]; acknowledgements?: AckResult[] }> {
  const request = parsePoll(input);
  const { config } = await shareGroup(env, group);
  const acks = request.acknowledgements;
  const parts = await choosePartitions(env, group, request);
  // The share-partition with the most acknowledgements (usually the only one: a poll's records mostly come from one)
  // takes them with the poll's first acquire, in one call: the room they free goes to this poll. The others' are
  // applied first, as before.
  const riding = ridingPartition(parts, acks);
  const acknowledgements: AckResult[] | undefined = acks.length > 0 ? new Array(acks.length) : undefined;
  const elsewhere = riding === undefined ? acks.map((_, i) => i) : acks.flatMap((a, i) => (samePart(a, riding.part) ? [] : [i]));
  if (elsewhere.length > 0) {
    const applied = await applyAcks(env, group, elsewhere.map((i) => acks[i]!));
    elsewhere.forEach((i, j) => (acknowledgements![i] = applied[j]!));
  }
  // A member assigned nothing (more members than a topic's partitions cannot happen: they share them; a topic that
  // does not exist yet can) waits as an empty poll would.
  if (parts.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, request.maxWaitMs));
    return acknowledgements === undefined ? { records: [] } : { records: [], acknowledgements };
  }
  const start = riding?.index ?? rotation++ % parts.length;
  let order = parts.map((_, i) => parts[(start + i) % parts.length]!);
  const deadline = Date.now() + request.maxWaitMs;
  let records: AcquiredRecord[] = [];
  for (let round = 0; ; round++) {
    const headAcks = round === 0 && riding !== undefined ? riding.indices.map((i) => acks[i]!) : [];
    const got = await acquireAll(env, group, order, request.maxRecords, request.encoding, headAcks);
    if (headAcks.length > 0) riding!.indices.forEach((i, j) => (acknowledgements![i] = ackResult(acks[i]!.leaseId, got.headAcks[j]!)));
    records = got.records;
    const now = Date.now();
    if (records.length > 0 || now >= deadline || round >= MAX_WATCH_ATTEMPTS * 2 || signal?.aborted) break;
    const until = Math.min(deadline, got.nextDueMs ?? deadline);
    if (until <= now) continue;
    const woken = await waitForAppends(env, group, got.waits, got.full, config.isolation, until - now, signal);
    // The share-partition whose room woke the poll is asked first: the room is there.
    if (woken !== undefined) order = [woken, ...order.filter((p) => p !== woken)];
  }
  return acknowledgements === undefined ? { records } : { records, acknowledgements };
}

const samePart = (a: ParsedAck, p: Part) => a.topic === p.topic && a.partition === p.partition;

/** The polled share-partition that most of the poll's acknowledgements are for, with their indices. */
function ridingPartition(parts: readonly Part[], acks: readonly ParsedAck[]): { part: Part; index: number; indices: number[] } | undefined {
  if (acks.length === 0) return undefined;
  const counts = new Map<number, number[]>();
  for (let i = 0; i < acks.length; i++) {
    const index = parts.findIndex((p) => samePart(acks[i]!, p));
    if (index < 0) continue;
    let list = counts.get(index);
    if (list === undefined) counts.set(index, (list = []));
    list.push(i);
  }
  let best: { part: Part; index: number; indices: number[] } | undefined;
  for (const [index, indices] of counts) if (best === undefined || indices.length > best.indices.length) best = { part: parts[index]!, index, indices };
  return best;
}

function ackResult(leaseId: string, o: AckOutcome): AckResult {
  return o.ok ? { leaseId, ok: true, ...(o.lockExpiresAt === undefined ? {} : { lockExpiresAt: o.lockExpiresAt }) } : { leaseId, error: o.error };
}

function toPartitionAck(a: ParsedAck): PartitionAck {
  return { offset: a.offset, acquisitionId: a.acquisitionId, type: a.type, ...(a.delayMs === undefined ? {} : { delayMs: a.delayMs }), ...(a.reason === undefined ? {} : { reason: a.reason }) };
}

/** Every partition of the topics named, or, for a poll naming a member (KIP-932 membership), only the share-partitions
 *  assigned to it, narrowed to the topics named if any. */
async function choosePartitions(env: Env, group: string, request: PollRequest): Promise<Part[]> {
  const parts: Part[] = [];
  const assigned = request.member === null ? null : await memberAssignment(env, group, request.member.memberId, request.member.memberEpoch);
  const topics = assigned === null ? request.topics : assigned.map((a) => a.topic).filter((t) => request.topics.length === 0 || request.topics.includes(t));
  for (const topic of topics) {
    const meta = await topicMetadata(env, topic);
    const partitions = assigned?.find((a) => a.topic === topic)?.partitions ?? Array.from({ length: meta.partitionCount }, (_, p) => p);
    for (const p of partitions) if (p < meta.partitionCount) parts.push({ topic, topicId: meta.topicId, partition: p });
  }
  return parts;
}

/** Asks share-partitions for records, at most maxRecords in all: the first (in rotating order) for all of it; then,
 *  for what is left, a wave splits it between the others, and those that filled their share are asked again, one at
 *  a time. */
async function acquireAll(env: Env, group: string, order: Part[], maxRecords: number, encoding: "text" | "base64", headAcks: readonly ParsedAck[]) {
  const records: AcquiredRecord[] = [];
  const waits: { part: Part; offset: number }[] = [];
  /** Share-partitions whose window is full: an acknowledgement there may free room. */
  const full: Part[] = [];
  let nextDueMs: number | null = null;
  let failure: unknown;
  // A share-partition that fails (its partition unreachable) gives nothing this time; the others' records are still
  // answered, so their leases are not wasted. Only when nothing was acquired does the poll fail with the error.
  const ask = async (part: Part, budget: number, acks: PartitionAck[] = []): Promise<AcquireResult> => {
    try {
      const r = await callSharePartition<AcquireResult>(env, group, part.topic, part.topicId, part.partition, (c) => sharePartitionStub(env, group, part.topicId, part.partition).acquire(c, budget, encoding, acks));
      if (r.nextDueMs !== null) nextDueMs = nextDueMs === null ? r.nextDueMs : Math.min(nextDueMs, r.nextDueMs);
      if (r.records.length === 0 && r.waitOffset < 0) full.push(part);
      return r;
    } catch (error) {
      // The acknowledgements that rode on it are answered with the error (as applyAcks answers a failed call).
      if (acks.length > 0) return { records: [], waitOffset: -1, nextDueMs: null, acknowledgements: acks.map(() => ({ ok: false, error: error instanceof KafkaError ? error.body : errorBody("UNKNOWN_SERVER_ERROR", String(error)) })) };
      failure ??= error;
      return { records: [], waitOffset: -1, nextDueMs: null };
    }
  };
  const head = await ask(order[0]!, maxRecords, headAcks.map(toPartitionAck));
  const headAckOutcomes = head.acknowledgements ?? [];
  records.push(...head.records);
  if (head.records.length === 0 && head.waitOffset >= 0) waits.push({ part: order[0]!, offset: head.waitOffset });
  const rest = order.slice(1);
  const wanted = maxRecords - records.length;
  if (wanted <= 0 || rest.length === 0) return { records, waits, full, nextDueMs: nextDueMs as number | null, headAcks: headAckOutcomes };
  const first = rest.slice(0, Math.min(rest.length, wanted));
  const share = (i: number) => Math.floor(wanted / first.length) + (i < wanted % first.length ? 1 : 0);
  const firstWave = await mapBounded(first.length, PARTITION_FANOUT_CONCURRENCY, async (i) => ({ i, result: await ask(first[i]!, share(i)) }));
  const again: Part[] = [];
  for (const { i, result } of firstWave) {
    records.push(...result.records);
    if (result.records.length >= share(i)) again.push(first[i]!);
    else if (result.waitOffset >= 0) waits.push({ part: first[i]!, offset: result.waitOffset });
  }
  for (const part of [...again, ...rest.slice(first.length)]) {
    const left = maxRecords - records.length;
    if (left <= 0) break;
    const result = await ask(part, left);
    records.push(...result.records);
    if (result.records.length === 0 && result.waitOffset >= 0) waits.push({ part, offset: result.waitOffset });
  }
  if (records.length === 0 && failure !== undefined && headAcks.length === 0) throw failure;
  return { records, waits, full, nextDueMs: nextDueMs as number | null, headAcks: headAckOutcomes };
}

/** Parks on each partition's append watch at the offset its share-partition would read next, and on each full
 *  share-partition's window; answers at the first append (the first commit under read_committed), the first room
 *  freed, or after `ms`. */
async function waitForAppends(env: Env, group: string, waits: { part: Part; offset: number }[], full: Part[], isolation: IsolationLevel, ms: number, signal?: AbortSignal): Promise<Part | undefined> {
  const rooms = full.map((part) =>
    // A share-partition that cannot be asked is left out of the wait (as an unwatchable partition below).
    callSharePartition<boolean>(env, group, part.topic, part.topicId, part.partition, (c) => sharePartitionStub(env, group, part.topicId, part.partition).waitForRoom(c, ms).then((woken) => ({ ok: true, value: woken })))
      .catch(() => false)
      .then((woken) => (woken ? part : undefined)),
  );
  if (waits.length === 0) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const woken = rooms.map((r) => r.then((part) => (part !== undefined ? part : new Promise<undefined>(() => {}))));
    const first = await Promise.race([new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms))), ...woken]);
    clearTimeout(timer);
    return first;
  }
  if (rooms.length > 0) {
    // Both kinds: room freed ends the append wait (its sockets close at once).
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal?.addEventListener("abort", onAbort, { once: true });
    let first: Part | undefined;
    for (const r of rooms)
      void r.then((part) => {
        if (part === undefined) return;
        first ??= part;
        stop.abort();
      });
    try {
      await waitForAppends(env, group, waits, [], isolation, ms, stop.signal);
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    return first;
  }
  const sockets: WakeSocket[] = [];
  try {
    const stored = await mapBounded(waits.length, PARTITION_FANOUT_CONCURRENCY, async (i) => {
      const { part, offset } = waits[i]!;
      // Under read_committed the wait is for the last stable offset to pass `offset`, as a fetch's long-poll.
      const read = { offset, maxRecords: 1, maxBytes: 1, maxWaitMs: 0, encoding: "text" as const, isolation };
      // A partition that cannot be watched (unreachable) is left out of the wait; the next round asks it again.
      const watch = await callPartition(env, part.topic, part.partition, (ref) => openWatch(env, ref, read, "once")).catch(() => undefined);
      if (watch === undefined) return true;
      if (watch.socket !== undefined) sockets.push(watch.socket);
      return watch.socket !== undefined || watch.result.recordCount === 0;
    });
    // Something is there already (records past the offset): look again at once.
    if (stored.some((parked) => !parked)) return undefined;
    if (sockets.length === 0) return undefined;
    await Promise.race(sockets.map((s) => s.next(ms, signal)));
  } finally {
    for (const s of sockets) s.close();
  }
  return undefined;
}

async function applyAcks(env: Env, group: string, acks: ParsedAck[]): Promise<AckResult[]> {
  const byPartition = new Map<string, number[]>();
  acks.forEach((a, i) => {
    const key = `${a.topic}:${a.partition}`;
    if (!byPartition.has(key)) byPartition.set(key, []);
    byPartition.get(key)!.push(i);
  });
  const results: AckResult[] = new Array(acks.length);
  const groups = [...byPartition.values()];
  await mapBounded(groups.length, PARTITION_FANOUT_CONCURRENCY, async (g) => {
    const indices = groups[g]!;
    const { topic, partition } = acks[indices[0]!]!;
    let outcomes: AckOutcome[];
    try {
      const meta = await topicMetadata(env, topic);
      if (partition >= meta.partitionCount) throw new KafkaError("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' has no partition ${partition}`, { topic, partition });
      const items: PartitionAck[] = indices.map((i) => toPartitionAck(acks[i]!));
      outcomes = await callSharePartition<AckOutcome[]>(env, group, topic, meta.topicId, partition, (c) => sharePartitionStub(env, group, meta.topicId, partition).acknowledge(c, items));
    } catch (error) {
      const body = error instanceof KafkaError ? error.body : errorBody("UNKNOWN_SERVER_ERROR", String(error));
      outcomes = indices.map(() => ({ ok: false, error: body }));
    }
    indices.forEach((i, j) => (results[i] = ackResult(acks[i]!.leaseId, outcomes[j]!)));
  });
  return results;
}
