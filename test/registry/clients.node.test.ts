// Real serializer clients against a real local edgelog as their schema registry: @kafkajs/confluent-schema-registry
// and @confluentinc/schemaregistry register, fetch by id, encode and decode Avro and JSON Schema values and check
// compatibility; the bytes they encode pass `registry` validation on produce and read back unchanged. Auth is on:
// the clients authenticate with HTTP basic auth, the edgelog token as the password (docs/schemas.md).
import { createHash } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SchemaRegistry, SchemaType } from "@kafkajs/confluent-schema-registry";
import { AvroDeserializer, AvroSerializer, JsonDeserializer, JsonSerializer, SchemaRegistryClient, SerdeType } from "@confluentinc/schemaregistry";
import { startServer, uniqueName, type TestServer } from "../client/server.node";
import { REGISTRY_BODY_ROUTES } from "./body-routes";

const TOKEN = "schema-registry-test-token";
const tokens = [
  {
    name: "sr-client",
    sha256: createHash("sha256").update(TOKEN).digest("hex"),
    acls: [
      { resource: "subject", name: "*", patternType: "literal", operations: ["admin"] },
      { resource: "topic", name: "*", patternType: "literal", operations: ["admin"] },
      { resource: "cluster", name: "cluster", patternType: "literal", operations: ["admin"] },
    ],
  },
];

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ EDGELOG_AUTH: "on", EDGELOG_TOKENS: JSON.stringify(tokens) });
});
afterAll(async () => {
  await server?.stop();
});

const registryUrl = () => `${server.base}/schema-registry`;

