// The one error table: each operating error's Kafka name, Kafka code, HTTP status and whether a retry can help.
// Objects return Result<T> (properties of thrown errors do not survive Durable Object RPC); callers unwrap.

export const ERRORS = {
  UNKNOWN_SERVER_ERROR: { code: -1, status: 500, retriable: false },
  OFFSET_OUT_OF_RANGE: { code: 1, status: 416, retriable: false },
  OFFSET_METADATA_TOO_LARGE: { code: 12, status: 413, retriable: false },
  COORDINATOR_NOT_AVAILABLE: { code: 15, status: 503, retriable: true },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, status: 404, retriable: false },
  LEADER_NOT_AVAILABLE: { code: 5, status: 503, retriable: true },
  NOT_LEADER_OR_FOLLOWER: { code: 6, status: 503, retriable: true },
  REQUEST_TIMED_OUT: { code: 7, status: 504, retriable: true },
  MESSAGE_TOO_LARGE: { code: 10, status: 413, retriable: false },
  INVALID_TOPIC_EXCEPTION: { code: 17, status: 400, retriable: false },
  RECORD_LIST_TOO_LARGE: { code: 18, status: 413, retriable: false },
  NOT_ENOUGH_REPLICAS: { code: 19, status: 503, retriable: true },
  /** The records were written but the ISR shrank below min.insync.replicas before they were committed: ambiguous. */
  NOT_ENOUGH_REPLICAS_AFTER_APPEND: { code: 20, status: 503, retriable: true },
  INVALID_REQUIRED_ACKS: { code: 21, status: 400, retriable: false },
  /** A consumer group's member calls a subscription's group, or a subscription is named after a consumer group. */
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, status: 409, retriable: false },
  INVALID_GROUP_ID: { code: 24, status: 400, retriable: false },
  UNKNOWN_MEMBER_ID: { code: 25, status: 409, retriable: false },
  INVALID_SESSION_TIMEOUT: { code: 26, status: 400, retriable: false },
  TOPIC_AUTHORIZATION_FAILED: { code: 29, status: 403, retriable: false },
  GROUP_AUTHORIZATION_FAILED: { code: 30, status: 403, retriable: false },
  CLUSTER_AUTHORIZATION_FAILED: { code: 31, status: 403, retriable: false },
  INVALID_TIMESTAMP: { code: 32, status: 400, retriable: false },
  TOPIC_ALREADY_EXISTS: { code: 36, status: 409, retriable: false },
  INVALID_PARTITIONS: { code: 37, status: 400, retriable: false },
  INVALID_REPLICATION_FACTOR: { code: 38, status: 400, retriable: false },
  INVALID_CONFIG: { code: 40, status: 400, retriable: false },
  INVALID_REQUEST: { code: 42, status: 400, retriable: false },
  POLICY_VIOLATION: { code: 44, status: 400, retriable: false },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, status: 409, retriable: false },
  INVALID_PRODUCER_EPOCH: { code: 47, status: 409, retriable: false },
  /** A transactional call the transaction's state does not allow (commit without a transaction, a write after commit). */
  INVALID_TXN_STATE: { code: 48, status: 409, retriable: false },
  INVALID_TRANSACTION_TIMEOUT: { code: 50, status: 400, retriable: false },
  /** The transaction is still being completed (its markers are being written): retry shortly. */
  CONCURRENT_TRANSACTIONS: { code: 51, status: 409, retriable: true },
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: { code: 53, status: 403, retriable: false },
  KAFKA_STORAGE_ERROR: { code: 56, status: 503, retriable: true },
  SASL_AUTHENTICATION_FAILED: { code: 58, status: 401, retriable: false },
  UNKNOWN_PRODUCER_ID: { code: 59, status: 404, retriable: false },
  NON_EMPTY_GROUP: { code: 68, status: 409, retriable: false },
  GROUP_ID_NOT_FOUND: { code: 69, status: 404, retriable: false },
  FENCED_LEADER_EPOCH: { code: 74, status: 503, retriable: true },
  UNKNOWN_LEADER_EPOCH: { code: 75, status: 503, retriable: true },
  PREFERRED_LEADER_NOT_AVAILABLE: { code: 80, status: 503, retriable: true },
  GROUP_MAX_SIZE_REACHED: { code: 81, status: 409, retriable: false },
  ELIGIBLE_LEADERS_NOT_AVAILABLE: { code: 83, status: 503, retriable: true },
  ELECTION_NOT_NEEDED: { code: 84, status: 409, retriable: false },
  INVALID_RECORD: { code: 87, status: 400, retriable: false },
  THROTTLING_QUOTA_EXCEEDED: { code: 89, status: 429, retriable: true },
  /** A newer incarnation of this transactional id called init: this producer is a zombie. */
  PRODUCER_FENCED: { code: 90, status: 409, retriable: false },
  UNKNOWN_TOPIC_ID: { code: 100, status: 404, retriable: true },
  TRANSACTIONAL_ID_NOT_FOUND: { code: 105, status: 404, retriable: false },
  FENCED_MEMBER_EPOCH: { code: 110, status: 409, retriable: false },
  UNSUPPORTED_ASSIGNOR: { code: 112, status: 400, retriable: false },
  STALE_MEMBER_EPOCH: { code: 113, status: 409, retriable: false },
  /** The coordinator aborted the transaction (it timed out): abort to go on with this transactional id. */
  TRANSACTION_ABORTABLE: { code: 120, status: 409, retriable: false },
  /** A share group's acknowledgement names a lease that is not the record's current one (another poller has it, it
   *  was acknowledged, or it went to the dead-letter topic): KIP-932's error for records not acquired by the caller. */
  INVALID_RECORD_STATE: { code: 121, status: 409, retriable: false },
  // edgelog's own, for HTTP situations Kafka has no name for; codes above Kafka's range.
  NOT_FOUND: { code: 10_001, status: 404, retriable: false },
  METHOD_NOT_ALLOWED: { code: 10_002, status: 405, retriable: false },
  UNSUPPORTED_MEDIA_TYPE: { code: 10_003, status: 415, retriable: false },
  REQUEST_TOO_LARGE: { code: 10_004, status: 413, retriable: false },
  STALE_METADATA: { code: 10_005, status: 503, retriable: true },
  /** A member committed an offset for a partition it does not own (Kafka checks only the epoch; KIP-1251). */
  PARTITION_NOT_ASSIGNED: { code: 10_006, status: 409, retriable: false },
  /** POST /v1/subscriptions for a name that has one already. */
  SUBSCRIPTION_ALREADY_EXISTS: { code: 10_007, status: 409, retriable: false },
  /** A share group's config changed (deleted and created again) since the router read it: it reads it again. */
  STALE_SHARE_GROUP: { code: 10_008, status: 503, retriable: true },
} as const satisfies Record<string, { code: number; status: number; retriable: boolean }>;

