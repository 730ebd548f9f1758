// ACL matching (Kafka resource patterns) and quota buckets, pure.
import { describe, expect, it } from "vitest";
import { allowed, allowedOnAny, OPEN_PRINCIPAL, parseAcls, parseQuotas, type Principal } from "../../src/auth/acl";
import { TokenBucket } from "../../src/auth/quota";
import { constantTimeEqual, findToken, newToken, parseTokenSecret, sha256Hex } from "../../src/auth/tokens";

const p = (acls: Principal["acls"]): Principal => ({ name: "t", acls, quotas: {}, all: false });

describe("ACLs", () => {
  it("match literal, prefixed and * names; admin implies read and write; read and write are separate", () => {
    const who = p([
      { resource: "topic", name: "orders", patternType: "literal", operations: ["read"] },
      { resource: "topic", name: "logs.", patternType: "prefixed", operations: ["write"] },
      { resource: "group", name: "*", patternType: "literal", operations: ["admin"] },
    ]);
    expect(allowed(who, "topic", "orders", "read")).toBe(true);
    expect(allowed(who, "topic", "orders", "write")).toBe(false);
    expect(allowed(who, "topic", "orders2", "read")).toBe(false);
    expect(allowed(who, "topic", "logs.app", "write")).toBe(true);
    expect(allowed(who, "topic", "logs.app", "read")).toBe(false);
    expect(allowed(who, "group", "anything", "read")).toBe(true);
    expect(allowed(who, "cluster", "cluster", "read")).toBe(false);
    expect(allowedOnAny(who, "topic", "write")).toBe(true);
    expect(allowedOnAny(who, "cluster", "read")).toBe(false);
    expect(allowed(OPEN_PRINCIPAL, "cluster", "cluster", "admin")).toBe(true);
  });
  it("validate ACLs and quotas", () => {
    expect(parseAcls([{ resource: "topic", name: "x", operations: ["read"] }])).toEqual([{ resource: "topic", name: "x", patternType: "literal", operations: ["read"] }]);
    for (const bad of [{}, [{ resource: "topic", name: "", operations: ["read"] }], [{ resource: "topic", name: "x", operations: [] }], [{ resource: "topic", name: "x", operations: ["delete"] }], [{ resource: "x", name: "x", operations: ["read"] }], [{ resource: "topic", name: "x", patternType: "regex", operations: ["read"] }]]) {
      expect(typeof parseAcls(bad)).toBe("string");
    }
    expect(parseQuotas({ requestsPerSecond: 5 })).toEqual({ requestsPerSecond: 5 });
    for (const bad of [{ requestsPerSecond: 0 }, { requestsPerSecond: -1 }, { fast: 1 }, [], { produceBytesPerSecond: Infinity }]) expect(typeof parseQuotas(bad)).toBe("string");
  });
});

describe("tokens", () => {
  it("hash, compare in constant time, and parse the secret without echoing hashes", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "ab")).toBe(false);
    const records = parseTokenSecret(JSON.stringify([{ name: "a", sha256: await sha256Hex("x"), acls: [] }]));
    expect(Array.isArray(records) && findToken(records, await sha256Hex("x"))?.name).toBe("a");
    expect(Array.isArray(records) && findToken(records, await sha256Hex("y"))).toBeUndefined();
    const bad = parseTokenSecret(JSON.stringify([{ name: "a", sha256: "NOTHEX", acls: [] }]));
    expect(bad).toBeTypeOf("string");
    expect(bad).not.toContain("NOTHEX");
    expect(parseTokenSecret(undefined)).toEqual([]);
  });

  it("new tokens: edl_ and 32 random bytes in base64url (43 characters), never the same twice", () => {
    const tokens = Array.from({ length: 20 }, () => newToken());
    for (const t of tokens) expect(t).toMatch(/^edl_[A-Za-z0-9_-]{43}$/);
    expect(new Set(tokens).size).toBe(tokens.length);
  });
});

describe("TokenBucket", () => {
  it("admits up to one second of rate, then makes callers wait for the debt to refill", () => {
    const b = new TokenBucket(10, 0);
    expect(b.waitMs(0)).toBe(0);
    b.take(10, 0);
    expect(b.waitMs(0)).toBe(0); // at zero, not in debt
    b.take(5, 0); // a large request overdraws once
    expect(b.waitMs(0)).toBe(500);
    expect(b.waitMs(499)).toBe(1);
    expect(b.waitMs(500)).toBe(0);
    expect(b.waitMs(100_000)).toBe(0);
    b.take(1, 100_000);
    expect(b.waitMs(100_000)).toBe(0); // refilled to at most one second of rate
  });
});

describe("Kafka's implications", () => {
  it("read, write and admin imply describe; the cluster may be named cluster, kafka-cluster or *", () => {
    const writer: Principal = { name: "w", acls: [{ resource: "topic", name: "t", patternType: "literal", operations: ["write"] }], quotas: {}, all: false };
    expect(allowed(writer, "topic", "t", "describe")).toBe(true);
    expect(allowed(writer, "topic", "u", "describe")).toBe(false);
    expect(allowed(writer, "topic", "t", "read")).toBe(false);
    for (const name of ["cluster", "kafka-cluster", "*"]) {
      const op: Principal = { name: "o", acls: [{ resource: "cluster", name, patternType: "literal", operations: ["read"] }], quotas: {}, all: false };
      expect(allowed(op, "cluster", "cluster", "read"), name).toBe(true);
    }
  });
});
