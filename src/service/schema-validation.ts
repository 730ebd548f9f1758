// Produce-time schema validation (topic configs value.schema.validation / key.schema.validation, docs/schemas.md),
// run in the router before anything is appended, so a failing record fails the whole request and the partition object's
// hot path is unchanged. "registry": the key or value is in Confluent's wire format and its schema id is registered
// under the topic's subject; "json": it is JSON text valid against the subject's latest (or pinned) JSON Schema.
// What the registry answers is cached per isolate with the registry's change number (generation) it was current as of,
// and used while that is no older than the topic's metadata says (TopicMetadata.schemaGeneration): a change to a
// subject gives every topic validating against it a new version (controller/schema-changes.ts), so the registry is
// asked again once per change that matters, never on a timer, and stays off the produce path (docs/scale.md). This
// isolate's registry routes also drop a subject's entries at once when they change it (forgetSubject).
// Between the isolates and the registry sits one copy per location (Cache API), keyed by the generation the topic
// asks for: an answer given at that generation or later stays right for every request asking for it, so a change to
// a subject every isolate uses costs the registry about one read per location, not one per isolate.
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { MAX_CACHED_SCHEMAS, METADATA_MAX_AGE_MS } from "../limits";
import { base64ToBytes } from "../log/base64";
import type { Encoding } from "../log/record";
import type { TopicConfig } from "../log/topic-config";
import { schemaRegistryStub } from "../names";
import { jsonSchemaValidator } from "../registry/json-schema";
import { compileJsonSchema, type JsonProblem } from "../registry/json-validator";
import { jsonReferences } from "../registry/parsed-schema";
import type { RegistryResult } from "../registry/registry-error";
import { subjectName, validationUsesSubject, type RecordPart, type SubjectNameStrategy } from "../registry/subject-name";
import { forgetMatching } from "./metadata";
import { wireSchemaId } from "../registry/wire-format";

export type ValidationMode = "none" | "registry" | "json";

interface Cached<T> {
  value: T;
  /** The registry's generation when it answered: good for topics whose schemaGeneration is no newer. */
  generation: number;
}

/** A JSON Schema validator for (subject, pinned version or -1), or why there is none. */
type JsonEntry = { check: (document: unknown) => JsonProblem | undefined; id: number; version: number } | { missing: string };
/** The live subjects an id is registered under, or why it is unusable. */
type IdEntry = { subjects: string[]; recordName: string | null } | { missing: string };

const jsonValidators = new Map<string, Cached<JsonEntry>>();
const schemaIds = new Map<number, Cached<IdEntry>>();
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The location copies' cache and key prefix (names of our own: no route serves them). */
const LOCATION_CACHE = "edgelog-schemas";
const LOCATION_PREFIX = "https://edgelog.internal/schemas";

/** Registry reads this isolate made (tests: none without a change). */
let registryReads = 0;
export function schemaRegistryReads(): number {
  return registryReads;
}

/** Forgets this isolate's entries only, as a new isolate starts (tests: another isolate at the same location). */
export function forgetIsolateSchemas(): void {
  jsonValidators.clear();
  schemaIds.clear();
}

/**
 * The registry's answer for `what`, good for topics at `generation`: this location's copy if it has one, else the
 * registry's (left for the location's other isolates). An unusable Cache API costs a registry read, nothing more.
 */
async function registryAnswer<T>(what: string, generation: number, read: () => Promise<{ generation: number; answer: T }>): Promise<{ generation: number; answer: T }> {
  const url = `${LOCATION_PREFIX}/${encodeURIComponent(what)}/${generation}`;
  try {
    const hit = await (await caches.open(LOCATION_CACHE)).match(url);
    if (hit !== undefined) return (await hit.json()) as { generation: number; answer: T };
  } catch (error) {
    console.error(`schema validation: the location copy could not be read: ${String(error)}`);
  }
  registryReads++;
  const result = await read();
  try {
    // Kept as long as metadata naming this generation may be (its safety net): the answer cannot go stale before.
    const maxAgeS = Math.ceil(METADATA_MAX_AGE_MS / 1000);
    await (await caches.open(LOCATION_CACHE)).put(url, new Response(JSON.stringify(result), { headers: { "content-type": "application/json", "cache-control": `max-age=${maxAgeS}` } }));
  } catch (error) {
    console.error(`schema validation: the location copy could not be written: ${String(error)}`);
  }
  return result;
}

/**
 * Drops what this isolate cached about a subject (its registry routes call it after a change), and the metadata of the
 * topics validating against it: the change gave them a new version, which the next produce here reads at once rather
 * than hearing of it from a partition (a retriable STALE_METADATA to the producer).
 */
export function forgetSubject(subject: string): void {
  for (const key of jsonValidators.keys()) if (key.startsWith(`${subject}\n`)) jsonValidators.delete(key);
  // An id's subject list may name this subject: ids are few per subject, and cheap to ask again.
  schemaIds.clear();
  forgetMatching((meta) => validationUsesSubject(meta.name, meta.config, subject));
}

function remember<K, T>(cache: Map<K, Cached<T>>, key: K, value: T, generation: number): T {
  cache.delete(key);
  if (cache.size >= MAX_CACHED_SCHEMAS) cache.delete(cache.keys().next().value as K);
  cache.set(key, { value, generation });
  return value;
}

/** The cached answer if the registry gave it at `generation` or later. */
function current<K, T>(cache: Map<K, Cached<T>>, key: K, generation: number): T | undefined {
  const hit = cache.get(key);
  return hit !== undefined && hit.generation >= generation ? hit.value : undefined;
}

export function validationMode(config: TopicConfig, part: RecordPart): ValidationMode {
  return (config[`${part}.schema.validation`] ?? "none") as ValidationMode;
}

