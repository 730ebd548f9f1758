// What a consumer hands to its handlers: fetched records with their topic and partition, and a page of them.
import type { FetchedRecord } from "../log/batch";

export interface ConsumedRecord extends FetchedRecord {
  topic: string;
  partition: number;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  /** The partition's high watermark when the page was fetched: lag = highWatermark - (last offset + 1). */
  highWatermark: number;
  /** Consecutive records, in offset order. */
  records: ConsumedRecord[];
}

/**
 * The fetched record itself, given its topic and partition. Not a copy: a record of a binary fetch builds its strings
 * on first read (log/record-frame.ts), and a spread would read them all.
 */
export function asConsumed(record: FetchedRecord, topic: string, partition: number): ConsumedRecord {
  return Object.assign(record, { topic, partition });
}
