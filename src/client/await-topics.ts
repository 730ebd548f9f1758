// The consumer's check of its subscription before it joins a group: every topic must exist, or appear within a
// bound. Kafka's consumer waits for a missing topic's metadata for ever, logging a warning each time; here the wait
// ends with UNKNOWN_TOPIC_OR_PARTITION naming the topic, so a misspelt subscription fails instead of idling.
import { backoffMs, retry, sleep, type BackoffConfig } from "./backoff";
import { EdgelogError, isErrorType } from "./edgelog-error";
import type { Transport } from "./transport";

export interface AwaitTopicsConfig {
  /** Retries of a lookup after retriable failures (edgelog unreachable), as everywhere else. */
  retries: number;
  backoff: BackoffConfig;
  /** How long a topic may be missing; 0 looks once. */
  unknownTopicTimeoutMs: number;
}

/** Resolves once every topic exists (or `signal` aborts); rejects with the first failure no wait can fix. */
export async function awaitTopics(transport: Transport, topics: string[], config: AwaitTopicsConfig, signal: AbortSignal): Promise<void> {
  const { retries, backoff, unknownTopicTimeoutMs } = config;
  const deadlineMs = Date.now() + unknownTopicTimeoutMs;
  await Promise.all(
    topics.map(async (topic) => {
      for (let attempt = 0; !signal.aborted; attempt++) {
        try {
          await retry(() => transport.describeTopic(topic), retries, backoff, signal);
          return;
        } catch (error) {
          if (!isErrorType(error, "UNKNOWN_TOPIC_OR_PARTITION") || signal.aborted) throw error;
          const leftMs = deadlineMs - Date.now();
          if (leftMs <= 0) {
            const waited = unknownTopicTimeoutMs > 0 ? ` (waited ${unknownTopicTimeoutMs} ms for it: unknownTopicTimeoutMs)` : "";
            throw new EdgelogError("UNKNOWN_TOPIC_OR_PARTITION", `${error.message}${waited}`, { status: error.status, details: { ...error.details, topic }, cause: error });
          }
          await sleep(Math.min(leftMs, backoffMs(attempt, backoff)), signal);
        }
      }
    }),
  );
}
