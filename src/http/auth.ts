// Authentication, authorization, quotas and CORS for the HTTP API. Every request but /healthz needs
// `Authorization: Bearer <token>`; a token's ACLs decide what it may do (403 with Kafka's *_AUTHORIZATION_FAILED
// names) and its quotas how fast (429 THROTTLING_QUOTA_EXCEEDED with Retry-After). With no tokens configured a
// deployment refuses everything; only a development environment may turn auth off (EDGELOG_AUTH=off in .dev.vars).
// Tokens never appear in logs or error messages. The RPC entrypoint is trusted by its service binding instead.
import type { IRequest } from "itty-router";
import { allowed, allowedOnAny, OPEN_PRINCIPAL, type Principal, type Requirement, type ResourceType } from "../auth/acl";
import { TokenBucket } from "../auth/quota";
import { findToken, parseTokenSecret, sha256Hex, type TokenRecord } from "../auth/tokens";
import type { StoredToken } from "../controller/Controller";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { TOKEN_CACHE_MS } from "../limits";
import { controllerStub } from "../names";

/** Environments where EDGELOG_AUTH=off is honoured: never production. */
const OPEN_ENVIRONMENTS = new Set(["development", "test", "bench"]);

export function authIsOff(env: Env): boolean {
  return env.EDGELOG_AUTH === "off" && OPEN_ENVIRONMENTS.has(env.EDGELOG_ENV ?? "production");
}

let secretCache: { text: string | undefined; records: TokenRecord[] } | undefined;
let storeCache: { records: TokenRecord[]; fetchedMs: number } | undefined;
let warnedMisconfigured = false;

function secretTokens(env: Env): TokenRecord[] {
  if (secretCache !== undefined && secretCache.text === env.EDGELOG_TOKENS) return secretCache.records;
  const parsed = parseTokenSecret(env.EDGELOG_TOKENS);
  if (typeof parsed === "string") {
    // A broken secret refuses everything (fail closed) and says why in the log, never echoing its content.
    console.error(`EDGELOG_TOKENS ignored: ${parsed}`);
    secretCache = { text: env.EDGELOG_TOKENS, records: [] };
  } else secretCache = { text: env.EDGELOG_TOKENS, records: parsed };
  return secretCache.records;
}

/** A miss re-reads the store at most this often, so a token created on another isolate works within a second. */
const STORE_MISS_REFRESH_MS = 1_000;

async function storeTokens(env: Env, maxAgeMs = TOKEN_CACHE_MS): Promise<TokenRecord[]> {
  if (storeCache && Date.now() - storeCache.fetchedMs < maxAgeMs) return storeCache.records;
  try {
    const rows = (await controllerStub(env).tokenRecords()) as (StoredToken & { sha256: string })[];
    storeCache = { records: rows.map((r) => ({ id: r.id, name: r.name, sha256: r.sha256, acls: r.acls, quotas: r.quotas })), fetchedMs: Date.now() };
  } catch (error) {
    // The controller is unreachable: keep the last known store (or none). Secret tokens keep working either way.
    console.error(`token store unavailable: ${String(error)}`);
    if (!storeCache) return [];
  }
  return storeCache!.records;
}

/** Forget the cached token store (after this isolate created or revoked a token). */
export function forgetStoreTokens(): void {
  storeCache = undefined;
}

function unauthenticated(message: string): KafkaError {
  const error = new KafkaError("SASL_AUTHENTICATION_FAILED", message);
  error.headers = { "www-authenticate": 'Bearer realm="edgelog"' };
  return error;
}

export async function authenticate(request: Request, env: Env): Promise<Principal> {
  if (authIsOff(env)) return OPEN_PRINCIPAL;
  if (env.EDGELOG_AUTH === "off" && !warnedMisconfigured) {
    warnedMisconfigured = true;
    console.error(`EDGELOG_AUTH=off ignored: EDGELOG_ENV is '${env.EDGELOG_ENV ?? "production"}', and auth can be turned off only in development`);
  }
  const header = request.headers.get("authorization");
  // The scheme name is case-insensitive (RFC 9110).
  const match = header === null ? null : /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header.trim());
  const secret = secretTokens(env);
  let store = await storeTokens(env);
  if (secret.length === 0 && store.length === 0) {
    throw unauthenticated("this deployment has no tokens configured, so it refuses every request (docs/security.md)");
  }
  if (match === null) throw unauthenticated("missing or malformed Authorization header; send 'Authorization: Bearer <token>'");
  const hash = await sha256Hex(match[1]!);
  let record = findToken(secret, hash) ?? findToken(store, hash);
  if (!record) {
    // Perhaps created moments ago through another isolate: look once more with a fresher store.
    store = await storeTokens(env, STORE_MISS_REFRESH_MS);
    record = findToken(store, hash);
  }
  if (!record) throw unauthenticated("the token is not valid (unknown or revoked)");
  return { name: record.name, acls: record.acls, quotas: record.quotas, all: false };
}

