// A shared subscription's acknowledgements (pure): the target's answer becomes one accept or release per record.
import { describe, expect, it } from "vitest";
import { MAX_SHARE_RELEASE_DELAY_MS } from "../../src/limits";
import type { AcquiredRecord } from "../../src/share-protocol";
import { acquisitionIdOf, sharedAcks } from "../../src/subscription/shared-acks";

const leased = (offset: number, deliveryCount = 1): AcquiredRecord => ({
  topic: "t.x-1",
  partition: 2,
  offset,
  timestamp: 0,
  key: null,
  value: "v",
  headers: [],
  deliveryCount,
  leaseId: `t.x-1:2:${offset}:${offset + 40}`,
  lockExpiresAt: 0,
});

describe("shared acknowledgements", () => {
  it("reads the acquisition from a lease id", () => {
    expect(acquisitionIdOf("a.b_c-d:11:12345:678")).toBe(678);
  });

  it("acknowledged: every record accepted", () => {
    expect(sharedAcks([leased(5), leased(6)], { kind: "acked" }, 1_000, 0.5)).toEqual({
      acks: [
        { offset: 5, acquisitionId: 45, type: "accept" },
        { offset: 6, acquisitionId: 46, type: "accept" },
      ],
      released: 0,
    });
  });

  it("retry: those records released with the consumer's delay, else the backoff by delivery count; the rest accepted", () => {
    const out = sharedAcks([leased(5), leased(6, 3), leased(7)], { kind: "partial", retry: [{ offset: 6 }, { offset: 7, delayMs: 250 }] }, 1_000, 0);
    // Backoff: retryDelayMs doubled per delivery, the lower half fixed, the upper half random (0 here): 4,000 / 2.
    expect(out.acks).toEqual([
      { offset: 5, acquisitionId: 45, type: "accept" },
      { offset: 6, acquisitionId: 46, type: "release", delayMs: 2_000 },
      { offset: 7, acquisitionId: 47, type: "release", delayMs: 250 },
    ]);
    expect(out.released).toBe(2);
  });

  it("a failed batch: every record released (retryDelayMs 0: at once); delays are capped at the share group's most", () => {
    expect(sharedAcks([leased(1), leased(2)], { kind: "failed", error: "boom" }, 0, 0.9).acks.map((a) => [a.type, a.delayMs])).toEqual([["release", 0], ["release", 0]]);
    expect(sharedAcks([leased(1)], { kind: "failed", error: "boom", delayMs: MAX_SHARE_RELEASE_DELAY_MS + 1 }, 0, 0).acks[0]!.delayMs).toBe(MAX_SHARE_RELEASE_DELAY_MS);
  });
});
