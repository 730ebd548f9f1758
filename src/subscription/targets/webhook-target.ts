// A webhook target: POST of the DeliveryBatch as JSON to an HTTPS URL, signed per Standard Webhooks. A 2xx
// acknowledges (its JSON body, if any, may ask for retries as a Worker's answer does); anything else, a network error or
// no answer within timeoutMs is a failed delivery. Only fetch and Web Crypto: runs in Workers and in Node.
import type { DeliveryBatch, WebhookTarget } from "../../subscription-protocol";
import { DEFAULT_WEBHOOK_TIMEOUT_MS, MAX_SUBSCRIPTION_RETRY_DELAY_MS, MAX_WEBHOOK_TIMEOUT_MS, MAX_WEBHOOK_RESPONSE_BYTES, MAX_WEBHOOK_URL_LENGTH } from "../../limits";
import { type DeliveryOutcome, type DeliveryTarget, ACKED, errorMessage, failed, outcomeOf } from "./delivery-target";
import { signWebhook } from "./webhook-signature";

export interface WebhookTargetOptions {
  /** The clock stamped into webhook-timestamp (default Date.now). */
  nowMs?: () => number;
}

/** Environments (EDGELOG_ENV) where a webhook may be plain http: a local receiver has no certificate. */
const HTTP_ENVIRONMENTS = new Set(["development", "test", "bench"]);

const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** A non-2xx answer's body, as much of it as goes into the error (a status line's worth). */
const ERROR_BODY_BYTES = 200;

export function webhookTarget(target: WebhookTarget, options: WebhookTargetOptions = {}): DeliveryTarget {
  const nowMs = options.nowMs ?? Date.now;
  return { deliver: (batch) => deliverWebhook(target, batch, nowMs()) };
}

/**
 * The webhook-id of a batch: the same for every attempt of it (receivers deduplicate on it), different for another
 * offset range. Standard Webhooks forbids "." in it (it delimits the signed content), so the names are percent-encoded
 * outside [A-Za-z0-9_-] and the parts joined with ":".
 */
export function webhookId(batch: DeliveryBatch): string {
  const first = batch.records[0]?.offset ?? "none";
  const last = batch.records[batch.records.length - 1]?.offset ?? "none";
  return `${idPart(batch.subscription)}:${idPart(batch.topic)}:${batch.partition}:${first}-${last}`;
}

/** Why `url` cannot be a webhook target in the environment `edgelogEnv` (EDGELOG_ENV), or undefined if it can. */
export function checkWebhookUrl(url: string, edgelogEnv: string | undefined): string | undefined {
  if (typeof url !== "string" || url.length === 0) return "url must be a non-empty string";
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return `url is ${url.length} characters; at most ${MAX_WEBHOOK_URL_LENGTH}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "url is not an absolute URL";
  }
  if (parsed.protocol === "http:") {
    if (!HTTP_ENVIRONMENTS.has(edgelogEnv ?? "production")) return "url must be https (http is allowed only when EDGELOG_ENV is development, test or bench)";
  } else if (parsed.protocol !== "https:") {
    return `url must be https (got ${parsed.protocol.slice(0, -1)})`;
  }
  if (parsed.username !== "" || parsed.password !== "") return "url must not hold credentials (user:password@); the signature authenticates edgelog";
  return undefined;
}

/** A Retry-After value (seconds, or an HTTP date) as a delay from `nowMs`, capped; undefined if absent or unreadable. */
export function retryAfterMs(value: string | null, nowMs: number): number | undefined {
  const text = value?.trim() ?? "";
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, MAX_SUBSCRIPTION_RETRY_DELAY_MS);
  // Only the date form senders must generate (IMF-fixdate): Date.parse alone reads "-5" as a year.
  const date = IMF_FIXDATE.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(date) ? undefined : Math.min(Math.max(0, date - nowMs), MAX_SUBSCRIPTION_RETRY_DELAY_MS);
}

async function deliverWebhook(target: WebhookTarget, batch: DeliveryBatch, nowMs: number): Promise<DeliveryOutcome> {
  const timeoutMs = Math.min(target.timeoutMs || DEFAULT_WEBHOOK_TIMEOUT_MS, MAX_WEBHOOK_TIMEOUT_MS);
  const body = new TextEncoder().encode(JSON.stringify(batch));
  const id = webhookId(batch);
  const timestampSeconds = Math.floor(nowMs / 1000);
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "edgelog-subscriptions",
    "webhook-id": id,
    "webhook-timestamp": String(timestampSeconds),
  };
  try {
    if (typeof target.secret === "string") headers["webhook-signature"] = await signWebhook(target.secret, id, timestampSeconds, body);
  } catch (error) {
    return failed(`cannot sign the webhook: ${errorMessage(error)}`);
  }
  // One signal bounds the whole exchange, the answer's body included.
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    // Redirects are not followed (Standard Webhooks: a 3xx is a failure; following one could also leave https).
    response = await fetch(target.url, { method: "POST", headers, body, redirect: "manual", signal });
  } catch (error) {
    return signal.aborted ? failed(`timed out after ${timeoutMs} ms`) : failed(`webhook request failed: ${errorMessage(error)}`);
  }
  if (response.status < 200 || response.status > 299) {
    const snippet = await readBody(response, ERROR_BODY_BYTES).then(
      (read) => read.text.replace(/\s+/g, " ").trim(),
      () => "",
    );
    const statusLine = `webhook answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    return failed(snippet ? `${statusLine}: ${snippet}` : statusLine, retryAfterMs(response.headers.get("retry-after"), nowMs));
  }
  let read: { text: string; complete: boolean };
  try {
    read = await readBody(response, MAX_WEBHOOK_RESPONSE_BYTES);
  } catch (error) {
    // The records may have been asked for again in the part not read: deliver the batch again rather than guess.
    return signal.aborted ? failed(`timed out after ${timeoutMs} ms reading the answer`) : failed(`reading the webhook's answer failed: ${errorMessage(error)}`);
  }
  // A 2xx acknowledges; a body that is no DeliveryResponse (empty, text, an HTML page, too large) changes nothing.
  if (!read.complete || read.text.trim() === "") return ACKED;
  let answer: unknown;
  try {
    answer = JSON.parse(read.text);
  } catch {
    return ACKED;
  }
  return outcomeOf(answer, batch);
}

/** Up to `limitBytes` of a response body as text; the rest is not read. `complete` says whether it all fit. */
async function readBody(response: Response, limitBytes: number): Promise<{ text: string; complete: boolean }> {
  if (response.body === null) return { text: "", complete: true };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let complete = true;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limitBytes) {
      complete = false;
      await reader.cancel().catch(() => {});
      break;
    }
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(bytes.subarray(0, Math.min(size, limitBytes))), complete };
}

function idPart(name: string): string {
  return [...new TextEncoder().encode(name)]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      return /[A-Za-z0-9_-]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}
