// One parse of a registered or candidate schema, whatever its type: the tree compatibility checks read, the text that
// identifies it (same text, type and references → same id), and its record name for RecordNameStrategy. Pure: no I/O.
import type { Schema } from "@cfworker/json-schema";
import { AvroSchemaError, avroRecordName, parseAvroSchema, type AvroType, type NamedTypes } from "./avro-schema";
import { JsonSchemaError, jsonSchemaRecordName, parseJsonSchema, type JsonSchemaReference } from "./json-schema";

export const SCHEMA_TYPES = ["AVRO", "JSON"] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

export interface ParsedSchema {
  schemaType: SchemaType;
  /** The schema as JSON without insignificant whitespace: what is stored, served and compared for identity. */
  canonical: string;
  recordName?: string;
  avro?: AvroType;
  json?: Schema | boolean;
}

/** A referenced schema, already resolved (its own references first, depth-first). */
export interface ResolvedReference {
  name: string;
  schemaType: SchemaType;
  schema: string;
}

export class InvalidSchemaError extends Error {}

/** Parses `text` of `schemaType` with its resolved references; throws InvalidSchemaError (Confluent's 42201). */
export function parseSchema(schemaType: SchemaType, text: string, references: readonly ResolvedReference[] = []): ParsedSchema {
  try {
    if (schemaType === "AVRO") {
      const names: NamedTypes = new Map();
      for (const ref of references) {
        if (ref.schemaType !== "AVRO") throw new InvalidSchemaError(`reference ${ref.name} is ${ref.schemaType}, not AVRO`);
        parseAvroSchema(ref.schema, names);
      }
      const avro = parseAvroSchema(text, names);
      const recordName = avroRecordName(avro);
      return { schemaType, canonical: JSON.stringify(JSON.parse(text)), avro, ...(recordName !== undefined ? { recordName } : {}) };
    }
    const json = parseJsonSchema(text);
    for (const ref of references) parseJsonSchema(ref.schema);
    const recordName = jsonSchemaRecordName(json);
    return { schemaType, canonical: JSON.stringify(json), json, ...(recordName !== undefined ? { recordName } : {}) };
  } catch (error) {
    if (error instanceof AvroSchemaError || error instanceof JsonSchemaError) throw new InvalidSchemaError(error.message);
    throw error;
  }
}

/** JSON Schema references as the validator takes them. */
export function jsonReferences(references: readonly ResolvedReference[]): JsonSchemaReference[] {
  return references.map((ref) => ({ name: ref.name, schema: JSON.parse(ref.schema) as Schema | boolean }));
}
