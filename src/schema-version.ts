// One rule for upgrading an object's SQLite database: the version lives in a table (schema_version, one row), since
// Durable Objects do not support PRAGMA user_version. A database behind the code runs each migration past its version,
// in order, then the schema's CREATE ... IF NOT EXISTS (tables new in later versions), and records the new version; no
// await between them, so they commit together and a failure leaves the database at its old version. A database at the
// code's version (or a newer one, after a rollback) is left alone.
import { assert } from "./errors";

export interface VersionedSchema {
  version: number;
  /** Every table in its current shape, each `CREATE TABLE IF NOT EXISTS`, schema_version included. */
  ddl: string;
  /** migrations[v]: the statements that bring a version v - 1 database to version v. */
  migrations: Readonly<Record<number, string>>;
}

/** The recorded version; undefined for a database without one (new, or made before it recorded versions). */
export function recordedVersion(sql: SqlStorage): number | undefined {
  const table = sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").toArray().length > 0;
  return table ? sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0]?.version : undefined;
}

/**
 * Creates or upgrades the database to schema.version. `unversioned` tells the version of a database that records none
 * (one made before its object recorded versions), or undefined for a new database.
 */
export function upgradeSchema(sql: SqlStorage, schema: VersionedSchema, unversioned: () => number | undefined = () => undefined): void {
  const recorded = recordedVersion(sql);
  if (recorded !== undefined && recorded >= schema.version) return;
  const from = recorded ?? unversioned() ?? schema.version;
  for (let v = from + 1; v <= schema.version; v++) {
    const statements = schema.migrations[v];
    assert(statements !== undefined, `no migration to schema version ${v}`);
    sql.exec(statements);
  }
  sql.exec(schema.ddl);
  if (recorded === undefined) sql.exec("INSERT INTO schema_version (version) VALUES (?)", schema.version);
  else sql.exec("UPDATE schema_version SET version = ?", schema.version);
}
