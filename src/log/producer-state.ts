// Kafka's idempotent-producer rules per (partition, producerId) (kafka-semantics §3.2): the last 5 batches' sequence
// ranges are kept; a batch equal to one of them is a duplicate answered with its original offsets; otherwise the
// epoch must not go back, a new epoch starts at sequence 0, and within an epoch sequences follow on without gaps.
// State older than producer.id.expiration.ms is forgotten, after which any sequence is accepted. Pure.
import { PRODUCER_BATCHES_RETAINED, PRODUCER_ID_EXPIRATION_MS } from "../limits";

export const MAX_SEQUENCE = 2_147_483_647;

export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export interface CachedBatch {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
  lastOffset: number;
  /** LogAppendTime stamped on the batch, or -1 under CreateTime. */
  logAppendTimeMs: number;
}

export interface ProducerEntry {
  producerEpoch: number;
  batches: CachedBatch[];
  lastWriteMs: number;
}

export type SequenceCheck =
  | { kind: "append" }
  | { kind: "duplicate"; batch: CachedBatch }
  | { kind: "error"; type: "INVALID_PRODUCER_EPOCH" | "OUT_OF_ORDER_SEQUENCE_NUMBER"; message: string; details: Record<string, unknown> };

/** DefaultRecordBatch.incrementSequence: sequences wrap from Integer.MAX_VALUE to 0. */
export function incrementSequence(sequence: number, increment: number): number {
  return sequence > MAX_SEQUENCE - increment ? increment - (MAX_SEQUENCE - sequence) - 1 : sequence + increment;
}

export function checkSequence(entry: ProducerEntry | undefined, producer: ProducerIdentity, recordCount: number, nowMs: number): SequenceCheck {
  if (entry === undefined || nowMs - entry.lastWriteMs > PRODUCER_ID_EXPIRATION_MS) return { kind: "append" };
  const { producerEpoch, baseSequence } = producer;
  if (producerEpoch < entry.producerEpoch) {
    return {
      kind: "error",
      type: "INVALID_PRODUCER_EPOCH",
      message: `producer ${producer.producerId} epoch ${producerEpoch} is older than the current epoch ${entry.producerEpoch}: this producer was fenced`,
      details: { producerId: producer.producerId, producerEpoch: entry.producerEpoch },
    };
  }
  const lastSeq = incrementSequence(baseSequence, recordCount - 1);
  if (producerEpoch === entry.producerEpoch) {
    const duplicate = entry.batches.find((b) => b.firstSeq === baseSequence && b.lastSeq === lastSeq);
    if (duplicate) return { kind: "duplicate", batch: duplicate };
    const last = entry.batches[entry.batches.length - 1];
    const expected = last === undefined ? baseSequence : incrementSequence(last.lastSeq, 1);
    if (baseSequence !== expected) {
      return {
        kind: "error",
        type: "OUT_OF_ORDER_SEQUENCE_NUMBER",
        message: `producer ${producer.producerId} sent sequence ${baseSequence}, expected ${expected}`,
        details: { producerId: producer.producerId, expectedSequence: expected, receivedSequence: baseSequence },
      };
    }
    return { kind: "append" };
  }
  if (baseSequence !== 0) {
    return {
      kind: "error",
      type: "OUT_OF_ORDER_SEQUENCE_NUMBER",
      message: `producer ${producer.producerId} starts epoch ${producerEpoch} at sequence ${baseSequence}; a new epoch starts at 0`,
      details: { producerId: producer.producerId, expectedSequence: 0, receivedSequence: baseSequence },
    };
  }
  return { kind: "append" };
}

/** The entry after appending a batch: a new epoch clears the cache; at most PRODUCER_BATCHES_RETAINED are kept. */
export function recordBatch(entry: ProducerEntry | undefined, producer: ProducerIdentity, recordCount: number, baseOffset: number, logAppendTimeMs: number, nowMs: number): ProducerEntry {
  const keep = entry !== undefined && entry.producerEpoch === producer.producerEpoch && nowMs - entry.lastWriteMs <= PRODUCER_ID_EXPIRATION_MS ? entry.batches : [];
  const batch: CachedBatch = {
    firstSeq: producer.baseSequence,
    lastSeq: incrementSequence(producer.baseSequence, recordCount - 1),
    baseOffset,
    lastOffset: baseOffset + recordCount - 1,
    logAppendTimeMs,
  };
  return { producerEpoch: producer.producerEpoch, batches: [...keep, batch].slice(-PRODUCER_BATCHES_RETAINED), lastWriteMs: nowMs };
}
