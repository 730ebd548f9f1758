// The client's one error class: every failure an operation reports is an EdgelogError whose `type`, `code` and
// `retriable` come from the server's error table (src/errors.ts), or from the two client-side types below for
// failures no server answered. `retriable` is what the producer's and consumer's retries look at, nothing else.
import { ERRORS, type ErrorBody, type ErrorType } from "../errors";

/** Failures the client detects itself. NETWORK_EXCEPTION is Kafka's code 13; edgelog's client-only codes start at 20001. */
export const CLIENT_ERRORS = {
  /** No answer from edgelog: connection refused or reset, DNS, a proxy's non-edgelog error page. The request may or may not have run. */
  NETWORK_EXCEPTION: { code: 13, status: 0, retriable: true },
  /** auto.offset.reset is "none" and the group has no committed offset (or it is out of range) for a partition. */
  NO_OFFSET_FOR_PARTITION: { code: 20_001, status: 0, retriable: false },
} as const;

export type ClientErrorType = keyof typeof CLIENT_ERRORS;

export class EdgelogError extends Error {
  readonly type: ErrorType | ClientErrorType;
  readonly code: number;
  /** HTTP status of the answer; 0 when there was none. */
  readonly status: number;
  readonly retriable: boolean;
  readonly details: Record<string, unknown> | undefined;
  /** The server's Retry-After, when it sent one: retries wait at least this long. */
  readonly retryAfterMs: number | undefined;

  constructor(
    type: ErrorType | ClientErrorType,
    message: string,
    options: { code?: number; status?: number; retriable?: boolean; details?: Record<string, unknown>; retryAfterMs?: number; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EdgelogError";
    const known = (ERRORS as Record<string, { code: number; status: number; retriable: boolean }>)[type] ?? CLIENT_ERRORS[type as ClientErrorType];
    this.type = type;
    this.code = options.code ?? known?.code ?? -1;
    this.status = options.status ?? known?.status ?? 0;
    this.retriable = options.retriable ?? known?.retriable ?? false;
    this.details = options.details;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** An error body from the HTTP API or the RPC entrypoint. The body's own `retriable` wins: the server knows best. */
  static fromBody(body: ErrorBody, status?: number, retryAfterMs?: number): EdgelogError {
    return new EdgelogError(body.type, body.message, {
      code: body.code,
      status: status ?? ERRORS[body.type]?.status,
      retriable: body.retriable,
      ...(body.details === undefined ? {} : { details: body.details }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }

  static network(message: string, cause?: unknown): EdgelogError {
    return new EdgelogError("NETWORK_EXCEPTION", message, { cause });
  }
}

/** True for an EdgelogError a retry may fix; anything else (a bug, an abort) is never retried. */
export function isRetriable(error: unknown): boolean {
  return error instanceof EdgelogError && error.retriable;
}

export function isErrorType(error: unknown, ...types: (ErrorType | ClientErrorType)[]): error is EdgelogError {
  return error instanceof EdgelogError && types.includes(error.type);
}
