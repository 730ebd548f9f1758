// Assignments as data: a member's partitions per topic. Sets are kept as sorted "topic\u0000partition" strings
// internally, and shown as [{topic, partitions}] sorted by topic and partition.
import type { TopicPartitions as TopicPartitionList } from "../log/group-description";

/** [{topic, partitions}] sorted by topic, partitions ascending. */
export type TopicPartitions = TopicPartitionList[];

/** One topic-partition as a string key ("\u0000" cannot appear in a topic name). */
export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function parseTpKey(key: string): [string, number] {
  const i = key.indexOf("\u0000");
  return [key.slice(0, i), Number(key.slice(i + 1))];
}

/** Orders by topic name, then partition number. */
export function compareTp(a: string, b: string): number {
  const [ta, pa] = parseTpKey(a);
  const [tb, pb] = parseTpKey(b);
  return ta < tb ? -1 : ta > tb ? 1 : pa - pb;
}

export function toTopicPartitions(keys: Iterable<string>): TopicPartitions {
  const byTopic = new Map<string, number[]>();
  for (const key of keys) {
    const [topic, partition] = parseTpKey(key);
    let list = byTopic.get(topic);
    if (!list) byTopic.set(topic, (list = []));
    list.push(partition);
  }
  return [...byTopic.keys()].sort().map((topic) => ({ topic, partitions: byTopic.get(topic)!.sort((a, b) => a - b) }));
}

export function fromTopicPartitions(list: TopicPartitions): string[] {
  const keys: string[] = [];
  for (const { topic, partitions } of list) for (const p of partitions) keys.push(tpKey(topic, p));
  return keys.sort(compareTp);
}
