// Schema registry changes reach produce validation through the topic's metadata version (issue 23): the router keeps
// what it read from the registry until the topic's schemaGeneration moves past it, so the registry is asked once per
// change that matters, not every second. A change made through another isolate (here: straight at the registry
// object, so this isolate's registry routes do not drop its cache) is enforced on the first produce after it answered;
// a notice the controller missed is retried by the registry's alarm; an old notice moves nothing back.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../src/env";
import type { Result } from "../../src/errors";
import type { TopicMetadata } from "../../src/protocol";
import { controllerStub, schemaRegistryStub } from "../../src/names";
import type { SchemaRegistry } from "../../src/registry/SchemaRegistry";
import { SubjectNotices } from "../../src/registry/subject-notices";
import { validationUsesSubject } from "../../src/registry/subject-name";
import { forgetIsolateSchemas, schemaRegistryReads } from "../../src/service/schema-validation";
import { metadataClock, REFUSAL_RECHECK_MS } from "../../src/service/metadata";
import { bytesToBase64 } from "../../src/log/base64";
import { wireHeader } from "../../src/registry/wire-format";
import { createTopic, produceTo, readAll, uniqueTopic } from "../helpers";
import { avro, registerOk, sr } from "./helpers";

const registry = () => schemaRegistryStub(env as Env);
const controller = () => controllerStub(env as Env);
const OPEN = { type: "object", properties: { a: { type: "string" } } };
const CLOSED = { ...OPEN, additionalProperties: false };

