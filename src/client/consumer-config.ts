// What a group consumer is configured with and what it reports (src/client/consumer.ts is the consumer itself).
import type { DeadLetterConfig, RecordHandler } from "./dead-letter";
import type { ConsumedBatch } from "./consumed-record";
import type { Encoding } from "../log/record";
import type { IsolationLevel } from "./wire";

export interface ConsumerConfig {
  groupId: string;
  /** Where to start a partition the group has no committed offset for (and after OFFSET_OUT_OF_RANGE). Default "latest". */
  autoOffsetReset?: "earliest" | "latest" | "none";
  /** Commit processed offsets after each page and on revocation and stop (default true). false: call commitOffsets(). */
  autoCommit?: boolean;
  sessionTimeoutMs?: number;
  rebalanceTimeoutMs?: number;
  assignor?: "uniform" | "range";
  /** Long-poll per fetch (Kafka's fetch.max.wait.ms). Default 20000 (DEFAULT_CONSUMER_MAX_WAIT_MS): a waiting poll costs its partition nothing. */
  maxWaitMs?: number;
  /** Records per fetch of a partition. Default 10000 (the server's most): maxBytes is the bound that matters. */
  maxRecords?: number;
  /** Bytes per fetch of a partition (Kafka's max.partition.fetch.bytes). Default 1 MiB. */
  maxBytes?: number;
  /**
   * While a page of a partition is processed, fetch the partition's next page (from the page's nextOffset), as Kafka's
   * fetcher does, so the round trip overlaps the handler. The page is used only if processing ended where it starts
   * (every record processed, no seek, pause or revocation meanwhile); otherwise it is dropped and never handed to a
   * handler. Costs at most one more page in memory per partition. Default false: on a 2-core box it won 4-8% for one
   * consumer whose handler works ~3 µs a record and lost 10-15% for a group of 3 on 6 partitions with no handler work
   * (docs/performance.md, "The consumer's prefetch"); turn it on for slow handlers or a distant edgelog.
   */
  prefetch?: boolean;
  /** "base64" for binary keys and values. Default "text". */
  encoding?: Encoding;
  /**
   * Kafka's isolation.level. "read_committed" reads only committed transactions' records (below the last stable
   * offset, never an aborted one); "read_uncommitted" (the default, as Kafka's Java client) reads everything written.
   */
  isolationLevel?: IsolationLevel;
  /** How many partitions' handlers may run at once. Default 1 (handlers never overlap). */
  partitionsConsumedConcurrently?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /**
   * Retries after retriable failures (edgelog unreachable, a timeout) of joining the group and of each offset
   * lookup, before run() rejects with the last failure. Default 5. Once joined, heartbeats and fetches are retried
   * for up to sessionTimeoutMs.
   */
  retries?: number;
  /**
   * How long run() waits for a subscribed topic that does not exist to be created before it rejects with
   * UNKNOWN_TOPIC_OR_PARTITION (Kafka's consumer waits for a missing topic's metadata too, logging a warning each
   * time). Default 10000; 0 checks once.
   */
  unknownTopicTimeoutMs?: number;
  /** Default: a random UUID (KIP-1082: the client names its member). */
  memberId?: string;
}

export type RunConfig =
  | { eachRecord: RecordHandler; eachBatch?: never; deadLetter?: DeadLetterConfig }
  | { eachBatch: (batch: ConsumedBatch) => Promise<void> | void; eachRecord?: never; deadLetter?: never };

export interface PartitionPosition {
  topic: string;
  partition: number;
  /** Next offset to fetch (undefined until known). */
  position: number | undefined;
  committed: number | undefined;
  highWatermark: number | undefined;
  /** With isolationLevel read_committed: the last stable offset the last fetch reported (the end of what it may read). */
  lastStableOffset: number | undefined;
  paused: boolean;
}
