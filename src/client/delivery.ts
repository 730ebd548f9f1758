// The consumer side of a subscription: deliveryBatch(input) wraps what edgelog delivers (a DeliveryBatch, the
// argument of a service binding's `deliver` or a webhook's JSON body) so a handler marks records as Cloudflare
// Queues consumers do, `record.retry({ delayMs })`, `batch.ackAll()`, and answers with `batch.response()`.
// Each record's first decision stands (a later ack() or retry() of it changes nothing); ackAll() and retryAll()
// decide the records not yet decided; a record left undecided when the response is made is acknowledged.
// Plain data in and out, no platform APIs: it runs in a Worker, in Node, anywhere.
import type { DeliveredRecord, DeliveryBatch, DeliveryResponse } from "../subscription-protocol";

export interface RetryOptions {
  /** Wait at least this long before delivering again (default: the subscription's retry backoff). */
  delayMs?: number;
}

export interface DeliveryRecord extends DeliveredRecord {
  /** Acknowledged: never delivered again (unless the subscription's offsets are reset). */
  ack(): void;
  /** Delivered again, in a later attempt; the records acknowledged beside it are not. */
  retry(options?: RetryOptions): void;
}

export interface Delivery {
  subscription: string;
  topic: string;
  partition: number;
  /** 1 on the first delivery of these records, then 2, 3, … (a shared subscription: the batch's highest
   *  `deliveryCount`, which each of its records carries). */
  attempt: number;
  /** In offset order (a shared subscription: in the order its share group leased them, redeliveries first). */
  records: DeliveryRecord[];
  /** Acknowledges every record not decided yet; returns the response. */
  ackAll(): DeliveryResponse;
  /** Asks for every record not decided yet again; returns the response. */
  retryAll(options?: RetryOptions): DeliveryResponse;
  /** What to answer edgelog: a service binding's return value, or a webhook's JSON body. */
  response(): DeliveryResponse;
}

type Decision = { ack: true } | { ack: false; delayMs: number | undefined };

export function deliveryBatch(input: DeliveryBatch): Delivery {
  if (input === null || typeof input !== "object" || !Array.isArray(input.records)) {
    throw new TypeError("deliveryBatch(input): input is not a delivery from edgelog (no records array)");
  }
  const decisions = new Map<number, Decision>();
  const decide = (offset: number, decision: Decision) => {
    if (!decisions.has(offset)) decisions.set(offset, decision);
  };
  const records = input.records.map(
    (record): DeliveryRecord => ({
      ...record,
      ack: () => decide(record.offset, { ack: true }),
      retry: (options) => decide(record.offset, { ack: false, delayMs: delayOf(options) }),
    }),
  );
  const response = (): DeliveryResponse => {
    const retry = input.records.flatMap((record) => {
      const decision = decisions.get(record.offset);
      if (decision === undefined || decision.ack) return [];
      return [decision.delayMs === undefined ? { offset: record.offset } : { offset: record.offset, delayMs: decision.delayMs }];
    });
    if (retry.length === 0) return { ackAll: true };
    const delays = new Set(retry.map((r) => r.delayMs));
    if (retry.length === input.records.length && delays.size === 1) {
      const [delayMs] = delays;
      return { retryAll: delayMs === undefined ? {} : { delayMs } };
    }
    return { retry };
  };
  return {
    subscription: input.subscription,
    topic: input.topic,
    partition: input.partition,
    attempt: input.attempt,
    records,
    ackAll() {
      for (const record of records) record.ack();
      return response();
    },
    retryAll(options) {
      const delayMs = delayOf(options);
      for (const record of records) decide(record.offset, { ack: false, delayMs });
      return response();
    },
    response,
  };
}

function delayOf(options: RetryOptions | undefined): number | undefined {
  const delayMs = options?.delayMs;
  if (delayMs === undefined) return undefined;
  if (typeof delayMs !== "number" || !Number.isSafeInteger(delayMs) || delayMs < 0) {
    throw new RangeError(`retry delayMs must be a whole number of ms, 0 or more, got ${String(delayMs)}`);
  }
  return delayMs;
}
