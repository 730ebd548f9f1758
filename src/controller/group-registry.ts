// The controller's registry of groups (table `groups`, controller/schema.ts), so they can be listed: each group's id,
// its kind ("consumer", "subscription": a group edgelog itself consumes for, src/subscription/, or "share": a share
// group, src/share/, since one group id names one type of group as in Kafka), and for a
// subscription its topics, so the controller can tell it when one of them gains partitions. At most MAX_GROUPS.
import { fail, ok, type Result } from "../errors";
import { MAX_GROUPS } from "../limits";

export type GroupKind = "consumer" | "subscription" | "share";

const KIND_NAMES: Record<string, string> = { consumer: "consumer group", subscription: "subscription", share: "share group" };

export class GroupRegistry {
  constructor(private readonly sql: SqlStorage) {}

  /** Registers a group (idempotent for its kind; a subscription's topics are recorded anew). A name already taken by
   *  the other kind is refused: a consumer group's offsets are not a subscription's, nor the reverse. */
  register(groupId: string, kind: GroupKind, topics: readonly string[], nowMs: number): Result<void> {
    const row = this.sql.exec<{ kind: string }>("SELECT kind FROM groups WHERE group_id = ?", groupId).toArray()[0];
    if (row !== undefined && row.kind !== kind) {
      return fail("INCONSISTENT_GROUP_PROTOCOL", `'${groupId}' is a ${KIND_NAMES[row.kind] ?? row.kind}; a ${KIND_NAMES[kind]} needs a name of its own`, {
        groupId,
        kind: row.kind,
      });
    }
    if (row !== undefined) {
      if (kind === "subscription") this.sql.exec("UPDATE groups SET topics = ? WHERE group_id = ?", JSON.stringify(topics), groupId);
      return ok(undefined);
    }
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM groups").one().n;
    if (count >= MAX_GROUPS) return fail("POLICY_VIOLATION", `this deployment already has ${count} groups, the maximum is ${MAX_GROUPS}`, { maxGroups: MAX_GROUPS });
    this.sql.exec("INSERT INTO groups (group_id, created_ms, kind, topics) VALUES (?, ?, ?, ?)", groupId, nowMs, kind, JSON.stringify(topics));
    return ok(undefined);
  }

  unregister(groupId: string): void {
    this.sql.exec("DELETE FROM groups WHERE group_id = ?", groupId);
  }

  list(kind?: GroupKind): string[] {
    const rows = kind === undefined ? this.sql.exec<{ group_id: string }>("SELECT group_id FROM groups ORDER BY group_id") : this.sql.exec<{ group_id: string }>("SELECT group_id FROM groups WHERE kind = ? ORDER BY group_id", kind);
    return rows.toArray().map((r) => r.group_id);
  }

  /** The subscriptions that deliver `topic`. */
  subscriptionsOf(topic: string): string[] {
    return this.sql
      .exec<{ group_id: string }>("SELECT DISTINCT group_id FROM groups, json_each(groups.topics) WHERE kind = 'subscription' AND json_each.value = ?", topic)
      .toArray()
      .map((r) => r.group_id);
  }
}
