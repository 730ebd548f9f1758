// The registry's REST API end to end through the Worker: ids, versions, lookups, soft and permanent deletes, config,
// compatibility checks, references, and Confluent's error codes for bad input.
import { describe, expect, it } from "vitest";
import { MAX_SCHEMA_BYTES, MAX_SCHEMA_REFERENCE_DEPTH } from "../../src/limits";
import { avro, registerOk, sr, uniqueSubject } from "./helpers";

const V1 = avro([{ name: "id", type: "string" }]);
const V2 = avro([{ name: "id", type: "string" }, { name: "qty", type: "int", default: 1 }]);
const V2_NO_DEFAULT = avro([{ name: "id", type: "string" }, { name: "qty", type: "int" }]);

describe("registering and fetching", () => {
  it("gives the same id for the same schema, under any subject, and versions per subject", async () => {
    const a = uniqueSubject();
    const b = uniqueSubject();
    const id = await registerOk(a, V1);
    expect(await registerOk(a, V1)).toBe(id);
    expect(await registerOk(b, JSON.stringify(JSON.parse(V1), null, 2))).toBe(id); // whitespace does not matter
    const id2 = await registerOk(a, V2);
    expect(id2).toBeGreaterThan(id);
    expect((await sr("GET", `/subjects/${a}/versions`)).body).toEqual([1, 2]);
    const latest = await sr("GET", `/subjects/${a}/versions/latest`);
    expect(latest.status).toBe(200);
    expect(latest.headers.get("content-type")).toBe("application/vnd.schemaregistry.v1+json");
    expect(latest.body).toEqual({ subject: a, version: 2, id: id2, schema: V2 });
    expect((await sr("GET", `/subjects/${a}/versions/1/schema`)).body).toEqual(JSON.parse(V1));
    expect((await sr("GET", `/schemas/ids/${id}`)).body).toEqual({ schema: V1 });
    expect((await sr("GET", `/schemas/ids/${id}/versions`)).body).toEqual(expect.arrayContaining([{ subject: a, version: 1 }, { subject: b, version: 1 }]));
    expect((await sr("POST", `/subjects/${a}`, { schema: V1 })).body).toEqual({ subject: a, id, version: 1, schema: V1 });
    expect((await sr("GET", "/subjects")).body).toEqual(expect.arrayContaining([a, b]));
    expect((await sr("GET", "/schemas/types")).body).toEqual(["AVRO", "JSON"]);
    expect((await sr("GET", "/mode")).body).toEqual({ mode: "READWRITE" });
  });

  it("accepts application/json too, and answers JSON Schemas with their schemaType", async () => {
    const s = uniqueSubject();
    const schema = JSON.stringify({ type: "object", properties: { a: { type: "string" } } });
    const r = await sr("POST", `/subjects/${s}/versions`, { schema, schemaType: "JSON" });
    expect(r.status).toBe(200);
    const got = await sr("GET", `/schemas/ids/${r.body.id}`);
    expect(got.body).toEqual({ schemaType: "JSON", schema });
  });

  it("refuses an incompatible schema with 409 and checks compatibility on request", async () => {
    const s = uniqueSubject();
    await registerOk(s, V1);
    const bad = await sr("POST", `/subjects/${s}/versions`, { schema: V2_NO_DEFAULT });
    expect(bad.status).toBe(409);
    expect(bad.body.error_code).toBe(409);
    expect(bad.body.message).toContain("qty");
    expect((await sr("POST", `/compatibility/subjects/${s}/versions/latest`, { schema: V2_NO_DEFAULT })).body).toEqual({ is_compatible: false });
    const verbose = await sr("POST", `/compatibility/subjects/${s}/versions/1?verbose=true`, { schema: V2 });
    expect(verbose.body).toEqual({ is_compatible: true, messages: [] });
    // Before a subject's first version, "latest" is compatible (as Confluent answers); a numbered version is not found.
    expect((await sr("POST", `/compatibility/subjects/${uniqueSubject()}/versions/latest`, { schema: V1 })).body).toEqual({ is_compatible: true });
    expect((await sr("POST", `/compatibility/subjects/${uniqueSubject()}/versions/1`, { schema: V1 })).body.error_code).toBe(40401);
  });
});

describe("config", () => {
  it("has a global level (BACKWARD by default) and per-subject levels", async () => {
    const s = uniqueSubject();
    expect((await sr("GET", "/config")).body).toEqual({ compatibilityLevel: "BACKWARD" });
    expect((await sr("GET", `/config/${s}`)).body.error_code).toBe(40408);
    expect((await sr("GET", `/config/${s}?defaultToGlobal=true`)).body).toEqual({ compatibilityLevel: "BACKWARD" });
    expect((await sr("PUT", `/config/${s}`, { compatibility: "NONE" })).body).toEqual({ compatibility: "NONE" });
    await registerOk(s, V1);
    await registerOk(s, V2_NO_DEFAULT); // NONE: anything goes
    const bad = await sr("PUT", `/config/${s}`, { compatibility: "SIDEWAYS" });
    expect([bad.status, bad.body.error_code]).toEqual([422, 42203]);
  });
});

