// What the delivery engine sees of a target, whatever it is (a Worker, a webhook, an R2 archive), and how a consumer's
// answer (a DeliveryResponse) becomes an outcome. Pure: no cloudflare:* import, so Node tests and the client may use it.
import type { DeliveryBatch } from "../../subscription-protocol";
import { MAX_DELIVERY_ERROR_LENGTH, MAX_SUBSCRIPTION_RETRY_DELAY_MS } from "../../limits";

/** A record to deliver again, and how long to wait first (capped at MAX_SUBSCRIPTION_RETRY_DELAY_MS). */
export interface RetryRecord {
  offset: number;
  delayMs?: number;
}

/**
 * - acked: every record of the batch is acknowledged;
 * - partial: the records in `retry` (offsets of the batch, ascending, at least one, possibly all) are to be delivered
 *   again, every other record is acknowledged;
 * - failed: nothing is acknowledged (a throw, a timeout, a non-2xx, an upload failure, an invalid answer, or the
 *   consumer's retryAll); `delayMs` is the consumer's wish (retryAll's delay, a webhook's Retry-After), if any.
 */
export type DeliveryOutcome =
  | { kind: "acked" }
  | { kind: "partial"; retry: RetryRecord[] }
  | { kind: "failed"; error: string; delayMs?: number };

export interface DeliveryTarget {
  /** Never throws: every failure is a `failed` outcome. */
  deliver(batch: DeliveryBatch): Promise<DeliveryOutcome>;
}

export const ACKED: DeliveryOutcome = Object.freeze({ kind: "acked" });

/** A failed outcome whose error fits describe's lastError. */
export function failed(error: string, delayMs?: number): DeliveryOutcome {
  return delayMs === undefined ? { kind: "failed", error: truncate(error) } : { kind: "failed", error: truncate(error), delayMs };
}

/** An error's message, without its stack (which would show a consumer's or edgelog's file paths). */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  try {
    return String(error);
  } catch {
    return "unknown error";
  }
}

const DIRECTIVES = ["ackAll", "retryAll", "retry", "ackUpTo"] as const;

/**
 * Reads a consumer's answer to `batch`. Nothing, or anything that is not an object naming one of ackAll, retryAll,
 * retry or ackUpTo, acknowledges every record (a handler that returns nothing has handled the batch, as a Queues
 * consumer's does). An answer naming a directive with a wrong shape acknowledges nothing: a consumer that meant to
 * retry must not lose records to a typo.
 */
export function outcomeOf(response: unknown, batch: DeliveryBatch): DeliveryOutcome {
  if (response === null || typeof response !== "object" || Array.isArray(response)) return ACKED;
  const answer: Partial<Record<(typeof DIRECTIVES)[number], unknown>> = {};
  try {
    for (const name of DIRECTIVES) answer[name] = (response as Record<string, unknown>)[name];
  } catch (error) {
    return invalid(`it could not be read (${errorMessage(error)})`);
  }
  const given = DIRECTIVES.filter((name) => answer[name] !== undefined);
  if (given.length > 1) return invalid(`it has both ${given[0]} and ${given[1]}; answer one of ackAll, retryAll, retry, ackUpTo`);
  switch (given[0]) {
    case undefined:
      return ACKED;
    case "ackAll":
      return answer.ackAll === true ? ACKED : invalid(`ackAll must be true (got ${show(answer.ackAll)}); retryAll delivers the batch again`);
    case "retryAll":
      return retryAll(answer.retryAll);
    case "retry":
      return retrySome(answer.retry, batch);
    default:
      return ackUpTo(answer.ackUpTo, batch);
  }
}

function retryAll(value: unknown): DeliveryOutcome {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return invalid(`retryAll must be an object, {} or {delayMs} (got ${show(value)})`);
  const delay = delayOf((value as { delayMs?: unknown }).delayMs, "retryAll.delayMs");
  if (typeof delay === "string") return invalid(delay);
  return failed("the consumer asked for the whole batch again (retryAll)", delay);
}

function retrySome(value: unknown, batch: DeliveryBatch): DeliveryOutcome {
  if (!Array.isArray(value)) return invalid(`retry must be an array of {offset, delayMs?} (got ${show(value)})`);
  const inBatch = new Set(batch.records.map((r) => r.offset));
  const wanted = new Map<number, number | undefined>();
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return invalid(`retry[${i}] must be an object {offset, delayMs?} (got ${show(entry)})`);
    const { offset, delayMs } = entry as { offset?: unknown; delayMs?: unknown };
    if (!isOffset(offset)) return invalid(`retry[${i}].offset must be a non-negative integer (got ${show(offset)})`);
    const delay = delayOf(delayMs, `retry[${i}].delayMs`);
    if (typeof delay === "string") return invalid(delay);
    // Offsets outside the batch are not the consumer's to retry (a stale answer, an off-by-one): they are ignored.
    if (!inBatch.has(offset)) continue;
    // The same offset twice waits for the longer of its delays.
    const before = wanted.has(offset) ? wanted.get(offset) : undefined;
    wanted.set(offset, before === undefined ? delay : delay === undefined ? before : Math.max(before, delay));
  }
  if (wanted.size === 0) return ACKED;
  const retry = [...wanted].sort((a, b) => a[0] - b[0]).map(([offset, delayMs]) => (delayMs === undefined ? { offset } : { offset, delayMs }));
  return { kind: "partial", retry };
}

function ackUpTo(value: unknown, batch: DeliveryBatch): DeliveryOutcome {
  if (!isOffset(value)) return invalid(`ackUpTo must be a non-negative integer offset (got ${show(value)})`);
  const retry = batch.records.filter((r) => r.offset > value).map((r) => ({ offset: r.offset }));
  return retry.length === 0 ? ACKED : { kind: "partial", retry };
}

function isOffset(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

/** A delay in whole ms (rounded up), capped; undefined when not given; a string saying what is wrong otherwise. */
function delayOf(value: unknown, where: string): number | undefined | string {
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return `${where} must be a non-negative number of milliseconds (got ${show(value)})`;
  return Math.min(Math.ceil(value), MAX_SUBSCRIPTION_RETRY_DELAY_MS);
}

function invalid(problem: string): DeliveryOutcome {
  return failed(`invalid delivery response: ${problem}`);
}

function show(value: unknown): string {
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? typeof value;
  } catch {
    text = typeof value;
  }
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function truncate(text: string): string {
  return text.length > MAX_DELIVERY_ERROR_LENGTH ? `${text.slice(0, MAX_DELIVERY_ERROR_LENGTH - 1)}…` : text;
}
