// JSON Schema compatibility: may a reader schema accept every document a writer schema accepts? The rules (documented
// in docs/schemas.md, after Confluent's): a type may widen (integer → number, a type added) but not narrow; an enum may
// gain values but not lose them (nor appear where there was none); a property may not become required; numeric,
// length and size bounds may loosen but not tighten; under a closed content model (additionalProperties: false) a
// property may not be removed by the reader, and under an open one the reader may not add a property the writer's
// documents could carry with any value. Keywords compared structurally only ($ref, combinators, patterns, formats)
// must stay unchanged. Pure: no I/O.
import type { Schema } from "@cfworker/json-schema";

type S = Schema | boolean;

export function jsonSchemaIncompatibilities(reader: S, writer: S): string[] {
  const problems: string[] = [];
  check(reader, writer, "#", problems, 0);
  return problems;
}

/** The empty schema (accepts anything) as an object, so both forms compare alike. */
function asObject(s: S | undefined): Schema | false {
  if (s === undefined || s === true) return {};
  if (s === false) return false;
  return s;
}

function typesOf(s: Schema): Set<string> | undefined {
  if (s.type === undefined) return undefined;
  return new Set(Array.isArray(s.type) ? s.type : [s.type]);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

const STRUCTURAL = ["$ref", "anyOf", "allOf", "oneOf", "not", "if", "then", "else", "pattern", "format", "const", "multipleOf", "patternProperties", "uniqueItems"];
/** [lower-bound keyword, upper-bound keyword]: the reader's lower may not rise, its upper may not fall. */
const BOUNDS: readonly [string, string][] = [
  ["minimum", "maximum"],
  ["minLength", "maxLength"],
  ["minItems", "maxItems"],
  ["minProperties", "maxProperties"],
];

function check(readerIn: S | undefined, writerIn: S | undefined, path: string, problems: string[], depth: number): void {
  if (depth > 64) return;
  const reader = asObject(readerIn);
  const writer = asObject(writerIn);
  if (writer === false) return; // the writer accepts nothing: any reader reads it all
  if (reader === false) {
    problems.push(`${path}: the reader accepts nothing where the writer accepts documents`);
    return;
  }
  const rt = typesOf(reader);
  const wt = typesOf(writer);
  if (rt !== undefined) {
    if (wt === undefined) problems.push(`${path}: type narrowed from any to ${[...rt].join(", ")}`);
    else {
      const lost = [...wt].filter((t) => !rt.has(t) && !(t === "integer" && rt.has("number")));
      if (lost.length > 0) problems.push(`${path}: type narrowed: ${lost.join(", ")} no longer allowed`);
    }
  }
  if (reader.enum !== undefined) {
    if (writer.enum === undefined) problems.push(`${path}: enum added`);
    else {
      const lost = writer.enum.filter((v) => !reader.enum!.some((r) => deepEqual(r, v)));
      if (lost.length > 0) problems.push(`${path}: enum changed: ${lost.map((v) => JSON.stringify(v)).join(", ")} removed`);
    }
  }
  for (const [low, high] of BOUNDS) {
    const rl = reader[low] as number | undefined;
    const wl = writer[low] as number | undefined;
    if (rl !== undefined && (wl === undefined || rl > wl)) problems.push(`${path}: ${low} tightened to ${rl}`);
    const rh = reader[high] as number | undefined;
    const wh = writer[high] as number | undefined;
    if (rh !== undefined && (wh === undefined || rh < wh)) problems.push(`${path}: ${high} tightened to ${rh}`);
  }
  for (const key of STRUCTURAL) {
    if (reader[key] !== undefined && !deepEqual(reader[key], writer[key])) problems.push(`${path}: ${key} changed (compared unchanged only)`);
  }
  const writerRequired = new Set(writer.required ?? []);
  for (const name of reader.required ?? []) if (!writerRequired.has(name)) problems.push(`${path}/properties/${name}: required property added`);

  const rp = (reader.properties ?? {}) as Record<string, S>;
  const wp = (writer.properties ?? {}) as Record<string, S>;
  const writerClosed = writer.additionalProperties === false;
  for (const [name, sub] of Object.entries(rp)) {
    const at = `${path}/properties/${name}`;
    if (name in wp) check(sub, wp[name], at, problems, depth + 1);
    // The writer's documents never carry it (closed), or carry it as its additionalProperties allows.
    else if (!writerClosed) check(sub, writer.additionalProperties as S | undefined, at, problems, depth + 1);
  }
  for (const [name, sub] of Object.entries(wp)) {
    if (name in rp) continue;
    const at = `${path}/properties/${name}`;
    if (reader.additionalProperties === false) problems.push(`${at}: property removed under a closed content model`);
    else if (reader.additionalProperties !== undefined) check(reader.additionalProperties as S, sub, at, problems, depth + 1);
  }
  if (reader.additionalProperties !== undefined && reader.additionalProperties !== true) {
    if (writer.additionalProperties === undefined || writer.additionalProperties === true) problems.push(`${path}/additionalProperties: content model closed or narrowed`);
    else check(reader.additionalProperties as S, writer.additionalProperties as S, `${path}/additionalProperties`, problems, depth + 1);
  }
  if (reader.items !== undefined && !Array.isArray(reader.items)) {
    if (Array.isArray(writer.items)) problems.push(`${path}/items: changed from a tuple to a list`);
    else check(reader.items, writer.items, `${path}/items`, problems, depth + 1);
  } else if (Array.isArray(reader.items) && !deepEqual(reader.items, writer.items)) problems.push(`${path}/items: tuple items changed (compared unchanged only)`);
}
