// What a subscription partition does after delivering records, pure: records acknowledged are done; records to retry
// are delivered again (only those: acknowledged ones never are) after the consumer's delay or an exponential backoff
// with jitter, until maxRetries is spent; then they go to the dead-letter topic, or, without one, the partition stops
// and says why. Later records wait meanwhile: a batch is never overtaken by a later one. Time and randomness come in.
import { MAX_SUBSCRIPTION_RETRY_DELAY_MS } from "../limits";
import type { SubscriptionConfig, SubscriptionPartitionStatus } from "../subscription-protocol";
import type { DeliveryOutcome } from "./targets/delivery-target";

/** Records being retried: of the wave [fromOffset, toOffset], those in `offsets` are not acknowledged yet. Durable. */
export interface Retrying {
  fromOffset: number;
  toOffset: number;
  offsets: number[];
  /** Deliveries made so far (the next is attempt + 1). */
  attempt: number;
  nextAttemptMs: number;
  lastError: string;
}

/** What one attempt left unacknowledged, over all the batches it delivered at once. */
export interface Failures {
  offsets: number[];
  error: string;
  /** The longest delay a consumer asked for, if any. */
  delayMs?: number;
}

export type AfterAttempt = { kind: "done" } | { kind: "retry"; retrying: Retrying } | { kind: "deadLetter"; retrying: Retrying } | { kind: "stop"; retrying: Retrying };

/** Exponential backoff from retryDelayMs, doubling per attempt, capped; "equal jitter" (the upper half random), so the
 *  retries of many partitions spread out. `random` is in [0, 1). */
export function backoffMs(retryDelayMs: number, attempt: number, random: number): number {
  const ceiling = Math.min(MAX_SUBSCRIPTION_RETRY_DELAY_MS, retryDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** The records each batch's outcome leaves unacknowledged (a consumer's retry list is kept to the batch's offsets). */
export function failuresOf(batches: readonly (readonly number[])[], outcomes: readonly DeliveryOutcome[]): Failures {
  const offsets: number[] = [];
  const errors: string[] = [];
  let delayMs: number | undefined;
  const longer = (d: number | undefined) => {
    if (d !== undefined) delayMs = Math.max(delayMs ?? 0, d);
  };
  outcomes.forEach((outcome, i) => {
    const batch = batches[i]!;
    if (outcome.kind === "acked") return;
    if (outcome.kind === "failed") {
      offsets.push(...batch);
      errors.push(outcome.error);
      longer(outcome.delayMs);
      return;
    }
    const inBatch = new Set(batch);
    const retried = outcome.retry.filter((r) => inBatch.has(r.offset));
    if (retried.length === 0) return;
    offsets.push(...new Set(retried.map((r) => r.offset)));
    errors.push(`the consumer asked to retry ${retried.length} of ${batch.length} records`);
    for (const r of retried) longer(r.delayMs);
  });
  return { offsets: offsets.sort((a, b) => a - b), error: errors[0] ?? "", ...(delayMs === undefined ? {} : { delayMs }) };
}

/**
 * The next step after attempt `attempt` over the wave [fromOffset, toOffset] left `failures`: done; another attempt
 * (after the consumer's delay or the backoff); or, with retries spent, the dead-letter topic or a stop.
 */
export function afterAttempt(
  wave: { fromOffset: number; toOffset: number },
  attempt: number,
  failures: Failures,
  config: Pick<SubscriptionConfig, "maxRetries" | "retryDelayMs" | "deadLetterTopic">,
  nowMs: number,
  random: number,
): AfterAttempt {
  if (failures.offsets.length === 0) return { kind: "done" };
  const delayMs = Math.min(MAX_SUBSCRIPTION_RETRY_DELAY_MS, failures.delayMs ?? backoffMs(config.retryDelayMs, attempt, random));
  const retrying: Retrying = { ...wave, offsets: failures.offsets, attempt, nextAttemptMs: nowMs + delayMs, lastError: failures.error };
  if (attempt <= config.maxRetries) return { kind: "retry", retrying };
  return { kind: config.deadLetterTopic !== null ? "deadLetter" : "stop", retrying };
}

/** Headers a dead-lettered record carries besides its own: where it came from, how often it was tried, why it failed. */
export function deadLetterHeaders(subscription: string, topic: string, partition: number, offset: number, attempts: number, error: string): { key: string; value: string }[] {
  return [
    { key: "edgelog.subscription", value: subscription },
    { key: "edgelog.source.topic", value: topic },
    { key: "edgelog.source.partition", value: String(partition) },
    { key: "edgelog.source.offset", value: String(offset) },
    { key: "edgelog.attempts", value: String(attempts) },
    { key: "edgelog.error", value: error.slice(0, 1000) },
  ];
}

/** An ordered subscription partition's describe entry from its durable state and what its instance holds in memory
 *  (the service joins in the committed offset's lag and the high watermark). */
export function partitionStatus(
  r: { topic: string; partition: number; paused: boolean; stopped: string | null; retrying: Retrying | null; deadLettered: number },
  live: { committed: number | null; inFlight: { fromOffset: number; toOffset: number; attempt: number } | null; delivered: number; lastDeliveryMs: number | null },
): SubscriptionPartitionStatus {
  const retrying = r.retrying;
  const status = r.stopped !== null ? "stopped" : r.paused ? "paused" : retrying ? "retrying" : live.inFlight ? "delivering" : "waiting";
  return {
    topic: r.topic,
    partition: r.partition,
    committedOffset: live.committed,
    highWatermark: -1,
    lag: null,
    status,
    inFlight: retrying ? { fromOffset: retrying.fromOffset, toOffset: retrying.toOffset, attempt: retrying.attempt } : live.inFlight,
    nextAttemptMs: retrying && r.stopped === null ? retrying.nextAttemptMs : null,
    lastError: r.stopped ?? retrying?.lastError ?? null,
    deliveredRecords: live.delivered,
    lastDeliveryMs: live.lastDeliveryMs,
    deadLetteredRecords: r.deadLettered,
  };
}
