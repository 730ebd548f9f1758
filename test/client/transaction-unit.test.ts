// The client's Transaction against a fake transport: a stale member epoch in sendOffsets is retried with the epoch
// the consumer has now (a rebalance elsewhere in the group bumps it, KIP-848); a fenced producer stays fenced.
import { describe, expect, it } from "vitest";
import { EdgelogError } from "../../src/client/edgelog-error";
import { Transaction, type TransactionHost } from "../../src/client/transaction";
import type { Transport } from "../../src/client/transport";
import type { TransactionOffsetsRequest } from "../../src/client/wire";

function host(transport: Partial<Transport>, fenced: EdgelogError[] = []): TransactionHost {
  return {
    transport: transport as Transport,
    transactionalId: "t",
    retries: 3,
    backoff: { retryBackoffMs: 1, retryBackoffMaxMs: 2 },
    send: async () => [],
    flush: async () => undefined,
    ended: () => undefined,
    fenced: (error) => void fenced.push(error),
  };
}

describe("Transaction.sendOffsets", () => {
  it("retries a STALE_MEMBER_EPOCH with the consumer's new epoch", async () => {
    const sent: TransactionOffsetsRequest[] = [];
    let epoch = 2;
    const transport = {
      sendOffsetsToTransaction: async (_id: string, request: TransactionOffsetsRequest) => {
        sent.push(request);
        if (request.memberEpoch !== 4) {
          epoch = 4; // the member's next heartbeat
          throw new EdgelogError("STALE_MEMBER_EPOCH", "member is at epoch 4, the commit carries 2", { details: { memberEpoch: 4 } });
        }
        return { committed: 1 };
      },
    };
    const txn = new Transaction(host(transport), { producerId: 7, producerEpoch: 1 });
    const consumer = { groupMetadata: () => ({ groupId: "g", memberId: "m", memberEpoch: epoch }) };
    await txn.sendOffsets({ consumer, topics: [{ topic: "in", partitions: [{ partition: 0, offset: 5 }] }] });
    expect(sent.map((r) => r.memberEpoch)).toEqual([2, 4]);
    expect(sent[1]).toMatchObject({ producerId: 7, producerEpoch: 1, groupId: "g", memberId: "m", offsets: [{ topic: "in", partition: 0, offset: 5 }] });
  });

  it("does not retry a stale epoch without a consumer, and reports PRODUCER_FENCED to the producer", async () => {
    const stale = new Transaction(host({ sendOffsetsToTransaction: async () => Promise.reject(new EdgelogError("STALE_MEMBER_EPOCH", "stale")) }), { producerId: 1, producerEpoch: 0 });
    await expect(stale.sendOffsets({ consumerGroupId: "g", topics: [{ topic: "in", partitions: [{ partition: 0, offset: 1 }] }] })).rejects.toMatchObject({ type: "STALE_MEMBER_EPOCH" });
    const fenced: EdgelogError[] = [];
    const zombie = new Transaction(host({ sendOffsetsToTransaction: async () => Promise.reject(new EdgelogError("PRODUCER_FENCED", "fenced")) }, fenced), { producerId: 1, producerEpoch: 0 });
    await expect(zombie.sendOffsets({ consumerGroupId: "g", topics: [{ topic: "in", partitions: [{ partition: 0, offset: 1 }] }] })).rejects.toMatchObject({ type: "PRODUCER_FENCED" });
    expect(fenced.map((e) => e.type)).toEqual(["PRODUCER_FENCED"]);
  });
});
