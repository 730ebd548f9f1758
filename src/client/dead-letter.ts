// The dead-letter helper: wraps an eachRecord handler so that a record it fails on maxAttempts times is produced
// to `<topic>.dlq` (key, value and headers kept, plus headers naming the error and where the record came from) and
// then counts as processed, so the consumer commits past it and the partition moves on.
import { base64ToBytes } from "../log/base64";
import { backoffMs, sleep, DEFAULT_BACKOFF } from "./backoff";
import { EdgelogError, isErrorType } from "./edgelog-error";
import type { Producer } from "./producer";
import type { Transport } from "./transport";
import type { Encoding } from "../log/record";
import type { ConsumedRecord } from "./consumed-record";

export interface DeadLetterConfig {
  /** Attempts of the handler on one record before it goes to the dead-letter topic. Default 3. */
  maxAttempts?: number;
  /** The dead-letter topic for a topic. Default `<topic>.dlq`. */
  topic?: (topic: string) => string;
  /** Wait between attempts (exponential with jitter from this). Default 100 ms. */
  retryBackoffMs?: number;
  /** Create the dead-letter topic (1 partition) when it does not exist. Default true. */
  createTopic?: boolean;
}

/** Header names a dead-lettered record carries, after its own headers. */
export const DLQ_HEADERS = {
  errorType: "dlq.error.type",
  errorMessage: "dlq.error.message",
  topic: "dlq.topic",
  partition: "dlq.partition",
  offset: "dlq.offset",
  timestamp: "dlq.timestamp",
  attempts: "dlq.attempts",
} as const;

export interface DeadLetterDeps {
  producer: Producer;
  /** Creates missing dead-letter topics; omit to require that they exist. */
  transport?: Transport;
  /** The encoding the consumer fetched with: base64 keys and values go back out as the bytes they are. */
  encoding?: Encoding;
}

export type RecordHandler = (record: ConsumedRecord) => Promise<void> | void;

export function withDeadLetter(handler: RecordHandler, deps: DeadLetterDeps, config: DeadLetterConfig = {}): RecordHandler {
  const maxAttempts = Math.max(1, config.maxAttempts ?? 3);
  const topicFor = config.topic ?? ((topic: string) => `${topic}.dlq`);
  const backoff = { retryBackoffMs: config.retryBackoffMs ?? DEFAULT_BACKOFF.retryBackoffMs, retryBackoffMaxMs: DEFAULT_BACKOFF.retryBackoffMaxMs };
  return async (record) => {
    let failure: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        await handler(record);
        return;
      } catch (error) {
        failure = error;
        if (attempt < maxAttempts) await sleep(backoffMs(attempt - 1, backoff));
      }
    }
    await deadLetter(record, failure, maxAttempts, topicFor(record.topic), deps, config.createTopic ?? true);
  };
}

async function deadLetter(record: ConsumedRecord, failure: unknown, attempts: number, dlqTopic: string, deps: DeadLetterDeps, create: boolean): Promise<void> {
  const bytes = deps.encoding === "base64";
  const data = (text: string | null) => (text !== null && bytes ? base64ToBytes(text) : text);
  const headers = [
    ...record.headers.map((h) => ({ key: h.key, value: data(h.value) })),
    { key: DLQ_HEADERS.errorType, value: errorType(failure) },
    { key: DLQ_HEADERS.errorMessage, value: (failure instanceof Error ? failure.message : String(failure)).slice(0, 4096) },
    { key: DLQ_HEADERS.topic, value: record.topic },
    { key: DLQ_HEADERS.partition, value: String(record.partition) },
    { key: DLQ_HEADERS.offset, value: String(record.offset) },
    { key: DLQ_HEADERS.timestamp, value: String(record.timestamp) },
    { key: DLQ_HEADERS.attempts, value: String(attempts) },
  ];
  const letter = { key: data(record.key), value: data(record.value), headers };
  try {
    await deps.producer.send(dlqTopic, letter);
  } catch (error) {
    if (!(create && deps.transport && isErrorType(error, "UNKNOWN_TOPIC_OR_PARTITION"))) throw error;
    try {
      await deps.transport.createTopic({ name: dlqTopic, partitions: 1 });
    } catch (createError) {
      if (!isErrorType(createError, "TOPIC_ALREADY_EXISTS")) throw createError;
    }
    await deps.producer.send(dlqTopic, letter);
  }
}

function errorType(error: unknown): string {
  if (error instanceof EdgelogError) return error.type;
  if (error instanceof Error) return error.name;
  return typeof error;
}
