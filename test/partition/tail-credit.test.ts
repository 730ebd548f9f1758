// The WebSocket tail's credit rules (src/tail.ts), pure: the unacknowledged bounds at and over their limits, acks,
// and the ack timeout at and past its limit.
import { describe, expect, it } from "vitest";
import { MAX_TAIL_UNACKED_BYTES, MAX_TAIL_UNACKED_FRAMES, TAIL_ACK_TIMEOUT_MS, TAIL_MAX_SESSION_MS } from "../../src/limits";
import { ackOverdue, acked, sessionOver, hasCredit, mayFollow, sent, tailCloseCode, type TailAttachment } from "../../src/tail";
import { errorBody } from "../../src/errors";

const start: TailAttachment = {
  ref: { topic: "t", topicId: "id", partition: 0, version: 1, replica: 0, leaderEpoch: 0 },
  read: { maxRecords: 500, maxBytes: 1 << 20, maxWaitMs: 0, encoding: "text" },
  position: 0,
  unacked: [],
  sinceMs: 0,
  openedMs: 0,
};

function withFrames(count: number, bytes: number): TailAttachment {
  let a = start;
  for (let i = 1; i <= count; i++) a = sent(a, i, bytes, 1_000 + i);
  return a;
}

describe("tail credit", () => {
  it(`a frame may follow up to ${MAX_TAIL_UNACKED_FRAMES} unacknowledged frames, not one more`, () => {
    expect(mayFollow(withFrames(MAX_TAIL_UNACKED_FRAMES - 1, 10), 10)).toBe(true);
    expect(hasCredit(withFrames(MAX_TAIL_UNACKED_FRAMES - 1, 10))).toBe(true);
    expect(mayFollow(withFrames(MAX_TAIL_UNACKED_FRAMES, 10), 10)).toBe(false);
    expect(hasCredit(withFrames(MAX_TAIL_UNACKED_FRAMES, 10))).toBe(false);
  });

  it(`unacknowledged bytes reach ${MAX_TAIL_UNACKED_BYTES} exactly, never more; one frame alone always goes`, () => {
    const one = withFrames(1, 1_000);
    expect(mayFollow(one, MAX_TAIL_UNACKED_BYTES - 1_000)).toBe(true);
    expect(mayFollow(one, MAX_TAIL_UNACKED_BYTES - 999)).toBe(false);
    expect(hasCredit(withFrames(1, MAX_TAIL_UNACKED_BYTES))).toBe(false);
    expect(mayFollow(start, MAX_TAIL_UNACKED_BYTES * 2)).toBe(true);
  });

  it("an ack frees the frames up to its offset and restarts the clock; anything else is refused", () => {
    const a = withFrames(5, 10);
    expect(a).toMatchObject({ position: 5, sinceMs: 1_001 });
    expect(acked(a, '{"ack":3}', 9_000)).toMatchObject({ unacked: [[4, 10], [5, 10]], sinceMs: 9_000 });
    expect(acked(a, '{"ack":5}', 9_000)?.unacked).toEqual([]);
    for (const bad of ['{"ack":6}', '{"ack":-1}', '{"ack":1.5}', '{"ack":"3"}', "ack", "{}", "null", new ArrayBuffer(4)]) expect(acked(a, bad, 9_000), String(bad)).toBeUndefined();
  });

  it(`is overdue only past ${TAIL_ACK_TIMEOUT_MS} ms with frames unacknowledged`, () => {
    const a = withFrames(1, 10);
    expect(ackOverdue(a, a.sinceMs + TAIL_ACK_TIMEOUT_MS)).toBe(false);
    expect(ackOverdue(a, a.sinceMs + TAIL_ACK_TIMEOUT_MS + 1)).toBe(true);
    expect(ackOverdue(start, 10 * TAIL_ACK_TIMEOUT_MS)).toBe(false);
  });

  it("closes with 4000 + the error's HTTP status", () => {
    expect(tailCloseCode(errorBody("UNKNOWN_TOPIC_OR_PARTITION", "x"))).toBe(4404);
    expect(tailCloseCode(errorBody("OFFSET_OUT_OF_RANGE", "x"))).toBe(4416);
    expect(tailCloseCode(errorBody("NOT_LEADER_OR_FOLLOWER", "x"))).toBe(4503);
  });

  it(`a session is over past TAIL_MAX_SESSION_MS from its opening (at the limit: not yet), whatever its acks`, () => {
    expect(sessionOver(start, TAIL_MAX_SESSION_MS)).toBe(false);
    expect(sessionOver(start, TAIL_MAX_SESSION_MS + 1)).toBe(true);
    const busy = acked(withFrames(3, 10), '{"ack":3}', TAIL_MAX_SESSION_MS)!;
    expect(sessionOver(busy, TAIL_MAX_SESSION_MS + 1)).toBe(true);
  });
});
