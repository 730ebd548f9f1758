// One transaction of a transactional producer, in kafkajs's shape: send, sendOffsets, commit, abort. Records go
// through the producer's own partitioning and batching (with the transaction's identity and sequences from 0);
// commit waits for every record, then asks the coordinator, whose answer is the identity of the next transaction
// (the epoch is bumped after each, KIP-890). Invariant: commit is asked only once every send of the transaction
// succeeded; after a failed send the transaction can only be aborted.
import { backoffMs, retry, sleep, type BackoffConfig } from "./backoff";
import { EdgelogError, isErrorType, isRetriable } from "./edgelog-error";
import type { ProducerRecord, RecordMetadata } from "./producer-record";
import type { Transport } from "./transport";
import type { EndedTransaction, OffsetCommit, ProducerIdAndEpoch } from "./wire";

/** Who a consumer is in its group now: what KIP-447 fences transactional offsets with (Java's groupMetadata()). */
export interface ConsumerGroupMetadata {
  groupId: string;
  memberId: string;
  /** 0 while the consumer is not a member (not joined yet, or fenced). */
  memberEpoch: number;
}

/** kafkajs's sendOffsets argument; `consumer` (a running group consumer) also fences by member id and epoch. */
export interface TransactionOffsets {
  consumerGroupId?: string;
  consumer?: { groupMetadata(): ConsumerGroupMetadata };
  topics: { topic: string; partitions: { partition: number; offset: number | string; metadata?: string }[] }[];
}

/** What a transaction needs from its producer. */
export interface TransactionHost {
  readonly transport: Transport;
  readonly transactionalId: string;
  readonly retries: number;
  readonly backoff: BackoffConfig;
  /** Accepts records into the transaction (the producer's partitioner and batches). */
  send(topic: string, records: ProducerRecord[]): Promise<RecordMetadata[]>;
  /** Sends everything accepted and waits until each batch is written or failed. */
  flush(): Promise<void>;
  /** The transaction ended with this identity for the next one; or the producer is fenced for good. */
  ended(next: ProducerIdAndEpoch): void;
  fenced(error: EdgelogError): void;
}

export class Transaction {
  private failure: unknown;
  /** Something may have joined the transaction on the server (a write was attempted, or offsets). */
  private touched = false;
  private done = false;
  private ending: Promise<void> | undefined;

  constructor(
    private readonly host: TransactionHost,
    /** The transaction's identity: the producer id and this transaction's epoch. */
    readonly identity: ProducerIdAndEpoch,
  ) {}

  /** True until commit or abort has succeeded. */
  isActive(): boolean {
    return !this.done;
  }

  /** kafkajs's `send({topic, messages})`, or the producer's `send(topic, records)`; resolves once all are written. */
  send(request: { topic: string; messages: ProducerRecord[] }): Promise<RecordMetadata[]>;
  send(topic: string, records: ProducerRecord | ProducerRecord[]): Promise<RecordMetadata[]>;
  send(topicOrRequest: string | { topic: string; messages: ProducerRecord[] }, records?: ProducerRecord | ProducerRecord[]): Promise<RecordMetadata[]> {
    const usable = this.usable();
    if (usable) return Promise.reject(usable);
    const topic = typeof topicOrRequest === "string" ? topicOrRequest : topicOrRequest.topic;
    const list = typeof topicOrRequest === "string" ? (Array.isArray(records) ? records : [records!]) : topicOrRequest.messages;
    this.touched ||= list.length > 0;
    const sent = this.host.send(topic, list);
    sent.catch((error: unknown) => (this.failure ??= error));
    return sent;
  }

