// The registry's SQLite tables and every query on them. Schemas are content-addressed and never deleted: an id names
// one (type, references, canonical text) forever, AUTOINCREMENT never reuses an id, and registering the same schema
// again, under any subject, answers the same id. Versions belong to subjects and are soft-deleted (deleted = 1) before
// a permanent delete removes their rows; config rows hold compatibility levels ('' is the global one).
import type { SchemaReference, SchemaType } from "./parsed-schema";

export const REGISTRY_SCHEMA = [
  `CREATE TABLE IF NOT EXISTS schemas (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     schema_type TEXT NOT NULL,
     schema TEXT NOT NULL,
     refs TEXT NOT NULL,
     record_name TEXT,
     identity TEXT NOT NULL UNIQUE)`,
  `CREATE TABLE IF NOT EXISTS versions (
     subject TEXT NOT NULL,
     version INTEGER NOT NULL,
     schema_id INTEGER NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (subject, version))`,
  `CREATE INDEX IF NOT EXISTS versions_by_schema ON versions (schema_id)`,
  `CREATE TABLE IF NOT EXISTS config (subject TEXT PRIMARY KEY, compatibility TEXT NOT NULL)`,
];

export interface StoredSchema {
  id: number;
  schemaType: SchemaType;
  schema: string;
  references: SchemaReference[];
  recordName: string | null;
}

export interface StoredVersion {
  subject: string;
  version: number;
  schemaId: number;
  deleted: boolean;
}

type Row = Record<string, SqlStorageValue>;

function toSchema(row: Row): StoredSchema {
  return { id: row.id as number, schemaType: row.schema_type as SchemaType, schema: row.schema as string, references: JSON.parse(row.refs as string) as SchemaReference[], recordName: row.record_name as string | null };
}

function toVersion(row: Row): StoredVersion {
  return { subject: row.subject as string, version: row.version as number, schemaId: row.schema_id as number, deleted: row.deleted === 1 };
}

export function schemaIdentity(schemaType: SchemaType, canonical: string, references: readonly SchemaReference[]): string {
  return `${schemaType}\n${JSON.stringify(references)}\n${canonical}`;
}

export class RegistryStore {
  constructor(private readonly sql: SqlStorage) {
    for (const statement of REGISTRY_SCHEMA) sql.exec(statement);
  }

  schemaById(id: number): StoredSchema | undefined {
    const row = this.sql.exec("SELECT * FROM schemas WHERE id = ?", id).toArray()[0];
    return row === undefined ? undefined : toSchema(row);
  }

  schemaByIdentity(identity: string): StoredSchema | undefined {
    const row = this.sql.exec("SELECT * FROM schemas WHERE identity = ?", identity).toArray()[0];
    return row === undefined ? undefined : toSchema(row);
  }

  insertSchema(schemaType: SchemaType, canonical: string, references: readonly SchemaReference[], recordName: string | undefined, identity: string): number {
    const row = this.sql
      .exec("INSERT INTO schemas (schema_type, schema, refs, record_name, identity) VALUES (?, ?, ?, ?, ?) RETURNING id", schemaType, canonical, JSON.stringify(references), recordName ?? null, identity)
      .one();
    return row.id as number;
  }

  /** A subject's versions, oldest first; soft-deleted ones only with `deleted`. */
  versions(subject: string, deleted: boolean): StoredVersion[] {
    return this.sql
      .exec(`SELECT * FROM versions WHERE subject = ? ${deleted ? "" : "AND deleted = 0"} ORDER BY version`, subject)
      .toArray()
      .map(toVersion);
  }

  version(subject: string, version: number): StoredVersion | undefined {
    const row = this.sql.exec("SELECT * FROM versions WHERE subject = ? AND version = ?", subject, version).toArray()[0];
    return row === undefined ? undefined : toVersion(row);
  }

  /** The subject's next version number: after every version it ever kept (soft-deleted ones included). */
  nextVersion(subject: string): number {
    return ((this.sql.exec("SELECT MAX(version) AS v FROM versions WHERE subject = ?", subject).one().v as number | null) ?? 0) + 1;
  }

  countVersions(subject: string): number {
    return this.sql.exec("SELECT COUNT(*) AS n FROM versions WHERE subject = ?", subject).one().n as number;
  }

  countSubjects(): number {
    return this.sql.exec("SELECT COUNT(DISTINCT subject) AS n FROM versions").one().n as number;
  }

  insertVersion(subject: string, version: number, schemaId: number): void {
    this.sql.exec("INSERT INTO versions (subject, version, schema_id) VALUES (?, ?, ?)", subject, version, schemaId);
  }

  softDelete(subject: string, version?: number): void {
    if (version === undefined) this.sql.exec("UPDATE versions SET deleted = 1 WHERE subject = ?", subject);
    else this.sql.exec("UPDATE versions SET deleted = 1 WHERE subject = ? AND version = ?", subject, version);
  }

  hardDelete(subject: string, version?: number): void {
    if (version === undefined) {
      this.sql.exec("DELETE FROM versions WHERE subject = ?", subject);
      this.sql.exec("DELETE FROM config WHERE subject = ?", subject);
    } else this.sql.exec("DELETE FROM versions WHERE subject = ? AND version = ?", subject, version);
  }

  subjects(deleted: boolean): string[] {
    return this.sql
      .exec(`SELECT DISTINCT subject FROM versions ${deleted ? "" : "WHERE deleted = 0"} ORDER BY subject`)
      .toArray()
      .map((row) => row.subject as string);
  }

  /** (subject, version) pairs that use a schema id; soft-deleted ones only with `deleted`. */
  versionsOfSchema(id: number, deleted: boolean): StoredVersion[] {
    return this.sql
      .exec(`SELECT * FROM versions WHERE schema_id = ? ${deleted ? "" : "AND deleted = 0"} ORDER BY subject, version`, id)
      .toArray()
      .map(toVersion);
  }

  /** Live versions whose schemas reference (subject, version): they keep it from being deleted. */
  referrers(subject: string, version: number): number[] {
    // refs is JSON of {name, subject, version} objects in that key order (SchemaRegistry.prepare writes them so); LIKE's
    // wildcards in a subject name are escaped.
    const needle = `%${`"subject":${JSON.stringify(subject)},"version":${version}}`.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.sql
      .exec("SELECT DISTINCT s.id FROM schemas s JOIN versions v ON v.schema_id = s.id WHERE v.deleted = 0 AND s.refs LIKE ? ESCAPE '\\'", needle)
      .toArray()
      .map((row) => row.id as number);
  }

  compatibility(subject: string): string | undefined {
    return this.sql.exec("SELECT compatibility FROM config WHERE subject = ?", subject).toArray()[0]?.compatibility as string | undefined;
  }

  setCompatibility(subject: string, level: string): void {
    this.sql.exec("INSERT INTO config (subject, compatibility) VALUES (?, ?) ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility", subject, level);
  }

  deleteCompatibility(subject: string): void {
    this.sql.exec("DELETE FROM config WHERE subject = ?", subject);
  }
}
