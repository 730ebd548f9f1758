// Access control lists the way Kafka's authorizer reads them: a token holds ACLs on resources (topic, group,
// cluster) named literally, by prefix, or "*" for all, each granting operations. "admin" includes read and write
// (Kafka's ALL); read and write are independent (Kafka's READ and WRITE); "describe" (seeing that a resource exists,
// its metadata and offsets) is implied by any of them, as Kafka's READ, WRITE and ALL imply DESCRIBE. The cluster
// resource is named "cluster" (Kafka's "kafka-cluster" works too). Pure: no I/O, no secrets.
import { isPlainObject } from "../log/plain-object";

/** transactionalId: Kafka's TransactionalId resource (write: use it in transactions; describe: see its state).
 *  subject: a schema registry subject, Confluent's Subject resource (read: fetch and look up, write: register,
 *  admin: delete and configure; docs/schemas.md). */
export type ResourceType = "topic" | "group" | "cluster" | "transactionalId" | "subject";
export type Operation = "read" | "write" | "admin";
/** What a route may require: an operation, or "describe", which any granted operation implies. */
export type Requirement = Operation | "describe";
export type PatternType = "literal" | "prefixed";

export interface Acl {
  resource: ResourceType;
  /** A literal name, a prefix (patternType "prefixed"), or "*" (literal) for every resource of the type. */
  name: string;
  patternType: PatternType;
  operations: Operation[];
}

export interface Quotas {
  /** Bytes of produce request bodies per second. */
  produceBytesPerSecond?: number;
  /** Bytes of fetch responses per second. */
  fetchBytesPerSecond?: number;
  /** Requests of any kind per second. */
  requestsPerSecond?: number;
}

/** Who is calling: a named token with its ACLs and quotas. `all` is the open (development) principal. */
export interface Principal {
  name: string;
  acls: Acl[];
  quotas: Quotas;
  all: boolean;
}

export const OPEN_PRINCIPAL: Principal = { name: "anonymous (auth off)", acls: [], quotas: {}, all: true };

const RESOURCES: readonly ResourceType[] = ["topic", "group", "cluster", "transactionalId", "subject"];
const OPERATIONS: readonly Operation[] = ["read", "write", "admin"];
const PATTERNS: readonly PatternType[] = ["literal", "prefixed"];

function grants(acl: Acl, operation: Requirement): boolean {
  return operation === "describe" ? acl.operations.length > 0 : acl.operations.includes(operation) || acl.operations.includes("admin");
}

function matches(acl: Acl, name: string): boolean {
  if (acl.resource === "cluster") return acl.name === "*" || acl.name === "cluster" || acl.name === "kafka-cluster";
  if (acl.patternType === "prefixed") return name.startsWith(acl.name);
  return acl.name === "*" || acl.name === name;
}

/** May the principal perform `operation` on the named resource? (Cluster resources have the name "cluster".) */
export function allowed(principal: Principal, resource: ResourceType, name: string, operation: Requirement): boolean {
  if (principal.all) return true;
  return principal.acls.some((acl) => acl.resource === resource && matches(acl, name) && grants(acl, operation));
}

/** May the principal perform `operation` on at least one resource of this type (e.g. list, InitProducerId)? */
export function allowedOnAny(principal: Principal, resource: ResourceType, operation: Requirement): boolean {
  if (principal.all) return true;
  return principal.acls.some((acl) => acl.resource === resource && grants(acl, operation));
}

/** Validates ACLs from JSON (the secret or an admin request); returns an error message or the ACLs. */
export function parseAcls(input: unknown): Acl[] | string {
  if (!Array.isArray(input)) return "acls must be an array of {resource, name, patternType?, operations}";
  const out: Acl[] = [];
  for (const [i, raw] of input.entries()) {
    if (typeof raw !== "object" || raw === null) return `acls[${i}] must be an object`;
    const a = raw as Record<string, unknown>;
    const patternType = (a.patternType ?? "literal") as PatternType;
    if (!RESOURCES.includes(a.resource as ResourceType)) return `acls[${i}].resource must be one of ${RESOURCES.join(", ")}`;
    if (typeof a.name !== "string" || a.name.length === 0 || a.name.length > 249) return `acls[${i}].name must be 1 to 249 characters`;
    if (!PATTERNS.includes(patternType)) return `acls[${i}].patternType must be literal or prefixed`;
    if (!Array.isArray(a.operations) || a.operations.length === 0 || a.operations.some((o) => !OPERATIONS.includes(o as Operation))) {
      return `acls[${i}].operations must be a non-empty array of ${OPERATIONS.join(", ")}`;
    }
    out.push({ resource: a.resource as ResourceType, name: a.name, patternType, operations: [...new Set(a.operations as Operation[])] });
  }
  return out;
}

/** Validates quotas from JSON: each a positive number, or absent for no limit. */
export function parseQuotas(input: unknown): Quotas | string {
  if (input === undefined || input === null) return {};
  if (!isPlainObject(input)) return "quotas must be an object";
  const out: Quotas = {};
  for (const [key, value] of Object.entries(input)) {
    if (key !== "produceBytesPerSecond" && key !== "fetchBytesPerSecond" && key !== "requestsPerSecond") return `unknown quota '${key}'`;
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) return `quota ${key} must be a positive number`;
    out[key] = value;
  }
  return out;
}
