// Where a record goes, by Kafka's rules: explicit partition, else murmur2 of the serialized key modulo the
// total partition count, else (no key) the sticky partition chosen for this request.
import { murmur2, toPositive } from "./murmur2";

const utf8 = new TextEncoder();

/** BuiltInPartitioner.partitionForKey: toPositive(murmur2(keyBytes)) % numPartitions. */
export function partitionForKey(keyBytes: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(keyBytes)) % numPartitions;
}

/** The serialized key of a string key is its UTF-8 bytes, as Kafka's StringSerializer makes them. */
export function partitionForStringKey(key: string, numPartitions: number): number {
  return partitionForKey(utf8.encode(key), numPartitions);
}

/** Keyless records of one request stick to one uniformly random partition (KIP-480/794's sticky rule, per request). */
export function stickyPartition(numPartitions: number, random: () => number = Math.random): number {
  return Math.floor(random() * numPartitions) % numPartitions;
}
