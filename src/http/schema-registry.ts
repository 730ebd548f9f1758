// The Confluent Schema Registry REST API, the subset serializer clients use (docs/schemas.md), mounted under
// /schema-registry. Its own route table (REGISTRY_ROUTES) and its own answers: Confluent's content type and
// `{error_code, message}` bodies, because clients parse them. Handlers check subject ACLs, call the registry object
// through names.ts, and drop this isolate's produce-validation cache for a subject they change.
import type { IRequest } from "itty-router";
import { allowed, allowedOnAny, type Requirement } from "../auth/acl";
import type { Env } from "../env";
import { ERRORS, KafkaError } from "../errors";
import { MAX_REGISTRY_REQUEST_BYTES } from "../limits";
import { schemaRegistryStub } from "../names";
import { COMPATIBILITY_LEVELS } from "../registry/compatibility";
import { SCHEMA_TYPES } from "../registry/parsed-schema";
import { REGISTRY_BASE_PATH, REGISTRY_ERRORS, RegistryError, registryErrorBody, type RegistryFailure, type RegistryResult } from "../registry/registry-error";
import { checkSubject, flag, parseSchemaBody, parseSchemaId, parseVersion } from "../registry/registry-request";
import { forgetSubject } from "../service/schema-validation";
import { principalOf } from "./auth";
import { pathParam, readJson } from "./parse";

export const REGISTRY_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

function answer(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": REGISTRY_CONTENT_TYPE } });
}

function failure(error: RegistryFailure): Response {
  return answer(registryErrorBody(error), REGISTRY_ERRORS[error.type].status);
}

/** The value of an RPC result, or Confluent's error thrown for the catch. */
function value<T>(result: RegistryResult<T>): T {
  if (result.ok) return result.value;
  throw new RegistryError(result.error.type, result.error.message);
}

export function isRegistryPath(url: string): boolean {
  const path = new URL(url).pathname;
  return path === REGISTRY_BASE_PATH || path.startsWith(`${REGISTRY_BASE_PATH}/`);
}

/** The registry's catch: its own errors as Confluent's bodies; edgelog's (auth, body size, media type) with Confluent's
 *  shapes for the same statuses; anything else is a bug, logged and answered 500 50001. */
export function registryFromThrown(thrown: unknown): Response {
  if (thrown instanceof RegistryError) return failure({ type: thrown.type, message: thrown.message });
  if (thrown instanceof KafkaError) {
    const status = ERRORS[thrown.body.type].status;
    const code = status === 401 ? 40101 : status === 403 ? 40301 : status === 400 ? 42200 : status;
    const response = answer({ error_code: code, message: thrown.body.message }, status === 400 ? 422 : status);
    for (const [name, v] of Object.entries(thrown.headers)) response.headers.set(name, v);
    return response;
  }
  console.error("unexpected error in the schema registry", thrown instanceof Error ? thrown.stack : String(thrown));
  return failure({ type: "SERVER_ERROR", message: "internal error; the server log has the details" });
}

function need(request: IRequest, subject: string | undefined, operation: Requirement): void {
  const principal = principalOf(request);
  const ok = subject === undefined ? allowedOnAny(principal, "subject", operation) : allowed(principal, "subject", subject, operation);
  if (!ok) throw new RegistryError("FORBIDDEN", `token '${principal.name}' may not ${operation} ${subject === undefined ? "any subject" : `subject '${subject}'`}`);
}

function needClusterAdmin(request: IRequest): void {
  const principal = principalOf(request);
  if (!allowed(principal, "cluster", "cluster", "admin")) throw new RegistryError("FORBIDDEN", `token '${principal.name}' may not change the global config (cluster admin)`);
}

const subjectParam = (request: IRequest) => checkSubject(pathParam(request.params, "subject"));
const body = async (request: IRequest) => parseSchemaBody(await readJson(request, MAX_REGISTRY_REQUEST_BYTES, "REQUEST_TOO_LARGE"));
const registry = (env: Env) => schemaRegistryStub(env);

