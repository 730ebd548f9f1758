// Which group coordinators read which topics (table topic_watches), so the controller tells them when one is created,
// gains partitions or is deleted instead of each coordinator re-reading its topics on a timer (issue 23: 10,000
// groups polling every 30 s would be 333 controller requests a second, none finding anything new). A coordinator's
// set is recorded by the read it makes anyway (topicSnapshots with its group id); a notice that could not be delivered
// waits in pending_topic_notices and is retried from the controller's alarm, so no change is lost to a failed call.
export class TopicWatches {
  constructor(private readonly sql: SqlStorage) {}

  /** `groupId` now reads exactly these topics. */
  watch(groupId: string, topics: readonly string[]): void {
    const known = this.sql.exec<{ topic: string }>("SELECT topic FROM topic_watches WHERE group_id = ? ORDER BY topic", groupId).toArray().map((r) => r.topic);
    const wanted = [...new Set(topics)].sort();
    if (known.length === wanted.length && known.every((t, i) => t === wanted[i])) return; // no write when nothing moved
    this.sql.exec("DELETE FROM topic_watches WHERE group_id = ?", groupId);
    for (const topic of wanted) this.sql.exec("INSERT INTO topic_watches (topic, group_id) VALUES (?, ?)", topic, groupId);
  }

  /** The group is deleted: it reads nothing, and no notice is owed to it. */
  unwatch(groupId: string): void {
    this.sql.exec("DELETE FROM topic_watches WHERE group_id = ?", groupId);
    this.sql.exec("DELETE FROM pending_topic_notices WHERE group_id = ?", groupId);
  }

  /** Records that the watchers of `topic` must be told, and answers them. */
  changed(topic: string, also: readonly string[] = []): string[] {
    const watching = this.sql.exec<{ group_id: string }>("SELECT group_id FROM topic_watches WHERE topic = ? ORDER BY group_id", topic).toArray().map((r) => r.group_id);
    const groups = [...new Set([...watching, ...also])];
    for (const g of groups) this.sql.exec("INSERT OR IGNORE INTO pending_topic_notices (group_id) VALUES (?)", g);
    return groups;
  }

  /** Groups still owed a notice (the alarm retries them). */
  pending(): string[] {
    return this.sql.exec<{ group_id: string }>("SELECT group_id FROM pending_topic_notices ORDER BY group_id").toArray().map((r) => r.group_id);
  }

  delivered(groupId: string): void {
    this.sql.exec("DELETE FROM pending_topic_notices WHERE group_id = ?", groupId);
  }
}
