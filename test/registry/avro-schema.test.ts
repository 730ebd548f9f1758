// The Avro parser (src/registry/avro-schema.ts) against the specification's rules, the wire format and the subject
// name strategies: pure, table-driven.
import { describe, expect, it } from "vitest";
import { AvroSchemaError, avroRecordName, parseAvroSchema } from "../../src/registry/avro-schema";
import { subjectName } from "../../src/registry/subject-name";
import { wireHeader, wireSchemaId } from "../../src/registry/wire-format";

const valid: [string, unknown][] = [
  ["a primitive", "string"],
  ["a primitive as an object with a logical type", { type: "long", logicalType: "timestamp-millis" }],
  ["a record in a namespace, referring to itself", { type: "record", name: "Node", namespace: "a.b", fields: [{ name: "next", type: ["null", "Node"], default: null }] }],
  ["a dotted name sets the namespace for nested names", { type: "record", name: "a.b.R", fields: [{ name: "e", type: { type: "enum", name: "E", symbols: ["X"] } }, { name: "e2", type: "a.b.E" }] }],
  ["a nested namespace", { type: "record", name: "R", namespace: "n", fields: [{ name: "f", type: { type: "fixed", name: "F", namespace: "m", size: 16 } }, { name: "g", type: "m.F" }] }],
  ["arrays, maps and defaults", { type: "record", name: "R", fields: [{ name: "a", type: { type: "array", items: "int" }, default: [1, 2] }, { name: "m", type: { type: "map", values: "string" }, default: { k: "v" } }] }],
  ["a union default matching the first branch", { type: "record", name: "R", fields: [{ name: "u", type: ["string", "null"], default: "x" }] }],
  ["decimal bytes", { type: "bytes", logicalType: "decimal", precision: 4, scale: 2 }],
];

const invalid: [string, unknown, RegExp][] = [
  ["an unknown type name", { type: "record", name: "R", fields: [{ name: "a", type: "Nope" }] }, /undefined name/],
  ["a redefined name", { type: "record", name: "R", fields: [{ name: "a", type: { type: "enum", name: "R", symbols: ["A"] } }] }, /redefine/],
  ["a union default matching a later branch only", { type: "record", name: "R", fields: [{ name: "u", type: ["null", "string"], default: "x" }] }, /invalid default/],
  ["a union in a union", [["int"], "string"], /unions/],
  ["two maps in a union", [{ type: "map", values: "int" }, { type: "map", values: "string" }], /duplicate/],
  ["a bad field name", { type: "record", name: "R", fields: [{ name: "1a", type: "int" }] }, /field name/],
  ["duplicate fields", { type: "record", name: "R", fields: [{ name: "a", type: "int" }, { name: "a", type: "long" }] }, /duplicate field/],
  ["a bad enum default", { type: "enum", name: "E", symbols: ["A"], default: "B" }, /default/],
  ["a fixed without size", { type: "fixed", name: "F" }, /size/],
  ["an array without items", { type: "array" }, /items/],
  ["a record named like a primitive", { type: "record", name: "int", fields: [] }, /primitive/],
];

describe("parseAvroSchema", () => {
  it.each(valid)("accepts %s", (_name, schema) => {
    expect(() => parseAvroSchema(JSON.stringify(schema))).not.toThrow();
  });
  it.each(invalid)("refuses %s", (_name, schema, message) => {
    expect(() => parseAvroSchema(JSON.stringify(schema))).toThrow(AvroSchemaError);
    expect(() => parseAvroSchema(JSON.stringify(schema))).toThrow(message);
  });
  it("names the top-level record for RecordNameStrategy", () => {
    expect(avroRecordName(parseAvroSchema('{"type":"record","name":"Order","namespace":"com.acme","fields":[]}'))).toBe("com.acme.Order");
    expect(avroRecordName(parseAvroSchema('"string"'))).toBeUndefined();
  });
});

describe("wire format and subject names", () => {
  it("reads the id a header names, big-endian, up to 2^32-1", () => {
    for (const id of [0, 1, 256, 65_536, 2 ** 31, 2 ** 32 - 1]) expect(wireSchemaId(Uint8Array.from([...wireHeader(id), 9]))).toEqual({ id });
    expect(wireSchemaId(Uint8Array.of(0, 0, 0, 1))).toHaveProperty("error");
    expect(wireSchemaId(Uint8Array.of(1, 0, 0, 0, 1))).toHaveProperty("error");
  });
  it("builds subjects per strategy", () => {
    expect(subjectName("TopicNameStrategy", "orders", "value")).toBe("orders-value");
    expect(subjectName("TopicNameStrategy", "orders", "key")).toBe("orders-key");
    expect(subjectName("RecordNameStrategy", "orders", "value", "com.acme.Order")).toBe("com.acme.Order");
    expect(subjectName("TopicRecordNameStrategy", "orders", "value", "com.acme.Order")).toBe("orders-com.acme.Order");
    expect(subjectName("RecordNameStrategy", "orders", "value")).toBeUndefined();
  });
});