/** Confluent omits schemaType for AVRO and references when there are none. */
function schemaFields(s: { schema: string; schemaType: string; references: unknown[] }): Record<string, unknown> {
  return { ...(s.schemaType !== "AVRO" ? { schemaType: s.schemaType } : {}), ...(s.references.length > 0 ? { references: s.references } : {}), schema: s.schema };
}

async function listSubjects(request: IRequest, env: Env): Promise<Response> {
  const principal = principalOf(request);
  const subjects = await registry(env).subjects(flag(request.query.deleted));
  return answer(subjects.filter((s) => allowed(principal, "subject", s, "describe")));
}

async function register(request: IRequest, env: Env): Promise<Response> {
  const subject = subjectParam(request);
  need(request, subject, "write");
  const input = await body(request);
  const { id } = value(await registry(env).register(subject, input));
  forgetSubject(subject);
  return answer({ id });
}

async function lookup(request: IRequest, env: Env): Promise<Response> {
  const subject = subjectParam(request);
  need(request, subject, "read");
  const found = value(await registry(env).lookup(subject, await body(request), flag(request.query.deleted)));
  return answer({ subject: found.subject, id: found.id, version: found.version, ...schemaFields(found) });
}

async function listVersions(request: IRequest, env: Env): Promise<Response> {
  const subject = subjectParam(request);
  need(request, subject, "read");
  return answer(value(await registry(env).versions(subject, flag(request.query.deleted))));
}

async function getVersion(request: IRequest, env: Env): Promise<Response> {
  const subject = subjectParam(request);
  need(request, subject, "read");
  const found = value(await registry(env).getVersion(subject, parseVersion(pathParam(request.params, "version")), flag(request.query.deleted)));
  return answer({ subject: found.subject, version: found.version, id: found.id, ...schemaFields(found) });
}

async function getVersionSchema(request: IRequest, env: Env): Promise<Response> {
  const subject = subjectParam(request);
  need(request, subject, "read");
  const found = value(await registry(env).getVersion(subject, parseVersion(pathParam(request.params, "version")), flag(request.query.deleted)));
  return new Response(found.schema, { headers: { "content-type": REGISTRY_CONTENT_TYPE } });
}

async function deleteSubject(request: IRequest, env: Env): Promise<Response> {
  const subject = subjectParam(request);
  need(request, subject, "admin");
  const versions = value(await registry(env).deleteSubject(subject, flag(request.query.permanent)));
  forgetSubject(subject);
  return answer(versions);
}

async function deleteVersion(request: IRequest, env: Env): Promise<Response> {
  const subject = subjectParam(request);
  need(request, subject, "admin");
  const version = value(await registry(env).deleteVersion(subject, parseVersion(pathParam(request.params, "version")), flag(request.query.permanent)));
  forgetSubject(subject);
  return answer(version);
}

async function schemaById(request: IRequest, env: Env): Promise<Response> {
  need(request, undefined, "read");
  const found = value(await registry(env).schemaById(parseSchemaId(pathParam(request.params, "id"))));
  return answer(schemaFields(found));
}

async function schemaTextById(request: IRequest, env: Env): Promise<Response> {
  need(request, undefined, "read");
  const found = value(await registry(env).schemaById(parseSchemaId(pathParam(request.params, "id"))));
  return new Response(found.schema, { headers: { "content-type": REGISTRY_CONTENT_TYPE } });
}

async function schemaVersions(request: IRequest, env: Env): Promise<Response> {
  need(request, undefined, "read");
  const principal = principalOf(request);
  const versions = value(await registry(env).schemaVersions(parseSchemaId(pathParam(request.params, "id")), flag(request.query.deleted)));
  return answer(versions.filter((v) => allowed(principal, "subject", v.subject, "describe")));
}

function schemaTypes(): Response {
  return answer([...SCHEMA_TYPES]);
}

async function compatibilityLevel(input: unknown): Promise<string> {
  const level = (input as { compatibility?: unknown } | null)?.compatibility;
  if (typeof level !== "string") throw new RegistryError("INVALID_COMPATIBILITY_LEVEL", `Invalid compatibility level. Valid values are ${COMPATIBILITY_LEVELS.join(", ")}`);
  return level.toUpperCase();
}

