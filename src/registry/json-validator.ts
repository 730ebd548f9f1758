// A fast JSON Schema validator for the keywords most record schemas use, built as a tree of closures (no code
// generation: Workers forbid eval and new Function). Produce validation runs it on every record, where
// @cfworker/json-schema's general interpreter costs several times more. compileJsonSchema answers undefined for a schema
// using any other keyword ($ref, combinators, formats, ...): the caller then falls back to @cfworker/json-schema.
// test/registry/json-validator.test.ts checks both agree. Pure: no I/O.

/** The first failure: where in the document (a JSON pointer under "#"), and what. */
export interface JsonProblem {
  path: string;
  message: string;
}

/** Checks one value; a problem's path is relative to the value (parents prefix theirs only on failure, so a valid
 *  document builds no strings). */
type Check = (value: unknown) => JsonProblem | undefined;

/** Keywords without effect on validity. */
const ANNOTATIONS = new Set(["$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"]);
const SUPPORTED = new Set([
  ...ANNOTATIONS,
  "type",
  "properties",
  "required",
  "additionalProperties",
  "enum",
  "const",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "multipleOf",
  "minLength",
  "maxLength",
  "pattern",
  "items",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
]);

class Unsupported extends Error {}

/** A validator for `schema`, or undefined when it uses keywords this one does not implement. */
export function compileJsonSchema(schema: unknown): ((value: unknown) => JsonProblem | undefined) | undefined {
  try {
    const check = compile(schema, 0);
    return (value) => {
      const problem = check(value);
      return problem === undefined ? undefined : { path: `#${problem.path}`, message: problem.message };
    };
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(type: string, value: unknown): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "boolean":
      return typeof value === "boolean";
    case "string":
      return typeof value === "string";
    case "number":
      return typeof value === "number";
    case "integer":
      return typeof value === "number" && Number.isInteger(value);
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
  }
  return false;
}

/** JSON equality (key order aside), as enum and const compare. */
function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => equal(x, (b as unknown[])[i]));
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && equal((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Length in code points, as JSON Schema counts it. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n--;
      i++;
    }
  }
  return n;
}

