// SchemaRegistry: the Durable Object holding edgelog's Confluent-compatible schema registry (names.ts: one per
// deployment). It owns global schema ids (never reused; the same schema always gets the same id), subjects' versions
// with soft and permanent deletes, and compatibility config; it checks compatibility (compatibility.ts) before a
// version is added. Every decision reads and writes SQLite in one turn, so concurrent registrations are serialized.
// Public methods are the RPC surface and return RegistryResult<T> (Confluent's errors, registry-error.ts).
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { MAX_CACHED_SCHEMAS, MAX_SCHEMA_BYTES, MAX_SCHEMA_REFERENCE_DEPTH, MAX_SCHEMA_REFERENCES, MAX_SUBJECTS, MAX_VERSIONS_PER_SUBJECT } from "../limits";
import { checkCompatibility, DEFAULT_COMPATIBILITY, isCompatibilityLevel, type CompatibilityLevel } from "./compatibility";
import { InvalidSchemaError, parseSchema, type ParsedSchema, type ResolvedReference, type SchemaReference, type SchemaType } from "./parsed-schema";
import { registryFail, registryOk, type RegistryResult } from "./registry-error";
import { RegistryStore, schemaIdentity, type StoredSchema, type StoredVersion } from "./registry-store";
import { SubjectNotices, SUBJECT_NOTICE_RETRY_MS } from "./subject-notices";

/** A schema as a request carries it (already shape-checked by the HTTP layer). */
export interface SchemaInput {
  schema: string;
  schemaType: SchemaType;
  references: SchemaReference[];
}

export interface SchemaVersion {
  subject: string;
  id: number;
  version: number;
  schema: string;
  schemaType: SchemaType;
  references: SchemaReference[];
}

/** What produce validation needs: a schema with its references resolved, dependencies first. */
export interface ValidationSchema {
  id: number;
  version: number;
  schemaType: SchemaType;
  schema: string;
  references: ResolvedReference[];
}

/** "latest" is -1, as Confluent reads it. */
export type VersionRef = number;

