// The producer: send(topic, records) partitions each record with the server's own murmur2 partitioner
// (src/log/partitioner.ts), batches per partition (lingerMs, batchBytes), and hands batches to one PartitionSender
// per partition (in flight, retries, idempotent sequences). Accepted records are never dropped silently: each
// send() settles with every record's offset or with the error that stopped it, and flush()/close() wait for all.
// With a transactionalId it is a transactional producer: it sends only inside transaction() (src/client/transaction.ts),
// each transaction with fresh senders (sequences from 0) under that transaction's epoch.
import { DEFAULT_FETCH_MAX_BYTES, METADATA_MAX_AGE_MS } from "../limits";
import { partitionForKey, stickyPartition } from "../log/partitioner";
import { DEFAULT_BACKOFF, retry } from "./backoff";
import { EdgelogError } from "./edgelog-error";
import { PartitionSender, type SenderConfig } from "./partition-sender";
import { SendRequest, type ProducerBatch } from "./producer-batch";
import { Transaction } from "./transaction";
import { exactSizeBytes, prepareRecord, type PreparedRecord, type ProducerRecord, type RecordMetadata } from "./producer-record";
import { TopicMetadata, type TopicInfo } from "./topic-metadata";
import type { Transport } from "./transport";
import type { Acks, ProducerIdAndEpoch } from "./wire";

export interface ProducerConfig {
  /** "all" (default), 1 or 0. With 0 nothing is confirmed: offsets are -1 and write failures are not seen. */
  acks?: Acks;
  /** Sequence numbers so retries never duplicate or reorder (default true; must be false with acks=0). */
  idempotent?: boolean;
  /** How long a batch waits for more records before it is sent (Kafka's linger.ms). Default 5. */
  lingerMs?: number;
  /** A batch is sent once it holds this many bytes (Kafka's batch.size). Default and maximum 1 MiB. */
  batchBytes?: number;
  /** Requests in flight per partition: 1 to 5 when idempotent (Kafka's rule). Default 5. */
  maxInFlightPerPartition?: number;
  /** Retries of a batch that failed with a retriable error. Default 10. */
  retries?: number;
  retryBackoffMs?: number;
  retryBackoffMaxMs?: number;
  /** No batch is retried after this long since its first attempt (Kafka's delivery.timeout.ms). Default 120000. */
  deliveryTimeoutMs?: number;
  /** send() waits while this many bytes are accepted but not yet acknowledged (Kafka's buffer.memory). Default 32 MiB. */
  bufferBytes?: number;
  /** Topic metadata (partition count, limits) is re-read after this long. Default 30000. */
  metadataMaxAgeMs?: number;
  /** Makes a transactional producer (Kafka's transactional.id): it sends inside transaction() only. */
  transactionalId?: string;
  /** The coordinator aborts a transaction open longer than this (Kafka's transaction.timeout.ms). Default 60000. */
  transactionTimeoutMs?: number;
}

const MAX_IN_FLIGHT_IDEMPOTENT = 5;
/** One batch's JSON must fit a produce request (8 MiB) even if escaping grows it several times. */
const MAX_BATCH_BYTES = DEFAULT_FETCH_MAX_BYTES;

export class Producer {
  private readonly config: SenderConfig;
  private readonly bufferBytes: number;
  private readonly metadata: TopicMetadata;
  private readonly senders = new Map<string, PartitionSender>();
  private readonly sticky = new Map<string, number>();
  private readonly stickyBytes = new Map<string, number>();
  private readonly unsettled = new Set<ProducerBatch>();
  private readonly roomWaiters: (() => void)[] = [];
  private bufferedBytes = 0;
  /** send() calls are accepted strictly in call order, so records of successive calls keep their order. */
  private accepting: Promise<unknown> = Promise.resolve();
  private identity: Promise<ProducerIdAndEpoch> | undefined;
  private closed = false;
  private readonly transactionalId: string | undefined;
  private readonly transactionTimeoutMs: number | undefined;
  /** A transactional producer's identity for its next transaction (init's answer, then each commit's or abort's). */
  private txnIdentity: Promise<ProducerIdAndEpoch> | undefined;
  private txn: Transaction | undefined;
  private fencedBy: EdgelogError | undefined;

