// InitProducerId over HTTP: POST /v1/producers gives an idempotent producer its {producerId, producerEpoch};
// sending {producerId} again bumps the epoch, fencing the producer's older incarnation (KIP-360).
import type { Env } from "../env";
import { unwrap, type Result } from "../errors";
import { controllerStub } from "../names";
import { integerField, requireObject } from "./validate";

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

export async function initProducer(env: Env, input: unknown): Promise<ProducerIdAndEpoch> {
  const body = input === undefined ? {} : requireObject(input, "producer request", ["producerId"]);
  const producerId = body.producerId === undefined || body.producerId === null ? null : integerField(body.producerId, "producerId", 0, Number.MAX_SAFE_INTEGER);
  return unwrap((await controllerStub(env).initProducer(producerId)) as Result<ProducerIdAndEpoch>);
}
