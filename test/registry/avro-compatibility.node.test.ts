// Property test: edgelog's Avro resolution checker agrees with avsc's resolver (Type.createResolver, which throws when
// a reader cannot read a writer) on random pairs of record schemas: fields added and removed, with and without
// defaults, primitives promoted or changed, unions, arrays and maps. avsc runs here in Node (it compiles code, which
// Workers forbid, so it is a devDependency only).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import avro from "avsc";
import { avroIncompatibilities } from "../../src/registry/avro-compatibility";
import { parseAvroSchema } from "../../src/registry/avro-schema";

const PRIMITIVES = ["int", "long", "float", "double", "string", "bytes", "boolean"] as const;
const DEFAULTS: Record<string, unknown> = { int: 0, long: 0, float: 0, double: 0, string: "", bytes: "", boolean: false, null: null };

type T = string | { type: "array"; items: T } | { type: "map"; values: T } | T[];
const primitive = fc.constantFrom(...PRIMITIVES);
const fieldType: fc.Arbitrary<T> = fc.oneof(
  { weight: 4, arbitrary: primitive },
  { weight: 1, arbitrary: primitive.map((items): T => ({ type: "array", items })) },
  { weight: 1, arbitrary: primitive.map((values): T => ({ type: "map", values })) },
  { weight: 2, arbitrary: fc.uniqueArray(fc.constantFrom("null", ...PRIMITIVES), { minLength: 2, maxLength: 3 }) as fc.Arbitrary<T> },
);

function defaultFor(type: T): unknown {
  if (typeof type === "string") return DEFAULTS[type];
  if (Array.isArray(type)) return DEFAULTS[type[0] as string];
  return type.type === "array" ? [] : {};
}

const field = fc.record({ name: fc.constantFrom("a", "b", "c", "d", "e"), type: fieldType, withDefault: fc.boolean() });
const record = fc.uniqueArray(field, { selector: (f) => f.name, maxLength: 4 }).map((fields) => ({
  type: "record",
  name: "R",
  fields: fields.map((f) => ({ name: f.name, type: f.type, ...(f.withDefault ? { default: defaultFor(f.type) } : {}) })),
}));

function avscCompatible(reader: unknown, writer: unknown): boolean {
  try {
    avro.Type.forSchema(reader as avro.Schema).createResolver(avro.Type.forSchema(writer as avro.Schema));
    return true;
  } catch {
    return false;
  }
}

describe("Avro compatibility agrees with avsc's resolver", () => {
  it("on random record pairs, compatible and not", () => {
    const verdicts = { compatible: 0, incompatible: 0 };
    fc.assert(
      fc.property(record, record, (reader, writer) => {
        const ours = avroIncompatibilities(parseAvroSchema(JSON.stringify(reader)), parseAvroSchema(JSON.stringify(writer)));
        expect(ours.length === 0, `reader ${JSON.stringify(reader)}\nwriter ${JSON.stringify(writer)}\nours: ${ours.join("; ")}`).toBe(avscCompatible(reader, writer));
        verdicts[ours.length === 0 ? "compatible" : "incompatible"]++;
      }),
      { numRuns: 2_000 },
    );
    // The generator must exercise both answers, or agreeing would prove little.
    expect(verdicts.compatible).toBeGreaterThan(200);
    expect(verdicts.incompatible).toBeGreaterThan(200);
  });
});
