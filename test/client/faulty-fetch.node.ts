// A fetch for tests that misbehaves on the way to a real edgelog, the way networks do: it delays requests (so
// requests of one partition reach the server out of order), fails some before sending (never written), and loses
// the answer of others after the server handled them (written, but the client cannot know). Only requests whose
// path matches `only` are touched. Deterministic for a given seed.
import type { FetchFunction } from "../../src/client/http-transport";

export interface Faults {
  /** Chance a request is refused before it is sent. */
  failBefore?: number;
  /** Chance an answer is lost after the server handled the request. */
  loseAnswer?: number;
  /** Each request waits up to this long before it is sent. */
  maxDelayMs?: number;
  only?: RegExp;
  seed?: number;
}

export interface FaultyFetch {
  fetch: FetchFunction;
  counts: { requests: number; failedBefore: number; lostAnswers: number; outOfOrder: number };
  /** true: every request fails before it is sent (the network is gone). */
  cut: boolean;
}

export function faultyFetch(faults: Faults = {}): FaultyFetch {
  let state = faults.seed ?? 42;
  const random = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const self: FaultyFetch = {
    counts: { requests: 0, failedBefore: 0, lostAnswers: 0, outOfOrder: 0 },
    cut: false,
    fetch: async (input, init) => {
      if (self.cut) throw new TypeError("fetch failed: network is cut");
      if (faults.only && !faults.only.test(new URL(input).pathname)) return fetch(input, init);
      self.counts.requests++;
      if (faults.maxDelayMs) await new Promise((resolve) => setTimeout(resolve, random() * faults.maxDelayMs!));
      if (random() < (faults.failBefore ?? 0)) {
        self.counts.failedBefore++;
        throw new TypeError("fetch failed: connection refused (injected)");
      }
      const response = await fetch(input, init);
      if (response.status === 409 && (await response.clone().text()).includes("OUT_OF_ORDER_SEQUENCE_NUMBER")) self.counts.outOfOrder++;
      if (random() < (faults.loseAnswer ?? 0)) {
        await response.arrayBuffer();
        self.counts.lostAnswers++;
        throw new TypeError("fetch failed: connection reset (injected, after the server answered)");
      }
      return response;
    },
  };
  return self;
}
