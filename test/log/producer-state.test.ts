// Kafka's idempotent-producer rules (kafka-semantics §3.2) as a table of situations.
import { describe, expect, it } from "vitest";
import { checkSequence, incrementSequence, MAX_SEQUENCE, recordBatch, type ProducerEntry } from "../../src/log/producer-state";
import { PRODUCER_ID_EXPIRATION_MS } from "../../src/limits";

const P = (producerEpoch: number, baseSequence: number) => ({ producerId: 7, producerEpoch, baseSequence });

function after(...batches: [epoch: number, seq: number, count: number][]): ProducerEntry | undefined {
  let entry: ProducerEntry | undefined;
  let offset = 0;
  for (const [epoch, seq, count] of batches) {
    entry = recordBatch(entry, P(epoch, seq), count, offset, -1, 1000);
    offset += count;
  }
  return entry;
}

describe("producer state", () => {
  it("accepts any sequence from an unknown producer", () => {
    expect(checkSequence(undefined, P(0, 42), 3, 0).kind).toBe("append");
  });
  it("accepts the next sequence, refuses gaps and replays older than the cache", () => {
    const e = after([0, 0, 3], [0, 3, 2]);
    expect(checkSequence(e, P(0, 5), 1, 1000).kind).toBe("append");
    expect(checkSequence(e, P(0, 6), 1, 1000)).toMatchObject({ kind: "error", type: "OUT_OF_ORDER_SEQUENCE_NUMBER", details: { expectedSequence: 5 } });
    expect(checkSequence(e, P(0, 1), 2, 1000).kind).toBe("error");
  });
  it("answers an exact repeat of one of the last 5 batches with its original offsets", () => {
    const e = after([0, 0, 3], [0, 3, 2], [0, 5, 1]);
    expect(checkSequence(e, P(0, 3), 2, 1000)).toEqual({ kind: "duplicate", batch: { firstSeq: 3, lastSeq: 4, baseOffset: 3, lastOffset: 4, logAppendTimeMs: -1 } });
    const six = after([0, 0, 1], [0, 1, 1], [0, 2, 1], [0, 3, 1], [0, 4, 1], [0, 5, 1]);
    expect(six!.batches).toHaveLength(5);
    expect(checkSequence(six, P(0, 0), 1, 1000).kind).toBe("error"); // fell out of the cache
    expect(checkSequence(six, P(0, 1), 1, 1000).kind).toBe("duplicate");
  });
  it("fences older epochs; a new epoch starts at 0 and clears the cache", () => {
    const e = after([3, 0, 5]);
    expect(checkSequence(e, P(2, 5), 1, 1000)).toMatchObject({ kind: "error", type: "INVALID_PRODUCER_EPOCH" });
    expect(checkSequence(e, P(4, 1), 1, 1000)).toMatchObject({ kind: "error", type: "OUT_OF_ORDER_SEQUENCE_NUMBER" });
    expect(checkSequence(e, P(4, 0), 1, 1000).kind).toBe("append");
    expect(recordBatch(e, P(4, 0), 1, 5, -1, 1000).batches).toHaveLength(1);
  });
  it("wraps sequences at Integer.MAX_VALUE", () => {
    expect(incrementSequence(MAX_SEQUENCE, 1)).toBe(0);
    expect(incrementSequence(MAX_SEQUENCE - 1, 3)).toBe(1);
    const e = after([0, MAX_SEQUENCE - 1, 2]);
    expect(checkSequence(e, P(0, 0), 1, 1000).kind).toBe("append");
  });
  it("forgets a producer silent longer than producer.id.expiration.ms", () => {
    const e = after([0, 0, 3]);
    expect(checkSequence(e, P(0, 99), 1, 1000 + PRODUCER_ID_EXPIRATION_MS + 1).kind).toBe("append");
  });
});
