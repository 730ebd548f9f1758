// A shared subscription's acknowledgements, pure: what the target answered for a batch of leased records becomes one
// acknowledgement per record for their share-partition. Acknowledged records are accepted; records the consumer asked
// to retry, or a whole batch that failed (a throw, a timeout, a non-2xx, retryAll), are released for another delivery
// after the consumer's delay, else after the subscription's backoff by delivery count. The share group's delivery
// count limit then archives or dead-letters a record released once too often: retries and dead letters are its rules.
import { MAX_SHARE_RELEASE_DELAY_MS } from "../limits";
import type { AcquiredRecord, PartitionAck } from "../share-protocol";
import { backoffMs } from "./delivery-state";
import type { DeliveryOutcome } from "./targets/delivery-target";

/** A lease id is `<topic>:<partition>:<offset>:<acquisitionId>`; topic names cannot hold ":" (log/topic-name.ts), so the
 *  acquisition is what follows the last one. */
export function acquisitionIdOf(leaseId: string): number {
  return Number(leaseId.slice(leaseId.lastIndexOf(":") + 1));
}

export function sharedAcks(records: readonly AcquiredRecord[], outcome: DeliveryOutcome, retryDelayMs: number, random: number): { acks: PartitionAck[]; released: number } {
  const delayFor = (r: AcquiredRecord, asked: number | undefined) => Math.min(MAX_SHARE_RELEASE_DELAY_MS, asked ?? backoffMs(retryDelayMs, r.deliveryCount, random));
  const retry = new Map<number, number | undefined>();
  if (outcome.kind === "failed") for (const r of records) retry.set(r.offset, outcome.delayMs);
  if (outcome.kind === "partial") for (const r of outcome.retry) retry.set(r.offset, r.delayMs);
  const acks = records.map((r): PartitionAck => {
    const acquisitionId = acquisitionIdOf(r.leaseId);
    if (!retry.has(r.offset)) return { offset: r.offset, acquisitionId, type: "accept" };
    return { offset: r.offset, acquisitionId, type: "release", delayMs: delayFor(r, retry.get(r.offset)) };
  });
  return { acks, released: acks.filter((a) => a.type === "release").length };
}
