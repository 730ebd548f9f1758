// The controller's database upgrades by the one rule in src/schema-version.ts: old-shape databases (golden copies of
// the DDL earlier releases made) are opened by a new Controller and come out at the current version with their rows
// intact and usable; a database at the current version is left alone.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/controller/Controller";
import { CONTROLLER_SCHEMA } from "../../src/controller/schema";
import { recordedVersion } from "../../src/schema-version";
import type { TopicMetadata } from "../../src/protocol";
import type { Result } from "../../src/errors";
import { tokenShardIndex } from "../../src/auth/token-shard-index";
import { tokenShardStub } from "../../src/names";

/** Version 1 (before replication), as released: no placement, no replication factor on pending drops, no leadership. */
const V1_DDL = `
CREATE TABLE topics (name TEXT PRIMARY KEY, collision_key TEXT NOT NULL UNIQUE, topic_id TEXT NOT NULL UNIQUE,
  partition_count INTEGER NOT NULL, replication_factor INTEGER NOT NULL, config TEXT NOT NULL, version INTEGER NOT NULL,
  created_ms INTEGER NOT NULL);
CREATE TABLE groups (group_id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL);
CREATE TABLE producers (producer_id INTEGER PRIMARY KEY AUTOINCREMENT, producer_epoch INTEGER NOT NULL, updated_ms INTEGER NOT NULL);
CREATE TABLE tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, sha256 TEXT NOT NULL UNIQUE, acls TEXT NOT NULL,
  quotas TEXT NOT NULL, created_ms INTEGER NOT NULL);
CREATE TABLE pending_drops (topic_id TEXT PRIMARY KEY, partition_count INTEGER NOT NULL, deleted_ms INTEGER NOT NULL);
`;

/** Version 2 as the controller made it before it recorded versions (it added the replication columns on start). */
const V2_UNVERSIONED_DDL = V1_DDL.replace("created_ms INTEGER NOT NULL);\nCREATE TABLE groups", "created_ms INTEGER NOT NULL, placement TEXT NOT NULL DEFAULT '[]');\nCREATE TABLE groups").concat(
  "ALTER TABLE pending_drops ADD COLUMN replication_factor INTEGER NOT NULL DEFAULT 1;",
);

const CONFIG = JSON.stringify({ "cleanup.policy": "delete" });

interface Opened {
  version: number | undefined;
  columns: Record<string, string[]>;
  topic: Result<TopicMetadata>;
  drops: unknown[];
  producer: unknown;
}

/** Gives a fresh controller object's storage the tables `ddl` makes (with a topic, a producer and a pending drop),
 *  then opens it with a new Controller, as a deploy of this code would. */