const FAILURE = { topic: "TOPIC_AUTHORIZATION_FAILED", group: "GROUP_AUTHORIZATION_FAILED", cluster: "CLUSTER_AUTHORIZATION_FAILED" } as const;

/** Throws 403 unless the principal may perform `operation` on the resource. */
export function authorize(principal: Principal, resource: ResourceType, name: string, operation: Requirement): void {
  if (!allowed(principal, resource, name, operation)) {
    throw new KafkaError(FAILURE[resource], `token '${principal.name}' may not ${operation} ${resource === "cluster" ? "the cluster" : `${resource} '${name}'`}`, {
      resource,
      name,
      operation,
    });
  }
}

export function authorizeAny(principal: Principal, resource: ResourceType, operation: Requirement): void {
  if (!allowedOnAny(principal, resource, operation)) {
    throw new KafkaError(FAILURE[resource], `token '${principal.name}' may not ${operation} any ${resource}`, { resource, operation });
  }
}

// ---- quotas ----------------------------------------------------------------------------------------------

const buckets = new Map<string, TokenBucket>();

function bucket(principal: Principal, kind: "requests" | "produce" | "fetch", rate: number | undefined): TokenBucket | undefined {
  if (rate === undefined) return undefined;
  const key = `${principal.name}\u0000${kind}\u0000${rate}`;
  let b = buckets.get(key);
  if (!b) buckets.set(key, (b = new TokenBucket(rate, Date.now())));
  return b;
}

function throttled(principal: Principal, kind: string, waitMs: number): KafkaError {
  const error = new KafkaError("THROTTLING_QUOTA_EXCEEDED", `token '${principal.name}' is over its ${kind} quota; retry after ${waitMs} ms`, { quota: kind, retryAfterMs: waitMs });
  error.headers = { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) };
  return error;
}

type QuotaKind = "requests" | "produce" | "fetch";
const QUOTA_NAME = { requests: "requestsPerSecond", produce: "produceBytesPerSecond", fetch: "fetchBytesPerSecond" } as const;

function quotaBucket(principal: Principal, kind: QuotaKind): TokenBucket | undefined {
  return bucket(principal, kind, principal.quotas[QUOTA_NAME[kind]]);
}

/** Throws 429 (with Retry-After) if the token is in debt on this quota. */
export function checkQuota(principal: Principal, kind: QuotaKind): void {
  const wait = quotaBucket(principal, kind)?.waitMs(Date.now()) ?? 0;
  if (wait > 0) throw throttled(principal, QUOTA_NAME[kind], wait);
}

/** Charges what a request used; a large request may overdraw once, and the next ones wait. */
export function debitQuota(principal: Principal, kind: QuotaKind, amount: number): void {
  quotaBucket(principal, kind)?.take(amount, Date.now());
}

// ---- CORS --------------------------------------------------------------------------------------------------

function allowedOrigin(request: Request, env: Env): string | undefined {
  const origin = request.headers.get("origin");
  if (origin === null || !env.EDGELOG_CORS_ORIGINS) return undefined;
  const allowedOrigins = env.EDGELOG_CORS_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean);
  return allowedOrigins.includes(origin) ? origin : undefined;
}

/** Answers a CORS preflight: 204, with CORS headers only for a configured origin (else the browser refuses). */
export function preflight(request: Request, env: Env): Response {
  const origin = allowedOrigin(request, env);
  if (origin === undefined) return new Response(null, { status: 204, headers: { vary: "Origin" } });
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "GET, POST, PATCH, DELETE, OPTIONS",
      "access-control-allow-headers": "authorization, content-type, last-event-id",
      "access-control-max-age": "600",
      vary: "Origin",
    },
  });
}

export function withCors(response: Response, request: Request, env: Env): Response {
  const origin = allowedOrigin(request, env);
  if (origin === undefined) return response;
  const out = new Response(response.body, response);
  out.headers.set("access-control-allow-origin", origin);
  out.headers.set("access-control-expose-headers", "retry-after, www-authenticate");
  out.headers.append("vary", "Origin");
  return out;
}

/** The principal the auth middleware attached to the request. */
export function principalOf(request: IRequest): Principal {
  return (request as unknown as { principal: Principal }).principal;
}
