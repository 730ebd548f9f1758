// A share group's home in its group's coordinator (Kafka keeps share groups on the group coordinator too): its config,
// its generation (a group deleted and created again gets a higher one, so the share-partitions of the old group start
// over), and the list of its share-partitions, which attach themselves the first time they are polled. It is never on
// the poll path: routers cache the config and call the share-partitions directly. A config change bumps configVersion
// and is told to every attached share-partition before the change is answered; a share-partition answers a call made
// with an older version STALE_SHARE_GROUP carrying the new config, so routers refresh from it and never poll this
// coordinator on a timer (SHARE_GROUP_CONFIG_CACHE_MS is a long safety net). One
// group id is one type of group: the controller's registry refuses a share group named after a consumer group or a
// subscription, and the reverse.
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import { mapBounded } from "../concurrency";
import { PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { controllerStub, sharePartitionStub } from "../names";
import type { ShareGroupConfig, StoredShareGroup } from "../share-protocol";

const SCHEMA = "CREATE TABLE IF NOT EXISTS share_group (id INTEGER PRIMARY KEY CHECK (id = 0), data TEXT NOT NULL)";

export type ShareHomeRequest =
  | { op: "get" }
  /** Create (mustExist false) or replace the config; `mustExist` for PATCH. */
  | { op: "put"; config: ShareGroupConfig; mustExist: boolean }
  | { op: "delete" }
  /** A share-partition's first call: is the group (of this generation) still there? Records the partition. */
  | { op: "attach"; topic: string; topicId: string; partition: number; generation: number };

export class ShareHome {
  private stored: StoredShareGroup | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
  ) {
    const table = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'share_group'").toArray().length > 0;
    const row = table ? sql.exec<{ data: string }>("SELECT data FROM share_group WHERE id = 0").toArray()[0] : undefined;
    this.stored = row ? (JSON.parse(row.data) as StoredShareGroup) : undefined;
  }

  get current(): StoredShareGroup | undefined {
    return this.stored;
  }

  /** `otherKind`: this group id is already a consumer group's or a subscription's in this coordinator. */
  async handle(groupId: string, request: ShareHomeRequest, nowMs: number, otherKind: string | undefined): Promise<Result<StoredShareGroup>> {
    const s = this.stored;
    const missing = () => fail<StoredShareGroup>("GROUP_ID_NOT_FOUND", `share group '${groupId}' does not exist: create it with PUT /v1/share-groups/${groupId}`, { groupId });
    switch (request.op) {
      case "get":
        return s === undefined ? missing() : ok(s);
      case "put": {
        if (s === undefined && request.mustExist) return missing();
        if (s === undefined) {
          if (otherKind !== undefined) return fail("INCONSISTENT_GROUP_PROTOCOL", `'${groupId}' is a ${otherKind}; a share group needs a name of its own`, { groupId, kind: otherKind });
          const registered = (await controllerStub(this.env).registerGroup(groupId, "share")) as Result<void>;
          if (!registered.ok) return registered;
          if (this.stored !== undefined) return this.handle(groupId, request, nowMs, otherKind); // created meanwhile
          // Higher than any generation of an earlier incarnation (made from the clock, and never below one).
          return ok(this.save({ config: request.config, generation: nowMs, configVersion: 1, createdMs: nowMs, partitions: [] }));
        }
        const saved = this.save({ ...s, config: request.config, configVersion: (s.configVersion ?? 0) + 1 });
        await this.tellPartitions(groupId, saved);
        return ok(saved);
      }
      case "delete": {
        if (s === undefined) return missing();
        // The share-partitions first (their leases and in-flight records go), then the group and its registry entry.
        await mapBounded(s.partitions.length, PARTITION_FANOUT_CONCURRENCY, (i) => {
          const p = s.partitions[i]!;
          return sharePartitionStub(this.env, groupId, p.topicId, p.partition).remove();
        });
        await controllerStub(this.env).unregisterGroup(groupId);
        this.sql.exec("DROP TABLE IF EXISTS share_group");
        this.stored = undefined;
        return ok(s);
      }
      case "attach": {
        if (s === undefined) return missing();
        if (request.generation !== s.generation) return fail("STALE_SHARE_GROUP", `share group '${groupId}' was created again (generation ${s.generation})`, { generation: s.generation });
        const { topic, topicId, partition } = request;
        if (s.partitions.some((p) => p.topicId === topicId && p.partition === partition)) return ok(s);
        return ok(this.save({ ...s, partitions: [...s.partitions.filter((p) => p.topic !== topic || p.topicId === topicId), { topic, topicId, partition }] }));
      }
    }
  }

  /** Tells each attached share-partition the new config. One it cannot reach keeps the old config until a router
   *  that read the new one calls it (the call's newer configVersion wins) or routers' safety net re-reads it. */
  private async tellPartitions(groupId: string, s: StoredShareGroup): Promise<void> {
    await mapBounded(s.partitions.length, PARTITION_FANOUT_CONCURRENCY, async (i) => {
      const p = s.partitions[i]!;
      try {
        await sharePartitionStub(this.env, groupId, p.topicId, p.partition).configure(s.generation, s.configVersion ?? 0, s.config);
      } catch (error) {
        console.warn(`share group ${groupId}: share-partition ${p.topic}/${p.partition} not told of config version ${s.configVersion}: ${String(error)}`);
      }
    });
  }

  private save(s: StoredShareGroup): StoredShareGroup {
    this.sql.exec(SCHEMA);
    this.sql.exec("INSERT OR REPLACE INTO share_group (id, data) VALUES (0, ?)", JSON.stringify(s));
    this.stored = s;
    return s;
  }
}