async function openOldDatabase(ddl: string | undefined): Promise<Opened> {
  const stub = env.CONTROLLER.get(env.CONTROLLER.newUniqueId());
  return runInDurableObject(stub, (_instance: Controller, state) => {
    const sql = state.storage.sql;
    // The instance runInDurableObject made already created today's tables: start from an empty database instead.
    const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
    for (const { name } of tables) sql.exec(`DROP TABLE ${name}`);
    if (ddl !== undefined) {
      sql.exec(ddl);
      sql.exec("INSERT INTO topics (name, collision_key, topic_id, partition_count, replication_factor, config, version, created_ms) VALUES ('old', 'old', 'id-old', 3, 1, ?, 4, 1000)", CONFIG);
      sql.exec("INSERT INTO producers (producer_epoch, updated_ms) VALUES (2, 1000)");
      sql.exec("INSERT INTO pending_drops (topic_id, partition_count, deleted_ms) VALUES ('id-gone', 2, 1000)");
    }
    const controller = new Controller(state, env);
    new Controller(state, env); // opened again (the next restart): nothing left to do
    const columns: Record<string, string[]> = {};
    for (const table of ["topics", "pending_drops"]) {
      columns[table] = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('${table}') ORDER BY cid`).toArray().map((c) => c.name);
    }
    return {
      version: recordedVersion(sql),
      columns,
      topic: controller.getTopic("old"),
      drops: sql.exec("SELECT topic_id, partition_count, replication_factor FROM pending_drops").toArray(),
      producer: ddl === undefined ? undefined : controller.initProducer(1),
    };
  });
}

describe("controller schema versions", () => {
  it("upgrades a version-1 database: the replication columns are added with their defaults, every row kept", async () => {
    const opened = await openOldDatabase(V1_DDL);
    expect(opened.version).toBe(CONTROLLER_SCHEMA.version);
    expect(opened.columns.topics).toContain("placement");
    expect(opened.columns.pending_drops).toContain("replication_factor");
    expect(opened.topic).toEqual({
      ok: true,
      value: { name: "old", topicId: "id-old", partitionCount: 3, replicationFactor: 1, placement: [], config: JSON.parse(CONFIG), version: 4, createdMs: 1000 },
    });
    expect(opened.drops).toEqual([{ topic_id: "id-gone", partition_count: 2, replication_factor: 1 }]);
    // The producer id issued before the upgrade is still known: its next epoch is 3.
    expect(opened.producer).toEqual({ ok: true, value: { producerId: 1, producerEpoch: 3 } });
  });

  it("records the version of a database made before versions were recorded, without migrating it again", async () => {
    const opened = await openOldDatabase(V2_UNVERSIONED_DDL);
    expect(opened.version).toBe(CONTROLLER_SCHEMA.version);
    expect(opened.columns.topics?.filter((c) => c === "placement")).toHaveLength(1);
    expect(opened.topic).toMatchObject({ ok: true, value: { name: "old", placement: [], version: 4 } });
    expect(opened.drops).toEqual([{ topic_id: "id-gone", partition_count: 2, replication_factor: 1 }]);
  });

  it("copies the tokens of a database from before token shards to their shards, from the alarm it sets on start", async () => {
    const stub = env.CONTROLLER.get(env.CONTROLLER.newUniqueId());
    const sha256 = `${crypto.randomUUID().replaceAll("-", "")}${"ab".repeat(16)}`;
    const acls = [{ resource: "cluster", name: "cluster", patternType: "literal", operations: ["read"] }];
    const pending = await runInDurableObject(stub, async (_instance: Controller, state) => {
      const sql = state.storage.sql;
      const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").toArray();
      for (const { name } of tables) sql.exec(`DROP TABLE ${name}`);
      sql.exec(V1_DDL);
      sql.exec("INSERT INTO tokens (id, name, sha256, acls, quotas, created_ms) VALUES ('old-id', 'old-token', ?, ?, '{}', 1000)", sha256, JSON.stringify(acls));
      await state.storage.deleteAlarm();
      new Controller(state, env);
      return { copies: sql.exec("SELECT sha256 FROM pending_token_copies").toArray(), alarm: await state.storage.getAlarm() };
    });
    expect(pending.copies).toEqual([{ sha256 }]);
    expect(pending.alarm).not.toBeNull();
    await runDurableObjectAlarm(stub);
    expect(await tokenShardStub(env, tokenShardIndex(sha256)).lookup(sha256)).toEqual({ id: "old-id", name: "old-token", sha256, acls, quotas: {}, createdMs: 1000 });
    expect(await runInDurableObject(stub, (_i: Controller, state) => state.storage.sql.exec("SELECT sha256 FROM pending_token_copies").toArray())).toEqual([]);
  });

  it("creates a new database at the current version", async () => {
    const opened = await openOldDatabase(undefined);
    expect(opened.version).toBe(CONTROLLER_SCHEMA.version);
    expect(opened.columns.topics).toContain("placement");
    expect(opened.topic).toMatchObject({ ok: false, error: { type: "UNKNOWN_TOPIC_OR_PARTITION" } });
  });
});
