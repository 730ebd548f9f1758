// Confluent Schema Registry's error model, kept apart from edgelog's ERRORS table because Confluent's clients parse
// these bodies: `{error_code, message}` with Confluent's codes (the HTTP status is the code's first three digits, except
// 409 and the 5xxxx codes). The registry object returns RegistryResult<T>; the HTTP layer turns failures into bodies.
// Pure: no I/O.

/** Where the registry's API is mounted: clients are configured with `http://host:8787/schema-registry`. */
export const REGISTRY_BASE_PATH = "/schema-registry";

export const REGISTRY_ERRORS = {
  UNAUTHORIZED: { errorCode: 40101, status: 401 },
  FORBIDDEN: { errorCode: 40301, status: 403 },
  SUBJECT_NOT_FOUND: { errorCode: 40401, status: 404 },
  VERSION_NOT_FOUND: { errorCode: 40402, status: 404 },
  SCHEMA_NOT_FOUND: { errorCode: 40403, status: 404 },
  /** A soft-deleted subject or version was asked to be deleted softly again, or a permanent delete came first. */
  SUBJECT_SOFT_DELETED: { errorCode: 40404, status: 404 },
  SUBJECT_NOT_SOFT_DELETED: { errorCode: 40405, status: 404 },
  SCHEMA_VERSION_SOFT_DELETED: { errorCode: 40406, status: 404 },
  SCHEMA_VERSION_NOT_SOFT_DELETED: { errorCode: 40407, status: 404 },
  SUBJECT_COMPATIBILITY_NOT_CONFIGURED: { errorCode: 40408, status: 404 },
  /** Confluent's route-not-found answer (it has no code of its own; 404 with Jetty's body). */
  NOT_FOUND: { errorCode: 404, status: 404 },
  METHOD_NOT_ALLOWED: { errorCode: 405, status: 405 },
  INCOMPATIBLE_SCHEMA: { errorCode: 409, status: 409 },
  INVALID_SCHEMA: { errorCode: 42201, status: 422 },
  INVALID_VERSION: { errorCode: 42202, status: 422 },
  INVALID_COMPATIBILITY_LEVEL: { errorCode: 42203, status: 422 },
  INVALID_MODE: { errorCode: 42204, status: 422 },
  OPERATION_NOT_PERMITTED: { errorCode: 42205, status: 422 },
  REFERENCE_EXISTS: { errorCode: 42206, status: 422 },
  /** A request Confluent would refuse as unprocessable: bad JSON, wrong field types, an oversize body. */
  INVALID_REQUEST: { errorCode: 42200, status: 422 },
  /** Too many subjects or versions: edgelog's bounds (src/limits.ts); Confluent has none. */
  LIMIT_EXCEEDED: { errorCode: 42900, status: 422 },
  UNSUPPORTED_MEDIA_TYPE: { errorCode: 415, status: 415 },
  SERVER_ERROR: { errorCode: 50001, status: 500 },
  STORE_ERROR: { errorCode: 50001, status: 500 },
  UNAVAILABLE: { errorCode: 50003, status: 503 },
} as const satisfies Record<string, { errorCode: number; status: number }>;

export type RegistryErrorType = keyof typeof REGISTRY_ERRORS;

/** What crosses RPC: plain data. */
export interface RegistryFailure {
  type: RegistryErrorType;
  message: string;
}

export type RegistryResult<T> = { ok: true; value: T } | { ok: false; error: RegistryFailure };

export function registryFail<T = never>(type: RegistryErrorType, message: string): RegistryResult<T> {
  return { ok: false, error: { type, message } };
}

export function registryOk<T>(value: T): RegistryResult<T> {
  return { ok: true, value };
}

/** Thrown within one isolate (parsing, auth); the registry's catch answers it as Confluent's body. */
export class RegistryError extends Error {
  constructor(
    readonly type: RegistryErrorType,
    message: string,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

/** Confluent's error body. */
export function registryErrorBody(failure: RegistryFailure): { error_code: number; message: string } {
  return { error_code: REGISTRY_ERRORS[failure.type].errorCode, message: failure.message };
}
