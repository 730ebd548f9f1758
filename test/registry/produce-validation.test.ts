// Produce-time validation (value.schema.validation / key.schema.validation): json and registry modes, good and bad
// records, unknown ids, soft-deleted subjects, a schema change taking effect for the next produce, and nothing of a
// failing request appended.
import { describe, expect, it } from "vitest";
import { api, createTopic, produceTo, readAll, uniqueTopic } from "../helpers";
import { wireHeader } from "../../src/registry/wire-format";
import { bytesToBase64 } from "../../src/log/base64";
import { MAX_SCHEMA_BYTES } from "../../src/limits";
import { avro, registerOk, sr } from "./helpers";

const ORDER = { type: "object", properties: { id: { type: "string" }, qty: { type: "integer", minimum: 1 } }, required: ["id"] };

function wire(id: number, payload = [2, 4]): string {
  return bytesToBase64(Uint8Array.from([...wireHeader(id), ...payload]));
}

describe("json validation", () => {
  it("accepts valid JSON values and refuses the whole request for one invalid record, naming its index and path", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const id = await registerOk(`${topic}-value`, JSON.stringify(ORDER), "JSON");
    const good = await produceTo(topic, 0, [{ value: JSON.stringify({ id: "a", qty: 2 }) }, { value: JSON.stringify({ id: "b" }) }, { value: null }]);
    expect(good.status).toBe(200);
    const bad = await produceTo(topic, 0, [{ value: JSON.stringify({ id: "c" }) }, { value: JSON.stringify({ id: "d", qty: 0 }) }]);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ type: "INVALID_RECORD", code: 87, details: { index: 1, field: "value", schemaId: id, path: "#/qty" } });
    const notJson = await api("POST", `/v1/topics/${topic}/records`, { records: [{ value: "{oops" }] });
    expect(notJson.body.error).toMatchObject({ type: "INVALID_RECORD", details: { index: 0 } });
    const missing = await produceTo(topic, 0, [{ value: JSON.stringify({ qty: 3 }) }]);
    expect(missing.body.error.details.path).toBe("#");
    expect((await readAll(topic, 0)).map((r) => r.value)).toEqual([JSON.stringify({ id: "a", qty: 2 }), JSON.stringify({ id: "b" }), null]);
  });

  it("validates base64 values and keys, and refuses a topic whose subject has no schema", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "key.schema.validation": "json" });
    const none = await produceTo(topic, 0, [{ key: '"k"', value: "anything" }]);
    expect(none.body.error).toMatchObject({ type: "INVALID_RECORD", details: { field: "key", subject: `${topic}-key` } });
    await registerOk(`${topic}-key`, JSON.stringify({ type: "string" }), "JSON");
    const b64 = (text: string) => btoa(text);
    expect((await produceTo(topic, 0, [{ key: b64('"k"'), value: b64("anything") }], { encoding: "base64" })).status).toBe(200);
    expect((await produceTo(topic, 0, [{ key: b64("42"), value: null }], { encoding: "base64" })).body.error.type).toBe("INVALID_RECORD");
  });

  it("sees a new schema version at the next produce, and honours a pinned version", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const subject = `${topic}-value`;
    await registerOk(subject, JSON.stringify({ type: "object", properties: { a: { type: "string" } } }), "JSON");
    const withB = JSON.stringify({ a: "x", b: 1 });
    expect((await produceTo(topic, 0, [{ value: withB }])).status).toBe(200);
    await sr("PUT", `/config/${subject}`, { compatibility: "NONE" });
    await registerOk(subject, JSON.stringify({ type: "object", properties: { a: { type: "string" } }, additionalProperties: false }), "JSON");
    expect((await produceTo(topic, 0, [{ value: withB }])).body.error.type).toBe("INVALID_RECORD");
    await api("PATCH", `/v1/topics/${topic}`, { config: { "value.schema.version": 1 } });
    expect((await produceTo(topic, 0, [{ value: withB }])).status).toBe(200);
  });

  it("refuses records once the subject is soft-deleted, and accepts them again when a schema is registered", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const subject = `${topic}-value`;
    await registerOk(subject, JSON.stringify(ORDER), "JSON");
    const record = [{ value: JSON.stringify({ id: "a" }) }];
    expect((await produceTo(topic, 0, record)).status).toBe(200);
    expect((await sr("DELETE", `/subjects/${subject}`)).status).toBe(200);
    expect((await produceTo(topic, 0, record)).body.error).toMatchObject({ type: "INVALID_RECORD", details: { subject } });
    await registerOk(subject, JSON.stringify(ORDER), "JSON");
    expect((await produceTo(topic, 0, record)).status).toBe(200);
  });

  it("validates against a schema with references (@cfworker/json-schema resolves them)", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const address = `${topic}-address`;
    await registerOk(address, JSON.stringify({ type: "object", properties: { city: { type: "string" } }, required: ["city"] }), "JSON");
    const schema = JSON.stringify({ type: "object", properties: { home: { $ref: "address.json" } }, required: ["home"] });
    await registerOk(`${topic}-value`, schema, "JSON", [{ name: "address.json", subject: address, version: 1 }]);
    expect((await produceTo(topic, 0, [{ value: JSON.stringify({ home: { city: "Lyon" } }) }])).status).toBe(200);
    const bad = await produceTo(topic, 0, [{ value: JSON.stringify({ home: { street: "x" } }) }]);
    expect(bad.body.error).toMatchObject({ type: "INVALID_RECORD", details: { path: "#/home" } });
  });

  it("validates against a schema at MAX_SCHEMA_BYTES", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const head = JSON.stringify({ ...ORDER, description: "" });
    const schema = JSON.stringify({ ...ORDER, description: "x".repeat(MAX_SCHEMA_BYTES - head.length) });
    expect(schema.length).toBe(MAX_SCHEMA_BYTES);
    await registerOk(`${topic}-value`, schema, "JSON");
    expect((await produceTo(topic, 0, [{ value: JSON.stringify({ id: "a" }) }])).status).toBe(200);
    expect((await produceTo(topic, 0, [{ value: JSON.stringify({ qty: 1 }) }])).body.error.type).toBe("INVALID_RECORD");
  });
});

