// Authentication, authorization and quotas for the HTTP API (CORS: cors.ts). Every request but /healthz needs
// `Authorization: Bearer <token>`; a token's ACLs decide what it may do (403 with Kafka's *_AUTHORIZATION_FAILED
// names) and its quotas how fast (429 THROTTLING_QUOTA_EXCEEDED with Retry-After). With no tokens configured a
// deployment refuses everything; only a development environment may turn auth off (EDGELOG_AUTH=off in .dev.vars).
// Tokens never appear in logs or error messages. The RPC entrypoint is trusted by its service binding instead.
import type { IRequest } from "itty-router";
import { allowed, allowedOnAny, OPEN_PRINCIPAL, type Principal, type Requirement, type ResourceType } from "../auth/acl";
import { QUOTA_NAME, QuotaBuckets, type QuotaKind } from "../auth/quota";
import { findToken, sha256Hex } from "../auth/tokens";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { REGISTRY_BASE_PATH } from "../registry/registry-error";
import { offeredTailProtocols } from "../log/tail-subprotocol";
import { secretTokens, storeToken } from "../service/token-cache";

/** Environments where EDGELOG_AUTH=off is honoured: never production. */
const OPEN_ENVIRONMENTS = new Set(["development", "test", "bench"]);

export function authIsOff(env: Env): boolean {
  return env.EDGELOG_AUTH === "off" && OPEN_ENVIRONMENTS.has(env.EDGELOG_ENV ?? "production");
}

let warnedMisconfigured = false;

function unauthenticated(message: string): KafkaError {
  const error = new KafkaError("SASL_AUTHENTICATION_FAILED", message);
  error.headers = { "www-authenticate": 'Bearer realm="edgelog"' };
  return error;
}

/** The request's principal. `whileWaiting` runs if the token's answer must be read (its location or its shard), so the
 *  caller can read what it needs meanwhile (http/router.ts: the topic's metadata). */
export async function authenticate(request: Request, env: Env, whileWaiting?: () => void): Promise<Principal> {
  if (authIsOff(env)) return OPEN_PRINCIPAL;
  if (env.EDGELOG_AUTH === "off" && !warnedMisconfigured) {
    warnedMisconfigured = true;
    console.error(`EDGELOG_AUTH=off ignored: EDGELOG_ENV is '${env.EDGELOG_ENV ?? "production"}', and auth can be turned off only in development`);
  }
  const header = request.headers.get("authorization");
  // The scheme name is case-insensitive (RFC 9110).
  const match = header === null ? tailProtocolAuth(request) : (/^Bearer ([\x21-\x7e]{1,512})$/i.exec(header.trim()) ?? registryBasicAuth(request, header));
  if (match === null) throw unauthenticated("missing or malformed Authorization header; send 'Authorization: Bearer <token>'");
  const hash = await sha256Hex(match[1]!);
  const secret = secretTokens(env);
  // The secret's hashes are compared in constant time; the store's is a lookup of the presented token's hash (the
  // time of which tells nothing of any stored token).
  const record = findToken(secret, hash) ?? (await storeToken(env, hash, whileWaiting));
  if (!record && secret.length === 0) {
    throw unauthenticated("no tokens configured in EDGELOG_TOKENS and the token store does not hold this token, so it is refused (docs/security.md)");
  }
  if (!record) throw unauthenticated("the token is not valid (unknown or revoked)");
  return { name: record.name, acls: record.acls, quotas: record.quotas, all: false };
}

/** A browser's WebSocket tail carries its token as a subprotocol (src/tail.ts), since it cannot send the header. */
function tailProtocolAuth(request: Request): [string, string] | null {
  if ((request.headers.get("upgrade") ?? "").toLowerCase() !== "websocket") return null;
  const { token } = offeredTailProtocols(request.headers.get("sec-websocket-protocol"));
  return token !== undefined && /^[\x21-\x7e]{1,512}$/.test(token) ? ["", token] : null;
}

/**
 * Confluent's serializer clients send `basic.auth.user.info` as HTTP basic auth: on the registry's routes the password
 * is the token (the user name is ignored), so a client configured with "<any>:<token>" authenticates as the token.
 */
function registryBasicAuth(request: Request, header: string): [string, string] | null {
  if (!new URL(request.url).pathname.startsWith(REGISTRY_BASE_PATH)) return null;
  const basic = /^Basic ([A-Za-z0-9+/=]{1,1024})$/i.exec(header.trim());
  if (basic === null) return null;
  let decoded: string;
  try {
    decoded = atob(basic[1]!);
  } catch {
    return null;
  }
  const password = decoded.slice(decoded.indexOf(":") + 1);
  return decoded.includes(":") && /^[\x21-\x7e]{1,512}$/.test(password) ? [header, password] : null;
}

const FAILURE = {
  topic: "TOPIC_AUTHORIZATION_FAILED",
  group: "GROUP_AUTHORIZATION_FAILED",
  cluster: "CLUSTER_AUTHORIZATION_FAILED",
  transactionalId: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  // Registry routes check subjects themselves and answer Confluent's 40301 (src/http/schema-registry.ts); a subject is
  // named after its topic, so Kafka's nearest name is the topic's.
  subject: "TOPIC_AUTHORIZATION_FAILED",
} as const;

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

/** This isolate's quota buckets. */
const quotas = new QuotaBuckets();

/** Throws 429 (with Retry-After) if the token is in debt on this quota. */
export function checkQuota(principal: Principal, kind: QuotaKind): void {
  const waitMs = quotas.waitMs(principal, kind, Date.now());
  if (waitMs > 0) {
    const quota = QUOTA_NAME[kind];
    const error = new KafkaError("THROTTLING_QUOTA_EXCEEDED", `token '${principal.name}' is over its ${quota} quota; retry after ${waitMs} ms`, { quota, retryAfterMs: waitMs });
    error.headers = { "retry-after": String(Math.max(1, Math.ceil(waitMs / 1000))) };
    throw error;
  }
}

/** Charges what a request used; a large request may overdraw once, and the next ones wait. */
export function debitQuota(principal: Principal, kind: QuotaKind, amount: number): void {
  quotas.take(principal, kind, amount, Date.now());
}

/** The principal the auth middleware attached to the request. */
export function principalOf(request: IRequest): Principal {
  return (request as unknown as { principal: Principal }).principal;
}
