// JSON Schema parsing and validation with @cfworker/json-schema, which interprets schemas (no code generation: ajv's
// compiled validators need new Function, which Workers forbid). A schema is checked for the shape of the keywords
// compatibility and validation read (types, properties, required, enum, items, bounds, patterns) before it is accepted;
// its references (Confluent's schema references) are added under their names, which the schema's $ref values use.
// Pure: no I/O.
import { Validator, type Schema, type SchemaDraft } from "@cfworker/json-schema";

export class JsonSchemaError extends Error {}

export interface JsonSchemaReference {
  /** The name the referring schema's $ref uses (a URL or a file name, as Confluent's clients send it). */
  name: string;
  schema: Schema | boolean;
}

const TYPES = new Set(["array", "boolean", "integer", "null", "number", "object", "string"]);
const SCHEMA_MAPS = ["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"];
const SCHEMA_LISTS = ["anyOf", "allOf", "oneOf", "prefixItems"];
const SCHEMA_ONES = ["additionalProperties", "unevaluatedProperties", "not", "if", "then", "else", "contains", "propertyNames", "additionalItems", "unevaluatedItems"];
const NUMBERS = ["minimum", "maximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"];

/** Parses and checks schema text; throws JsonSchemaError naming the first problem. */
export function parseJsonSchema(text: string): Schema | boolean {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new JsonSchemaError(`Invalid schema: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  checkSchema(json, "#", 0);
  return json as Schema | boolean;
}

function checkSchema(s: unknown, path: string, depth: number): void {
  if (depth > 64) throw new JsonSchemaError(`${path}: nested more than 64 levels deep`);
  if (typeof s === "boolean") return;
  if (typeof s !== "object" || s === null || Array.isArray(s)) throw new JsonSchemaError(`${path}: a schema is an object or a boolean`);
  const o = s as Record<string, unknown>;
  if (o.type !== undefined) {
    const types = Array.isArray(o.type) ? o.type : [o.type];
    if (types.length === 0 || types.some((t) => typeof t !== "string" || !TYPES.has(t))) throw new JsonSchemaError(`${path}/type: must be one of ${[...TYPES].join(", ")} or an array of them`);
  }
  if (o.required !== undefined && (!Array.isArray(o.required) || o.required.some((r) => typeof r !== "string"))) throw new JsonSchemaError(`${path}/required: must be an array of strings`);
  if (o.enum !== undefined && !Array.isArray(o.enum)) throw new JsonSchemaError(`${path}/enum: must be an array`);
  if (o.$ref !== undefined && typeof o.$ref !== "string") throw new JsonSchemaError(`${path}/$ref: must be a string`);
  for (const key of NUMBERS) if (o[key] !== undefined && typeof o[key] !== "number") throw new JsonSchemaError(`${path}/${key}: must be a number`);
  if (o.pattern !== undefined) {
    if (typeof o.pattern !== "string") throw new JsonSchemaError(`${path}/pattern: must be a string`);
    try {
      new RegExp(o.pattern, "u");
    } catch {
      throw new JsonSchemaError(`${path}/pattern: not a valid regular expression`);
    }
  }
  for (const key of SCHEMA_MAPS) {
    const map = o[key];
    if (map === undefined) continue;
    if (typeof map !== "object" || map === null || Array.isArray(map)) throw new JsonSchemaError(`${path}/${key}: must be an object of schemas`);
    for (const [name, sub] of Object.entries(map)) checkSchema(sub, `${path}/${key}/${name}`, depth + 1);
  }
  for (const key of SCHEMA_LISTS) {
    const list = o[key];
    if (list === undefined) continue;
    if (!Array.isArray(list) || list.length === 0) throw new JsonSchemaError(`${path}/${key}: must be a non-empty array of schemas`);
    list.forEach((sub, i) => checkSchema(sub, `${path}/${key}/${i}`, depth + 1));
  }
  for (const key of SCHEMA_ONES) if (o[key] !== undefined) checkSchema(o[key], `${path}/${key}`, depth + 1);
  if (o.items !== undefined) {
    if (Array.isArray(o.items)) o.items.forEach((sub, i) => checkSchema(sub, `${path}/items/${i}`, depth + 1));
    else checkSchema(o.items, `${path}/items`, depth + 1);
  }
}

/** The draft a schema declares in $schema; draft-07 otherwise (Confluent's default). */
export function draftOf(schema: Schema | boolean): SchemaDraft {
  const declared = typeof schema === "object" ? schema.$schema : undefined;
  if (typeof declared !== "string") return "7";
  if (declared.includes("draft-04")) return "4";
  if (declared.includes("2019-09")) return "2019-09";
  if (declared.includes("2020-12")) return "2020-12";
  return "7";
}

/** A validator for a schema and its references (interpreted: safe in Workers). */
export function jsonSchemaValidator(schema: Schema | boolean, references: readonly JsonSchemaReference[] = []): Validator {
  const validator = new Validator(schema, draftOf(schema), false);
  for (const ref of references) if (typeof ref.schema === "object") validator.addSchema(ref.schema, ref.name);
  return validator;
}

/** The title of a JSON Schema (RecordNameStrategy's subject for JSON), if any. */
export function jsonSchemaRecordName(schema: Schema | boolean): string | undefined {
  return typeof schema === "object" && typeof schema.title === "string" ? schema.title : undefined;
}