async function topicMeta(topic: string) {
  const r = (await controller().getTopic(topic)) as Result<TopicMetadata>;
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

describe("schema changes through the topic's version", () => {
  it("asks the registry once, then not again without a change, however many produces", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    await registerOk(`${topic}-value`, JSON.stringify(OPEN), "JSON");
    expect((await produceTo(topic, 0, [{ value: '{"a":"x"}' }])).status).toBe(200);
    const reads = schemaRegistryReads();
    for (let i = 0; i < 5; i++) expect((await produceTo(topic, 0, [{ value: `{"a":"${i}"}` }])).status).toBe(200);
    expect(schemaRegistryReads()).toBe(reads);
  });

  it("a new isolate at the same location takes the location's answer; a change costs the location one registry read", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const subject = `${topic}-value`;
    await registerOk(subject, JSON.stringify(OPEN), "JSON");
    await sr("PUT", `/config/${subject}`, { compatibility: "NONE" });
    expect((await produceTo(topic, 0, [{ value: '{"a":"x"}' }])).status).toBe(200);
    let reads = schemaRegistryReads();
    for (let i = 0; i < 3; i++) {
      forgetIsolateSchemas();
      expect((await produceTo(topic, 0, [{ value: '{"a":"y"}' }])).status).toBe(200);
    }
    expect(schemaRegistryReads()).toBe(reads);
    // A change (through another isolate): the first isolate to produce reads the registry, the next ones the location.
    expect(await registry().register(subject, { schemaType: "JSON", schema: JSON.stringify(CLOSED), references: [] })).toMatchObject({ ok: true });
    expect((await produceTo(topic, 0, [{ value: '{"a":"z"}' }])).body.error.type).toBe("STALE_METADATA");
    reads = schemaRegistryReads();
    for (let i = 0; i < 3; i++) {
      forgetIsolateSchemas();
      expect((await produceTo(topic, 0, [{ value: '{"a":"z","b":1}' }])).body.error).toMatchObject({ type: "INVALID_RECORD", details: { version: 2 } });
    }
    expect(schemaRegistryReads()).toBe(reads + 1);
  });

  it("a version registered through another isolate: the next produce is refused retriably, its retry is checked against it, nothing appended", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const subject = `${topic}-value`;
    await registerOk(subject, JSON.stringify(OPEN), "JSON");
    await sr("PUT", `/config/${subject}`, { compatibility: "NONE" });
    const withB = [{ value: JSON.stringify({ a: "x", b: 1 }) }];
    expect((await produceTo(topic, 0, withB)).status).toBe(200);
    const before = await topicMeta(topic);
    const added = await registry().register(subject, { schemaType: "JSON", schema: JSON.stringify(CLOSED), references: [] });
    expect(added).toMatchObject({ ok: true, value: { version: 2 } });
    const after = await topicMeta(topic);
    expect(after.version).toBe(before.version + 1);
    expect(after.schemaGeneration).toBeGreaterThan(before.schemaGeneration ?? 0);
    const reads = schemaRegistryReads();
    const first = await produceTo(topic, 0, withB);
    expect(first.status, JSON.stringify(first.body)).toBe(503);
    expect(first.body.error).toMatchObject({ type: "STALE_METADATA", retriable: true });
    const retry = await produceTo(topic, 0, withB);
    expect(retry.body.error).toMatchObject({ type: "INVALID_RECORD", details: { subject, version: 2 } });
    expect(schemaRegistryReads()).toBe(reads + 1);
    expect((await readAll(topic, 0)).map((r) => r.value)).toEqual([withB[0]!.value]);
  });

  it("a subject soft-deleted through another isolate: nothing is validated against it after the delete answered", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "registry" });
    const subject = `${topic}-value`;
    const id = await registerOk(subject, avro([{ name: "n", type: "int" }], "Gone"));
    const value = bytesToBase64(Uint8Array.from([...wireHeader(id), 2]));
    expect((await produceTo(topic, 0, [{ value }], { encoding: "base64" })).status).toBe(200);
    expect(await registry().deleteSubject(subject, false)).toMatchObject({ ok: true });
    expect((await produceTo(topic, 0, [{ value }], { encoding: "base64" })).body.error.type).toBe("STALE_METADATA");
    expect((await produceTo(topic, 0, [{ value }], { encoding: "base64" })).body.error).toMatchObject({ type: "INVALID_RECORD", details: { schemaId: id } });
    // A permanent delete after the soft one changes nothing validation sees: no new version.
    const version = (await topicMeta(topic)).version;
    expect(await registry().deleteSubject(subject, true)).toMatchObject({ ok: true });
    expect((await topicMeta(topic)).version).toBe(version);
  });

  it("a first schema registered through another isolate is accepted within REFUSAL_RECHECK_MS", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const record = [{ value: '{"a":"x"}' }];
    expect((await produceTo(topic, 0, record)).body.error.type).toBe("INVALID_RECORD"); // no schema yet
    expect(await registry().register(`${topic}-value`, { schemaType: "JSON", schema: JSON.stringify(OPEN), references: [] })).toMatchObject({ ok: true });
    // Refused from this isolate's cache: no partition was called to say the version moved, and the recheck is not due.
    expect((await produceTo(topic, 0, record)).body.error.type).toBe("INVALID_RECORD");
    metadataClock.advance(REFUSAL_RECHECK_MS);
    expect((await produceTo(topic, 0, record)).status).toBe(200);
  });

  it("a change the controller was not told of is told by the registry's alarm; a late, older notice moves nothing back", async () => {
    const topic = uniqueTopic();
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    const subject = `${topic}-value`;
    await registerOk(subject, JSON.stringify(OPEN), "JSON");
    const before = await topicMeta(topic);
    // The change is on record but its notice failed (as when the controller does not answer).
    const generation = await runInDurableObject(registry(), (_: SchemaRegistry, state) => new SubjectNotices(state.storage.sql, env as Env, state.storage).changed(subject));
    expect((await topicMeta(topic)).version).toBe(before.version);
    expect(await runDurableObjectAlarm(registry())).toBe(true);
    const told = await topicMeta(topic);
    expect([told.version, told.schemaGeneration]).toEqual([before.version + 1, generation]);
    const left = await runInDurableObject(registry(), (_: SchemaRegistry, state) => state.storage.sql.exec("SELECT count(*) AS n FROM pending_subject_notices").one().n);
    expect(left).toBe(0);
    expect(await controller().schemaChanged(subject, generation - 1)).toBe(0);
    expect(await controller().schemaChanged(subject, generation)).toBe(0);
    expect((await topicMeta(topic)).version).toBe(told.version);
  });

  it("a topic created after a change it missed starts from the registry's generation: older cached answers are not used", async () => {
    const topic = uniqueTopic();
    const subject = `${topic}-value`;
    await createTopic(topic, 1, { "value.schema.validation": "json" });
    await registerOk(subject, JSON.stringify(OPEN), "JSON");
    await sr("PUT", `/config/${subject}`, { compatibility: "NONE" });
    const withB = [{ value: JSON.stringify({ a: "x", b: 1 }) }];
    expect((await produceTo(topic, 0, withB)).status).toBe(200); // this isolate caches version 1's validator
    // Another isolate deletes the topic, registers a stricter version (no topic to tell), and recreates the topic.
    expect(await controller().deleteTopic(topic)).toMatchObject({ ok: true });
    expect(await registry().register(subject, { schemaType: "JSON", schema: JSON.stringify(CLOSED), references: [] })).toMatchObject({ ok: true });
    expect(await controller().createTopic({ name: topic, partitions: 1, replicationFactor: 1, placement: [], config: { "value.schema.validation": "json" } })).toMatchObject({ ok: true });
    // Routed to the old topic id: the partition's answer is passed on (retriable), the metadata refreshed.
    expect((await produceTo(topic, 0, withB)).body.error).toMatchObject({ retriable: true });
    expect((await produceTo(topic, 0, withB)).body.error).toMatchObject({ type: "INVALID_RECORD", details: { subject, version: 2 } });
  });

  it("bumps only topics whose validation may use the subject", async () => {
    const plain = uniqueTopic();
    const other = uniqueTopic();
    await createTopic(plain, 1);
    await createTopic(other, 1, { "value.schema.validation": "json" });
    const versions = [(await topicMeta(plain)).version, (await topicMeta(other)).version];
    await registerOk(`${plain}-value`, JSON.stringify(OPEN), "JSON");
    expect([(await topicMeta(plain)).version, (await topicMeta(other)).version]).toEqual(versions);
  });
});

describe("validationUsesSubject", () => {
  it("matches each mode and strategy", () => {
    const json = { "value.schema.validation": "json" };
    expect(validationUsesSubject("t", json, "t-value")).toBe(true);
    expect(validationUsesSubject("t", json, "t-key")).toBe(false);
    expect(validationUsesSubject("t", { "key.schema.validation": "registry" }, "t-key")).toBe(true);
    expect(validationUsesSubject("t", { "value.schema.validation": "registry", "value.subject.name.strategy": "TopicRecordNameStrategy" }, "t-com.acme.Order")).toBe(true);
    expect(validationUsesSubject("t", { "value.schema.validation": "registry", "value.subject.name.strategy": "TopicRecordNameStrategy" }, "u-com.acme.Order")).toBe(false);
    expect(validationUsesSubject("t", { "value.schema.validation": "registry", "value.subject.name.strategy": "RecordNameStrategy" }, "com.acme.Order")).toBe(true);
    expect(validationUsesSubject("t", { "value.schema.validation": "none" }, "t-value")).toBe(false);
    expect(validationUsesSubject("t", {}, "t-value")).toBe(false);
  });
});
