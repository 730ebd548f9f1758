// Cutting what one read returned into deliveries: batches of at most maxBatchSize records and maxBatchBytes of record
// JSON (a batch always takes at least one record, however large, as a fetch does). Pure.
import type { DeliveredRecord } from "../subscription-protocol";

export function splitBatches(records: readonly DeliveredRecord[], maxBatchSize: number, maxBatchBytes: number): DeliveredRecord[][] {
  const out: DeliveredRecord[][] = [];
  let batch: DeliveredRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (batch.length > 0 && (batch.length >= maxBatchSize || bytes + size > maxBatchBytes)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/** About the bytes a record takes in a fetch answer (its JSON, ASCII assumed: a bound, not an exact count). */
function recordBytes(r: DeliveredRecord): number {
  let n = 64 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) n += 24 + h.key.length + h.value.length;
  return n;
}
