// Schema registry changes, told to the controller (registry/subject-notices.ts) so they reach routers the way a config
// change does: each topic whose produce validation may use the changed subject gets a new metadata version and the
// registry generation of the change, and its replicas are told (notices.ts). A router validates with what it cached
// from the registry only while that was read at a generation no older than the topic's (service/schema-validation.ts),
// and a produce routed with the old version is answered STALE_METADATA: the registry is asked again once per change,
// not on a timer (docs/scale.md). The registry numbers its changes, so a notice retried late, or twice, moves nothing back.
import type { TopicConfig } from "../log/topic-config";
import { validationUsesSubject } from "../registry/subject-name";
import type { Notices } from "./notices";
import type { TopicRow } from "./topic-rows";

export class SchemaChanges {
  constructor(
    private readonly sql: SqlStorage,
    private readonly notices: Notices,
  ) {}

  /** The newest registry generation the controller heard of: a topic created or reconfigured now starts from it. */
  known(): number {
    return this.sql.exec<{ generation: number }>("SELECT generation FROM registry_generation").toArray()[0]?.generation ?? 0;
  }

  /** The registry changed `subject` at `generation`: bumps and announces every topic it concerns; answers how many. */
  async changed(subject: string, generation: number): Promise<number> {
    this.sql.exec(
      "INSERT INTO registry_generation (id, generation) VALUES (0, ?) ON CONFLICT (id) DO UPDATE SET generation = max(generation, excluded.generation)",
      generation,
    );
    // Only topics that validate can be concerned; the config test is in code (a strategy may match any subject).
    const rows = this.sql
      .exec<TopicRow>("SELECT * FROM topics WHERE schema_generation < ? AND (config LIKE '%schema.validation\":\"registry%' OR config LIKE '%schema.validation\":\"json%')", generation)
      .toArray()
      .filter((row) => validationUsesSubject(row.name, JSON.parse(row.config) as TopicConfig, subject));
    const now = Date.now();
    for (const row of rows) {
      this.sql.exec("UPDATE topics SET version = ?, schema_generation = ? WHERE name = ?", row.version + 1, generation, row.name);
      this.notices.record(row.topic_id, row.partition_count, row.replication_factor, row.version + 1);
    }
    // Every bump is recorded before the first notice leaves, so a notice that fails is retried by the alarm.
    for (const row of rows) await this.notices.announce(row.topic_id, row.partition_count, row.replication_factor, row.version + 1, now);
    return rows.length;
  }
}
