// The registry with auth on: subject ACLs (read, write, admin, prefixed), basic auth with the token as password, and
// Confluent's 401/403 bodies; then the registry's bounds at the limit and one past it.
import { env } from "cloudflare:workers";
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { sha256Hex } from "../../src/auth/tokens";
import type { Env } from "../../src/env";
import { MAX_SCHEMA_REFERENCES, MAX_SUBJECT_NAME_LENGTH, MAX_VERSIONS_PER_SUBJECT } from "../../src/limits";
import { schemaRegistryStub } from "../../src/names";
import type { SchemaRegistry } from "../../src/registry/SchemaRegistry";
import { avro, registerOk, sr, uniqueSubject } from "./helpers";

const uid = crypto.randomUUID().slice(0, 8);
const TOKENS = { reader: "edl_sr_reader_token", writer: "edl_sr_writer_token", admin: "edl_sr_admin_token" } as const;
let authEnv: Env;

beforeAll(async () => {
  const entry = async (name: keyof typeof TOKENS, acls: unknown[]) => ({ name, sha256: await sha256Hex(TOKENS[name]), acls });
  const tokens = JSON.stringify([
    await entry("reader", [{ resource: "subject", name: `orders-${uid}`, patternType: "prefixed", operations: ["read"] }]),
    await entry("writer", [{ resource: "subject", name: `orders-${uid}`, patternType: "prefixed", operations: ["write"] }]),
    await entry("admin", [{ resource: "subject", name: "*", operations: ["admin"] }]),
  ]);
  authEnv = { ...(env as Env), EDGELOG_AUTH: "on", EDGELOG_TOKENS: tokens };
});

async function call(authorization: string | undefined, method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = authorization === undefined ? {} : { authorization };
  if (body !== undefined) headers["content-type"] = "application/vnd.schemaregistry.v1+json";
  const ctx = createExecutionContext();
  const request = new Request(`http://edgelog.test/schema-registry${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, authEnv, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as any };
}

const bearer = (who: keyof typeof TOKENS) => `Bearer ${TOKENS[who]}`;
const basic = (who: keyof typeof TOKENS) => `Basic ${btoa(`any-user:${TOKENS[who]}`)}`;

describe("subject ACLs", () => {
  const subject = `orders-${uid}-value`;
  const schema = { schema: avro([{ name: "a", type: "int" }]) };
  it("write registers, read fetches, admin deletes; each refused without its permission (403 40301)", async () => {
    expect((await call(bearer("reader"), "POST", `/subjects/${subject}/versions`, schema)).body.error_code).toBe(40301);
    expect((await call(basic("writer"), "POST", `/subjects/${subject}/versions`, schema)).status).toBe(200);
    expect((await call(bearer("writer"), "GET", `/subjects/${subject}/versions`)).body.error_code).toBe(40301);
    expect((await call(basic("reader"), "GET", `/subjects/${subject}/versions`)).body).toEqual([1]);
    expect((await call(bearer("reader"), "GET", "/subjects")).body).toEqual([subject]);
    expect((await call(bearer("reader"), "DELETE", `/subjects/${subject}`)).body.error_code).toBe(40301);
    expect((await call(bearer("reader"), "PUT", "/config", { compatibility: "NONE" })).body.error_code).toBe(40301);
    expect((await call(bearer("admin"), "DELETE", `/subjects/${subject}`)).body).toEqual([1]);
    expect((await call(bearer("reader"), "GET", `/subjects/orders-other-${uid}/versions`)).body.error_code).toBe(40301);
  });

  it("answers 401 40101 without a valid token, basic or bearer", async () => {
    for (const auth of [undefined, "Bearer nope", `Basic ${btoa("user:nope")}`, `Basic ${btoa("no-colon")}`]) {
      const r = await call(auth, "GET", "/subjects");
      expect([r.status, r.body.error_code], String(auth)).toEqual([401, 40101]);
    }
  });
});

describe("registry limits", () => {
  it(`MAX_VERSIONS_PER_SUBJECT: ${MAX_VERSIONS_PER_SUBJECT} versions register, one more is refused (42900)`, async () => {
    const subject = uniqueSubject("many");
    await sr("PUT", `/config/${subject}`, { compatibility: "NONE" });
    const last = await runInDurableObject(schemaRegistryStub(env as Env), async (registry: SchemaRegistry) => {
      let result;
      for (let v = 1; v <= MAX_VERSIONS_PER_SUBJECT; v++) {
        result = await registry.register(subject, { schemaType: "JSON", schema: JSON.stringify({ type: "integer", maximum: v }), references: [] });
        if (!result.ok) return result;
      }
      return result;
    });
    expect(last).toMatchObject({ ok: true, value: { version: MAX_VERSIONS_PER_SUBJECT } });
    const over = await sr("POST", `/subjects/${subject}/versions`, { schemaType: "JSON", schema: JSON.stringify({ type: "integer", maximum: 0 }) });
    expect([over.status, over.body.error_code]).toEqual([422, 42900]);
  }, 60_000); // a thousand registrations in one object: seconds on a loaded 2-core machine

  it(`MAX_SCHEMA_REFERENCES: ${MAX_SCHEMA_REFERENCES} references register, one more is refused (42201)`, async () => {
    const base = uniqueSubject("ref");
    await registerOk(base, JSON.stringify({ type: "string" }), "JSON");
    const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `r${i}.json`, subject: base, version: 1 }));
    const at = await sr("POST", `/subjects/${uniqueSubject()}/versions`, { schemaType: "JSON", schema: JSON.stringify({ type: "object" }), references: refs(MAX_SCHEMA_REFERENCES) });
    expect(at.status).toBe(200);
    const over = await sr("POST", `/subjects/${uniqueSubject()}/versions`, { schemaType: "JSON", schema: JSON.stringify({ type: "object" }), references: refs(MAX_SCHEMA_REFERENCES + 1) });
    expect([over.status, over.body.error_code]).toEqual([422, 42201]);
  });

  it(`MAX_SUBJECT_NAME_LENGTH: ${MAX_SUBJECT_NAME_LENGTH} characters register, one more is refused (42200)`, async () => {
    const name = (n: number) => `s${uid}`.padEnd(n, "x");
    expect((await sr("POST", `/subjects/${name(MAX_SUBJECT_NAME_LENGTH)}/versions`, { schema: '"string"' })).status).toBe(200);
    const over = await sr("POST", `/subjects/${name(MAX_SUBJECT_NAME_LENGTH + 1)}/versions`, { schema: '"string"' });
    expect([over.status, over.body.error_code]).toEqual([422, 42200]);
  });
});