describe("deletes", () => {
  it("soft-deletes, then deletes permanently; ids stay and are never reused", async () => {
    const s = uniqueSubject();
    const id = await registerOk(s, V1);
    await registerOk(s, V2);
    expect((await sr("DELETE", `/subjects/${s}/versions/2?permanent=true`)).body.error_code).toBe(40407);
    expect((await sr("DELETE", `/subjects/${s}/versions/2`)).body).toBe(2);
    expect((await sr("DELETE", `/subjects/${s}/versions/2`)).body.error_code).toBe(40406);
    expect((await sr("GET", `/subjects/${s}/versions`)).body).toEqual([1]);
    expect((await sr("GET", `/subjects/${s}/versions?deleted=true`)).body).toEqual([1, 2]);
    expect((await sr("DELETE", `/subjects/${s}?permanent=true`)).body.error_code).toBe(40405);
    expect((await sr("DELETE", `/subjects/${s}`)).body).toEqual([1]);
    expect((await sr("DELETE", `/subjects/${s}`)).body.error_code).toBe(40404);
    expect((await sr("GET", `/subjects/${s}/versions`)).body.error_code).toBe(40401);
    expect((await sr("GET", "/subjects")).body).not.toContain(s);
    expect((await sr("GET", "/subjects?deleted=true")).body).toContain(s);
    expect((await sr("DELETE", `/subjects/${s}?permanent=true`)).body).toEqual([1, 2]);
    expect((await sr("GET", `/subjects/${s}/versions?deleted=true`)).body.error_code).toBe(40401);
    // The schema keeps its id: registering it again answers the same one.
    expect((await sr("GET", `/schemas/ids/${id}`)).status).toBe(200);
    expect(await registerOk(s, V1)).toBe(id);
    const fresh = await registerOk(uniqueSubject(), avro([{ name: "other", type: "long" }]));
    expect(fresh).toBeGreaterThan(id);
  });

  it("refuses to delete a version another live schema references", async () => {
    const base = uniqueSubject();
    await registerOk(base, JSON.stringify({ type: "record", name: "Money", namespace: "com.acme", fields: [{ name: "cents", type: "long" }] }));
    const user = uniqueSubject();
    await registerOk(user, avro([{ name: "price", type: "com.acme.Money" }]), "AVRO", [{ name: "com.acme.Money", subject: base, version: 1 }]);
    const r = await sr("DELETE", `/subjects/${base}/versions/1`);
    expect([r.status, r.body.error_code]).toEqual([422, 42206]);
  });
});

describe("references", () => {
  it("resolves Avro named types and JSON $refs from other subjects", async () => {
    const money = uniqueSubject();
    await registerOk(money, JSON.stringify({ type: "record", name: "Money", namespace: "com.acme", fields: [{ name: "cents", type: "long" }] }));
    const order = uniqueSubject();
    const ref = [{ name: "com.acme.Money", subject: money, version: 1 }];
    const id = await registerOk(order, avro([{ name: "price", type: "com.acme.Money" }]), "AVRO", ref);
    expect((await sr("GET", `/schemas/ids/${id}`)).body.references).toEqual(ref);
    const address = uniqueSubject();
    await registerOk(address, JSON.stringify({ type: "object", properties: { city: { type: "string" } } }), "JSON");
    const customer = uniqueSubject();
    const r = await sr("POST", `/subjects/${customer}/versions`, {
      schemaType: "JSON",
      schema: JSON.stringify({ type: "object", properties: { home: { $ref: "address.json" } } }),
      references: [{ name: "address.json", subject: address, version: -1 }],
    });
    expect(r.status).toBe(200);
    expect((await sr("GET", `/schemas/ids/${r.body.id}`)).body.references).toEqual([{ name: "address.json", subject: address, version: 1 }]);
  });

  it("refuses unknown references, self-references and nesting deeper than the limit (42201)", async () => {
    const s = uniqueSubject();
    const missing = await sr("POST", `/subjects/${s}/versions`, { schema: avro([{ name: "x", type: "com.acme.Nope" }]), references: [{ name: "com.acme.Nope", subject: uniqueSubject(), version: 1 }] });
    expect([missing.status, missing.body.error_code]).toEqual([422, 42201]);
    // A schema cannot reference its own subject's next version: it does not exist yet, so cycles cannot form.
    const self = await sr("POST", `/subjects/${s}/versions`, { schema: avro([{ name: "x", type: "string" }]), references: [{ name: "x", subject: s, version: 1 }] });
    expect(self.body.error_code).toBe(42201);
    // A chain of references exactly MAX_SCHEMA_REFERENCE_DEPTH deep registers; one more level is refused.
    let previous: { subject: string; name: string } | undefined;
    for (let depth = 0; depth <= MAX_SCHEMA_REFERENCE_DEPTH + 1; depth++) {
      const subject = uniqueSubject("chain");
      const name = `com.acme.T${depth}`;
      const fields = previous === undefined ? [{ name: "v", type: "int" }] : [{ name: "v", type: previous.name }];
      const r = await sr("POST", `/subjects/${subject}/versions`, {
        schema: JSON.stringify({ type: "record", name, fields }),
        references: previous === undefined ? [] : [{ name: previous.name, subject: previous.subject, version: 1 }],
      });
      if (depth <= MAX_SCHEMA_REFERENCE_DEPTH) expect(r.status, `depth ${depth}: ${JSON.stringify(r.body)}`).toBe(200);
      else expect([r.status, r.body.error_code, r.body.message]).toEqual([422, 42201, expect.stringContaining("nest more than")]);
      previous = { subject, name };
    }
  });
});

