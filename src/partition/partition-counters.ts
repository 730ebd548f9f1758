// What one partition replica counts of its own traffic, for GET /metrics (docs/observability.md): records and bytes
// appended and fetched, produce and fetch requests, errors by type, duplicates dropped by idempotence, group-commit
// merges, tiering uploads, replication pushes, ISR shrinks and expands. Kept in memory only, since this instance
// started (`sinceMs`): a restarted or evicted object starts again at zero, which Prometheus' rate() reads as a counter
// reset. Persisting them would cost a SQLite write per produce or lose the counts since the last state write, so they
// are not. Pure: no storage, no `cloudflare:*`; counting is a few additions per call.
import type { Result } from "../errors";
import { isUnavailable, type Unavailable } from "../unavailable";

/** The counters as describe answers them (with `counters: true`). */
export interface PartitionCounts {
  /** When this instance started counting (ms since the epoch): Prometheus' reset marker. */
  sinceMs: number;
  /** Records the leader wrote (produce, transaction markers), and their stored bytes. */
  recordsAppended: number;
  bytesAppended: number;
  /** Records and stored record bytes answered to fetches (plain reads and long-polls). */
  recordsFetched: number;
  bytesFetched: number;
  produceRequests: number;
  failedProduceRequests: number;
  fetchRequests: number;
  failedFetchRequests: number;
  /** Operating errors answered, by type (Kafka's error names). */
  errors: Record<string, number>;
  /** Idempotent batches answered from the producer's state instead of written again. */
  duplicatesDropped: number;
  /** Appends written in one batch row with an earlier append of the same group commit. */
  groupCommitMerges: number;
  /** Segments uploaded to R2, and their stored (compressed) bytes. */
  tieredUploads: number;
  tieredUploadBytes: number;
  /** Pushes to followers (each a replicate call), and committed ISR changes. */
  replicationPushes: number;
  isrShrinks: number;
  isrExpands: number;
}

export class PartitionCounters {
  private readonly c: PartitionCounts;

  constructor(sinceMs: number) {
    this.c = {
      sinceMs,
      recordsAppended: 0,
      bytesAppended: 0,
      recordsFetched: 0,
      bytesFetched: 0,
      produceRequests: 0,
      failedProduceRequests: 0,
      fetchRequests: 0,
      failedFetchRequests: 0,
      errors: {},
      duplicatesDropped: 0,
      groupCommitMerges: 0,
      tieredUploads: 0,
      tieredUploadBytes: 0,
      replicationPushes: 0,
      isrShrinks: 0,
      isrExpands: 0,
    };
  }

  /** A produce call answered (an unavailable object answers nothing and counts nothing); returns the answer. */
  produced<T extends Result<{ duplicate: boolean }> | Unavailable>(answer: T): T {
    if (isUnavailable(answer)) return answer;
    const result = answer as Result<{ duplicate: boolean }>;
    this.c.produceRequests++;
    if (!result.ok) {
      this.c.failedProduceRequests++;
      this.error(result.error.type);
    } else if (result.value.duplicate) this.c.duplicatesDropped++;
    return answer;
  }

  /** A fetch call answered: a read, or a watch (a long-poll's wait). A long-poll that waits is two calls here: its
   *  watch, then the read after the wake, as the router makes them (service/fetch.ts). */
  fetchRequest(result: Result<unknown> | undefined): void {
    this.c.fetchRequests++;
    if (result !== undefined && !result.ok) {
      this.c.failedFetchRequests++;
      this.error(result.error.type);
    }
  }

  /** Records a fetch answered with (`bytes`: their stored size). */
  fetched(records: number, bytes: number): void {
    this.c.recordsFetched += records;
    this.c.bytesFetched += bytes;
  }

  /** The leader wrote: the log end and stored size moved by this much. */
  appended(records: number, bytes: number): void {
    this.c.recordsAppended += records;
    this.c.bytesAppended += bytes;
  }

  merged(appends: number): void {
    this.c.groupCommitMerges += appends;
  }

  tiered(storedBytes: number): void {
    this.c.tieredUploads++;
    this.c.tieredUploadBytes += storedBytes;
  }

  pushed(): void {
    this.c.replicationPushes++;
  }

  /** A committed ISR change from `before` to `after` replicas. */
  isrChanged(before: number, after: number): void {
    if (after < before) this.c.isrShrinks++;
    else if (after > before) this.c.isrExpands++;
  }

  error(type: string): void {
    this.c.errors[type] = (this.c.errors[type] ?? 0) + 1;
  }

  snapshot(): PartitionCounts {
    return { ...this.c, errors: { ...this.c.errors } };
  }
}

/** Counts nothing: EDGELOG_COUNTERS=off, the A side of `npm run bench:counting` (what counting costs a produce). */
class NoCounters extends PartitionCounters {
  override produced<T extends Result<{ duplicate: boolean }> | Unavailable>(answer: T): T {
    return answer;
  }
  override fetchRequest(): void {}
  override fetched(): void {}
  override appended(): void {}
  override merged(): void {}
}

/** The partition's counters; `setting` is EDGELOG_COUNTERS ("off": none, for the overhead benchmark only). */
export function partitionCounters(setting: string | undefined, sinceMs: number): PartitionCounters {
  return setting === "off" ? new NoCounters(sinceMs) : new PartitionCounters(sinceMs);
}
