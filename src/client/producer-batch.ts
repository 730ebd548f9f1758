// One produce request in the making: records bound for one partition, in one encoding, and the send() calls
// waiting on each of them. A batch is sealed when it is dispatched; from then on its records and (for an
// idempotent producer) its sequence never change, so a retry is the same batch and the server can deduplicate it.
import type { EdgelogError } from "./edgelog-error";
import type { RecordMetadata } from "./producer-record";
import type { Encoding } from "../log/record";
import type { ProduceResult, ProducerIdAndEpoch, WireRecord } from "./wire";

/** The outcome of one send(topic, records) call: settles when every record is acknowledged, or at the first failure. */
export class SendRequest {
  readonly promise: Promise<RecordMetadata[]>;
  private readonly results: RecordMetadata[];
  private remaining: number;
  private resolve!: (value: RecordMetadata[]) => void;
  private reject!: (error: unknown) => void;

  constructor(count: number) {
    this.results = new Array<RecordMetadata>(count);
    this.remaining = count;
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    if (count === 0) this.resolve([]);
  }

  succeed(index: number, metadata: RecordMetadata): void {
    this.results[index] = metadata;
    if (--this.remaining === 0) this.resolve(this.results);
  }

  /** The first failure rejects the call (later ones are ignored by the settled promise). */
  fail(error: unknown): void {
    this.remaining = -1;
    this.reject(error);
  }
}

interface Sink {
  request: SendRequest;
  index: number;
}

export class ProducerBatch {
  readonly records: WireRecord[] = [];
  private readonly sinks: Sink[] = [];
  bytes = 0;
  /** Set when the batch may go: full, its linger ran out, or a flush asked for it. */
  ready = false;
  /** The batch was dispatched: nothing more joins it. */
  sealed = false;
  producer: ProducerIdAndEpoch | undefined;
  baseSequence: number | undefined;
  /** The batch dispatched just before this one to the same partition under the same producer identity. */
  previous: ProducerBatch | undefined;
  attempts = 0;
  firstAttemptMs = 0;
  settled = false;
  error: EdgelogError | Error | undefined;
  /** Resolves true once written, false once failed; never rejects. */
  readonly done: Promise<boolean>;
  private markDone!: (ok: boolean) => void;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly encoding: Encoding,
  ) {
    this.done = new Promise((resolve) => (this.markDone = resolve));
  }

  get count(): number {
    return this.records.length;
  }

  add(record: WireRecord, batchBytes: number, request: SendRequest, index: number): void {
    this.records.push(record);
    this.sinks.push({ request, index });
    this.bytes += batchBytes;
  }

  complete(results: ProduceResult[]): void {
    for (let i = 0; i < this.sinks.length; i++) {
      const sink = this.sinks[i]!;
      const result = results[i]!;
      if ("error" in result) continue; // the partition path never mixes: a failure throws instead
      sink.request.succeed(sink.index, { topic: this.topic, partition: result.partition, offset: result.offset, timestamp: result.timestamp });
    }
    this.settle(true);
  }

  fail(error: EdgelogError | Error): void {
    this.error = error;
    for (const sink of this.sinks) sink.request.fail(error);
    this.settle(false);
  }

  private settle(ok: boolean): void {
    this.settled = true;
    this.previous = undefined; // let a long chain of batches be collected
    this.markDone(ok);
  }
}
