// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over "<webhook-id>.<webhook-timestamp>.
// <body>" with the secret's key bytes, sent as "v1,<base64>". Web Crypto only, so the same code signs in edgelog's
// Workers and verifies in a receiver on Workers, Node or a browser; no cloudflare:* import.
import {
  MAX_WEBHOOK_SECRET_BYTES,
  MIN_WEBHOOK_SECRET_BYTES,
  WEBHOOK_SECRET_BYTES,
  WEBHOOK_TIMESTAMP_TOLERANCE_MS,
} from "../../limits";

/** Every Standard Webhooks symmetric secret starts with this; the rest is the key in base64. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

const encoder = new TextEncoder();

/** Web Crypto's key type, named so that both the Workers and the Node type definitions accept it. */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** A new secret: `whsec_` + base64 of WEBHOOK_SECRET_BYTES random bytes. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(WEBHOOK_SECRET_BYTES)));
}

/** Why `secret` is not a usable webhook secret, or undefined when it is. */
export function checkWebhookSecret(secret: unknown): string | undefined {
  if (typeof secret !== "string") return "secret must be a string (whsec_ followed by a base64 key)";
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) return "secret must start with whsec_ (followed by a base64 key)";
  const key = fromBase64(secret.slice(WEBHOOK_SECRET_PREFIX.length));
  if (key === undefined) return "secret must be whsec_ followed by standard base64 (A-Z a-z 0-9 + /, = padding)";
  if (key.length < MIN_WEBHOOK_SECRET_BYTES || key.length > MAX_WEBHOOK_SECRET_BYTES) {
    return `secret's key is ${key.length} bytes; Standard Webhooks keys are ${MIN_WEBHOOK_SECRET_BYTES} to ${MAX_WEBHOOK_SECRET_BYTES} bytes`;
  }
  return undefined;
}

/** The value of a `webhook-signature` header for one secret: "v1,<base64 HMAC-SHA256>". */
export async function signWebhook(secret: string, id: string, timestampSeconds: number, body: string | Uint8Array): Promise<string> {
  const key = await hmacKey(secret);
  const mac = await crypto.subtle.sign("HMAC", key, signedContent(id, String(timestampSeconds), body));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** The receiver's clock (default Date.now()). */
  nowMs?: number;
  /** How far webhook-timestamp may be from now (default WEBHOOK_TIMESTAMP_TOLERANCE_MS). */
  toleranceMs?: number;
}

export type WebhookVerification = { ok: true; id: string; timestampSeconds: number } | { ok: false; error: string };

/**
 * What a receiver does with a delivery: checks that `body` (the raw bytes or text received, never JSON parsed and
 * re-serialized) was signed with `secret` under the request's webhook-id and webhook-timestamp, and that the timestamp
 * is recent (a replayed request is refused). Any of the space-separated v1 signatures may match (secret rotation).
 * Use the returned `id` as an idempotency key: it is the same for every attempt of one batch.
 */
export async function verifyWebhook(secret: string, headers: WebhookHeaders, body: string | Uint8Array | ArrayBuffer, options: VerifyWebhookOptions = {}): Promise<WebhookVerification> {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, "webhook-signature");
  if (!id || !timestamp || !signatures) return { ok: false, error: "missing webhook-id, webhook-timestamp or webhook-signature" };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, error: `webhook-timestamp is not a number of seconds: ${timestamp.slice(0, 40)}` };
  const timestampSeconds = Number(timestamp);
  const nowMs = options.nowMs ?? Date.now();
  const toleranceMs = options.toleranceMs ?? WEBHOOK_TIMESTAMP_TOLERANCE_MS;
  if (Math.abs(nowMs - timestampSeconds * 1000) > toleranceMs) {
    return { ok: false, error: `webhook-timestamp ${timestamp} is more than ${toleranceMs} ms from now` };
  }
  let key: HmacKey;
  try {
    key = await hmacKey(secret);
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
  const content = signedContent(id, timestamp, body instanceof ArrayBuffer ? new Uint8Array(body) : body);
  for (const versioned of signatures.split(" ")) {
    const comma = versioned.indexOf(",");
    if (comma < 0 || versioned.slice(0, comma) !== "v1") continue;
    const mac = fromBase64(versioned.slice(comma + 1));
    // crypto.subtle.verify compares in constant time: no timing oracle on the expected signature.
    if (mac !== undefined && (await crypto.subtle.verify("HMAC", key, mac, content))) return { ok: true, id, timestampSeconds };
  }
  return { ok: false, error: "no v1 signature matches" };
}

async function hmacKey(secret: string): Promise<HmacKey> {
  // Like the reference libraries, a key given without its whsec_ prefix is accepted.
  const key = fromBase64(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret);
  if (key === undefined || key.length === 0) throw new Error("the webhook secret is not whsec_ followed by a base64 key");
  return crypto.subtle.importKey("raw", key, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function signedContent(id: string, timestamp: string, body: string | Uint8Array): Uint8Array {
  const head = encoder.encode(`${id}.${timestamp}.`);
  const tail = typeof body === "string" ? encoder.encode(body) : body;
  const content = new Uint8Array(head.length + tail.length);
  content.set(head);
  content.set(tail, head.length);
  return content;
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as Headers).get === "function") return (headers as Headers).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | string[] | undefined>)) {
    if (key.toLowerCase() === name) return Array.isArray(value) ? value.join(" ") : value;
  }
  return undefined;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Strict standard base64 (padding required), or undefined. */
function fromBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}