export type ErrorType = keyof typeof ERRORS;

/** What crosses RPC and HTTP: plain data. */
export interface ErrorBody {
  type: ErrorType;
  code: number;
  message: string;
  retriable: boolean;
  details?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorBody };

/** An error as the client sees it: without the topic metadata a replica's STALE_METADATA (or NOT_LEADER) carries for
 *  the router (service/metadata.ts metadataAfter). */
export function clientError(error: ErrorBody): ErrorBody {
  if (error.details?.metadata === undefined) return error;
  const { metadata: _metadata, ...details } = error.details;
  return { ...error, details };
}

export function errorBody(type: ErrorType, message: string, details?: Record<string, unknown>): ErrorBody {
  const { code, retriable } = ERRORS[type];
  return details === undefined ? { type, code, message, retriable } : { type, code, message, retriable, details };
}

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(type: ErrorType, message: string, details?: Record<string, unknown>): Result<T> {
  return { ok: false, error: errorBody(type, message, details) };
}

/** An operating error thrown inside one isolate (never across RPC): handlers catch it and answer with its body. */
export class KafkaError extends Error {
  readonly body: ErrorBody;
  /** HTTP headers the answer carries (WWW-Authenticate on 401, Retry-After on 429). */
  headers: Record<string, string> = {};
  constructor(type: ErrorType, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "KafkaError";
    this.body = errorBody(type, message, details);
  }
  static from(error: ErrorBody): KafkaError {
    return new KafkaError(error.type, error.message, error.details);
  }
}

/** Unwraps a Result, throwing its error as a KafkaError. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw KafkaError.from(result.error);
}

/** A broken invariant is a programmer error: it fails loudly and answers 500. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}
