// The leader's high watermark (kafka-semantics §5): the smallest log end offset over the in-sync replicas, never
// moving back, and, as Kafka does since KIP-966, not moving at all while fewer than min.insync.replicas are in sync
// (so an acks=1 write is not visible to consumers until enough replicas hold it). A follower whose log end the leader
// has not yet learned (after a leader change) holds the high watermark where it is. Pure.

export function nextHighWatermark(input: {
  current: number;
  leaderId: number;
  leaderEndOffset: number;
  isr: readonly number[];
  /** Replicas being added to the ISR: they already hold the high watermark back (Kafka's "maximal ISR"). */
  joining?: readonly number[];
  followerEndOffsets: ReadonlyMap<number, number | undefined>;
  minInsyncReplicas: number;
}): number {
  if (input.isr.length < input.minInsyncReplicas) return input.current;
  let hw = input.leaderEndOffset;
  for (const id of [...input.isr, ...(input.joining ?? [])]) {
    if (id === input.leaderId) continue;
    const end = input.followerEndOffsets.get(id);
    if (end === undefined) return input.current;
    if (end < hw) hw = end;
  }
  return Math.max(input.current, hw);
}
