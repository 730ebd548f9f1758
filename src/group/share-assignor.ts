// KIP-932's simple assignor for share groups, as a pure function: every partition of a subscribed topic goes to at
// least one of its subscribers; with more subscribers than partitions a partition is shared by several of them (a share
// group may: each record is still leased to one member at a time). Balanced: per topic, subscribers' counts differ by
// at most one. Deterministic: the same members, subscriptions and partition counts always give the same assignment, so
// the coordinator recomputes it on load instead of storing it. It is not sticky (Kafka's SimpleAssignor tries to be):
// a share group has no revocation (leases are acknowledged by lease id, whoever holds the partition now), so a moved
// partition costs nothing but the next poll asking another share-partition.

export interface ShareSubscriber {
  memberId: string;
  subscribedTopicNames: string[];
}

/** Per member: topic → its partitions, ascending. Members subscribed to nothing that exists get an empty map. */
export type ShareAssignment = Map<string, Map<string, number[]>>;

export function assignShare(members: readonly ShareSubscriber[], partitionCounts: Readonly<Record<string, number>>): ShareAssignment {
  const out: ShareAssignment = new Map();
  const ordered = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  for (const m of ordered) out.set(m.memberId, new Map());
  const topics = [...new Set(ordered.flatMap((m) => m.subscribedTopicNames))].sort();
  // A rotating start across topics, so that members who get one partition fewer on one topic are not the same ones on
  // every topic: balance over the whole subscription, not only per topic.
  let rotation = 0;
  for (const topic of topics) {
    const count = partitionCounts[topic] ?? 0;
    if (count <= 0) continue;
    const subscribers = ordered.filter((m) => m.subscribedTopicNames.includes(topic));
    const n = subscribers.length;
    const at = (i: number) => subscribers[(i + rotation) % n]!;
    const give = (member: ShareSubscriber, partition: number) => {
      const topicsOf = out.get(member.memberId)!;
      if (!topicsOf.has(topic)) topicsOf.set(topic, []);
      topicsOf.get(topic)!.push(partition);
    };
    if (n <= count) {
      // Partitions dealt round-robin: counts differ by at most one.
      for (let p = 0; p < count; p++) give(at(p % n), p);
    } else {
      // More subscribers than partitions: each subscriber gets one partition, partition i goes to subscribers i, i +
      // count, …: every partition is shared by floor(n / count) or that plus one.
      for (let i = 0; i < n; i++) give(at(i), i % count);
    }
    for (const m of subscribers) out.get(m.memberId)!.get(topic)?.sort((a, b) => a - b);
    rotation = (rotation + count) % n;
  }
  return out;
}

/** An assignment as the API shows it: [{topic, partitions}], topics in name order. */
export function topicPartitionsOf(assigned: Map<string, number[]> | undefined): { topic: string; partitions: number[] }[] {
  if (assigned === undefined) return [];
  return [...assigned.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([topic, partitions]) => ({ topic, partitions }));
}
