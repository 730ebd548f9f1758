// Everything one producer does for one topic-partition: the queue of batches (the tail one still filling), how
// many may be in flight, and the idempotent sequence that keeps retries from duplicating or reordering records.
// Invariant: batches are dispatched in queue order with consecutive sequences; a batch is retried with its own
// sequence; once one batch has failed, no later batch of this partition is written before the failure is settled
// and the partition has a fresh producer epoch (Kafka's epoch bump, KIP-360). In a transaction (a sender lives for one
// transaction) a failed batch instead fails every later one: the transaction can only be aborted.
import { PRODUCER_ID_EXPIRATION_MS, MAX_RECORDS_PER_REQUEST } from "../limits";
import { incrementSequence } from "../log/producer-state";
import { backoffMs, retry, sleep, type BackoffConfig } from "./backoff";
import { EdgelogError, isErrorType, isRetriable } from "./edgelog-error";
import { ProducerBatch, type SendRequest } from "./producer-batch";
import type { PreparedRecord } from "./producer-record";
import type { Transport } from "./transport";
import type { Acks, ProduceRequest, ProducerIdAndEpoch } from "./wire";

export interface SenderConfig extends BackoffConfig {
  acks: Acks;
  idempotent: boolean;
  lingerMs: number;
  batchBytes: number;
  maxInFlightPerPartition: number;
  retries: number;
  deliveryTimeoutMs: number;
}

export interface SenderContext {
  transport: Transport;
  config: SenderConfig;
  /** The producer's shared identity (one POST /v1/producers per producer, or the transaction's). */
  defaultIdentity(): Promise<ProducerIdAndEpoch>;
  /** Set for a transaction's sender: batches carry the transaction's identity, and a failure ends the sending. */
  transactionalId?: string;
  onCreated(batch: ProducerBatch): void;
  onSettled(batch: ProducerBatch): void;
}

