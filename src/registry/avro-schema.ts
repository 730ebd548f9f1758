// Avro schema parsing without code generation (Workers forbid eval and new Function, which avsc uses for records):
// checks a schema the way Avro's Java parser does (names, namespaces, duplicate definitions, unions, defaults against
// the first union branch) and builds a tree of types where a named type referenced twice is one object, so recursive
// types are cycles in the tree. References (Confluent's schema references) arrive as already-parsed named types.
// Pure: no I/O.

export type AvroPrimitive = "null" | "boolean" | "int" | "long" | "float" | "double" | "bytes" | "string";

export type AvroType =
  | { kind: "primitive"; type: AvroPrimitive }
  | { kind: "record"; name: string; aliases: string[]; fields: AvroField[] }
  | { kind: "enum"; name: string; aliases: string[]; symbols: string[]; default?: string }
  | { kind: "fixed"; name: string; aliases: string[]; size: number }
  | { kind: "array"; items: AvroType }
  | { kind: "map"; values: AvroType }
  | { kind: "union"; branches: AvroType[] };

export interface AvroField {
  name: string;
  aliases: string[];
  type: AvroType;
  hasDefault: boolean;
}

export type NamedTypes = Map<string, AvroType>;

export class AvroSchemaError extends Error {}

const PRIMITIVES = new Set<string>(["null", "boolean", "int", "long", "float", "double", "bytes", "string"]);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses schema text; `known` holds the named types of its references and receives the types it defines. */
export function parseAvroSchema(text: string, known: NamedTypes = new Map()): AvroType {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new AvroSchemaError(`Invalid schema: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return new Parser(known).type(json, "", "$");
}

/** The unqualified part of a full name (Avro's resolution compares these, or reader aliases). */
export function shortName(fullName: string): string {
  return fullName.slice(fullName.lastIndexOf(".") + 1);
}

/** The full name of a top-level named type (RecordNameStrategy's subject), or undefined for other types. */
export function avroRecordName(type: AvroType): string | undefined {
  return type.kind === "record" || type.kind === "enum" || type.kind === "fixed" ? type.name : undefined;
}

class Parser {
  constructor(private readonly names: NamedTypes) {}

  type(json: unknown, namespace: string, path: string): AvroType {
    if (typeof json === "string") return this.reference(json, namespace, path);
    if (Array.isArray(json)) return this.union(json, namespace, path);
    if (typeof json !== "object" || json === null) throw new AvroSchemaError(`${path}: a schema is a type name, an object or an array (a union)`);
    const o = json as Record<string, unknown>;
    const type = o.type;
    if (typeof type !== "string") {
      // {"type": {...}} and {"type": [...]} wrap a schema.
      if (typeof type === "object" && type !== null) return this.type(type, namespace, `${path}.type`);
      throw new AvroSchemaError(`${path}: "type" is missing or not a string`);
    }
    switch (type) {
      case "record":
      case "error":
        return this.record(o, namespace, path);
      case "enum":
        return this.enumType(o, namespace, path);
      case "fixed":
        return this.fixed(o, namespace, path);
      case "array":
        if (o.items === undefined) throw new AvroSchemaError(`${path}: an array needs "items"`);
        return { kind: "array", items: this.type(o.items, namespace, `${path}.items`) };
      case "map":
        if (o.values === undefined) throw new AvroSchemaError(`${path}: a map needs "values"`);
        return { kind: "map", values: this.type(o.values, namespace, `${path}.values`) };
      default:
        // {"type": "long", "logicalType": ...} and {"type": "com.acme.Named"}.
        return this.reference(type, namespace, path);
    }
  }

  private reference(name: string, namespace: string, path: string): AvroType {
    if (PRIMITIVES.has(name)) return { kind: "primitive", type: name as AvroPrimitive };
    const found = this.names.get(name) ?? (namespace !== "" ? this.names.get(`${namespace}.${name}`) : undefined);
    if (found === undefined) throw new AvroSchemaError(`${path}: undefined name: "${name}"`);
    return found;
  }

  private union(branches: unknown[], namespace: string, path: string): AvroType {
    const out: AvroType[] = [];
    const seen = new Set<string>();
    branches.forEach((branch, i) => {
      if (Array.isArray(branch)) throw new AvroSchemaError(`${path}[${i}]: unions may not immediately contain other unions`);
      const type = this.type(branch, namespace, `${path}[${i}]`);
      const key = type.kind === "primitive" ? type.type : type.kind === "array" || type.kind === "map" ? type.kind : type.kind === "union" ? "union" : type.name;
      if (seen.has(key)) throw new AvroSchemaError(`${path}: duplicate in union: ${key}`);
      seen.add(key);
      out.push(type);
    });
    return { kind: "union", branches: out };
  }

  /** The full name and namespace of a named type, defined once. */
  private define(o: Record<string, unknown>, namespace: string, path: string): { name: string; namespace: string; aliases: string[] } {
    if (typeof o.name !== "string") throw new AvroSchemaError(`${path}: a named type needs a string "name"`);
    if (o.namespace !== undefined && o.namespace !== null && typeof o.namespace !== "string") throw new AvroSchemaError(`${path}: "namespace" must be a string`);
    const ns = o.name.includes(".") ? o.name.slice(0, o.name.lastIndexOf(".")) : typeof o.namespace === "string" ? o.namespace : namespace;
    const name = o.name.includes(".") ? o.name : ns === "" ? o.name : `${ns}.${o.name}`;
    checkFullName(name, path);
    if (PRIMITIVES.has(shortName(name)) && !name.includes(".")) throw new AvroSchemaError(`${path}: "${name}" is a primitive type's name`);
    if (this.names.has(name)) throw new AvroSchemaError(`${path}: can't redefine: ${name}`);
    const aliases = this.aliases(o.aliases, ns, path);
    return { name, namespace: ns, aliases };
  }

  private aliases(raw: unknown, namespace: string, path: string): string[] {
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw) || raw.some((a) => typeof a !== "string")) throw new AvroSchemaError(`${path}: "aliases" must be an array of strings`);
    return (raw as string[]).map((a) => (a.includes(".") || namespace === "" ? a : `${namespace}.${a}`));
  }

  private record(o: Record<string, unknown>, namespace: string, path: string): AvroType {
    const { name, namespace: ns, aliases } = this.define(o, namespace, path);
    if (!Array.isArray(o.fields)) throw new AvroSchemaError(`${path}: record ${name} needs a "fields" array`);
    const record: AvroType & { kind: "record" } = { kind: "record", name, aliases, fields: [] };
    // Registered before its fields, so a field may refer to the record itself (a recursive type).
    this.names.set(name, record);
    const fieldNames = new Set<string>();
    o.fields.forEach((raw: unknown, i) => {
      const at = `${path}.fields[${i}]`;
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new AvroSchemaError(`${at}: a field is an object`);
      const f = raw as Record<string, unknown>;
      if (typeof f.name !== "string" || !NAME.test(f.name)) throw new AvroSchemaError(`${at}: invalid field name ${JSON.stringify(f.name)}`);
      if (fieldNames.has(f.name)) throw new AvroSchemaError(`${at}: duplicate field ${f.name} in record ${name}`);
      fieldNames.add(f.name);
      if (f.type === undefined) throw new AvroSchemaError(`${at}: field ${f.name} has no "type"`);
      const type = this.type(f.type, ns, `${at}.type`);
      const hasDefault = "default" in f;
      if (hasDefault && !validDefault(type, f.default)) throw new AvroSchemaError(`${at}: invalid default for field ${f.name}: ${JSON.stringify(f.default)?.slice(0, 100)} is not a ${describe(type)}`);
      const fieldAliases = f.aliases === undefined ? [] : this.aliases(f.aliases, "", at);
      record.fields.push({ name: f.name, aliases: fieldAliases, type, hasDefault });
    });
    return record;
  }

  private enumType(o: Record<string, unknown>, namespace: string, path: string): AvroType {
    const { name, aliases } = this.define(o, namespace, path);
    if (!Array.isArray(o.symbols) || o.symbols.some((s) => typeof s !== "string" || !NAME.test(s))) throw new AvroSchemaError(`${path}: enum ${name} needs "symbols", an array of names`);
    const symbols = o.symbols as string[];
    if (new Set(symbols).size !== symbols.length) throw new AvroSchemaError(`${path}: enum ${name} has duplicate symbols`);
    if (o.default !== undefined && (typeof o.default !== "string" || !symbols.includes(o.default))) throw new AvroSchemaError(`${path}: enum ${name}'s default must be one of its symbols`);
    const type: AvroType = { kind: "enum", name, aliases, symbols, ...(typeof o.default === "string" ? { default: o.default } : {}) };
    this.names.set(name, type);
    return type;
  }

  private fixed(o: Record<string, unknown>, namespace: string, path: string): AvroType {
    const { name, aliases } = this.define(o, namespace, path);
    if (typeof o.size !== "number" || !Number.isInteger(o.size) || o.size < 0) throw new AvroSchemaError(`${path}: fixed ${name} needs a non-negative integer "size"`);
    const type: AvroType = { kind: "fixed", name, aliases, size: o.size };
    this.names.set(name, type);
    return type;
  }
}