async function getConfig(request: IRequest, env: Env): Promise<Response> {
  const subject = request.params.subject === undefined ? undefined : subjectParam(request);
  if (subject !== undefined) need(request, subject, "read");
  return answer({ compatibilityLevel: value(await registry(env).getCompatibility(subject, flag(request.query.defaultToGlobal))) });
}

async function putConfig(request: IRequest, env: Env): Promise<Response> {
  const subject = request.params.subject === undefined ? undefined : subjectParam(request);
  if (subject === undefined) needClusterAdmin(request);
  else need(request, subject, "admin");
  const level = await compatibilityLevel(await readJson(request, MAX_REGISTRY_REQUEST_BYTES, "REQUEST_TOO_LARGE"));
  // A compatibility level decides what may be registered, not what validation accepts: no cache to drop.
  const set = value(await registry(env).setCompatibility(subject, level));
  return answer({ compatibility: set });
}

async function testCompatibility(request: IRequest, env: Env): Promise<Response> {
  const subject = subjectParam(request);
  need(request, subject, "read");
  const version = parseVersion(pathParam(request.params, "version"));
  const result = value(await registry(env).testCompatibility(subject, version, await body(request)));
  return answer({ is_compatible: result.compatible, ...(flag(request.query.verbose) ? { messages: result.messages } : {}) });
}

/** edgelog's registry takes writes always: Confluent's READWRITE. */
function getMode(): Response {
  return answer({ mode: "READWRITE" });
}

function root(): Response {
  return answer({});
}

export interface RegistryRoute {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** Under REGISTRY_BASE_PATH, as itty patterns. */
  path: string;
  /** Who may call it (checked in the handler), for docs/schemas.md's table. */
  needs: string;
  handler: (request: IRequest, env: Env) => Response | Promise<Response>;
}

// Every registry route; docs/schemas.md's coverage table lists them (test/registry/docs.test.ts keeps it in step).
export const REGISTRY_ROUTES: readonly RegistryRoute[] = [
  { method: "GET", path: "/", needs: "any valid token", handler: root },
  { method: "GET", path: "/subjects", needs: "any valid token (lists the subjects it may describe)", handler: listSubjects },
  { method: "POST", path: "/subjects/:subject/versions", needs: "subject write", handler: register },
  { method: "GET", path: "/subjects/:subject/versions", needs: "subject read", handler: listVersions },
  { method: "GET", path: "/subjects/:subject/versions/:version", needs: "subject read", handler: getVersion },
  { method: "GET", path: "/subjects/:subject/versions/:version/schema", needs: "subject read", handler: getVersionSchema },
  { method: "POST", path: "/subjects/:subject", needs: "subject read", handler: lookup },
  { method: "DELETE", path: "/subjects/:subject", needs: "subject admin", handler: deleteSubject },
  { method: "DELETE", path: "/subjects/:subject/versions/:version", needs: "subject admin", handler: deleteVersion },
  { method: "GET", path: "/schemas/ids/:id", needs: "subject read on any subject", handler: schemaById },
  { method: "GET", path: "/schemas/ids/:id/schema", needs: "subject read on any subject", handler: schemaTextById },
  { method: "GET", path: "/schemas/ids/:id/versions", needs: "subject read on any subject", handler: schemaVersions },
  { method: "GET", path: "/schemas/types", needs: "any valid token", handler: schemaTypes },
  { method: "GET", path: "/config", needs: "any valid token", handler: getConfig },
  { method: "PUT", path: "/config", needs: "cluster admin", handler: putConfig },
  { method: "GET", path: "/config/:subject", needs: "subject read", handler: getConfig },
  { method: "PUT", path: "/config/:subject", needs: "subject admin", handler: putConfig },
  { method: "POST", path: "/compatibility/subjects/:subject/versions/:version", needs: "subject read", handler: testCompatibility },
  { method: "GET", path: "/mode", needs: "any valid token", handler: getMode },
];
