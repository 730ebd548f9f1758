// A share-partition's read-ahead: the log records past the end of its in-flight window, read before a poll enters the
// one-at-a-time section, so that acknowledgements and other polls do not wait behind a read of the partition, and
// read in pages larger than one poll's share so that consecutive polls share one read. The log below the high
// watermark does not change, so a page stays right; but retention may remove its records, so a page is used only for
// SHARE_READ_AHEAD_TTL_MS after it was read (a poll that comes later reads again and sees the new log start).
import type { Encoding } from "../log/record";
import type { IsolationLevel } from "../protocol";
import type { LogPage, LogRecord, ShareIo } from "./share-io";

/** Records read per page (at least what a poll asks). */
const SHARE_READ_AHEAD_RECORDS = 1_000;
/** How long a page read ahead may be used (real time). */
const SHARE_READ_AHEAD_TTL_MS = 1_000;

interface Page {
  from: number;
  /** Where the read stopped: offsets in [from, end) not in records are gaps. */
  end: number;
  records: LogRecord[];
  encoding: Encoding;
  isolation: IsolationLevel;
  readAtMs: number;
}

/** What a poll takes from the read-ahead: records from `fromOffset`, and where the taken part ends (gaps before it
 *  and after the last record are done offsets). */
export interface Fresh {
  fromOffset: number;
  records: LogRecord[];
  nextOffset: number;
}

export class ReadAhead {
  private page: Page | undefined;
  private reading: { from: number; promise: Promise<void> } | undefined;

  /** Up to `max` records from `from`, if a live page of this encoding and isolation holds `from`. */
  take(from: number, max: number, encoding: Encoding, isolation: IsolationLevel): Fresh | undefined {
    const p = this.usable(from, encoding, isolation);
    if (p === undefined) return undefined;
    let i = lowerBound(p.records, from);
    const start = i;
    while (i < p.records.length && i - start < max) i++;
    const records = p.records.slice(start, i);
    return { fromOffset: from, records, nextOffset: i < p.records.length ? p.records[i]!.offset : p.end };
  }

  /** Reads ahead from `from` (outside the share-partition's serialized section) unless a live page already holds
   *  `want` records from there; concurrent polls share one read. Errors are left to the read under the lock. */
  async prefetch(io: ShareIo, from: number, want: number, encoding: Encoding, isolation: IsolationLevel): Promise<void> {
    const p = this.usable(from, encoding, isolation);
    if (p !== undefined && p.records.length - lowerBound(p.records, from) >= want) return;
    if (this.reading !== undefined && this.reading.from <= from) return this.reading.promise;
    const promise = this.read(io, from, want, encoding, isolation).then(
      () => undefined,
      () => undefined,
    );
    this.reading = { from, promise };
    try {
      await promise;
    } finally {
      if (this.reading?.promise === promise) this.reading = undefined;
    }
  }

  /** Reads a page from `from` and keeps it (the read a poll does under the lock when nothing was read ahead). */
  async read(io: ShareIo, from: number, want: number, encoding: Encoding, isolation: IsolationLevel): Promise<LogPage> {
    const readAtMs = Date.now();
    const page = await io.read(from, Math.max(want, SHARE_READ_AHEAD_RECORDS), encoding, isolation);
    if (from >= page.logStartOffset) this.keep({ from, end: page.nextOffset, records: page.records, encoding, isolation, readAtMs });
    return page;
  }

  forget(): void {
    this.page = undefined;
  }

  /** Keeps a page, joined to the one held when they meet (a longer run for the next polls). */
  private keep(next: Page): void {
    const p = this.page;
    if (p !== undefined && p.encoding === next.encoding && p.isolation === next.isolation && p.from <= next.from && next.from <= p.end && next.end > p.end) {
      const tail = next.records.filter((r) => r.offset >= p.end);
      this.page = { ...p, end: next.end, records: p.records.concat(tail), readAtMs: Math.min(p.readAtMs, next.readAtMs) };
      return;
    }
    if (p === undefined || next.end > p.end || next.readAtMs > p.readAtMs) this.page = next;
  }

  private usable(from: number, encoding: Encoding, isolation: IsolationLevel): Page | undefined {
    const p = this.page;
    if (p === undefined || p.encoding !== encoding || p.isolation !== isolation || from < p.from || from >= p.end) return undefined;
    if (Date.now() - p.readAtMs > SHARE_READ_AHEAD_TTL_MS) {
      this.page = undefined;
      return undefined;
    }
    // What the window has passed is never read again: drop it (the page stays small).
    const i = lowerBound(p.records, from);
    if (i > 256) this.page = { ...p, from, records: p.records.slice(i) };
    return this.page;
  }
}

function lowerBound(records: readonly LogRecord[], offset: number): number {
  let [lo, hi] = [0, records.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (records[mid]!.offset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