async function call(method: string, path: string, body?: unknown): Promise<any> {
  const r = await fetch(`${server.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
  return JSON.parse(text);
}

/** Produces wire-format bytes to a topic validating in `registry` mode, and reads them back. */
async function roundTrip(topic: string, values: Buffer[]): Promise<Buffer[]> {
  await call("POST", `/v1/topics/${topic}/partitions/0/records`, { encoding: "base64", records: values.map((v) => ({ value: v.toString("base64") })) });
  const page = await call("GET", `/v1/topics/${topic}/partitions/0/records?offset=0&encoding=base64`);
  return page.records.map((r: { value: string }) => Buffer.from(r.value, "base64"));
}

const ORDER_AVRO = { type: "record", name: "Order", namespace: "com.acme", fields: [{ name: "id", type: "string" }, { name: "qty", type: "int" }] };
const ORDER_AVRO_V2 = { ...ORDER_AVRO, fields: [...ORDER_AVRO.fields, { name: "note", type: ["null", "string"], default: null }] };
const ORDER_AVRO_BAD = { ...ORDER_AVRO, fields: [...ORDER_AVRO.fields, { name: "required", type: "string" }] };
const ORDER_JSON = { type: "object", properties: { id: { type: "string" }, qty: { type: "integer" } }, required: ["id"] };

describe("@kafkajs/confluent-schema-registry", () => {
  it("registers, encodes and decodes Avro and JSON Schema; the bytes pass registry validation unchanged", async () => {
    const registry = new SchemaRegistry({ host: registryUrl(), auth: { username: "ignored", password: TOKEN } });
    const topic = uniqueName("kjs");
    await call("POST", "/v1/topics", { name: topic, partitions: 1, config: { "value.schema.validation": "registry" } });
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_AVRO) }, { subject: `${topic}-value` });
    expect(await registry.getLatestSchemaId(`${topic}-value`)).toBe(id);
    const again = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_AVRO) }, { subject: `${topic}-value` });
    expect(again.id).toBe(id);
    const encoded = await registry.encode(id, { id: "o-1", qty: 3 });
    const [back] = await roundTrip(topic, [encoded]);
    expect(back!.equals(encoded)).toBe(true);
    expect(await registry.decode(back!)).toEqual({ id: "o-1", qty: 3 });
    // Incompatible under BACKWARD (kafkajs sets the subject's level on its first registration).
    await expect(registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(ORDER_AVRO_BAD) }, { subject: `${topic}-value` })).rejects.toThrow(/incompatible/i);
    // JSON Schema, under a subject of its own.
    const json = await registry.register({ type: SchemaType.JSON, schema: JSON.stringify(ORDER_JSON) }, { subject: `${topic}-json` });
    const jsonEncoded = await registry.encode(json.id, { id: "j", qty: 1 });
    expect(await registry.decode(jsonEncoded)).toEqual({ id: "j", qty: 1 });
    // A fresh client (empty cache) fetches the schema by id from edgelog.
    const fresh = new SchemaRegistry({ host: registryUrl(), auth: { username: "x", password: TOKEN } });
    expect(await fresh.decode(back!)).toEqual({ id: "o-1", qty: 3 });
    // Bytes naming a schema registered elsewhere are refused by the topic.
    await expect(roundTrip(topic, [jsonEncoded])).rejects.toThrow(/INVALID_RECORD/);
  });
});

describe("@confluentinc/schemaregistry", () => {
  it("registers, serializes and deserializes Avro and JSON Schema, checks compatibility; the bytes pass registry validation unchanged", async () => {
    const client = new SchemaRegistryClient({ baseURLs: [registryUrl()], basicAuthCredentials: { credentialsSource: "USER_INFO", userInfo: `ignored:${TOKEN}` } });
    const topic = uniqueName("cfl");
    await call("POST", "/v1/topics", { name: topic, partitions: 1, config: { "value.schema.validation": "registry" } });
    const subject = `${topic}-value`;
    const id = await client.register(subject, { schemaType: "AVRO", schema: JSON.stringify(ORDER_AVRO) });
    expect((await client.getBySubjectAndId(subject, id)).schema).toBe(JSON.stringify(ORDER_AVRO));
    expect(await client.testSubjectCompatibility(subject, { schemaType: "AVRO", schema: JSON.stringify(ORDER_AVRO_V2) })).toBe(true);
    expect(await client.testSubjectCompatibility(subject, { schemaType: "AVRO", schema: JSON.stringify(ORDER_AVRO_BAD) })).toBe(false);
    const serializer = new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true });
    const bytes = await serializer.serialize(topic, { id: "o-2", qty: 5 });
    const [back] = await roundTrip(topic, [bytes]);
    expect(back!.equals(bytes)).toBe(true);
    const fresh = new SchemaRegistryClient({ baseURLs: [registryUrl()], basicAuthCredentials: { credentialsSource: "USER_INFO", userInfo: `ignored:${TOKEN}` } });
    expect(await new AvroDeserializer(fresh, SerdeType.VALUE, {}).deserialize(topic, back!)).toEqual({ id: "o-2", qty: 5 });

    const jsonTopic = uniqueName("cflj");
    await call("POST", "/v1/topics", { name: jsonTopic, partitions: 1, config: { "value.schema.validation": "registry" } });
    await client.register(`${jsonTopic}-value`, { schemaType: "JSON", schema: JSON.stringify(ORDER_JSON) });
    const jsonBytes = await new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true }).serialize(jsonTopic, { id: "j-2", qty: 7 });
    const [jsonBack] = await roundTrip(jsonTopic, [jsonBytes]);
    expect(jsonBack!.equals(jsonBytes)).toBe(true);
    expect(await new JsonDeserializer(fresh, SerdeType.VALUE, {}).deserialize(jsonTopic, jsonBack!)).toEqual({ id: "j-2", qty: 7 });
  });

  it("refuses a wrong token with 401 40101", async () => {
    const client = new SchemaRegistryClient({ baseURLs: [registryUrl()], basicAuthCredentials: { credentialsSource: "USER_INFO", userInfo: "u:wrong" } });
    await expect(client.getAllSubjects()).rejects.toMatchObject({ status: 401, errorCode: 40101 });
  });
});

const PARTIAL_BODY = '{"schema":"{\\"type\\":\\"str';

/**
 * A request whose body ends early before the client half-closes: a Content-Length promising 1000 bytes of which 27
 * come, or (chunked) one 27-byte chunk and never the last chunk.
 */
function cutShort(method: string, path: string, kind: "length" | "chunked" = "length"): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(server.url.port), server.url.hostname, () => {
      const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n`;
      socket.write(
        kind === "length"
          ? `${head}Content-Length: 1000\r\n\r\n${PARTIAL_BODY}`
          : `${head}Transfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(PARTIAL_BODY).toString(16)}\r\n${PARTIAL_BODY}\r\n`,
      );
      socket.end();
    });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]), body: JSON.parse(text.slice(text.indexOf("\r\n\r\n") + 4)) });
    });
  });
}

describe("a body cut short", () => {
  it.each(["length", "chunked"] as const)("is the client's error on every registry route that reads a body (%s): 422 42200, never a 5xx", async (kind) => {
    for (const route of REGISTRY_BODY_ROUTES) {
      const path = `/schema-registry${route.path}`.replace(":subject", uniqueName("cut")).replace(":version", "latest");
      const response = await cutShort(route.method, path, kind);
      expect([response.status, response.body.error_code], `${route.method} ${route.path}`).toEqual([422, 42200]);
      expect(response.body.message).toContain("request body ended early");
    }
  });
});