  constructor(
    private readonly transport: Transport,
    config: ProducerConfig = {},
  ) {
    const acks = config.acks ?? "all";
    const idempotent = config.idempotent ?? acks !== 0;
    this.transactionalId = config.transactionalId;
    this.transactionTimeoutMs = config.transactionTimeoutMs;
    if (this.transactionalId !== undefined && (!idempotent || acks === 0 || acks === 1)) {
      throw new Error("a transactional producer is idempotent with acks \"all\" (Kafka's rule): leave acks and idempotent unset");
    }
    if (idempotent && acks === 0) throw new Error("an idempotent producer needs acks 1 or all: acks=0 reports no sequence outcome");
    const maxInFlightPerPartition = config.maxInFlightPerPartition ?? MAX_IN_FLIGHT_IDEMPOTENT;
    if (idempotent && (maxInFlightPerPartition < 1 || maxInFlightPerPartition > MAX_IN_FLIGHT_IDEMPOTENT)) {
      throw new Error(`maxInFlightPerPartition must be 1 to ${MAX_IN_FLIGHT_IDEMPOTENT} for an idempotent producer (the server remembers 5 batches)`);
    }
    this.config = {
      acks,
      idempotent,
      lingerMs: config.lingerMs ?? 5,
      batchBytes: Math.min(Math.max(1, config.batchBytes ?? MAX_BATCH_BYTES), MAX_BATCH_BYTES),
      maxInFlightPerPartition,
      retries: config.retries ?? 10,
      deliveryTimeoutMs: config.deliveryTimeoutMs ?? 120_000,
      retryBackoffMs: config.retryBackoffMs ?? DEFAULT_BACKOFF.retryBackoffMs,
      retryBackoffMaxMs: config.retryBackoffMaxMs ?? DEFAULT_BACKOFF.retryBackoffMaxMs,
    };
    this.bufferBytes = config.bufferBytes ?? 32 * 1024 * 1024;
    this.metadata = new TopicMetadata(transport, config.metadataMaxAgeMs ?? METADATA_MAX_AGE_MS);
  }

