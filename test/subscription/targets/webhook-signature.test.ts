import { describe, expect, it } from "vitest";
import { checkWebhookSecret, generateWebhookSecret, signWebhook, verifyWebhook } from "../../../src/subscription/targets/webhook-signature";
import { MAX_WEBHOOK_SECRET_BYTES, MIN_WEBHOOK_SECRET_BYTES, WEBHOOK_SECRET_BYTES, WEBHOOK_TIMESTAMP_TOLERANCE_MS } from "../../../src/limits";

// The Standard Webhooks reference test vector (standard-webhooks/standard-webhooks, libraries/javascript/src/
// webhook.test.ts, "sign function works"; the same in the svix libraries' tests). Reproducing it, not a round trip
// with our own verifier, is what says a receiver's library accepts what edgelog sends.
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestampSeconds: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};
const VECTOR_NOW_MS = VECTOR.timestampSeconds * 1000;
const vectorHeaders = (signature = VECTOR.signature) => ({
  "webhook-id": VECTOR.id,
  "webhook-timestamp": String(VECTOR.timestampSeconds),
  "webhook-signature": signature,
});

const base64Key = (bytes: number) => btoa(String.fromCharCode(...new Uint8Array(bytes).fill(7)));

describe("Standard Webhooks signatures", () => {
  it("reproduces the published test vector", async () => {
    expect(await signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestampSeconds, VECTOR.body)).toBe(VECTOR.signature);
    // The body as bytes signs the same.
    expect(await signWebhook(VECTOR.secret, VECTOR.id, VECTOR.timestampSeconds, new TextEncoder().encode(VECTOR.body))).toBe(VECTOR.signature);
  });

  it("verifies the published test vector, with or without the whsec_ prefix, from Headers or a plain object", async () => {
    expect(await verifyWebhook(VECTOR.secret, vectorHeaders(), VECTOR.body, { nowMs: VECTOR_NOW_MS })).toEqual({ ok: true, id: VECTOR.id, timestampSeconds: VECTOR.timestampSeconds });
    expect((await verifyWebhook(VECTOR.secret.slice("whsec_".length), vectorHeaders(), VECTOR.body, { nowMs: VECTOR_NOW_MS })).ok).toBe(true);
    expect((await verifyWebhook(VECTOR.secret, new Headers(vectorHeaders()), VECTOR.body, { nowMs: VECTOR_NOW_MS })).ok).toBe(true);
    const upper = { "Webhook-Id": VECTOR.id, "WEBHOOK-TIMESTAMP": String(VECTOR.timestampSeconds), "webhook-signature": [VECTOR.signature] };
    expect((await verifyWebhook(VECTOR.secret, upper, new TextEncoder().encode(VECTOR.body).buffer as ArrayBuffer, { nowMs: VECTOR_NOW_MS })).ok).toBe(true);
  });

  it("accepts any matching v1 signature among several (secret rotation) and skips other schemes", async () => {
    const many = `v1a,bm9wZQ== v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,${VECTOR.signature.slice(3)} ${VECTOR.signature}`;
    expect((await verifyWebhook(VECTOR.secret, vectorHeaders(many), VECTOR.body, { nowMs: VECTOR_NOW_MS })).ok).toBe(true);
  });

  it.each<[string, Record<string, string>, string, string]>([
    ["a changed body", vectorHeaders(), '{"test": 2432232315}', "no v1 signature matches"],
    ["a re-serialized body", vectorHeaders(), '{"test":2432232314}', "no v1 signature matches"],
    ["another id", { ...vectorHeaders(), "webhook-id": "msg_other" }, VECTOR.body, "no v1 signature matches"],
    ["another timestamp", { ...vectorHeaders(), "webhook-timestamp": String(VECTOR.timestampSeconds + 1) }, VECTOR.body, "no v1 signature matches"],
    ["a truncated signature", vectorHeaders(VECTOR.signature.slice(0, 8)), VECTOR.body, "no v1 signature matches"],
    ["an empty signature", vectorHeaders("v1,"), VECTOR.body, "no v1 signature matches"],
    ["only another scheme", vectorHeaders(`v2,${VECTOR.signature.slice(3)}`), VECTOR.body, "no v1 signature matches"],
    ["a missing id", { "webhook-timestamp": "1614265330", "webhook-signature": VECTOR.signature }, VECTOR.body, "missing webhook-id"],
    ["a missing signature", { "webhook-id": VECTOR.id, "webhook-timestamp": "1614265330" }, VECTOR.body, "missing webhook-id"],
    ["a timestamp that is no number", { ...vectorHeaders(), "webhook-timestamp": "soon" }, VECTOR.body, "webhook-timestamp is not a number of seconds"],
  ])("refuses %s", async (_name, headers, body, error) => {
    const result = await verifyWebhook(VECTOR.secret, headers, body, { nowMs: VECTOR_NOW_MS });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error).toContain(error);
  });

  it("refuses another secret, and a secret that is not base64", async () => {
    const other = generateWebhookSecret();
    expect(await verifyWebhook(other, vectorHeaders(), VECTOR.body, { nowMs: VECTOR_NOW_MS })).toEqual({ ok: false, error: "no v1 signature matches" });
    const bad = await verifyWebhook("whsec_not base64!", vectorHeaders(), VECTOR.body, { nowMs: VECTOR_NOW_MS });
    expect(!bad.ok && bad.error).toContain("not whsec_ followed by a base64 key");
  });

  it("accepts a timestamp at the tolerance and refuses one past it, either way", async () => {
    const tolerance = WEBHOOK_TIMESTAMP_TOLERANCE_MS;
    for (const nowMs of [VECTOR_NOW_MS + tolerance, VECTOR_NOW_MS - tolerance]) {
      expect((await verifyWebhook(VECTOR.secret, vectorHeaders(), VECTOR.body, { nowMs })).ok).toBe(true);
    }
    for (const nowMs of [VECTOR_NOW_MS + tolerance + 1, VECTOR_NOW_MS - tolerance - 1]) {
      const result = await verifyWebhook(VECTOR.secret, vectorHeaders(), VECTOR.body, { nowMs });
      expect(!result.ok && result.error).toContain(`is more than ${tolerance} ms from now`);
    }
    expect((await verifyWebhook(VECTOR.secret, vectorHeaders(), VECTOR.body, { nowMs: VECTOR_NOW_MS + 10_000, toleranceMs: 5_000 })).ok).toBe(false);
  });

  it("round-trips a generated secret over arbitrary UTF-8 bodies", async () => {
    const secret = generateWebhookSecret();
    const nowMs = Date.now();
    const timestampSeconds = Math.floor(nowMs / 1000);
    for (const body of ["", "{}", '{"value":"héllo ✓ 🎉","n":1}', "x".repeat(100_000)]) {
      const signature = await signWebhook(secret, "sub:orders:0:5-9", timestampSeconds, body);
      expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      const headers = { "webhook-id": "sub:orders:0:5-9", "webhook-timestamp": String(timestampSeconds), "webhook-signature": signature };
      expect(await verifyWebhook(secret, headers, body, { nowMs })).toEqual({ ok: true, id: "sub:orders:0:5-9", timestampSeconds });
    }
  });
});

