// Compatibility matrices from fixed schema pairs: each mode accepts and refuses the documented cases (docs/schemas.md),
// and transitive modes look at every earlier version. Pure: the leaf modules, no registry object.
import { describe, expect, it } from "vitest";
import { checkCompatibility, type CompatibilityLevel } from "../../src/registry/compatibility";
import { parseSchema, type ParsedSchema } from "../../src/registry/parsed-schema";

const rec = (fields: unknown[], extra: Record<string, unknown> = {}) => parseSchema("AVRO", JSON.stringify({ type: "record", name: "R", namespace: "n", fields, ...extra }));
const js = (schema: unknown) => parseSchema("JSON", JSON.stringify(schema));

/** old → new pairs, and which directions each is compatible in: [backward (new reads old), forward (old reads new)]. */
const AVRO_PAIRS: [string, ParsedSchema, ParsedSchema, boolean, boolean][] = [
  ["add a field with a default", rec([{ name: "a", type: "int" }]), rec([{ name: "a", type: "int" }, { name: "b", type: "string", default: "" }]), true, true],
  ["add a field without a default", rec([{ name: "a", type: "int" }]), rec([{ name: "a", type: "int" }, { name: "b", type: "string" }]), false, true],
  ["remove a field without a default", rec([{ name: "a", type: "int" }, { name: "b", type: "string" }]), rec([{ name: "a", type: "int" }]), true, false],
  ["remove a field with a default", rec([{ name: "a", type: "int" }, { name: "b", type: "string", default: "" }]), rec([{ name: "a", type: "int" }]), true, true],
  ["promote int to long", rec([{ name: "a", type: "int" }]), rec([{ name: "a", type: "long" }]), true, false],
  ["narrow double to float", rec([{ name: "a", type: "double" }]), rec([{ name: "a", type: "float" }]), false, true],
  ["change string to int", rec([{ name: "a", type: "string" }]), rec([{ name: "a", type: "int" }]), false, false],
  ["string and bytes interchange", rec([{ name: "a", type: "string" }]), rec([{ name: "a", type: "bytes" }]), true, true],
  ["widen a field to a union", rec([{ name: "a", type: "int" }]), rec([{ name: "a", type: ["null", "int"], default: null }]), true, false],
  ["add an enum symbol", parseSchema("AVRO", '{"type":"enum","name":"E","symbols":["A"]}'), parseSchema("AVRO", '{"type":"enum","name":"E","symbols":["A","B"]}'), true, false],
  ["add an enum symbol, with a default", parseSchema("AVRO", '{"type":"enum","name":"E","symbols":["A"],"default":"A"}'), parseSchema("AVRO", '{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}'), true, true],
  ["rename a record", rec([{ name: "a", type: "int" }]), parseSchema("AVRO", '{"type":"record","name":"S","namespace":"n","fields":[{"name":"a","type":"int"}]}'), false, false],
  ["rename a record with an alias", rec([{ name: "a", type: "int" }]), parseSchema("AVRO", '{"type":"record","name":"S","namespace":"n","aliases":["R"],"fields":[{"name":"a","type":"int"}]}'), true, false],
  ["rename a field with an alias", rec([{ name: "a", type: "int" }]), rec([{ name: "b", type: "int", aliases: ["a"] }]), true, false],
  ["change a fixed size", parseSchema("AVRO", '{"type":"fixed","name":"F","size":4}'), parseSchema("AVRO", '{"type":"fixed","name":"F","size":8}'), false, false],
  ["array items promoted", parseSchema("AVRO", '{"type":"array","items":"int"}'), parseSchema("AVRO", '{"type":"array","items":"long"}'), true, false],
  ["recursive type unchanged", rec([{ name: "next", type: ["null", "R"], default: null }]), rec([{ name: "next", type: ["null", "R"], default: null }]), true, true],
];