export class SchemaRegistry extends DurableObject<Env> {
  private readonly store: RegistryStore;
  /** Parsed schemas by id (at most MAX_CACHED_SCHEMAS): schemas never change, so this cache is never stale. */
  private readonly parsed = new Map<number, ParsedSchema>();
  private readonly notices: SubjectNotices;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new RegistryStore(ctx.storage.sql);
    this.notices = new SubjectNotices(ctx.storage.sql, env, ctx.storage);
  }

  /** Tells the controller of changes it could not be told at once (subject-notices.ts). */
  override async alarm(): Promise<void> {
    const left = await this.notices.retry();
    if (left > 0) await this.ctx.storage.setAlarm(Date.now() + SUBJECT_NOTICE_RETRY_MS);
  }

  /** Numbers a change to `subject` (in the caller's turn, so it commits with the change) and tells the controller,
   *  which tells the topics validating against it, before the change is answered. */
  private async changed<T>(subject: string, answer: RegistryResult<T>): Promise<RegistryResult<T>> {
    if (!answer.ok) return answer;
    await this.notices.tell(subject, this.notices.changed(subject));
    return answer;
  }

  /** POST /subjects/{subject}/versions: the id of the schema under the subject, registering a version if new. */
  async register(subject: string, input: SchemaInput): Promise<RegistryResult<{ id: number; version: number }>> {
    const candidate = this.prepare(input);
    if (!candidate.ok) return candidate;
    const { parsed, identity, references } = candidate.value;
    const existing = this.store.schemaByIdentity(identity);
    const live = this.store.versions(subject, false);
    if (existing !== undefined) {
      const same = live.find((v) => v.schemaId === existing.id);
      if (same !== undefined) return registryOk({ id: existing.id, version: same.version });
    }
    if (live.length === 0 && this.store.countVersions(subject) === 0 && this.store.countSubjects() >= MAX_SUBJECTS) {
      return registryFail("LIMIT_EXCEEDED", `the registry holds ${MAX_SUBJECTS} subjects, its maximum`);
    }
    if (this.store.countVersions(subject) >= MAX_VERSIONS_PER_SUBJECT) {
      return registryFail("LIMIT_EXCEEDED", `subject '${subject}' has ${MAX_VERSIONS_PER_SUBJECT} versions, its maximum; delete some permanently first`);
    }
    const problems = checkCompatibility(this.level(subject), parsed, this.previous(live));
    if (problems.length > 0) {
      return registryFail("INCOMPATIBLE_SCHEMA", `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${problems.join("; ")}]`);
    }
    const id = existing?.id ?? this.store.insertSchema(parsed.schemaType, parsed.canonical, references, parsed.recordName, identity);
    const version = this.store.nextVersion(subject);
    this.store.insertVersion(subject, version, id);
    return await this.changed(subject, registryOk({ id, version }));
  }

  /** POST /subjects/{subject}: the version of the subject holding this schema. */
  lookup(subject: string, input: SchemaInput, deleted: boolean): RegistryResult<SchemaVersion> {
    const versions = this.store.versions(subject, deleted);
    if (versions.length === 0) return registryFail("SUBJECT_NOT_FOUND", `Subject '${subject}' not found.`);
    const candidate = this.prepare(input);
    if (!candidate.ok) return candidate;
    const existing = this.store.schemaByIdentity(candidate.value.identity);
    const match = existing === undefined ? undefined : versions.findLast((v) => v.schemaId === existing.id);
    if (match === undefined) return registryFail("SCHEMA_NOT_FOUND", "Schema not found");
    return registryOk(this.describe(match));
  }

  subjects(deleted: boolean): string[] {
    return this.store.subjects(deleted);
  }

  versions(subject: string, deleted: boolean): RegistryResult<number[]> {
    const versions = this.store.versions(subject, deleted);
    if (versions.length === 0) return registryFail("SUBJECT_NOT_FOUND", `Subject '${subject}' not found.`);
    return registryOk(versions.map((v) => v.version));
  }

  getVersion(subject: string, version: VersionRef, deleted: boolean): RegistryResult<SchemaVersion> {
    const found = this.findVersion(subject, version, deleted);
    return found.ok ? registryOk(this.describe(found.value)) : found;
  }

  schemaById(id: number): RegistryResult<StoredSchema> {
    const schema = this.store.schemaById(id);
    return schema === undefined ? registryFail("SCHEMA_NOT_FOUND", "Schema not found") : registryOk(schema);
  }

  schemaVersions(id: number, deleted: boolean): RegistryResult<{ subject: string; version: number }[]> {
    if (this.store.schemaById(id) === undefined) return registryFail("SCHEMA_NOT_FOUND", "Schema not found");
    return registryOk(this.store.versionsOfSchema(id, deleted).map((v) => ({ subject: v.subject, version: v.version })));
  }

  /** DELETE /subjects/{subject}: soft first, then (permanent) remove the rows; answers the versions deleted. */
  async deleteSubject(subject: string, permanent: boolean): Promise<RegistryResult<number[]>> {
    const all = this.store.versions(subject, true);
    if (all.length === 0) return registryFail("SUBJECT_NOT_FOUND", `Subject '${subject}' not found.`);
    const live = all.filter((v) => !v.deleted);
    if (permanent && live.length > 0) return registryFail("SUBJECT_NOT_SOFT_DELETED", `Subject '${subject}' was not deleted first before being permanently deleted`);
    if (!permanent && live.length === 0) return registryFail("SUBJECT_SOFT_DELETED", `Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`);
    for (const v of live) {
      const referrers = this.store.referrers(subject, v.version);
      if (referrers.length > 0) return registryFail("REFERENCE_EXISTS", `One or more references exist to the schema {subject=${subject},version=${v.version}}: schema ids ${referrers.join(", ")}`);
    }
    if (permanent) this.store.hardDelete(subject);
    else this.store.softDelete(subject);
    // A permanent delete removes what a soft delete already took out of validation: nothing to tell.
    const answer = registryOk((permanent ? all : live).map((v) => v.version));
    return permanent ? answer : await this.changed(subject, answer);
  }

  /** DELETE /subjects/{subject}/versions/{version}. */
  async deleteVersion(subject: string, version: VersionRef, permanent: boolean): Promise<RegistryResult<number>> {
    // A numbered version is found soft-deleted or not, so deleting it twice is 40406, not 40402; "latest" is the live one.
    const found = this.findVersion(subject, version, permanent || version !== -1);
    if (!found.ok) return found;
    const v = found.value;
    if (permanent && !v.deleted) return registryFail("SCHEMA_VERSION_NOT_SOFT_DELETED", `Subject '${subject}' Version ${v.version} was not deleted first before being permanently deleted`);
    if (!permanent && v.deleted) return registryFail("SCHEMA_VERSION_SOFT_DELETED", `Subject '${subject}' Version ${v.version} was soft deleted. Set permanent=true to delete permanently`);
    const referrers = this.store.referrers(subject, v.version);
    if (!permanent && referrers.length > 0) return registryFail("REFERENCE_EXISTS", `One or more references exist to the schema {subject=${subject},version=${v.version}}: schema ids ${referrers.join(", ")}`);
    if (permanent) this.store.hardDelete(subject, v.version);
    else this.store.softDelete(subject, v.version);
    return permanent ? registryOk(v.version) : await this.changed(subject, registryOk(v.version));
  }

  /** GET /config[/{subject}]: the subject's own level (40408 if none, unless defaultToGlobal), or the global one. */
  getCompatibility(subject: string | undefined, defaultToGlobal: boolean): RegistryResult<CompatibilityLevel> {
    if (subject === undefined) return registryOk(this.level(undefined));
    const own = this.store.compatibility(subject);
    if (own !== undefined) return registryOk(own as CompatibilityLevel);
    if (defaultToGlobal) return registryOk(this.level(undefined));
    return registryFail("SUBJECT_COMPATIBILITY_NOT_CONFIGURED", `Subject '${subject}' does not have subject-level compatibility configured`);
  }

  setCompatibility(subject: string | undefined, level: string): RegistryResult<CompatibilityLevel> {
    if (!isCompatibilityLevel(level)) return registryFail("INVALID_COMPATIBILITY_LEVEL", `Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`);
    this.store.setCompatibility(subject ?? "", level);
    return registryOk(level);
  }

  /** POST /compatibility/subjects/{subject}/versions/{version}: the candidate against that version (or, for latest
   *  under a transitive level, against all), by the subject's level. */
  testCompatibility(subject: string, version: VersionRef, input: SchemaInput): RegistryResult<{ compatible: boolean; messages: string[] }> {
    const live = this.store.versions(subject, false);
    // As Confluent: "latest" of a subject with no versions is compatible (nothing to break); a numbered one must exist.
    const found = version === -1 && live.length === 0 ? undefined : this.findVersion(subject, version, false);
    if (found !== undefined && !found.ok) return found;
    const candidate = this.prepare(input);
    if (!candidate.ok) return candidate;
    const level = this.level(subject);
    const against = version === -1 || found === undefined ? live : [found.value];
    const messages = checkCompatibility(level, candidate.value.parsed, this.previous(against));
    return registryOk({ compatible: messages.length === 0, messages });
  }

  /** For produce validation (mode json): a subject's latest (or pinned) version with references resolved, and the
   *  registry's change number it is current as of (subject-notices.ts): the router keeps it until the topic moves on. */
  validationSchema(subject: string, version: VersionRef): { generation: number; answer: RegistryResult<ValidationSchema> } {
    return { generation: this.notices.current(), answer: this.validationAnswer(subject, version) };
  }

  private validationAnswer(subject: string, version: VersionRef): RegistryResult<ValidationSchema> {
    const found = this.findVersion(subject, version, false);
    if (!found.ok) return found;
    const schema = this.store.schemaById(found.value.schemaId)!;
    const references = this.resolve(schema.references, 0, new Set());
    if (!references.ok) return references;
    return registryOk({ id: schema.id, version: found.value.version, schemaType: schema.schemaType, schema: schema.schema, references: references.value });
  }

  /** For produce validation (mode registry): the live subjects an id is registered under, and its record name. */
  schemaSubjects(id: number): { generation: number; answer: RegistryResult<{ subjects: string[]; recordName: string | null }> } {
    const schema = this.store.schemaById(id);
    const generation = this.notices.current();
    if (schema === undefined) return { generation, answer: registryFail("SCHEMA_NOT_FOUND", `Schema ${id} not found`) };
    return { generation, answer: registryOk({ subjects: [...new Set(this.store.versionsOfSchema(id, false).map((v) => v.subject))], recordName: schema.recordName }) };
  }

  // ---- internals ---------------------------------------------------------------------------------------------------

  private level(subject: string | undefined): CompatibilityLevel {
    const own = subject === undefined ? undefined : this.store.compatibility(subject);
    return (own ?? this.store.compatibility("") ?? DEFAULT_COMPATIBILITY) as CompatibilityLevel;
  }

  private findVersion(subject: string, version: VersionRef, deleted: boolean): RegistryResult<StoredVersion> {
    const versions = this.store.versions(subject, deleted);
    if (versions.length === 0) return registryFail("SUBJECT_NOT_FOUND", `Subject '${subject}' not found.`);
    const found = version === -1 ? versions.at(-1) : versions.find((v) => v.version === version);
    return found === undefined ? registryFail("VERSION_NOT_FOUND", `Version ${version} not found.`) : registryOk(found);
  }

  private describe(v: StoredVersion): SchemaVersion {
    const schema = this.store.schemaById(v.schemaId)!;
    return { subject: v.subject, id: schema.id, version: v.version, schema: schema.schema, schemaType: schema.schemaType, references: schema.references };
  }

  private previous(versions: readonly StoredVersion[]): { version: number; schema: ParsedSchema }[] {
    return versions.map((v) => ({ version: v.version, schema: this.parsedSchema(v.schemaId) }));
  }

  private parsedSchema(id: number): ParsedSchema {
    let parsed = this.parsed.get(id);
    if (parsed === undefined) {
      const stored = this.store.schemaById(id)!;
      const refs = this.resolve(stored.references, 0, new Set());
      // A stored schema's references were resolvable when it was registered, and referenced versions cannot be deleted.
      parsed = parseSchema(stored.schemaType, stored.schema, refs.ok ? refs.value : []);
      // Bounded like the router's cache: a transitive check over many versions re-parses what it evicted.
      if (this.parsed.size >= MAX_CACHED_SCHEMAS) this.parsed.delete(this.parsed.keys().next().value!);
      this.parsed.set(id, parsed);
    }
    return parsed;
  }

  /** Parses a candidate with its references; 42201 for anything wrong with it. */
  private prepare(input: SchemaInput): RegistryResult<{ parsed: ParsedSchema; identity: string; references: SchemaReference[] }> {
    const bytes = new TextEncoder().encode(input.schema).length;
    if (bytes > MAX_SCHEMA_BYTES) return registryFail("INVALID_SCHEMA", `Invalid schema: ${bytes} bytes, the maximum is ${MAX_SCHEMA_BYTES}`);
    if (input.references.length > MAX_SCHEMA_REFERENCES) return registryFail("INVALID_SCHEMA", `Invalid schema: ${input.references.length} references, the maximum is ${MAX_SCHEMA_REFERENCES}`);
    // Pin "latest" (-1) references to the version they name now, so the stored schema means the same thing forever.
    const references: SchemaReference[] = [];
    for (const ref of input.references) {
      const found = this.findVersion(ref.subject, ref.version, false);
      if (!found.ok) return registryFail("INVALID_SCHEMA", `Invalid schema: reference ${ref.name} to subject '${ref.subject}' version ${ref.version} not found`);
      references.push({ name: ref.name, subject: ref.subject, version: found.value.version });
    }
    const resolved = this.resolve(references, 0, new Set());
    if (!resolved.ok) return resolved;
    try {
      const parsed = parseSchema(input.schemaType, input.schema, resolved.value);
      return registryOk({ parsed, identity: schemaIdentity(parsed.schemaType, parsed.canonical, references), references });
    } catch (error) {
      if (error instanceof InvalidSchemaError) return registryFail("INVALID_SCHEMA", `Invalid schema: ${error.message}`);
      throw error;
    }
  }

  /**
   * References resolved depth-first, dependencies before their dependents, each once. A registered schema can only
   * reference versions that existed before it, so stored references cannot form a cycle; the path set and the depth
   * bound guard against one anyway.
   */
  private resolve(references: readonly SchemaReference[], depth: number, path: Set<string>, out: ResolvedReference[] = [], done = new Set<string>()): RegistryResult<ResolvedReference[]> {
    if (references.length > 0 && depth >= MAX_SCHEMA_REFERENCE_DEPTH) return registryFail("INVALID_SCHEMA", `Invalid schema: references nest more than ${MAX_SCHEMA_REFERENCE_DEPTH} deep`);
    for (const ref of references) {
      const key = `${ref.subject}\n${ref.version}`;
      if (done.has(key)) continue;
      if (path.has(key)) return registryFail("INVALID_SCHEMA", `Invalid schema: reference cycle through subject '${ref.subject}' version ${ref.version}`);
      const found = this.findVersion(ref.subject, ref.version, true);
      if (!found.ok) return registryFail("INVALID_SCHEMA", `Invalid schema: reference ${ref.name} to subject '${ref.subject}' version ${ref.version} not found`);
      const schema = this.store.schemaById(found.value.schemaId)!;
      path.add(key);
      const inner = this.resolve(schema.references, depth + 1, path, out, done);
      path.delete(key);
      if (!inner.ok) return inner;
      done.add(key);
      out.push({ name: ref.name, schemaType: schema.schemaType, schema: schema.schema });
    }
    return registryOk(out);
  }
}
