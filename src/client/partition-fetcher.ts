// One owned partition of a consumer: long-polls it from its position and hands each page to the consumer to
// process, in offset order, one page at a time. `processed` (the next offset after the last processed record) is
// what gets committed; `position` is where the next fetch starts. stop() aborts the long-poll and resolves once no
// processing of this partition is under way, which is what revocation waits for before committing. A partition
// that fails every fetch for `retryTimeoutMs` (retriable errors, or a deleted topic its group has not revoked) is
// a fatal failure, reported once: the consumer never retries in silence for ever.
// With `prefetch`, the next page is fetched while a page is processed (Kafka's fetcher keeps a fetch in flight the
// same way): it is used only when processing ended exactly where it starts, in the same generation, and dropped
// (aborted, its answer or failure ignored) otherwise, so what reaches the handlers is what the fetch-then-process
// loop would hand them.
import { backoffMs, sleep } from "./backoff";
import { isErrorType, isRetriable } from "./edgelog-error";
import type { FetchedRecord } from "../log/batch";
import type { FetchParams, FetchResponse } from "./wire";
import type { Transport } from "./transport";
import type { BackoffConfig } from "./backoff";

export interface FetcherContext {
  transport: Transport;
  fetch: Omit<FetchParams, "offset">;
  /** Fetch the next page while a page is processed (ConsumerConfig.prefetch). */
  prefetch: boolean;
  backoff: BackoffConfig;
  /** How long fetches of the partition may keep failing before the last failure is fatal. */
  retryTimeoutMs: number;
  isPaused(fetcher: PartitionFetcher): boolean;
  /** Where to start when the group has no usable committed offset (auto.offset.reset), or a failure to stop on. */
  resetPosition(fetcher: PartitionFetcher): Promise<number>;
  /** Processes a page; returns normally even when it stopped early (position and processed say how far it got). */
  process(fetcher: PartitionFetcher, records: FetchedRecord[], highWatermark: number, generation: number): Promise<void>;
  fatal(error: unknown): void;
}