const JSON_PAIRS: [string, ParsedSchema, ParsedSchema, boolean, boolean][] = [
  ["add a required property", js({ type: "object", properties: { a: { type: "string" } } }), js({ type: "object", properties: { a: { type: "string" } }, required: ["a"] }), false, true],
  [
    "remove a property under a closed content model",
    js({ type: "object", properties: { a: { type: "string" }, b: { type: "integer" } }, additionalProperties: false }),
    js({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false }),
    false,
    true,
  ],
  ["remove a property under an open content model", js({ type: "object", properties: { a: { type: "string" }, b: { type: "integer" } } }), js({ type: "object", properties: { a: { type: "string" } } }), true, false],
  [
    "add an optional property under a closed content model",
    js({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false }),
    js({ type: "object", properties: { a: { type: "string" }, b: { type: "integer" } }, additionalProperties: false }),
    true,
    false,
  ],
  ["narrow a type (number to integer)", js({ type: "object", properties: { a: { type: "number" } } }), js({ type: "object", properties: { a: { type: "integer" } } }), false, true],
  ["widen a type (add null)", js({ type: "object", properties: { a: { type: "string" } } }), js({ type: "object", properties: { a: { type: ["string", "null"] } } }), true, false],
  ["change an enum (remove a value)", js({ enum: ["A", "B"] }), js({ enum: ["A"] }), false, true],
  ["change an enum (replace a value)", js({ enum: ["A", "B"] }), js({ enum: ["A", "C"] }), false, false],
  ["tighten maxLength", js({ type: "string", maxLength: 10 }), js({ type: "string", maxLength: 5 }), false, true],
  ["identical", js({ type: "object", properties: { a: { type: "string" } } }), js({ type: "object", properties: { a: { type: "string" } } }), true, true],
];

function modeAccepts(mode: CompatibilityLevel, old: ParsedSchema, next: ParsedSchema): boolean {
  return checkCompatibility(mode, next, [{ version: 1, schema: old }]).length === 0;
}

describe.each([
  ["AVRO", AVRO_PAIRS],
  ["JSON", JSON_PAIRS],
] as const)("%s compatibility matrix", (_type, pairs) => {
  it.each(pairs)("%s", (_name, old, next, backward, forward) => {
    expect(modeAccepts("BACKWARD", old, next), "BACKWARD").toBe(backward);
    expect(modeAccepts("FORWARD", old, next), "FORWARD").toBe(forward);
    expect(modeAccepts("FULL", old, next), "FULL").toBe(backward && forward);
    expect(modeAccepts("BACKWARD_TRANSITIVE", old, next)).toBe(backward);
    expect(modeAccepts("FORWARD_TRANSITIVE", old, next)).toBe(forward);
    expect(modeAccepts("FULL_TRANSITIVE", old, next)).toBe(backward && forward);
    expect(modeAccepts("NONE", old, next), "NONE").toBe(true);
  });
});

describe("transitive modes check every earlier version", () => {
  // v1 {a}; v2 {a, b default} ; v3 {a, b without default}: v3 reads v2's data (b is there) but not v1's.
  const v1 = rec([{ name: "a", type: "int" }]);
  const v2 = rec([{ name: "a", type: "int" }, { name: "b", type: "int", default: 0 }]);
  const v3 = rec([{ name: "a", type: "int" }, { name: "b", type: "int" }]);
  const history = [
    { version: 1, schema: v1 },
    { version: 2, schema: v2 },
  ];
  it("BACKWARD accepts v3 against v2 alone; BACKWARD_TRANSITIVE and FULL_TRANSITIVE refuse it for v1", () => {
    expect(checkCompatibility("BACKWARD", v3, history)).toEqual([]);
    expect(checkCompatibility("BACKWARD_TRANSITIVE", v3, history).join()).toContain("version 1");
    expect(checkCompatibility("FULL_TRANSITIVE", v3, history).join()).toContain("version 1");
  });
  it("FORWARD_TRANSITIVE: v1 readers must read every new version", () => {
    // v1 {a, b default}; v2 {a, b default, c}; v3 drops b: v2 reads v3 (b has a default there), v1 too (default).
    const f1 = rec([{ name: "a", type: "int" }, { name: "b", type: "int" }]);
    const f2 = rec([{ name: "a", type: "int" }, { name: "b", type: "int", default: 0 }]);
    const f3 = rec([{ name: "a", type: "int" }]);
    const h = [
      { version: 1, schema: f1 },
      { version: 2, schema: f2 },
    ];
    expect(checkCompatibility("FORWARD", f3, h)).toEqual([]);
    expect(checkCompatibility("FORWARD_TRANSITIVE", f3, h).join()).toContain("version 1");
  });
});
