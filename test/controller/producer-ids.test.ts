// Producer ids in blocks (KIP-730, src/controller/producer-ids.ts): blocks never overlap, whether the controller
// restarts or is evicted between them or a router isolate loses its block; ids issued before blocks stay below them;
// an id handed out from a block is known to InitProducerId (its epoch bumps).
import { env } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Controller } from "../../src/controller/Controller";
import type { ProducerIdBlock } from "../../src/controller/producer-ids";
import type { Result } from "../../src/errors";
import { PRODUCER_ID_BLOCK_SIZE } from "../../src/limits";
import { dropProducerIdBlock } from "../../src/service/producers";
import { api } from "../helpers";

type Range = [first: number, end: number];

function range(result: Result<ProducerIdBlock>): Range {
  if (!result.ok) throw new Error(result.error.message);
  return [result.value.firstProducerId, result.value.firstProducerId + result.value.count];
}

function expectDisjoint(ranges: Range[]): void {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
}

describe("producer id blocks", () => {
  it("never overlap across restarts and evictions of the controller, nor with single ids", async () => {
    const stub = env.CONTROLLER.get(env.CONTROLLER.newUniqueId());
    const ranges: Range[] = [];
    ranges.push(range(await stub.allocateProducerIds(PRODUCER_ID_BLOCK_SIZE)));
    const single = await stub.initProducer(null);
    if (!single.ok) throw new Error("no id");
    ranges.push([single.value.producerId, single.value.producerId + 1]);
    await evictDurableObject(stub);
    ranges.push(range(await stub.allocateProducerIds(10)));
    // A restart in place: a new instance over the same storage (as a deploy would start it).
    await runInDurableObject(stub, (_old: Controller, state) => {
      const restarted = new Controller(state, env);
      ranges.push(range(restarted.allocateProducerIds(PRODUCER_ID_BLOCK_SIZE)));
      ranges.push(range(new Controller(state, env).allocateProducerIds(1)));
    });
    await evictDurableObject(stub);
    ranges.push(range(await stub.allocateProducerIds(3)));
    expect(ranges.reduce((n, [a, b]) => n + b - a, 0)).toBe(2 * PRODUCER_ID_BLOCK_SIZE + 1 + 10 + 1 + 3);
    expectDisjoint(ranges);
    // Allocation order is id order: every block starts where the last one ended.
    expect(ranges.every(([first], i) => i === 0 || first === ranges[i - 1]![1])).toBe(true);
  });

  it(`holds 1 to PRODUCER_ID_BLOCK_SIZE (${PRODUCER_ID_BLOCK_SIZE}) ids; a refused block issues nothing`, async () => {
    const stub = env.CONTROLLER.get(env.CONTROLLER.newUniqueId());
    const atLimit = range(await stub.allocateProducerIds(PRODUCER_ID_BLOCK_SIZE));
    expect(atLimit[1] - atLimit[0]).toBe(PRODUCER_ID_BLOCK_SIZE);
    for (const count of [PRODUCER_ID_BLOCK_SIZE + 1, 0, 1.5]) {
      expect(await stub.allocateProducerIds(count)).toMatchObject({ ok: false, error: { type: "INVALID_REQUEST", details: { max: PRODUCER_ID_BLOCK_SIZE } } });
    }
    expect(range(await stub.allocateProducerIds(1))).toEqual([atLimit[1], atLimit[1] + 1]);
  });

  it("starts after the ids a controller issued one row at a time before blocks, which keep their epochs", async () => {
    const stub = env.CONTROLLER.get(env.CONTROLLER.newUniqueId());
    await runInDurableObject(stub, (_c: Controller, state) => {
      // A database as the code before blocks left it: 500 ids issued, id 7 at epoch 4, and no counter yet.
      state.storage.sql.exec("DELETE FROM producer_id_next");
      for (let i = 0; i < 500; i++) state.storage.sql.exec("INSERT INTO producers (producer_epoch, updated_ms) VALUES (?, 0)", i === 6 ? 4 : 0);
      const upgraded = new Controller(state, env);
      expect(range(upgraded.allocateProducerIds(5))).toEqual([501, 506]);
      expect(upgraded.initProducer(7)).toEqual({ ok: true, value: { producerId: 7, producerEpoch: 5 } });
    });
  });

  it("writes no row for a new id; an id from a block bumps from epoch 0; an id past every block is unknown", async () => {
    const stub = env.CONTROLLER.get(env.CONTROLLER.newUniqueId());
    const [first] = range(await stub.allocateProducerIds(100));
    const rows = () => runInDurableObject(stub, (_c: Controller, state) => state.storage.sql.exec<{ n: number }>("SELECT count(*) AS n FROM producers").one().n);
    expect(await rows()).toBe(0);
    expect(await stub.initProducer(first + 42)).toEqual({ ok: true, value: { producerId: first + 42, producerEpoch: 1 } });
    expect(await stub.initProducer(first + 42)).toEqual({ ok: true, value: { producerId: first + 42, producerEpoch: 2 } });
    expect(await rows()).toBe(1);
    expect(await stub.initProducer(first + 100)).toMatchObject({ ok: false, error: { type: "UNKNOWN_PRODUCER_ID" } });
    expect(await stub.initProducer(0)).toMatchObject({ ok: false, error: { type: "UNKNOWN_PRODUCER_ID" } });
  });

  it("a router isolate hands out ids from its block; after losing it (eviction) it leases a new one and no id repeats", async () => {
    dropProducerIdBlock();
    const a = (await api("POST", "/v1/producers")).body;
    const b = (await api("POST", "/v1/producers")).body;
    expect(b.producerId).toBe(a.producerId + 1);
    // The isolate is gone: the ids left in its block are never issued, by anyone.
    dropProducerIdBlock();
    const c = (await api("POST", "/v1/producers")).body;
    expect(c.producerId).toBeGreaterThanOrEqual(a.producerId + PRODUCER_ID_BLOCK_SIZE);
    const other = await env.CONTROLLER.get(env.CONTROLLER.idFromName("controller")).initProducer(null);
    expect(other.ok && (other.value.producerId >= c.producerId + PRODUCER_ID_BLOCK_SIZE - 1 || other.value.producerId < a.producerId)).toBe(true);
    expect((await api("POST", "/v1/producers", { producerId: b.producerId })).body).toEqual({ producerId: b.producerId, producerEpoch: 1 });
  });
});