function checkFullName(name: string, path: string): void {
  for (const part of name.split(".")) if (!NAME.test(part)) throw new AvroSchemaError(`${path}: invalid name "${name}"`);
}

function describe(type: AvroType): string {
  return type.kind === "primitive" ? type.type : type.kind === "union" ? `${describe(type.branches[0]!)} (a union's first branch)` : type.kind;
}

/** Is `value` (JSON) a valid default for `type`? A union's default matches its first branch (the Avro spec). */
function validDefault(type: AvroType, value: unknown, depth = 0): boolean {
  if (depth > 64) return true; // a recursive type's default nested this deep: stop checking rather than loop
  switch (type.kind) {
    case "primitive":
      switch (type.type) {
        case "null":
          return value === null;
        case "boolean":
          return typeof value === "boolean";
        case "int":
        case "long":
          return typeof value === "number" && Number.isInteger(value);
        case "float":
        case "double":
          return typeof value === "number" || value === "NaN" || value === "Infinity" || value === "-Infinity";
        case "bytes":
        case "string":
          return typeof value === "string";
      }
      return false;
    case "enum":
      return typeof value === "string" && type.symbols.includes(value);
    case "fixed":
      return typeof value === "string";
    case "array":
      return Array.isArray(value) && value.every((v) => validDefault(type.items, v, depth + 1));
    case "map":
      return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => validDefault(type.values, v, depth + 1));
    case "record":
      if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
      return type.fields.every((f) => (f.name in value ? validDefault(f.type, (value as Record<string, unknown>)[f.name], depth + 1) : f.hasDefault));
    case "union":
      return validDefault(type.branches[0]!, value, depth + 1);
  }
}