describe("bad input answers Confluent's codes", () => {
  it("42201 for invalid Avro and JSON Schemas, PROTOBUF, and oversize schemas; at the limit is fine", async () => {
    const s = uniqueSubject();
    const cases: unknown[] = [
      { schema: "{not json" },
      { schema: JSON.stringify({ type: "record", name: "R" }) },
      { schema: JSON.stringify({ type: "record", name: "R", fields: [{ name: "a", type: "nope" }] }) },
      { schema: JSON.stringify({ type: "record", name: "R", fields: [{ name: "a", type: "int", default: "x" }] }) },
      { schema: JSON.stringify(["int", "int"]) },
      { schema: JSON.stringify({ type: "enum", name: "E", symbols: ["A", "A"] }) },
      { schema: JSON.stringify({ type: "object", properties: { a: { type: "strin" } } }), schemaType: "JSON" },
      { schema: JSON.stringify({ type: "object", required: "a" }), schemaType: "JSON" },
      { schema: "syntax = 'proto3';", schemaType: "PROTOBUF" },
      { schema: "" },
    ];
    for (const body of cases) {
      const r = await sr("POST", `/subjects/${s}/versions`, body);
      expect([r.status, r.body.error_code], JSON.stringify(body)).toEqual([422, 42201]);
    }
    const fill = (bytes: number) => {
      const head = JSON.stringify({ type: "object", description: "" });
      return JSON.stringify({ type: "object", description: "x".repeat(bytes - head.length) });
    };
    const atLimit = fill(MAX_SCHEMA_BYTES);
    expect(new TextEncoder().encode(atLimit).length).toBe(MAX_SCHEMA_BYTES);
    expect((await sr("POST", `/subjects/${s}/versions`, { schema: atLimit, schemaType: "JSON" })).status).toBe(200);
    const over = await sr("POST", `/subjects/${uniqueSubject()}/versions`, { schema: fill(MAX_SCHEMA_BYTES + 1), schemaType: "JSON" });
    expect([over.status, over.body.error_code]).toEqual([422, 42201]);
  });

  it("42202 for versions out of range, 40401/40402/40403 for what does not exist", async () => {
    const s = uniqueSubject();
    await registerOk(s, V1);
    for (const v of ["0", "-2", "abc", "2147483648", "1.5"]) {
      const r = await sr("GET", `/subjects/${s}/versions/${v}`);
      expect([r.status, r.body.error_code], v).toEqual([422, 42202]);
    }
    expect((await sr("GET", `/subjects/${s}/versions/2`)).body.error_code).toBe(40402);
    expect((await sr("GET", `/subjects/${uniqueSubject()}/versions/1`)).body.error_code).toBe(40401);
    expect((await sr("GET", `/subjects/${uniqueSubject()}/versions`)).body.error_code).toBe(40401);
    expect((await sr("GET", "/schemas/ids/999999")).body.error_code).toBe(40403);
    expect((await sr("POST", `/subjects/${s}`, { schema: V2 })).body.error_code).toBe(40403);
    expect((await sr("POST", `/subjects/${uniqueSubject()}`, { schema: V2 })).body.error_code).toBe(40401);
    const malformed = await sr("POST", `/subjects/${s}/versions`, "{oops");
    expect([malformed.status, malformed.body.error_code]).toEqual([422, 42200]);
    const route = await sr("GET", "/nowhere");
    expect([route.status, route.body.error_code]).toEqual([404, 404]);
  });
});