  /** sendOffsetsToTransaction: the group's offsets (the next offsets to read) commit with the transaction, or never. */
  async sendOffsets(request: TransactionOffsets): Promise<void> {
    const usable = this.usable();
    if (usable) throw usable;
    const member = request.consumer?.groupMetadata(); // for the group's id; the epoch is read again per attempt
    const groupId = member?.groupId ?? request.consumerGroupId;
    if (groupId === undefined) throw new TypeError("sendOffsets needs consumerGroupId or consumer");
    if (member !== undefined && request.consumerGroupId !== undefined && request.consumerGroupId !== member.groupId) {
      throw new TypeError(`consumerGroupId '${request.consumerGroupId}' is not the consumer's group '${member.groupId}'`);
    }
    const offsets: OffsetCommit[] = request.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset), ...(p.metadata === undefined ? {} : { metadata: p.metadata }) })),
    );
    if (offsets.length === 0) return;
    this.touched = true;
    const { transport, transactionalId, retries, backoff } = this.host;
    for (let attempt = 0; ; attempt++) {
      // Re-read each time: a heartbeat may have moved the member to a new epoch (a rebalance elsewhere in the group).
      const now = request.consumer?.groupMetadata();
      const body = { ...this.identity, groupId, ...(now === undefined ? {} : { memberId: now.memberId, memberEpoch: now.memberEpoch }), offsets };
      try {
        await transport.sendOffsetsToTransaction(transactionalId, body);
        return;
      } catch (error) {
        this.checkFenced(error);
        // STALE_MEMBER_EPOCH: the commit carried an epoch the member has left; its next heartbeat brings the new one.
        const again = isRetriable(error) || (now !== undefined && isErrorType(error, "STALE_MEMBER_EPOCH"));
        if (!again || attempt >= retries) throw error;
        await sleep(backoffMs(attempt, backoff, (error as EdgelogError).retryAfterMs ?? 0));
      }
    }
  }

  /**
   * Waits for every record sent, then commits: the records and offsets become visible together. Rejects with the
   * first failed send's error (nothing is committed; abort() then), or with the coordinator's (PRODUCER_FENCED when
   * another incarnation of the transactional id took over, TRANSACTION_ABORTABLE after the transaction timed out).
   */
  commit(): Promise<void> {
    return this.end("commit");
  }

  /** Waits for the records under way, then aborts: nothing of the transaction is ever visible to read_committed. */
  abort(): Promise<void> {
    return this.end("abort");
  }

  private end(outcome: "commit" | "abort"): Promise<void> {
    if (this.done) return Promise.reject(new EdgelogError("INVALID_TXN_STATE", `the transaction has ended: ${outcome} needs a new producer.transaction()`));
    // One end at a time; a second call after a failed one tries again.
    const ending = (this.ending ??= this.finish(outcome).finally(() => {
      if (this.ending === ending) this.ending = undefined;
    }));
    return ending;
  }

  private async finish(outcome: "commit" | "abort"): Promise<void> {
    try {
      await this.host.flush();
    } catch (error) {
      this.failure ??= error;
    }
    if (outcome === "commit" && this.failure !== undefined) throw this.failure;
    if (!this.touched) return this.completed(this.identity); // nothing reached the coordinator: nothing to end there
    const { transport, transactionalId, retries, backoff } = this.host;
    let answer: EndedTransaction;
    try {
      answer = await retry(() => transport.endTransaction(transactionalId, outcome, this.identity), retries, backoff);
    } catch (error) {
      // An abort of a transaction that never opened on the coordinator (every write failed before joining) is done.
      if (outcome === "abort" && isErrorType(error, "INVALID_TXN_STATE") && error.details?.state !== undefined && error.details.state !== "Ongoing") {
        return this.completed(this.identity);
      }
      this.checkFenced(error);
      throw error;
    }
    this.completed(answer);
  }

  private completed(next: ProducerIdAndEpoch): void {
    this.done = true;
    this.host.ended({ producerId: next.producerId, producerEpoch: next.producerEpoch });
  }

  private checkFenced(error: unknown): void {
    if (isErrorType(error, "PRODUCER_FENCED")) this.host.fenced(error);
  }

  private usable(): Error | undefined {
    if (this.done) return new EdgelogError("INVALID_TXN_STATE", "the transaction has ended: send in a new producer.transaction()");
    if (this.ending !== undefined) return new EdgelogError("INVALID_TXN_STATE", "the transaction is being committed or aborted");
    return undefined;
  }
}