describe("registry validation", () => {
  it("accepts wire-format values whose id is registered under <topic>-value, refuses the rest", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "registry" });
    const id = await registerOk(`${topic}-value`, avro([{ name: "n", type: "int" }], "Counted"));
    const other = await registerOk(`${topic}-other`, avro([{ name: "s", type: "string" }], "Other"));
    const good = await produceTo(topic, 0, [{ value: wire(id) }, { value: null }], { encoding: "base64" });
    expect(good.status).toBe(200);
    const cases: [string, string | Record<string, unknown>][] = [
      [wire(other), { schemaId: other, subject: `${topic}-value` }],
      [wire(987_654), { schemaId: 987_654 }],
      [bytesToBase64(Uint8Array.of(1, 0, 0, 0, 1)), {}],
      [bytesToBase64(Uint8Array.of(0, 0)), {}],
    ];
    for (const [value, details] of cases) {
      const r = await produceTo(topic, 0, [{ value: wire(id) }, { value }], { encoding: "base64" });
      expect(r.body.error, value).toMatchObject({ type: "INVALID_RECORD", code: 87, details: { index: 1, field: "value", ...(details as object) } });
    }
    // Only the first request's records: the value bytes read back unchanged, and the tombstone.
    expect((await readAll(topic, 0, "base64")).map((r) => r.value)).toEqual([wire(id), null]);
  });

  it("refuses ids of a soft-deleted subject", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "registry" });
    const id = await registerOk(`${topic}-value`, avro([{ name: "z", type: "long" }], "Deleted"));
    expect((await produceTo(topic, 0, [{ value: wire(id) }], { encoding: "base64" })).status).toBe(200);
    expect((await sr("DELETE", `/subjects/${topic}-value`)).status).toBe(200);
    expect((await produceTo(topic, 0, [{ value: wire(id) }], { encoding: "base64" })).body.error.type).toBe("INVALID_RECORD");
  });

  it("RecordNameStrategy looks for the id under the record's full name", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "registry", "value.subject.name.strategy": "RecordNameStrategy" });
    const name = `Rec${crypto.randomUUID().slice(0, 8)}`;
    const id = await registerOk(`com.acme.${name}`, avro([{ name: "v", type: "int" }], name));
    expect((await produceTo(topic, 0, [{ value: wire(id) }], { encoding: "base64" })).status).toBe(200);
    const topicOnly = await registerOk(`${topic}-value`, avro([{ name: "w", type: "int" }], `${name}B`));
    expect((await produceTo(topic, 0, [{ value: wire(topicOnly) }], { encoding: "base64" })).body.error.type).toBe("INVALID_RECORD");
  });

  it("refuses bad config values", async () => {
    const topic = uniqueTopic();
    const r = await api("POST", "/v1/topics", { name: topic, partitions: 1, config: { "value.schema.validation": "avro" } });
    expect(r.body.error.type).toBe("INVALID_CONFIG");
  });
});