  /**
   * Accepts records for `topic` and resolves with each record's partition, offset and timestamp once all are
   * acknowledged; rejects with the first failure (an invalid record fails the call before anything is accepted).
   */
  send(topic: string, records: ProducerRecord | ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.transactionalId !== undefined) return Promise.reject(new Error("a transactional producer sends inside a transaction: (await producer.transaction()).send(...)"));
    return this.accepted(topic, records);
  }

  /**
   * A transactional producer's next transaction (kafkajs's shape): `send`, `sendOffsets`, then `commit` or `abort`.
   * The first call runs initTransactions (fencing earlier incarnations of the transactional id); one transaction at a
   * time. Once fenced (PRODUCER_FENCED: another producer took the id over) every call rejects with that error.
   */
  async transaction(): Promise<Transaction> {
    const transactionalId = this.transactionalId;
    if (transactionalId === undefined) throw new Error("transaction() needs a producer made with a transactionalId");
    if (this.fencedBy) throw this.fencedBy;
    if (this.closed) throw new Error("the producer is closed");
    if (this.txn?.isActive()) throw new Error("a transaction is already open on this producer: commit or abort it first");
    const init = (this.txnIdentity ??= retry(
      () => this.transport.initTransactions(transactionalId, this.transactionTimeoutMs === undefined ? {} : { transactionTimeoutMs: this.transactionTimeoutMs }),
      this.config.retries,
      this.config,
    ));
    let identity: ProducerIdAndEpoch;
    try {
      identity = await init;
    } catch (error) {
      if (this.txnIdentity === init) this.txnIdentity = undefined; // the next transaction() asks again
      throw error;
    }
    if (this.txn?.isActive()) throw new Error("a transaction is already open on this producer: commit or abort it first");
    this.senders.clear(); // each transaction's senders start from sequence 0 (the last transaction flushed them all)
    const txn = new Transaction(
      {
        transport: this.transport,
        transactionalId,
        retries: this.config.retries,
        backoff: this.config,
        send: (topic, records) => this.accepted(topic, records),
        flush: () => this.flush(),
        ended: (next) => {
          if (this.txn === txn) this.txnIdentity = Promise.resolve(next);
        },
        fenced: (error) => (this.fencedBy ??= error),
      },
      identity,
    );
    this.txn = txn;
    return txn;
  }

  private accepted(topic: string, records: ProducerRecord | ProducerRecord[]): Promise<RecordMetadata[]> {
    if (this.closed) return Promise.reject(new Error("the producer is closed"));
    const list = Array.isArray(records) ? records : [records];
    const accepted = this.accepting.then(() => this.accept(topic, list));
    this.accepting = accepted.catch(() => undefined);
    return accepted.then((request) => request.promise);
  }

  /**
   * Resolves once every earlier send() is accepted and the buffer has room again (bufferBytes): a loop that sends
   * from a stream awaits it to hold no more than the buffer's worth of records.
   */
  async ready(): Promise<void> {
    await this.accepting;
    await this.waitForRoom(0);
  }

  /** Sends every accepted record now (ignoring lingerMs) and waits until each is acknowledged or failed. */
  async flush(): Promise<void> {
    await this.accepting;
    while (this.unsettled.size > 0) {
      const pending = [...this.unsettled];
      for (const sender of this.senders.values()) sender.flush();
      await Promise.all(pending.map((batch) => batch.done));
    }
  }

  /** Refuses further sends and flushes: resolves once everything accepted is acknowledged or failed. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async accept(topic: string, records: ProducerRecord[]): Promise<SendRequest> {
    const prepared = records.map((record, index) => prepareRecord(record, index));
    let info = this.metadata.peek(topic) ?? (await this.topicInfo(topic, false));
    for (const [index, record] of prepared.entries()) {
      // sizeBytes may be a bound above the size: only a record whose bound crosses the limit is counted exactly.
      if (record.sizeBytes > info.maxMessageBytes) {
        const sizeBytes = exactSizeBytes(record);
        if (sizeBytes > info.maxMessageBytes) {
          throw new EdgelogError("MESSAGE_TOO_LARGE", `records[${index}] is ${sizeBytes} bytes (key + value + headers), max.message.bytes of '${topic}' is ${info.maxMessageBytes}`, { details: { index } });
        }
      }
      if (info.compacted && record.keyBytes === null) throw new EdgelogError("INVALID_RECORD", `records[${index}] has no key, and '${topic}' is compacted`, { details: { index } });
      const partition = record.wire.partition;
      if (partition !== undefined && partition >= info.partitionCount) {
        info = await this.topicInfo(topic, true); // partitions may have been added since
        if (partition >= info.partitionCount) {
          throw new EdgelogError("UNKNOWN_TOPIC_OR_PARTITION", `'${topic}' has ${info.partitionCount} partitions; records[${index}] names partition ${partition}`, { details: { index } });
        }
      }
    }
    await this.waitForRoom(prepared.reduce((sum, r) => sum + r.batchBytes, 0));
    const request = new SendRequest(prepared.length);
    // Records of a send mostly run to one partition (sticky, or one key): its sender is looked up once per run.
    let sender: PartitionSender | undefined;
    for (let index = 0; index < prepared.length; index++) {
      const record = prepared[index]!;
      const partition = this.partitionFor(topic, record, info);
      if (sender?.partition !== partition) sender = this.sender(topic, partition);
      sender.append(record, request, index);
      this.bufferedBytes += record.batchBytes;
      if (record.keyBytes === null && record.wire.partition === undefined) this.stickyWritten(topic, record.batchBytes);
    }
    return request;
  }

  private partitionFor(topic: string, record: PreparedRecord, info: TopicInfo): number {
    if (record.wire.partition !== undefined) return record.wire.partition;
    if (record.keyBytes !== null) return partitionForKey(record.keyBytes, info.partitionCount);
    let partition = this.sticky.get(topic);
    if (partition === undefined || partition >= info.partitionCount) {
      partition = stickyPartition(info.partitionCount);
      this.sticky.set(topic, partition);
    }
    return partition;
  }

  /** Kafka's sticky partitioner (KIP-794): keyless records go to one partition until a batch's worth went there. */
  private stickyWritten(topic: string, bytes: number): void {
    const written = (this.stickyBytes.get(topic) ?? 0) + bytes;
    if (written < this.config.batchBytes) return void this.stickyBytes.set(topic, written);
    this.stickyBytes.delete(topic);
    this.sticky.delete(topic);
  }

  private sender(topic: string, partition: number): PartitionSender {
    const id = `${topic}\u0000${partition}`;
    let sender = this.senders.get(id);
    if (sender === undefined) {
      sender = new PartitionSender(topic, partition, {
        transport: this.transport,
        config: this.config,
        defaultIdentity: () => (this.txn === undefined ? this.defaultIdentity() : Promise.resolve(this.txn.identity)),
        ...(this.transactionalId === undefined ? {} : { transactionalId: this.transactionalId }),
        onCreated: (batch) => this.unsettled.add(batch),
        onSettled: (batch) => this.settled(batch),
      });
      this.senders.set(id, sender);
    }
    return sender;
  }

  private defaultIdentity(): Promise<ProducerIdAndEpoch> {
    const identity = (this.identity ??= retry(() => this.transport.initProducer(), this.config.retries, this.config));
    identity.catch(() => {
      if (this.identity === identity) this.identity = undefined; // the next batch asks again
    });
    return identity;
  }

  private topicInfo(topic: string, refresh: boolean): Promise<TopicInfo> {
    return retry(() => this.metadata.get(topic, refresh), this.config.retries, this.config);
  }

  private async waitForRoom(bytes: number): Promise<void> {
    while (this.bufferedBytes > 0 && this.bufferedBytes + bytes > this.bufferBytes) {
      // A full buffer is no reason to linger: whatever waits may go now.
      for (const sender of this.senders.values()) sender.flush();
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
  }

  private settled(batch: ProducerBatch): void {
    if (!this.unsettled.delete(batch)) return;
    this.bufferedBytes -= batch.bytes;
    for (const wake of this.roomWaiters.splice(0)) wake();
  }
}
