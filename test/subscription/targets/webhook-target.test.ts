// The webhook target's pure parts. Deliveries over real HTTP: webhook-target.node.test.ts.
import { describe, expect, it } from "vitest";
import { checkWebhookUrl, retryAfterMs, webhookId } from "../../../src/subscription/targets/webhook-target";
import type { DeliveryBatch } from "../../../src/subscription-protocol";
import { MAX_SUBSCRIPTION_RETRY_DELAY_MS, MAX_WEBHOOK_URL_LENGTH } from "../../../src/limits";

const batch = (subscription: string, topic: string, partition: number, offsets: number[], attempt = 1): DeliveryBatch => ({
  subscription,
  topic,
  partition,
  attempt,
  records: offsets.map((offset) => ({ offset, timestamp: 0, key: null, value: "v", headers: [] })),
});

describe("checkWebhookUrl", () => {
  it.each<[string, string | undefined]>([
    ["https://example.com/hooks/edgelog", "production"],
    ["https://example.com:8443/h?token=abc#frag", undefined],
    ["https://[2001:db8::1]/h", "production"],
    ["http://127.0.0.1:9999/h", "development"],
    ["http://localhost/h", "test"],
    ["http://receiver.local/h", "bench"],
    ["HTTPS://EXAMPLE.COM/h", "production"],
  ])("accepts %s (EDGELOG_ENV %s)", (url, env) => {
    expect(checkWebhookUrl(url, env)).toBeUndefined();
  });

  it.each<[string, string | undefined, string]>([
    ["http://example.com/h", "production", "url must be https (http is allowed only when EDGELOG_ENV is development, test or bench)"],
    ["http://example.com/h", undefined, "url must be https"],
    ["http://example.com/h", "staging", "url must be https"],
    ["ftp://example.com/h", "development", "url must be https (got ftp)"],
    ["javascript:alert(1)", "test", "url must be https (got javascript)"],
    ["/relative/path", "test", "url is not an absolute URL"],
    ["https://", "production", "url is not an absolute URL"],
    ["not a url", "production", "url is not an absolute URL"],
    ["", "production", "url must be a non-empty string"],
    ["https://user:pass@example.com/h", "production", "url must not hold credentials"],
    ["https://token@example.com/h", "production", "url must not hold credentials"],
  ])("refuses %s (EDGELOG_ENV %s)", (url, env, error) => {
    expect(checkWebhookUrl(url, env)).toContain(error);
  });

  it("accepts a URL at MAX_WEBHOOK_URL_LENGTH and refuses one past it", () => {
    const base = "https://example.com/";
    const atLimit = base + "a".repeat(MAX_WEBHOOK_URL_LENGTH - base.length);
    expect(atLimit).toHaveLength(MAX_WEBHOOK_URL_LENGTH);
    expect(checkWebhookUrl(atLimit, "production")).toBeUndefined();
    expect(checkWebhookUrl(`${atLimit}a`, "production")).toBe(`url is ${MAX_WEBHOOK_URL_LENGTH + 1} characters; at most ${MAX_WEBHOOK_URL_LENGTH}`);
  });
});

describe("webhookId", () => {
  it("is the same for every attempt of a batch and names its offset range", () => {
    expect(webhookId(batch("billing", "orders", 3, [10, 11, 12]))).toBe("billing:orders:3:10-12");
    expect(webhookId(batch("billing", "orders", 3, [10, 11, 12], 7))).toBe(webhookId(batch("billing", "orders", 3, [10, 11, 12], 1)));
  });

  it("differs for another range, partition, topic or subscription", () => {
    const ids = [
      webhookId(batch("billing", "orders", 3, [10, 11, 12])),
      webhookId(batch("billing", "orders", 3, [10, 11])),
      webhookId(batch("billing", "orders", 3, [11, 12])),
      webhookId(batch("billing", "orders", 4, [10, 11, 12])),
      webhookId(batch("billing", "orders2", 3, [10, 11, 12])),
      webhookId(batch("billing2", "orders", 3, [10, 11, 12])),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("never holds a '.' (it delimits the signed content) and stays unambiguous", () => {
    const dotted = webhookId(batch("team.billing", "orders.v1", 0, [5]));
    expect(dotted).toBe("team%2Ebilling:orders%2Ev1:0:5-5");
    expect(dotted).not.toContain(".");
    // A name holding the separator cannot pose as two parts.
    expect(webhookId(batch("a:b", "c", 0, [1]))).not.toBe(webhookId(batch("a", "b:c", 0, [1])));
    expect(webhookId(batch("ünï", "t_-x", 0, [1]))).toBe("%C3%BCn%C3%AF:t_-x:0:1-1");
  });
});

describe("retryAfterMs", () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  it.each<[string | null, number | undefined]>([
    [null, undefined],
    ["0", 0],
    ["120", 120_000],
    [" 5 ", 5_000],
    [new Date(now + 30_000).toUTCString(), 30_000],
    [new Date(now - 30_000).toUTCString(), 0],
    ["soon", undefined],
    ["-5", undefined],
    [String(MAX_SUBSCRIPTION_RETRY_DELAY_MS / 1000), MAX_SUBSCRIPTION_RETRY_DELAY_MS],
    [String(MAX_SUBSCRIPTION_RETRY_DELAY_MS / 1000 + 1), MAX_SUBSCRIPTION_RETRY_DELAY_MS],
  ])("Retry-After %j is %j ms", (value, expected) => {
    expect(retryAfterMs(value, now)).toBe(expected);
  });
});