export class PartitionSender {
  /** Batches not yet dispatched, oldest first; only the last may still take records. */
  private readonly queue: ProducerBatch[] = [];
  private inFlight = 0;
  /**
   * Batches waiting to be sent again. While one waits, nothing newer is sent to this partition (Kafka re-queues a
   * retried batch at the front): otherwise later batches could push it out of the partition's cache of its last 5
   * batches, and its retry, if the first attempt was in fact written, would be refused as out of order.
   */
  private readonly retrying = new Set<ProducerBatch>();
  private identity: ProducerIdAndEpoch | undefined;
  private identityPending = false;
  private nextSequence = 0;
  /** When the current identity was last acknowledged by this partition (its producer state exists there). */
  private lastAckMs = Number.NEGATIVE_INFINITY;
  private lastDispatched: ProducerBatch | undefined;
  private needsReset = false;
  private resetting = false;
  /** A transaction's batch failed: nothing more is written (its sequence is unknown; the transaction must abort). */
  private txnFailure: Error | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly ctx: SenderContext,
  ) {}

  /** Adds a record to the filling batch (or a new one) and returns that batch; a full batch becomes ready at once. */
  append(record: PreparedRecord, request: SendRequest, index: number): ProducerBatch {
    const { batchBytes } = this.ctx.config;
    let batch = this.queue.at(-1);
    // A batch whose linger ran out keeps filling while it waits for a free slot (bigger requests under load, as Kafka).
    if (batch !== undefined && (batch.encoding !== record.encoding || batch.bytes + record.batchBytes > batchBytes || batch.count >= MAX_RECORDS_PER_REQUEST)) {
      batch.ready = true;
      batch = undefined;
    }
    if (batch === undefined) batch = this.open(record.encoding);
    batch.add(record.wire, record.batchBytes, request, index);
    if (batch.bytes >= batchBytes || batch.count >= MAX_RECORDS_PER_REQUEST) batch.ready = true;
    if (batch.ready) this.drain();
    return batch;
  }

  /** Makes every queued batch ready (flush ignores linger). */
  flush(): void {
    for (const batch of this.queue) batch.ready = true;
    this.drain();
  }

  private open(encoding: ProducerBatch["encoding"]): ProducerBatch {
    const batch = new ProducerBatch(this.topic, this.partition, encoding);
    this.queue.push(batch);
    this.ctx.onCreated(batch);
    // linger.ms: wait a little for more records to share the request; a full batch goes before that.
    setTimeout(() => {
      batch.ready = true;
      this.drain();
    }, this.ctx.config.lingerMs);
    return batch;
  }

  private drain(): void {
    if (this.txnFailure !== undefined) return this.failQueued(this.txnFailure);
    if (this.needsReset) {
      if (this.inFlight === 0 && this.queue.length > 0) void this.reset();
      return;
    }
    if (this.ctx.config.idempotent && this.identity === undefined) {
      if (this.queue.length > 0) void this.acquireIdentity();
      return;
    }
    if (this.retrying.size > 0) return;
    while (this.queue[0]?.ready && this.inFlight < this.inFlightLimit()) this.dispatch(this.queue.shift()!);
  }

  private inFlightLimit(): number {
    const { idempotent, retries, maxInFlightPerPartition } = this.ctx.config;
    // Without sequences a retried request could land after a later one: one at a time keeps order (Kafka's advice).
    if (!idempotent) return retries > 0 ? 1 : maxInFlightPerPartition;
    // A partition that has no state for this producer accepts any first sequence, so a later batch overtaking the
    // first would be written first: one batch until the partition has acknowledged one (or after long silence).
    return Date.now() - this.lastAckMs < PRODUCER_ID_EXPIRATION_MS / 2 ? maxInFlightPerPartition : 1;
  }

  private dispatch(batch: ProducerBatch): void {
    batch.sealed = true;
    if (this.ctx.config.idempotent) {
      batch.producer = this.identity;
      batch.baseSequence = this.nextSequence;
      this.nextSequence = incrementSequence(this.nextSequence, batch.count);
      batch.previous = this.lastDispatched?.settled === false ? this.lastDispatched : undefined;
      this.lastDispatched = batch;
    }
    this.inFlight++;
    void this.deliver(batch).finally(() => {
      this.retrying.delete(batch);
      this.inFlight--;
      this.ctx.onSettled(batch);
      this.drain();
    });
  }

  /** Sends one batch until it is written or cannot be; never rejects. */
  private async deliver(batch: ProducerBatch): Promise<void> {
    const { transport, config } = this.ctx;
    const request: ProduceRequest = { records: batch.records, acks: config.acks };
    if (batch.encoding === "base64") request.encoding = "base64";
    const { transactionalId } = this.ctx;
    if (batch.producer !== undefined) {
      const identity = { producerId: batch.producer.producerId, producerEpoch: batch.producer.producerEpoch, baseSequence: batch.baseSequence! };
      if (transactionalId === undefined) request.producer = identity;
      else request.transaction = { transactionalId, ...identity };
    }
    batch.firstAttemptMs = Date.now();
    for (;;) {
      batch.attempts++;
      const previous = batch.previous;
      const previousInFlight = previous !== undefined && !previous.settled;
      try {
        const results = await transport.produce(this.topic, this.partition, request);
        if (results.length !== batch.count) throw new EdgelogError("UNKNOWN_SERVER_ERROR", `produce answered ${results.length} results for ${batch.count} records`);
        if (batch.producer !== undefined && batch.producer === this.identity) this.lastAckMs = Date.now();
        batch.complete(results);
        return;
      } catch (error) {
        if (previousInFlight && isErrorType(error, "OUT_OF_ORDER_SEQUENCE_NUMBER")) {
          // It overtook the batch before it (another connection). Once that one is written, this one follows in
          // order; if that one failed, this one must fail too: writing it would leave a hole before it.
          if (await previous.done) continue;
          return this.failed(batch, new EdgelogError("OUT_OF_ORDER_SEQUENCE_NUMBER", `not written: an earlier batch to ${this.topic}[${this.partition}] failed (${previous.error?.message ?? "unknown"})`, { cause: previous.error }));
        }
        const elapsedMs = Date.now() - batch.firstAttemptMs;
        if (isRetriable(error) && batch.attempts <= config.retries && elapsedMs < config.deliveryTimeoutMs) {
          this.retrying.add(batch);
          await sleep(backoffMs(batch.attempts - 1, config, (error as EdgelogError).retryAfterMs ?? 0));
          continue;
        }
        return this.failed(batch, error instanceof Error ? error : new Error(String(error)));
      }
    }
  }

  private failed(batch: ProducerBatch, error: Error): void {
    batch.fail(error);
    if (this.ctx.transactionalId !== undefined) {
      this.txnFailure ??= error;
      return;
    }
    // The partition may or may not have written it: its sequence is unknown, so the next batch starts a new epoch.
    if (this.ctx.config.idempotent && batch.producer === this.identity) this.needsReset = true;
  }

  private async acquireIdentity(): Promise<void> {
    if (this.identityPending) return;
    this.identityPending = true;
    try {
      this.identity = await this.ctx.defaultIdentity();
    } catch (error) {
      this.failQueued(error);
    } finally {
      this.identityPending = false;
      this.drain();
    }
  }

  /** A fresh epoch for this partition only: sequences are per producer and partition, so others keep theirs. */
  private async reset(): Promise<void> {
    if (this.resetting) return;
    this.resetting = true;
    const { transport, config } = this.ctx;
    const old = this.identity;
    try {
      this.identity = await retry(async () => {
        try {
          return await transport.initProducer(old?.producerId);
        } catch (error) {
          if (old !== undefined && isErrorType(error, "UNKNOWN_PRODUCER_ID")) return transport.initProducer();
          throw error;
        }
      }, config.retries, config);
      this.nextSequence = 0;
      this.lastAckMs = Number.NEGATIVE_INFINITY;
      this.lastDispatched = undefined;
      this.needsReset = false;
    } catch (error) {
      this.failQueued(error);
    } finally {
      this.resetting = false;
      this.drain();
    }
  }

  private failQueued(error: unknown): void {
    const failure = error instanceof Error ? error : new Error(String(error));
    for (const batch of this.queue.splice(0)) {
      batch.fail(failure);
      this.ctx.onSettled(batch);
    }
  }
}
