// InitProducerId over HTTP: POST /v1/producers gives an idempotent producer its {producerId, producerEpoch};
// sending {producerId} again bumps the epoch, fencing the producer's older incarnation (KIP-360).
// New ids come from a block this isolate leased from the controller (KIP-730, controller/producer-ids.ts): one
// controller request per PRODUCER_ID_BLOCK_SIZE new producers. An evicted isolate's unused ids are never issued again.
import type { Env } from "../env";
import { unwrap, type Result } from "../errors";
import { PRODUCER_ID_BLOCK_SIZE } from "../limits";
import { controllerStub } from "../names";
import type { ProducerIdBlock } from "../controller/producer-ids";
import { integerField, requireObject } from "./validate";

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

/** This isolate's leased ids: next .. end - 1 are its to hand out. */
let block = { next: 0, end: 0 };
/** One lease at a time: requests that find the block empty together share it. */
let leasing: Promise<void> | undefined;

async function newProducerId(env: Env): Promise<number> {
  while (block.next >= block.end) {
    leasing ??= (async () => {
      try {
        const leased = unwrap((await controllerStub(env).allocateProducerIds(PRODUCER_ID_BLOCK_SIZE)) as Result<ProducerIdBlock>);
        block = { next: leased.firstProducerId, end: leased.firstProducerId + leased.count };
      } finally {
        leasing = undefined;
      }
    })();
    await leasing;
  }
  return block.next++;
}

export async function initProducer(env: Env, input: unknown): Promise<ProducerIdAndEpoch> {
  const body = input === undefined ? {} : requireObject(input, "producer request", ["producerId"]);
  const producerId = body.producerId === undefined || body.producerId === null ? null : integerField(body.producerId, "producerId", 0, Number.MAX_SAFE_INTEGER);
  if (producerId === null) return { producerId: await newProducerId(env), producerEpoch: 0 };
  return unwrap((await controllerStub(env).initProducer(producerId)) as Result<ProducerIdAndEpoch>);
}

/** Forgets this isolate's block, as an eviction would (tests: the ids left in it are never issued again). */
export function dropProducerIdBlock(): void {
  block = { next: 0, end: 0 };
}
