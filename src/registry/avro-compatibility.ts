// Avro schema resolution (the specification's "Schema Resolution", as Java's SchemaCompatibility applies it): can a
// reader schema read every datum a writer schema wrote? Returns the incompatibilities found, each with its path, empty
// when compatible. Recursive types are cycles: a (reader, writer) pair under check is assumed compatible when met again.
// Pure: no I/O.
import { shortName, type AvroType } from "./avro-schema";

/** Writer primitive → reader primitives it promotes to (the spec's promotions). */
const PROMOTIONS: Record<string, readonly string[]> = {
  int: ["long", "float", "double"],
  long: ["float", "double"],
  float: ["double"],
  string: ["bytes"],
  bytes: ["string"],
};

export function avroIncompatibilities(reader: AvroType, writer: AvroType): string[] {
  const problems: string[] = [];
  check(reader, writer, "/", new Set(), problems);
  return problems;
}

function typeName(t: AvroType): string {
  return t.kind === "primitive" ? t.type : t.kind === "record" || t.kind === "enum" || t.kind === "fixed" ? t.name : t.kind;
}

/** Java's schemaNameEquals: unqualified names equal, or a reader alias names the writer's full name. */
function namesMatch(reader: { name: string; aliases: string[] }, writer: { name: string }): boolean {
  return shortName(reader.name) === shortName(writer.name) || reader.aliases.includes(writer.name);
}

/** Pairs under check, keyed by object identity (named types are shared objects, so recursion meets the same pair). */
const ids = new WeakMap<AvroType, number>();
let nextId = 0;
function idOf(t: AvroType): number {
  let id = ids.get(t);
  if (id === undefined) ids.set(t, (id = nextId++));
  return id;
}

function check(reader: AvroType, writer: AvroType, path: string, inProgress: Set<string>, problems: string[]): void {
  const pair = `${idOf(reader)}:${idOf(writer)}`;
  if (inProgress.has(pair)) return;
  inProgress.add(pair);
  try {
    if (writer.kind === "union") {
      // Every branch the writer may have written must be readable.
      writer.branches.forEach((branch, i) => {
        if (reader.kind === "union" ? !reader.branches.some((r) => compatible(r, branch, inProgress)) : !compatible(reader, branch, inProgress)) {
          problems.push(`${path}: reader ${describe(reader)} cannot read the writer's union branch ${i} (${typeName(branch)})`);
        }
      });
      return;
    }
    if (reader.kind === "union") {
      if (!reader.branches.some((r) => compatible(r, writer, inProgress))) problems.push(`${path}: no branch of the reader's union matches the writer's ${typeName(writer)}`);
      return;
    }
    if (reader.kind === "primitive" && writer.kind === "primitive") {
      if (reader.type !== writer.type && !(PROMOTIONS[writer.type] ?? []).includes(reader.type)) problems.push(`${path}: type changed from ${writer.type} to ${reader.type}`);
      return;
    }
    if (reader.kind !== writer.kind) {
      problems.push(`${path}: type changed from ${typeName(writer)} to ${typeName(reader)}`);
      return;
    }
    switch (reader.kind) {
      case "array":
        check(reader.items, (writer as typeof reader).items, `${path}items/`, inProgress, problems);
        return;
      case "map":
        check(reader.values, (writer as typeof reader).values, `${path}values/`, inProgress, problems);
        return;
      case "fixed": {
        const w = writer as typeof reader;
        if (!namesMatch(reader, w)) problems.push(`${path}: fixed name changed from ${w.name} to ${reader.name}`);
        else if (reader.size !== w.size) problems.push(`${path}: fixed ${reader.name} size changed from ${w.size} to ${reader.size}`);
        return;
      }
      case "enum": {
        const w = writer as typeof reader;
        if (!namesMatch(reader, w)) {
          problems.push(`${path}: enum name changed from ${w.name} to ${reader.name}`);
          return;
        }
        const missing = w.symbols.filter((s) => !reader.symbols.includes(s));
        if (missing.length > 0 && reader.default === undefined) problems.push(`${path}: enum ${reader.name} lacks the writer's symbols ${missing.join(", ")} and has no default`);
        return;
      }
      case "record": {
        const w = writer as typeof reader;
        if (!namesMatch(reader, w)) {
          problems.push(`${path}: record name changed from ${w.name} to ${reader.name}`);
          return;
        }
        for (const field of reader.fields) {
          const written = w.fields.find((f) => f.name === field.name) ?? w.fields.find((f) => field.aliases.includes(f.name));
          if (written === undefined) {
            if (!field.hasDefault) problems.push(`${path}${field.name}: reader's field ${field.name} has no default and the writer's record ${w.name} lacks it`);
            continue;
          }
          check(field.type, written.type, `${path}${field.name}/`, inProgress, problems);
        }
        return;
      }
      case "primitive":
        return; // handled above
    }
  } finally {
    inProgress.delete(pair);
  }
}

function compatible(reader: AvroType, writer: AvroType, inProgress: Set<string>): boolean {
  const problems: string[] = [];
  check(reader, writer, "/", inProgress, problems);
  return problems.length === 0;
}

function describe(t: AvroType): string {
  return t.kind === "union" ? `union [${t.branches.map(typeName).join(", ")}]` : typeName(t);
}
