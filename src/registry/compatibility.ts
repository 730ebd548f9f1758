// Confluent's compatibility modes over a subject's versions. BACKWARD: the new schema (reader) reads data written with
// the last one; FORWARD: the last one reads data written with the new; FULL: both; *_TRANSITIVE: against every live
// version instead of the last; NONE: no check. Pure: no I/O.
import { avroIncompatibilities } from "./avro-compatibility";
import { jsonSchemaIncompatibilities } from "./json-schema-compatibility";
import type { ParsedSchema } from "./parsed-schema";

export const COMPATIBILITY_LEVELS = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE", "NONE"] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = "BACKWARD";

export function isCompatibilityLevel(value: unknown): value is CompatibilityLevel {
  return typeof value === "string" && (COMPATIBILITY_LEVELS as readonly string[]).includes(value);
}

/** Can `reader` read what `writer` wrote? The problems found, empty when it can. */
export function incompatibilities(reader: ParsedSchema, writer: ParsedSchema): string[] {
  if (reader.schemaType !== writer.schemaType) return [`schema type changed from ${writer.schemaType} to ${reader.schemaType}`];
  if (reader.schemaType === "AVRO") return avroIncompatibilities(reader.avro!, writer.avro!);
  return jsonSchemaIncompatibilities(reader.json!, writer.json!);
}

/**
 * The problems with registering `candidate` under `level`, given the subject's live versions oldest first. Empty when
 * compatible; each message names the version it conflicts with.
 */
export function checkCompatibility(level: CompatibilityLevel, candidate: ParsedSchema, previous: readonly { version: number; schema: ParsedSchema }[]): string[] {
  if (level === "NONE" || previous.length === 0) return [];
  const against = level.endsWith("_TRANSITIVE") ? previous : previous.slice(-1);
  const backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
  const forward = level.startsWith("FORWARD") || level.startsWith("FULL");
  const problems: string[] = [];
  for (const { version, schema } of against) {
    if (backward) for (const p of incompatibilities(candidate, schema)) problems.push(`version ${version}, BACKWARD (new schema reading old data): ${p}`);
    if (forward) for (const p of incompatibilities(schema, candidate)) problems.push(`version ${version}, FORWARD (old schema reading new data): ${p}`);
  }
  return problems;
}
