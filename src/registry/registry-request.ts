// Reading the registry's requests as Confluent's server does: a schema body {schema, schemaType?, references?}, a
// version path segment (1..2^31-1, "latest" or -1), a schema id, and Confluent's boolean query flags. Errors are
// Confluent's (42201 invalid schema, 42202 invalid version, 42200 a malformed request). Pure: no I/O.
import { MAX_SUBJECT_NAME_LENGTH } from "../limits";
import { SCHEMA_TYPES, type SchemaReference, type SchemaType } from "./parsed-schema";
import { RegistryError } from "./registry-error";

const MAX_VERSION = 2 ** 31 - 1;

export interface SchemaBody {
  schema: string;
  schemaType: SchemaType;
  references: SchemaReference[];
}

export function parseSchemaBody(input: unknown): SchemaBody {
  if (typeof input !== "object" || input === null || Array.isArray(input)) throw new RegistryError("INVALID_REQUEST", "the request body must be a JSON object {schema, schemaType?, references?}");
  const body = input as Record<string, unknown>;
  if (typeof body.schema !== "string" || body.schema === "") throw new RegistryError("INVALID_SCHEMA", "Invalid schema: the request needs a non-empty string field schema");
  const type = body.schemaType ?? "AVRO";
  if (type === "PROTOBUF") throw new RegistryError("INVALID_SCHEMA", "Invalid schema: schema type PROTOBUF is not supported by edgelog's registry (AVRO and JSON are)");
  if (typeof type !== "string" || !(SCHEMA_TYPES as readonly string[]).includes(type)) throw new RegistryError("INVALID_SCHEMA", `Invalid schema: unknown schemaType ${JSON.stringify(type)}; use AVRO or JSON`);
  const raw = body.references ?? [];
  if (!Array.isArray(raw)) throw new RegistryError("INVALID_SCHEMA", "Invalid schema: references must be an array of {name, subject, version}");
  const references = raw.map((r: unknown, i) => {
    const ref = (typeof r === "object" && r !== null ? r : {}) as Record<string, unknown>;
    if (typeof ref.name !== "string" || typeof ref.subject !== "string" || !Number.isInteger(ref.version)) {
      throw new RegistryError("INVALID_SCHEMA", `Invalid schema: references[${i}] must be {name: string, subject: string, version: integer}`);
    }
    return { name: ref.name, subject: ref.subject, version: ref.version as number };
  });
  return { schema: body.schema, schemaType: type as SchemaType, references };
}

/** A version path segment: 1..2^31-1, or "latest" / -1 (answered as -1). */
export function parseVersion(text: string): number {
  if (text === "latest" || text === "-1") return -1;
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_VERSION)) {
    throw new RegistryError("INVALID_VERSION", `The specified version '${text.slice(0, 40)}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
  }
  return n;
}

export function parseSchemaId(text: string): number {
  const n = /^\d{1,10}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_VERSION)) throw new RegistryError("SCHEMA_NOT_FOUND", `Schema ${text.slice(0, 40)} not found`);
  return n;
}

export function checkSubject(subject: string): string {
  // Confluent refuses control characters; a bound keeps names usable as keys and paths.
  if (subject.length === 0 || subject.length > MAX_SUBJECT_NAME_LENGTH || /[\u0000-\u001f]/.test(subject)) {
    throw new RegistryError("INVALID_REQUEST", `subject names are 1 to ${MAX_SUBJECT_NAME_LENGTH} characters without control characters`);
  }
  return subject;
}

/** Confluent's boolean query flags (deleted, permanent, verbose, defaultToGlobal): "true" is true. */
export function flag(value: string | string[] | undefined): boolean {
  return (Array.isArray(value) ? value[0] : value)?.toLowerCase() === "true";
}