/**
 * Throws INVALID_RECORD for the first record whose key or value fails its topic's validation; nothing is written.
 * `generation`: the topic metadata's schemaGeneration, how recent a cached registry answer must be.
 */
export async function validateRecords(env: Env, topic: string, config: TopicConfig, generation: number, records: readonly unknown[], encoding: Encoding): Promise<void> {
  for (const part of ["key", "value"] as const) {
    const mode = validationMode(config, part);
    if (mode === "none") continue;
    const strategy = (config[`${part}.subject.name.strategy`] ?? "TopicNameStrategy") as SubjectNameStrategy;
    if (mode === "json") await validateJson(env, topic, part, Number(config[`${part}.schema.version`] ?? "-1"), generation, records, encoding);
    else await validateWire(env, topic, part, strategy, generation, records, encoding);
  }
}

function invalid(index: number, part: RecordPart, message: string, details: Record<string, unknown> = {}): KafkaError {
  return new KafkaError("INVALID_RECORD", `records[${index}].${part}: ${message}`, { index, field: part, ...details });
}

async function validateJson(env: Env, topic: string, part: RecordPart, version: number, generation: number, records: readonly unknown[], encoding: Encoding): Promise<void> {
  const subject = `${topic}-${part}`;
  const entry = await jsonEntry(env, subject, version, generation);
  for (let i = 0; i < records.length; i++) {
    const raw = (records[i] as Record<string, unknown>)[part];
    if (raw === null || raw === undefined) continue; // a tombstone, or no key: nothing to validate
    if ("missing" in entry) throw invalid(i, part, entry.missing, { subject });
    let text: string;
    try {
      text = encoding === "base64" ? utf8.decode(base64ToBytes(raw as string)) : (raw as string);
    } catch {
      throw invalid(i, part, "not UTF-8 text", { subject });
    }
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      throw invalid(i, part, "not JSON text", { subject });
    }
    const problem = entry.check(document);
    if (problem !== undefined) {
      throw invalid(i, part, `does not match schema ${entry.id} (subject ${subject} version ${entry.version}): ${problem.path}: ${problem.message}`, {
        subject,
        schemaId: entry.id,
        version: entry.version,
        path: problem.path,
      });
    }
  }
}

async function jsonEntry(env: Env, subject: string, version: number, generation: number): Promise<JsonEntry> {
  const key = `${subject}\n${version}`;
  const hit = current(jsonValidators, key, generation);
  if (hit !== undefined) return hit;
  const result = await registryAnswer(`json/${key}`, generation, async () => await schemaRegistryStub(env).validationSchema(subject, version));
  const found = result.answer as RegistryResult<{ id: number; version: number; schemaType: string; schema: string; references: { name: string; schemaType: "AVRO" | "JSON"; schema: string }[] }>;
  let entry: JsonEntry;
  if (!found.ok) entry = { missing: `no schema to validate against: ${found.error.message}` };
  else if (found.value.schemaType !== "JSON") entry = { missing: `subject ${subject}'s schema ${found.value.id} is ${found.value.schemaType}, and json validation needs a JSON Schema` };
  else entry = { check: jsonCheck(found.value.schema, found.value.references), id: found.value.id, version: found.value.version };
  return remember(jsonValidators, key, entry, result.generation);
}

/** The closure-built validator when the schema allows it (several times faster), else @cfworker/json-schema's. */
function jsonCheck(text: string, references: { name: string; schemaType: "AVRO" | "JSON"; schema: string }[]): (document: unknown) => JsonProblem | undefined {
  const schema: unknown = JSON.parse(text);
  const fast = references.length === 0 ? compileJsonSchema(schema) : undefined;
  if (fast !== undefined) return fast;
  const validator = jsonSchemaValidator(schema as Parameters<typeof jsonSchemaValidator>[0], jsonReferences(references));
  return (document) => {
    const result = validator.validate(document);
    if (result.valid) return undefined;
    // The deepest error says what is wrong; the validator lists the enclosing ones first.
    const error = result.errors.at(-1)!;
    return { path: error.instanceLocation, message: error.error };
  };
}

async function validateWire(env: Env, topic: string, part: RecordPart, strategy: SubjectNameStrategy, generation: number, records: readonly unknown[], encoding: Encoding): Promise<void> {
  for (let i = 0; i < records.length; i++) {
    const raw = (records[i] as Record<string, unknown>)[part];
    if (raw === null || raw === undefined) continue;
    const bytes = encoding === "base64" ? base64ToBytes(raw as string) : new TextEncoder().encode(raw as string);
    const wire = wireSchemaId(bytes);
    if ("error" in wire) throw invalid(i, part, `${wire.error}; send it with "encoding": "base64"`);
    const entry = await idEntry(env, wire.id, generation);
    if ("missing" in entry) throw invalid(i, part, entry.missing, { schemaId: wire.id });
    const subject = subjectName(strategy, topic, part, entry.recordName ?? undefined);
    if (subject === undefined) throw invalid(i, part, `schema ${wire.id} has no record name, which ${strategy} needs`, { schemaId: wire.id });
    if (!entry.subjects.includes(subject)) {
      throw invalid(i, part, `schema ${wire.id} is not registered under subject ${subject} (${strategy})`, { schemaId: wire.id, subject });
    }
  }
}

async function idEntry(env: Env, id: number, generation: number): Promise<IdEntry> {
  const hit = current(schemaIds, id, generation);
  if (hit !== undefined) return hit;
  const result = await registryAnswer(`id/${id}`, generation, async () => await schemaRegistryStub(env).schemaSubjects(id));
  const found = result.answer as RegistryResult<{ subjects: string[]; recordName: string | null }>;
  return remember(schemaIds, id, found.ok ? found.value : { missing: `unknown schema id ${id}` }, result.generation);
}