function escapePointer(key: string): string {
  return key.replace(/~/g, "~0").replace(/\//g, "~1");
}

function compile(schema: unknown, depth: number): Check {
  if (depth > 64) throw new Unsupported();
  if (schema === true) return () => undefined;
  if (schema === false) return () => ({ path: "", message: "False boolean schema." });
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) throw new Unsupported();
  const s = schema as Record<string, unknown>;
  for (const key of Object.keys(s)) if (!SUPPORTED.has(key)) throw new Unsupported();
  if (typeof s.exclusiveMinimum === "boolean" || typeof s.exclusiveMaximum === "boolean") throw new Unsupported(); // draft-04's form
  const checks: Check[] = [];

  if (s.type !== undefined) {
    const types = (Array.isArray(s.type) ? s.type : [s.type]) as string[];
    const expected = types.join(", ");
    checks.push((v) => {
      for (const t of types) if (typeMatches(t, v)) return undefined;
      return { path: "", message: `Instance type "${typeOf(v)}" is invalid. Expected "${expected}".` };
    });
  }
  if (s.enum !== undefined) {
    const values = s.enum as unknown[];
    checks.push((v) => (values.some((e) => equal(e, v)) ? undefined : { path: "", message: `Instance does not match any of ${JSON.stringify(values)}.` }));
  }
  if (s.const !== undefined) {
    const c = s.const;
    checks.push((v) => (equal(c, v) ? undefined : { path: "", message: `Instance does not match ${JSON.stringify(c)}.` }));
  }
  // Number keywords apply to numbers only, string ones to strings, and so on (JSON Schema's rule).
  const num = (ok: (n: number) => boolean, message: string): Check => (v) => (typeof v === "number" && !ok(v) ? { path: "", message: `${v} ${message}` } : undefined);
  if (typeof s.minimum === "number") checks.push(num((n) => n >= (s.minimum as number), `is less than ${s.minimum}.`));
  if (typeof s.maximum === "number") checks.push(num((n) => n <= (s.maximum as number), `is greater than ${s.maximum}.`));
  if (typeof s.exclusiveMinimum === "number") checks.push(num((n) => n > (s.exclusiveMinimum as number), `is less than or equal to ${s.exclusiveMinimum}.`));
  if (typeof s.exclusiveMaximum === "number") checks.push(num((n) => n < (s.exclusiveMaximum as number), `is greater than or equal to ${s.exclusiveMaximum}.`));
  if (typeof s.multipleOf === "number") {
    const m = s.multipleOf;
    checks.push(num((n) => Number.isInteger(n / m) || Math.abs(Math.round(n / m) * m - n) < 1e-9 * Math.max(1, Math.abs(n)), `is not a multiple of ${m}.`));
  }
  const str = (ok: (t: string) => boolean, message: string): Check => (v) => (typeof v === "string" && !ok(v) ? { path: "", message: `String ${message}` } : undefined);
  if (typeof s.minLength === "number") checks.push(str((t) => t.length >= (s.minLength as number) && codePoints(t) >= (s.minLength as number), `is too short (minLength ${s.minLength}).`));
  if (typeof s.maxLength === "number") checks.push(str((t) => t.length <= (s.maxLength as number) || codePoints(t) <= (s.maxLength as number), `is too long (maxLength ${s.maxLength}).`));
  if (typeof s.pattern === "string") {
    const re = new RegExp(s.pattern, "u");
    checks.push(str((t) => re.test(t), `does not match pattern "${s.pattern}".`));
  }

  if (s.items !== undefined) {
    if (Array.isArray(s.items)) throw new Unsupported(); // tuple forms differ between drafts
    const item = compile(s.items, depth + 1);
    checks.push((v) => {
      if (!Array.isArray(v)) return undefined;
      for (let i = 0; i < v.length; i++) {
        const problem = item(v[i]);
        if (problem) return { path: `/${i}${problem.path}`, message: problem.message };
      }
      return undefined;
    });
  }
  const arr = (ok: (a: unknown[]) => boolean, message: string): Check => (v) => (Array.isArray(v) && !ok(v) ? { path: "", message: `Array ${message}` } : undefined);
  if (typeof s.minItems === "number") checks.push(arr((a) => a.length >= (s.minItems as number), `has too few items (minItems ${s.minItems}).`));
  if (typeof s.maxItems === "number") checks.push(arr((a) => a.length <= (s.maxItems as number), `has too many items (maxItems ${s.maxItems}).`));

  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (Array.isArray(s.required) && s.required.length > 0) {
    const required = s.required as string[];
    checks.push((v) => {
      if (!isObject(v)) return undefined;
      for (const name of required) if (!Object.hasOwn(v, name)) return { path: "", message: `Instance does not have required property "${name}".` };
      return undefined;
    });
  }
  if (typeof s.minProperties === "number" || typeof s.maxProperties === "number") {
    const min = (s.minProperties as number | undefined) ?? 0;
    const max = (s.maxProperties as number | undefined) ?? Infinity;
    checks.push((v) => {
      if (!isObject(v)) return undefined;
      const n = Object.keys(v).length;
      return n < min || n > max ? { path: "", message: `Object has ${n} properties, outside [${min}, ${max}].` } : undefined;
    });
  }
  if (s.properties !== undefined || s.additionalProperties !== undefined) {
    const props = new Map<string, Check>();
    for (const [name, sub] of Object.entries((s.properties ?? {}) as Record<string, unknown>)) props.set(name, compile(sub, depth + 1));
    const closed = s.additionalProperties === false;
    const extra = s.additionalProperties === undefined ? undefined : compile(s.additionalProperties, depth + 1);
    checks.push((v) => {
      if (!isObject(v)) return undefined;
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        const check = props.get(key) ?? extra;
        if (check === undefined) continue;
        const problem = check(v[key]);
        if (problem === undefined) continue;
        const at = `/${escapePointer(key)}`;
        if (closed && !props.has(key)) return { path: at, message: `Property "${key}" is not allowed (additionalProperties: false).` };
        return { path: `${at}${problem.path}`, message: problem.message };
      }
      return undefined;
    });
  }

  if (checks.length === 0) return () => undefined;
  if (checks.length === 1) return checks[0]!;
  return (v) => {
    for (const check of checks) {
      const problem = check(v);
      if (problem) return problem;
    }
    return undefined;
  };
}
