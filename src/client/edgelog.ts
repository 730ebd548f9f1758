// The `edgelog/client` package entry: `new Edgelog({ url })` (HTTP) or `new Edgelog({ binding: env.EDGELOG })`
// (a Workers service binding to the RPC entrypoint) makes producers, consumers and an admin over one transport.
// The only module of the client that re-exports others: a package export needs one module (DESIGN §4's
// "no barrel files" is about imports inside the project).
import { Admin, type AdminConfig } from "./admin";
import { Consumer, type ConsumerConfig } from "./consumer";
import { HttpTransport, type FetchFormat, type FetchFunction } from "./http-transport";
import { Producer, type ProducerConfig } from "./producer";
import { RpcTransport, type EdgelogBinding } from "./rpc-transport";
import { ShareConsumer, type ShareConsumerConfig } from "./share-consumer";
import type { Transport } from "./transport";
import { tailPartition, type TailEndpoint, type TailOptions } from "./tail";
import type { FetchResponse } from "./wire";

export interface EdgelogConfig {
  /** Base URL of edgelog over HTTP, e.g. http://127.0.0.1:8787. */
  url?: string;
  /** Sent as `Authorization: Bearer <token>` over HTTP. */
  token?: string;
  /** A fetch to use instead of the global one (e.g. a service binding's `fetch` with any url). */
  fetch?: FetchFunction;
  /** Inside a Worker: a service binding to edgelog's EdgelogRpc entrypoint (no HTTP at all). */
  binding?: EdgelogBinding;
  /** HTTP only: bound on each request, a long-poll's wait excluded. Default 30000. */
  requestTimeoutMs?: number;
  /** "json" (the default): fetches take plain JSON answers, one JSON.parse per fetch, which is faster for a reader that
   *  builds every value (most consumers). "binary" (opt-in): fetches take the record frame (docs/api.md, over HTTP or
   *  RPC), whose records build their strings on first read; it pays off when a reader reads few fields of each record
   *  (offsets, a key filter). docs/performance.md, "The binary record frame". */
  fetchFormat?: FetchFormat;
  /** Any other Transport. */
  transport?: Transport;
}

export class Edgelog {
  readonly transport: Transport;
  /** Where a WebSocket tail connects (HTTP only). */
  private readonly endpoint: TailEndpoint | undefined;

  constructor(config: EdgelogConfig) {
    if (config.url && !config.transport && !config.binding) {
      this.endpoint = { url: config.url, ...(config.token === undefined ? {} : { token: config.token }), ...(config.fetch === undefined ? {} : { fetch: config.fetch }) };
    }
    if (config.transport) this.transport = config.transport;
    else if (config.binding) this.transport = new RpcTransport(config.binding, config.fetchFormat);
    else if (config.url) {
      this.transport = new HttpTransport({
        url: config.url,
        ...(config.token === undefined ? {} : { token: config.token }),
        ...(config.fetch === undefined ? {} : { fetch: config.fetch }),
        ...(config.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: config.requestTimeoutMs }),
        ...(config.fetchFormat === undefined ? {} : { fetchFormat: config.fetchFormat }),
      });
    } else throw new Error("new Edgelog({ url }) or new Edgelog({ binding }): say how to reach edgelog");
  }

  producer(config?: ProducerConfig): Producer {
    return new Producer(this.transport, config);
  }

  consumer(config: ConsumerConfig): Consumer {
    return new Consumer(this.transport, config);
  }

  /** A share group's consumer (queue mode, docs/share-groups.md): records leased one by one, acknowledged one by one. */
  shareConsumer(config: ShareConsumerConfig): ShareConsumer {
    return new ShareConsumer(this.transport, config);
  }

  admin(config?: AdminConfig): Admin {
    return new Admin(this.transport, config);
  }

  /** A live tail of one partition from `offset` (default: the log start): fetch answers as records arrive, over a
   *  WebSocket where the runtime allows (src/client/tail.ts), else long-polls. Reads never move a group's position. */
  tail(topic: string, partition: number, options?: TailOptions): AsyncGenerator<FetchResponse> {
    return tailPartition(this.transport, this.endpoint, topic, partition, options);
  }
}

export { Admin, type AdminConfig } from "./admin";
export { Consumer, type ConsumerConfig, type PartitionPosition, type RunConfig } from "./consumer";
export type { ConsumedBatch, ConsumedRecord } from "./consumed-record";
export { deliveryBatch, type Delivery, type DeliveryRecord, type RetryOptions } from "./delivery";
export { withDeadLetter, DLQ_HEADERS, type DeadLetterConfig, type RecordHandler } from "./dead-letter";
export { EdgelogError, CLIENT_ERRORS, isRetriable, type ClientErrorType } from "./edgelog-error";
export { HttpTransport, type FetchFormat, type FetchFunction, type HttpTransportConfig } from "./http-transport";
export { Producer, type ProducerConfig } from "./producer";
export { Transaction, type ConsumerGroupMetadata, type TransactionOffsets } from "./transaction";
export type { ProducerRecord, RecordMetadata } from "./producer-record";
export { RpcTransport, type EdgelogBinding } from "./rpc-transport";
export {
  ShareConsumer,
  isRetriableShareError,
  type ShareAcknowledgementOutcome,
  type ShareConsumerConfig,
  type ShareRecord,
  type ShareRunConfig,
} from "./share-consumer";
export type { Transport, CallOptions } from "./transport";
export { ERRORS, type ErrorType } from "../errors";
export { decodeRecordFrame, FrameRecord, RecordFrameError, RECORDS_MEDIA_TYPE, type DecodedFrame } from "../log/record-frame";
export type * from "./wire";
export type * from "./subscription-wire";
export type { TailOptions } from "./tail";