describe("webhook secrets", () => {
  it("generates whsec_ + base64 of WEBHOOK_SECRET_BYTES random bytes, different each time", () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(atob(a.slice(6))).toHaveLength(WEBHOOK_SECRET_BYTES);
    expect(a).not.toBe(b);
    expect(checkWebhookSecret(a)).toBeUndefined();
  });

  it("accepts keys at both limits (the test vector's key is 24 bytes)", () => {
    expect(checkWebhookSecret(VECTOR.secret)).toBeUndefined();
    expect(checkWebhookSecret(`whsec_${base64Key(MIN_WEBHOOK_SECRET_BYTES)}`)).toBeUndefined();
    expect(checkWebhookSecret(`whsec_${base64Key(MAX_WEBHOOK_SECRET_BYTES)}`)).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ["a key under the minimum", `whsec_${base64Key(MIN_WEBHOOK_SECRET_BYTES - 1)}`, `key is ${MIN_WEBHOOK_SECRET_BYTES - 1} bytes`],
    ["a key over the maximum", `whsec_${base64Key(MAX_WEBHOOK_SECRET_BYTES + 1)}`, `key is ${MAX_WEBHOOK_SECRET_BYTES + 1} bytes`],
    ["no prefix", VECTOR.secret.slice(6), "must start with whsec_"],
    ["another prefix", "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with whsec_"],
    ["base64url characters", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa-_", "standard base64"],
    ["missing padding", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "standard base64"],
    ["an empty key", "whsec_", "key is 0 bytes"],
    ["not a string", 42, "must be a string"],
  ])("refuses %s", (_name, secret, error) => {
    expect(checkWebhookSecret(secret)).toContain(error);
  });
});
