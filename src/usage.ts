// What a Durable Object consumes of the items Cloudflare bills (docs/performance.md has the price list): requests
// (RPC calls, alarms, fetches), SQLite rows read and written, R2 class A and B operations, and active wall-clock time:
// while a request is in progress (a request parked in the object keeps it active and billed). An idle object is not
// billed, "even during the brief window before the runtime hibernates it" (Cloudflare's Durable Objects FAQ), as long
// as nothing keeps it from hibernating: edgelog's objects hold no timers or open connections while idle (a parked
// reader is a hibernatable WebSocket), so idle time counts nothing. Each object keeps one Usage in memory
// (since this instance started: an evicted object starts again at zero) and answers it from its `usage()` RPC method;
// GET /v1/usage sums them. Counting costs an array push per SQL statement and a counter per call.

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
  /** Wall-clock ms the object was active: while requests were in progress. */
  activeMs: number;
}

/** An idle object hibernates after this long; it is not billed meanwhile unless something keeps it from hibernating. */
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
  /** Requests in progress (begin without end). */
  private open = 0;
  /** When the object last became busy (open went from 0 to 1). */
  private busySinceMs = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  /** A request that ends at once (a short RPC call, an alarm): call first thing. */
  request(): void {
    this.begin();
    this.end();
  }

  /** A request that may last (a fetch that parks, an acks=all append): begin() first thing, end() when it answers. */
  begin(): void {
    this.counts.requests++;
    this.busy();
  }

  /** Work that keeps the object active without being a request of its own (a delivery loop that outlives the request
   *  that started it): counts active time, not a request. end() when it is done. */
  busy(): void {
    this.countRows();
    if (this.open++ > 0) return;
    this.busySinceMs = this.clock();
  }

  end(): void {
    if (this.open === 0 || --this.open > 0) return;
    this.counts.activeMs += this.clock() - this.busySinceMs;
  }

  /** The counts so far (a request in progress counts up to now). */
  snapshot(): UsageCounts {
    this.countRows();
    const counts = { ...this.counts };
    if (this.open > 0) counts.activeMs += this.clock() - this.busySinceMs;
    return counts;
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

  private countRows(): void {
    if (this.pending.length === 0) return;
    for (const cursor of this.pending) {
      this.counts.rowsRead += cursor.rowsRead;
      this.counts.rowsWritten += cursor.rowsWritten;
    }
    this.pending.length = 0;
  }
}
