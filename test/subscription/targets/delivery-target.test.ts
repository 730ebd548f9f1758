import { describe, expect, it } from "vitest";
import { type DeliveryOutcome, errorMessage, failed, outcomeOf } from "../../../src/subscription/targets/delivery-target";
import type { DeliveryBatch } from "../../../src/subscription-protocol";
import { MAX_DELIVERY_ERROR_LENGTH, MAX_SUBSCRIPTION_RETRY_DELAY_MS } from "../../../src/limits";

/** Offsets 10..14, with a gap at 12 as a compacted topic has. */
const batch: DeliveryBatch = {
  subscription: "s",
  topic: "orders",
  partition: 3,
  attempt: 1,
  records: [10, 11, 13, 14].map((offset) => ({ offset, timestamp: 1_000 + offset, key: null, value: `v${offset}`, headers: [] })),
};

const acked: DeliveryOutcome = { kind: "acked" };
const partial = (...retry: { offset: number; delayMs?: number }[]): DeliveryOutcome => ({ kind: "partial", retry });

describe("outcomeOf: what a consumer's answer acknowledges", () => {
  it.each<[string, unknown, DeliveryOutcome]>([
    ["nothing", undefined, acked],
    ["null", null, acked],
    ["true", true, acked],
    ["a string", "ok", acked],
    ["a number", 200, acked],
    ["an array", [{ offset: 10 }], acked],
    ["an object naming no directive", { ok: true, received: 4 }, acked],
    ["ackAll: true", { ackAll: true }, acked],
    ["retryAll: {}", { retryAll: {} }, { kind: "failed", error: "the consumer asked for the whole batch again (retryAll)" }],
    ["retryAll with a delay", { retryAll: { delayMs: 5_000 } }, { kind: "failed", error: "the consumer asked for the whole batch again (retryAll)", delayMs: 5_000 }],
    ["retryAll with a fractional delay (rounded up)", { retryAll: { delayMs: 0.2 } }, { kind: "failed", error: "the consumer asked for the whole batch again (retryAll)", delayMs: 1 }],
    ["retryAll with a zero delay", { retryAll: { delayMs: 0 } }, { kind: "failed", error: "the consumer asked for the whole batch again (retryAll)", delayMs: 0 }],
    ["retryAll at the delay cap", { retryAll: { delayMs: MAX_SUBSCRIPTION_RETRY_DELAY_MS } }, { kind: "failed", error: "the consumer asked for the whole batch again (retryAll)", delayMs: MAX_SUBSCRIPTION_RETRY_DELAY_MS }],
    ["retryAll over the delay cap (capped)", { retryAll: { delayMs: MAX_SUBSCRIPTION_RETRY_DELAY_MS + 1 } }, { kind: "failed", error: "the consumer asked for the whole batch again (retryAll)", delayMs: MAX_SUBSCRIPTION_RETRY_DELAY_MS }],
    ["retry of one record", { retry: [{ offset: 11 }] }, partial({ offset: 11 })],
    ["retry with delays, out of order", { retry: [{ offset: 14, delayMs: 100 }, { offset: 10 }] }, partial({ offset: 10 }, { offset: 14, delayMs: 100 })],
    ["retry of every record", { retry: [{ offset: 10 }, { offset: 11 }, { offset: 13 }, { offset: 14 }] }, partial({ offset: 10 }, { offset: 11 }, { offset: 13 }, { offset: 14 })],
    ["retry over the delay cap (capped)", { retry: [{ offset: 13, delayMs: 1e12 }] }, partial({ offset: 13, delayMs: MAX_SUBSCRIPTION_RETRY_DELAY_MS })],
    ["retry of one offset twice (the longer delay)", { retry: [{ offset: 13, delayMs: 5 }, { offset: 13 }, { offset: 13, delayMs: 50 }] }, partial({ offset: 13, delayMs: 50 })],
    ["retry naming offsets outside the batch (ignored)", { retry: [{ offset: 9 }, { offset: 12 }, { offset: 13 }, { offset: 15 }] }, partial({ offset: 13 })],
    ["retry naming only offsets outside the batch", { retry: [{ offset: 12 }, { offset: 99 }] }, acked],
    ["retry: [] (nothing to retry)", { retry: [] }, acked],
    ["ackUpTo inside the batch", { ackUpTo: 11 }, partial({ offset: 13 }, { offset: 14 })],
    ["ackUpTo in the gap", { ackUpTo: 12 }, partial({ offset: 13 }, { offset: 14 })],
    ["ackUpTo the last record", { ackUpTo: 14 }, acked],
    ["ackUpTo past the batch", { ackUpTo: 1_000 }, acked],
    ["ackUpTo before the batch (every record again)", { ackUpTo: 0 }, partial({ offset: 10 }, { offset: 11 }, { offset: 13 }, { offset: 14 })],
    ["a directive next to unknown keys", { ackUpTo: 13, note: "x" }, partial({ offset: 14 })],
    ["ackAll: undefined next to retry", { ackAll: undefined, retry: [{ offset: 10 }] }, partial({ offset: 10 })],
  ])("%s", (_name, response, expected) => {
    expect(outcomeOf(response, batch)).toEqual(expected);
  });

  it.each<[string, unknown, string]>([
    ["ackAll: false", { ackAll: false }, "ackAll must be true (got false)"],
    ["ackAll: 1", { ackAll: 1 }, "ackAll must be true (got 1)"],
    ["two directives", { ackAll: true, retry: [{ offset: 10 }] }, "it has both ackAll and retry"],
    ["retryAll: true", { retryAll: true }, "retryAll must be an object, {} or {delayMs} (got true)"],
    ["retryAll: []", { retryAll: [] }, "retryAll must be an object"],
    ["retryAll with a negative delay", { retryAll: { delayMs: -1 } }, "retryAll.delayMs must be a non-negative number of milliseconds (got -1)"],
    ["retryAll with a text delay", { retryAll: { delayMs: "5s" } }, 'retryAll.delayMs must be a non-negative number of milliseconds (got "5s")'],
    ["retryAll with an infinite delay", { retryAll: { delayMs: Infinity } }, "retryAll.delayMs must be a non-negative number of milliseconds (got Infinity)"],
    ["retry not an array", { retry: { offset: 10 } }, "retry must be an array of {offset, delayMs?}"],
    ["retry of a bare offset", { retry: [10] }, "retry[0] must be an object {offset, delayMs?} (got 10)"],
    ["retry of null", { retry: [{ offset: 10 }, null] }, "retry[1] must be an object {offset, delayMs?} (got null)"],
    ["retry with a fractional offset", { retry: [{ offset: 10.5 }] }, "retry[0].offset must be a non-negative integer (got 10.5)"],
    ["retry with a negative offset", { retry: [{ offset: -1 }] }, "retry[0].offset must be a non-negative integer (got -1)"],
    ["retry with a text offset", { retry: [{ offset: "10" }] }, 'retry[0].offset must be a non-negative integer (got "10")'],
    ["retry with no offset", { retry: [{ delayMs: 5 }] }, "retry[0].offset must be a non-negative integer (got undefined)"],
    ["retry with an unsafe offset", { retry: [{ offset: 2 ** 53 }] }, "retry[0].offset must be a non-negative integer (got 9007199254740992)"],
    ["retry with a negative delay", { retry: [{ offset: 10, delayMs: -5 }] }, "retry[0].delayMs must be a non-negative number of milliseconds (got -5)"],
    ["retry with NaN delay", { retry: [{ offset: 10, delayMs: NaN }] }, "retry[0].delayMs must be a non-negative number of milliseconds (got NaN)"],
    ["an invalid entry after an offset outside the batch", { retry: [{ offset: 99 }, { offset: 10, delayMs: -1 }] }, "retry[1].delayMs"],
    ["ackUpTo fractional", { ackUpTo: 11.5 }, "ackUpTo must be a non-negative integer offset (got 11.5)"],
    ["ackUpTo negative", { ackUpTo: -1 }, "ackUpTo must be a non-negative integer offset (got -1)"],
    ["ackUpTo text", { ackUpTo: "11" }, 'ackUpTo must be a non-negative integer offset (got "11")'],
    ["ackUpTo null", { ackUpTo: null }, "ackUpTo must be a non-negative integer offset (got null)"],
  ])("refuses %s: nothing acknowledged, the problem named", (_name, response, problem) => {
    const outcome = outcomeOf(response, batch);
    expect(outcome.kind).toBe("failed");
    if (outcome.kind !== "failed") return;
    expect(outcome.error).toContain("invalid delivery response: ");
    expect(outcome.error).toContain(problem);
    expect(outcome).not.toHaveProperty("delayMs");
  });

  it("refuses an answer whose fields cannot be read", () => {
    const hostile = {
      get retry(): unknown {
        throw new Error("getter exploded");
      },
    };
    expect(outcomeOf(hostile, batch)).toEqual({ kind: "failed", error: "invalid delivery response: it could not be read (getter exploded)" });
  });

  it("shows long values shortened in the error", () => {
    const outcome = outcomeOf({ ackUpTo: "x".repeat(1_000) }, batch);
    expect(outcome.kind === "failed" && outcome.error.length).toBeLessThan(120);
  });
});

describe("failed and errorMessage", () => {
  it("keeps an error at the limit whole and shortens one over it", () => {
    const atLimit = "e".repeat(MAX_DELIVERY_ERROR_LENGTH);
    expect(failed(atLimit)).toEqual({ kind: "failed", error: atLimit });
    const over = failed("e".repeat(MAX_DELIVERY_ERROR_LENGTH + 1));
    expect(over.kind === "failed" && over.error).toHaveLength(MAX_DELIVERY_ERROR_LENGTH);
    expect(over.kind === "failed" && over.error.endsWith("…")).toBe(true);
  });

  it("carries a delay only when one is given", () => {
    expect(failed("x")).toEqual({ kind: "failed", error: "x" });
    expect(failed("x", 0)).toEqual({ kind: "failed", error: "x", delayMs: 0 });
  });

  it("takes an error's message, never its stack", () => {
    const error = new Error("boom");
    expect(errorMessage(error)).toBe("boom");
    expect(errorMessage(new TypeError(""))).toBe("TypeError");
    expect(errorMessage("plain")).toBe("plain");
    expect(errorMessage(42)).toBe("42");
    expect(errorMessage(Object.create(null))).toBe("unknown error");
  });
});
