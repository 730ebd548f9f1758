// A consumer group's state machine (group-state.ts) in its coordinator's SQLite: loaded once per instance, and written
// after each call with what the call changed (the group row, changed members, removed members).
import type { Env } from "../env";
import type { Result } from "../errors";
import { DEFAULT_REBALANCE_TIMEOUT_MS, DEFAULT_SESSION_TIMEOUT_MS, MAX_MEMBERS_PER_GROUP } from "../limits";
import { controllerStub } from "../names";
import { settings } from "../settings";
import type { GroupState, GroupData, Member } from "./group-state";

/** The state machine's settings: the limits and this deployment's heartbeat interval. */
export function groupSettings(env: Env) {
  return {
    defaultSessionTimeoutMs: DEFAULT_SESSION_TIMEOUT_MS,
    defaultRebalanceTimeoutMs: DEFAULT_REBALANCE_TIMEOUT_MS,
    heartbeatIntervalMs: settings(env).groupHeartbeatIntervalMs,
    maxMembers: MAX_MEMBERS_PER_GROUP,
  };
}

/** The stored group and its members; undefined when no group was ever created here. Tables are made when the group
 *  is created, not here: asking about a group that does not exist must not leave storage behind. */
export function loadGroup(sql: SqlStorage, nowMs: number): { data: GroupData; members: Map<string, Member> } | undefined {
  const exists = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'group_state'").toArray().length > 0;
  const row = exists ? sql.exec<{ data: string }>("SELECT data FROM group_state WHERE id = 0").toArray()[0] : undefined;
  if (!row) return undefined;
  const members = new Map<string, Member>();
  // Heartbeat times are not written (a heartbeat writes nothing unless something changed): every member loaded here
  // gets a fresh session from now, as a Kafka coordinator gives them when it takes a group over.
  for (const m of sql.exec<{ data: string }>("SELECT data FROM members")) {
    const member = JSON.parse(m.data) as Member;
    members.set(member.memberId, { ...member, lastHeartbeatMs: nowMs });
  }
  return { data: JSON.parse(row.data) as GroupData, members };
}

/** Writes what the state machine changed, with no await in between: one atomic implicit transaction. */
export function persistGroup(sql: SqlStorage, g: GroupState): void {
  if (g.groupDirty) sql.exec("INSERT OR REPLACE INTO group_state (id, data) VALUES (0, ?)", JSON.stringify(g.group));
  for (const id of g.dirtyMembers) {
    const m = g.members.get(id);
    if (m) sql.exec("INSERT OR REPLACE INTO members (member_id, data) VALUES (?, ?)", id, JSON.stringify(m));
  }
  for (const id of g.removedMembers) sql.exec("DELETE FROM members WHERE member_id = ?", id);
  g.groupDirty = false;
  g.dirtyMembers.clear();
  g.removedMembers.clear();
}

/** Registers a group with the controller before it is created here: a group the registry does not list would be
 *  invisible to GET /v1/groups. A subscription's home names its topics (the controller tells it of their changes). */
export async function registerGroup(env: Env, groupId: string, subscriptionTopics?: string[]): Promise<Result<void>> {
  const controller = controllerStub(env);
  return (await (subscriptionTopics === undefined ? controller.registerGroup(groupId) : controller.registerGroup(groupId, "subscription", subscriptionTopics))) as Result<void>;
}
