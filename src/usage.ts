// What a Durable Object consumes of the items Cloudflare bills (docs/performance.md has the price list): requests
// (RPC calls and alarms), SQLite rows read and written, R2 class A and B operations, and active wall-clock time.
// Each object keeps one Usage in memory (since this instance started: an evicted object starts again at zero) and
// answers it from its `usage()` RPC method; GET /v1/usage sums them. Counting costs an array push per SQL
// statement and a counter per call.

/** Counters of one object since its instance started. */
export interface UsageCounts {
  /** RPC calls and alarms (each is a billed Durable Object request). */
  requests: number;
  rowsRead: number;
  rowsWritten: number;
  /** R2 PUT/LIST/multipart calls. */
  r2ClassA: number;
  /** R2 GET/HEAD calls. */
  r2ClassB: number;
  /** Wall-clock ms the object was active: from each request to the next, unless it could hibernate in between. */
  activeMs: number;
}

/** An object with no request for this long hibernates (and stops being billed for duration). */
export const HIBERNATE_AFTER_MS = 10_000;

const R2_CLASS: Record<string, "r2ClassA" | "r2ClassB"> = {
  put: "r2ClassA",
  list: "r2ClassA",
  createMultipartUpload: "r2ClassA",
  get: "r2ClassB",
  head: "r2ClassB",
};

export class Usage {
  private readonly counts: UsageCounts = { requests: 0, rowsRead: 0, rowsWritten: 0, r2ClassA: 0, r2ClassB: 0, activeMs: 0 };
  /** Cursors whose rows are not counted yet; read once they are done (at the next request or snapshot). */
  private readonly pending: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
  private lastRequestMs: number | undefined;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Call first thing in every RPC method and alarm. */
  request(): void {
    this.counts.requests++;
    this.tick();
    this.countRows();
  }

  /** The counts so far (the time since the last request counts as active, as it would be billed). */
  snapshot(): UsageCounts {
    this.tick();
    this.countRows();
    return { ...this.counts };
  }

  /** `sql` with every statement's rows counted. */
  sql(sql: SqlStorage): SqlStorage {
    const pending = this.pending;
    return {
      exec<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: unknown[]): SqlStorageCursor<T> {
        const cursor = sql.exec<T>(query, ...bindings);
        pending.push(cursor);
        return cursor;
      },
      get databaseSize() {
        return sql.databaseSize;
      },
      Cursor: sql.Cursor,
      Statement: sql.Statement,
    };
  }

  /** `bucket` with its class A and B operations counted (DELETE is free). */
  bucket(bucket: R2Bucket): R2Bucket {
    const counts = this.counts;
    return new Proxy(bucket, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (typeof value !== "function") return value;
        const counter = typeof property === "string" ? R2_CLASS[property] : undefined;
        return (...args: unknown[]) => {
          if (counter) counts[counter]++;
          return Reflect.apply(value, target, args);
        };
      },
    });
  }

  private tick(): void {
    const now = this.clock();
    if (this.lastRequestMs !== undefined && now - this.lastRequestMs <= HIBERNATE_AFTER_MS) this.counts.activeMs += now - this.lastRequestMs;
    this.lastRequestMs = now;
  }

  private countRows(): void {
    if (this.pending.length === 0) return;
    for (const cursor of this.pending) {
      this.counts.rowsRead += cursor.rowsRead;
      this.counts.rowsWritten += cursor.rowsWritten;
    }
    this.pending.length = 0;
  }
}
