// The consumer's prefetch (ConsumerConfig.prefetch, opt-in; src/client/partition-fetcher.ts): while a page is
// processed the partition's next page is already being fetched, and a page fetched ahead reaches a handler only if processing ended
// where it starts. Every request the client sends is recorded on its way to the real Worker (the fetch option), in
// one timeline with the handler's start and end, so "fetched while processing" is an order of events, not a timing.
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
import type { ConsumedBatch } from "../../src/client/consumed-record";
import { uniqueTopic } from "../helpers";

const RECORDS = 30;
const PAGE = 10;

/** A client through the Worker's fetch; `events` gets "fetch <offset>" for every fetch of records it sends. */
function recordingClient(events: string[], fetched: (offset: number) => void, failFirstFetchOf?: number): Edgelog {
  return new Edgelog({
    url: "http://edgelog.test",
    fetch: async (input, init) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      if (request.method === "GET" && url.pathname.endsWith("/records") && url.searchParams.has("offset")) {
        const offset = Number(url.searchParams.get("offset"));
        events.push(`fetch ${offset}`);
        fetched(offset);
        if (offset === failFirstFetchOf) {
          failFirstFetchOf = undefined;
          throw new TypeError("injected network failure"); // as a connection that dropped
        }
      }
      return exports.default.fetch(request);
    },
  });
}

/** Resolves when `offset` has been fetched, or after `boundMs` (so a missing prefetch fails an assertion, not the run). */
function fetchWatch(): { fetched: (offset: number) => void; until: (offset: number, boundMs: number) => Promise<boolean> } {
  const seen = new Set<number>();
  const waiters = new Map<number, () => void>();
  return {
    fetched: (offset) => {
      seen.add(offset);
      waiters.get(offset)?.();
    },
    until: (offset, boundMs) =>
      seen.has(offset)
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), boundMs);
            waiters.set(offset, () => {
              clearTimeout(timer);
              resolve(true);
            });
          }),
  };
}

async function topicWithRecords(client: Edgelog): Promise<string> {
  const topic = uniqueTopic("prefetch");
  await client.admin().createTopic({ name: topic, partitions: 1 });
  const producer = client.producer({ lingerMs: 0 });
  await producer.send(topic, Array.from({ length: RECORDS }, (_, i) => ({ value: `v${i}` })));
  await producer.close();
  return topic;
}

/** Runs a consumer of `topic` until `done()` says so; answers the offsets handed to the handler, in order. */
async function consume(
  client: Edgelog,
  topic: string,
  config: { prefetch?: boolean },
  onBatch: (batch: ConsumedBatch, consumer: ReturnType<Edgelog["consumer"]>) => Promise<void>,
  done: (offsets: number[]) => boolean,
): Promise<number[]> {
  const consumer = client.consumer({ groupId: uniqueTopic("prefetch-group"), autoOffsetReset: "earliest", maxRecords: PAGE, maxWaitMs: 50, retryBackoffMs: 10, ...config });
  consumer.subscribe({ topics: [topic] });
  const offsets: number[] = [];
  let finished!: () => void;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const run = consumer.run({
    eachBatch: async (batch) => {
      await onBatch(batch, consumer);
      offsets.push(...batch.records.map((r) => r.offset));
      if (done(offsets)) finished();
    },
  });
  try {
    await Promise.race([allDone, run.then(() => Promise.reject(new Error("run() ended early")))]);
  } finally {
    await consumer.stop();
  }
  await run;
  return offsets;
}

/** A recording client, its timeline and fetch watch, and a topic holding RECORDS records. */
async function setup(failFirstFetchOf?: number) {
  const events: string[] = [];
  const watch = fetchWatch();
  const client = recordingClient(events, watch.fetched, failFirstFetchOf);
  return { events, watch, client, topic: await topicWithRecords(client) };
}

describe("the consumer's prefetch", () => {
  it("fetches the next page while a page is processed, and hands every record once, in order", async () => {
    const { events, watch, client, topic } = await setup();
    const offsets = await consume(
      client,
      topic,
      { prefetch: true },
      async (batch) => {
        const first = batch.records[0]!.offset;
        events.push(`start ${first}`);
        // The next page's fetch is sent before this handler returns (bounded: without prefetch it never would be).
        await watch.until(first + batch.records.length, 5_000);
        events.push(`end ${first}`);
      },
      (o) => o.length >= RECORDS,
    );
    expect(offsets).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    for (const first of [0, PAGE, 2 * PAGE]) {
      // Sent once the page from `first` arrived (before its handler is called) and before that handler returned.
      expect(events.indexOf(`fetch ${first + PAGE}`), events.join(", ")).toBeGreaterThan(events.indexOf(`fetch ${first}`));
      expect(events.indexOf(`fetch ${first + PAGE}`), events.join(", ")).toBeLessThan(events.indexOf(`end ${first}`));
    }
    // Each page was fetched once: the page fetched ahead was the one used.
    for (const first of [0, PAGE, 2 * PAGE]) expect(events.filter((e) => e === `fetch ${first}`)).toHaveLength(1);
  }, 30_000);

  it("drops the page fetched ahead when the handler seeks: the handler gets the sought offset next, never the dropped page", async () => {
    const { events, watch, client, topic } = await setup();
    let sought = false;
    const offsets = await consume(
      client,
      topic,
      { prefetch: true },
      async (batch, consumer) => {
        if (!sought && batch.records[0]!.offset === 0) {
          expect(await watch.until(PAGE, 5_000)).toBe(true); // the page from 10 is on its way
          sought = true;
          consumer.seek({ topic, partition: 0, offset: 5 });
        }
      },
      (o) => o.at(-1) === RECORDS - 1,
    );
    // 0-9 (the page handed before the seek), then from 5: the page fetched ahead from 10 never reached the handler.
    expect(offsets).toEqual([...Array.from({ length: PAGE }, (_, i) => i), ...Array.from({ length: RECORDS - 5 }, (_, i) => 5 + i)]);
    expect(events.filter((e) => e === "fetch 5")).toHaveLength(1);
  }, 30_000);

  it("a page fetched ahead that fails is fetched again: every record is handed once, in order", async () => {
    const { events, watch, client, topic } = await setup(PAGE);
    const offsets = await consume(
      client,
      topic,
      { prefetch: true },
      async (batch) => {
        // The prefetch from 10 is sent (and fails) while the page from 0 is processed.
        if (batch.records[0]!.offset === 0) expect(await watch.until(PAGE, 5_000)).toBe(true);
      },
      (o) => o.length >= RECORDS,
    );
    expect(offsets).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    expect(events.filter((e) => e === `fetch ${PAGE}`)).toHaveLength(2); // the failed prefetch and its retry
  }, 30_000);

  it("by default (prefetch false) the next page is fetched only once the handler returned", async () => {
    const { events, watch, client, topic } = await setup();
    const offsets = await consume(
      client,
      topic,
      {},
      async (batch) => {
        const first = batch.records[0]!.offset;
        events.push(`start ${first}`);
        // Time a prefetch would have had to be sent (it is sent before the handler is even called, when it is).
        expect(await watch.until(first + batch.records.length, 100)).toBe(false);
        events.push(`end ${first}`);
      },
      (o) => o.length >= RECORDS,
    );
    expect(offsets).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    for (const first of [0, PAGE]) expect(events.indexOf(`fetch ${first + PAGE}`), events.join(", ")).toBeGreaterThan(events.indexOf(`end ${first}`));
  }, 30_000);
});