export class PartitionFetcher {
  /** Next offset to fetch. */
  position: number | undefined;
  /** Next offset after the last processed record: what a commit records. */
  processed: number | undefined;
  /** Last committed offset this consumer knows of. */
  committed: number | undefined;
  /** High watermark seen by the last fetch. */
  highWatermark: number | undefined;
  /** Under read_committed, the last fetch's last stable offset: where this partition's readable records end. */
  lastStableOffset: number | undefined;
  /** Being revoked (or lost): no new pages are processed. */
  stopped = false;
  /** Bumped by seek(): a page fetched or processed under an older generation is dropped. */
  generation = 0;
  /** The fetch under way (a page awaited, or the next page fetched ahead): seek, pause and stop abort it. */
  private inFlight: AbortController | undefined;
  private resumeWaiter: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly ctx: FetcherContext,
  ) {}

  get key(): string {
    return `${this.topic}\u0000${this.partition}`;
  }

  /** Starts consuming at `start` (committed offset, a seek, or a reset), resolved asynchronously. */
  start(start: Promise<number | undefined>): void {
    this.loop = this.run(start);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.inFlight?.abort();
    this.wake();
    await this.loop;
  }

  seek(offset: number): void {
    this.generation++;
    this.position = offset;
    this.processed = offset;
    this.inFlight?.abort();
  }

  /** Paused: drop the long-poll under way; resumed: fetch again. */
  pauseChanged(): void {
    if (this.ctx.isPaused(this)) this.inFlight?.abort();
    else this.wake();
  }

  /** Advances after processing records up to `next` (exclusive), unless a seek moved the partition meanwhile. */
  markProcessed(next: number, generation: number): void {
    if (generation !== this.generation) return;
    this.processed = next;
    this.position = next;
  }

  /**
   * A page whose every record was processed moves the position to the page's nextOffset, past the offsets it skipped
   * (transaction markers, aborted records under read_committed, compacted gaps), as Kafka's consumer does: otherwise
   * a partition whose log ends with a marker never looks caught up, and its committed offset lags by the marker.
   */
  private stepOver(end: number | undefined, nextOffset: number, generation: number): void {
    if (generation !== this.generation || this.stopped || this.position === undefined || nextOffset <= this.position) return;
    if (this.position !== end || this.processed !== end) return; // the page stopped part-way (pause, seek, a handler failed)
    this.position = nextOffset;
    this.processed = nextOffset;
  }

  private async run(start: Promise<number | undefined>): Promise<void> {
    try {
      const offset = await start;
      if (this.position === undefined) this.position = offset ?? (await this.ctx.resetPosition(this));
      this.processed ??= this.position;
    } catch (error) {
      if (!this.stopped) this.ctx.fatal(error);
      return;
    }
    let failures = 0;
    let failingSinceMs: number | undefined;
    let ahead: Ahead | undefined;
    while (!this.stopped) {
      if (this.ctx.isPaused(this)) {
        ahead = drop(ahead);
        failingSinceMs = undefined; // time paused is not time failing
        await new Promise<void>((resolve) => (this.resumeWaiter = resolve));
        continue;
      }
      const generation = this.generation;
      // The page fetched ahead, if it starts where this partition is now; else a fetch from here.
      const usable = ahead !== undefined && ahead.offset === this.position && ahead.generation === generation && !ahead.controller.signal.aborted;
      const fetching = usable ? ahead! : this.fetchFrom(this.position!, generation);
      if (!usable) drop(ahead);
      ahead = undefined;
      const controller = (this.inFlight = fetching.controller);
      let page;
      try {
        page = await fetching.page;
        failures = 0;
        failingSinceMs = undefined;
      } catch (error) {
        if (this.stopped || controller.signal.aborted) continue;
        try {
          if (isErrorType(error, "OFFSET_OUT_OF_RANGE")) {
            // The position fell outside the log (retention, a recreated topic): auto.offset.reset decides.
            this.seek(await this.ctx.resetPosition(this));
          } else if (isRetriable(error) || isErrorType(error, "UNKNOWN_TOPIC_OR_PARTITION")) {
            // A deleted topic is revoked by the coordinator soon; until then, wait rather than spin.
            failingSinceMs ??= Date.now();
            if (Date.now() - failingSinceMs >= this.ctx.retryTimeoutMs) throw error;
            await sleep(backoffMs(failures++, this.ctx.backoff, (error as { retryAfterMs?: number }).retryAfterMs ?? 0));
          } else throw error;
        } catch (fatal) {
          this.ctx.fatal(fatal);
          return;
        }
        continue;
      } finally {
        this.inFlight = undefined;
      }
      if (this.stopped || generation !== this.generation || this.ctx.isPaused(this)) continue;
      this.highWatermark = page.highWatermark;
      this.lastStableOffset = page.lastStableOffset;
      // Where the position is once every record of the page was processed.
      const end = page.records.length > 0 ? page.records.at(-1)!.offset + 1 : this.position;
      if (page.records.length > 0) {
        if (this.ctx.prefetch) this.inFlight = (ahead = this.fetchFrom(Math.max(page.nextOffset, end!), generation)).controller;
        await this.ctx.process(this, page.records, page.highWatermark, generation);
      }
      this.stepOver(end, page.nextOffset, generation);
    }
    drop(ahead);
  }

  /** Starts a fetch from `offset`; its failure is handled where it is awaited (or ignored, if it is dropped). */
  private fetchFrom(offset: number, generation: number): Ahead {
    const controller = new AbortController();
    const page = this.ctx.transport.fetchRecords(this.topic, this.partition, { ...this.ctx.fetch, offset }, { signal: controller.signal });
    page.catch(() => {}); // a dropped fetch's failure is nobody's; an awaited one's is caught by the loop
    return { offset, generation, controller, page };
  }

  private wake(): void {
    const resume = this.resumeWaiter;
    this.resumeWaiter = undefined;
    resume?.();
  }
}

/** A fetch started ahead of need: used only if the partition is at `offset` in `generation` when it is wanted. */
interface Ahead {
  offset: number;
  generation: number;
  controller: AbortController;
  page: Promise<FetchResponse>;
}

/** Aborts a fetch that will not be used; answers undefined, for `ahead = drop(ahead)`. */
function drop(ahead: Ahead | undefined): undefined {
  ahead?.controller.abort();
  return undefined;
}
