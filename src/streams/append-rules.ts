// What an append to a Durable Stream does, decided from the stream's state in the protocol's check order (P§5.2):
// closed (409) → content type (409) → idempotent producer (403/409/400, or a 204 duplicate) → Stream-Seq (409) → JSON
// body (400). Producers go before Stream-Seq, so a duplicate carrying both is still a duplicate. A leaf: pure.
import { formatOffset } from "./offsets";
import { recordsOf } from "./json-mode";
import { isJsonType, sameMediaType } from "./media-type";
import { refuse, type AppendStreamRequest, type ProducerTuple, type StreamRefusal } from "./protocol";
import { seqAfter } from "./seq";
import type { ProducerState, StreamMeta } from "./stream-store";

export type AppendPlan =
  | StreamRefusal
  /** Nothing to write: a producer's retry, or a close of a stream already closed. */
  | { refused: false; write: false; status: 204; producer?: { epoch: number; seq: number } }
  | {
      refused: false;
      write: true;
      status: 200 | 204;
      /** Records of the row to append (0: a close alone) and its stored bytes. */
      count: number;
      data: Uint8Array;
      close: boolean;
      producer?: ProducerTuple;
      streamSeq?: string;
    };

const sameTuple = (a: ProducerTuple, b: ProducerTuple) => a.id === b.id && a.epoch === b.epoch && a.seq === b.seq;

export function planAppend(meta: StreamMeta, producerState: ProducerState | undefined, request: AppendStreamRequest): AppendPlan {
  const closedHeaders = { "stream-closed": "true", "stream-next-offset": formatOffset(meta.tail) };
  const hasBody = request.body.byteLength > 0;
  if (meta.closed) {
    const p = request.producer;
    if (p !== undefined && meta.closedBy !== undefined && sameTuple(p, meta.closedBy)) {
      return { refused: false, write: false, status: 204, producer: { epoch: p.epoch, seq: p.seq } };
    }
    if (request.close && !hasBody && p === undefined) return { refused: false, write: false, status: 204 };
    return refuse(409, "the stream is closed", closedHeaders);
  }
  if (hasBody && request.contentType !== undefined && !sameMediaType(request.contentType, meta.contentType)) {
    return refuse(409, `the stream's content type is ${meta.contentType}`);
  }
  const p = request.producer;
  if (p !== undefined) {
    if (producerState === undefined) {
      if (p.seq !== 0) return refuse(409, "an unknown producer starts at sequence 0", { "producer-expected-seq": "0", "producer-received-seq": String(p.seq) });
    } else if (p.epoch < producerState.epoch) {
      return refuse(403, `producer epoch ${p.epoch} is stale`, { "producer-epoch": String(producerState.epoch) });
    } else if (p.epoch > producerState.epoch) {
      if (p.seq !== 0) return refuse(400, "a new producer epoch starts at sequence 0");
    } else if (p.seq <= producerState.lastSeq) {
      return { refused: false, write: false, status: 204, producer: { epoch: producerState.epoch, seq: producerState.lastSeq } };
    } else if (p.seq !== producerState.lastSeq + 1) {
      return refuse(409, "producer sequence gap", { "producer-expected-seq": String(producerState.lastSeq + 1), "producer-received-seq": String(p.seq) });
    }
  }
  if (request.streamSeq !== undefined && meta.lastStreamSeq !== undefined && !seqAfter(request.streamSeq, meta.lastStreamSeq)) {
    return refuse(409, `Stream-Seq ${request.streamSeq} is not after ${meta.lastStreamSeq}`);
  }
  const records = recordsOf(isJsonType(meta.contentType), request.body);
  if (!records.ok) return refuse(400, records.message);
  if (hasBody && records.count === 0) return refuse(400, "an append of [] carries no messages");
  return {
    refused: false,
    write: true,
    status: p !== undefined && hasBody ? 200 : 204,
    count: records.count,
    data: records.data,
    close: request.close,
    ...(p === undefined ? {} : { producer: p }),
    ...(request.streamSeq === undefined ? {} : { streamSeq: request.streamSeq }),
  };
}
