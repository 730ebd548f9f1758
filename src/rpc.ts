// EdgelogRpc: the Workers RPC entrypoint. Another Worker binds to it with a service binding
//   [[services]] binding = "EDGELOG", service = "edgelog", entrypoint = "EdgelogRpc"
// and calls `await env.EDGELOG.produce("orders", { records: [...] })` with no HTTP in between. Every method
// takes the same inputs as the HTTP API and returns Result<T>: {ok: true, value} or {ok: false, error}, the
// error being the HTTP API's error body (properties of thrown errors do not survive RPC).
import { WorkerEntrypoint } from "cloudflare:workers";
import type { Env } from "./env";
import { errorBody, KafkaError, ok, type Result } from "./errors";
import type { FetchedRecord } from "./log/batch";
import type { DescribedGroup, GroupSummary } from "./log/group-description";
import type { HeartbeatResponse } from "./group/group-state";
import type { ListedOffset } from "./protocol";
import { commitOffsets, deleteGroup, describeGroup, groupOffsets, heartbeat, listGroups, resetOffsets, type GroupOffsets } from "./service/groups";
import { deleteRecords, fetchRecords, listOffsets, parseOffsetSpec, parseReadRequest, type FetchParams } from "./service/fetch";
import { parseIsolation, parsePartition } from "./service/request-params";
import { produce, type ProduceOutcome } from "./service/produce";
import {
  alterSubscription,
  createSubscription,
  deleteSubscription,
  describeSubscription,
  listSubscriptions,
  pauseSubscription,
  resetSubscriptionOffsets,
  resumeSubscription,
  type SubscriptionSummary,
} from "./service/subscriptions";
import type { SubscriptionDescription } from "./subscription-protocol";
import { initProducer, type ProducerIdAndEpoch } from "./service/producers";
import { alterShareGroup, deleteShareGroup, describeShareGroup, listShareGroups, putShareGroup, resetShareGroupOffsets, shareHeartbeat, type ShareGroupDescription } from "./service/share-groups";
import type { ShareHeartbeatResponse } from "./group/share-members";
import { acknowledgeShare, pollShare, type AckResult } from "./service/share-poll";
import type { AcquiredRecord } from "./share-protocol";
import { describeTransaction, endTransaction, initTransactions, listTransactions, sendOffsetsToTransaction } from "./service/transactions";
import type { TxnStateName, TxnSummary } from "./transaction/txn-state";
import { addPartitions, alterTopicConfig, checkTopicName, createTopic, deleteTopic, describeTopic, listTopics, type TopicDescription, type TopicSummary } from "./service/topics";

export interface RpcFetchResult {
  records: FetchedRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

export class EdgelogRpc extends WorkerEntrypoint<Env> {
  createTopic(request: unknown): Promise<Result<TopicSummary>> {
    return attempt(() => createTopic(this.env, request));
  }

  listTopics(): Promise<Result<TopicSummary[]>> {
    return attempt(() => listTopics(this.env));
  }

  describeTopic(topic: string): Promise<Result<TopicDescription>> {
    return attempt(() => describeTopic(this.env, topic));
  }

  alterTopicConfig(topic: string, request: unknown): Promise<Result<TopicSummary>> {
    return attempt(() => alterTopicConfig(this.env, topic, request));
  }

  addPartitions(topic: string, request: unknown): Promise<Result<TopicSummary>> {
    return attempt(() => addPartitions(this.env, topic, request));
  }

  deleteTopic(topic: string): Promise<Result<TopicSummary>> {
    return attempt(() => deleteTopic(this.env, topic));
  }

  /**
   * {records, acks?, encoding?}; acks=0 returns at once and writes in the background. As over HTTP, a request none of
   * whose partitions took its records is {ok: false} with the first failure; a partial failure is ok with per-record
   * results.
   */
  async produce(topic: string, request: unknown, partition?: number): Promise<Result<ProduceOutcome>> {
    const answered = await attempt(() => produce(this.env, checkTopicName(topic), request, (work) => this.ctx.waitUntil(work), partition === undefined ? undefined : parsePartition(partition)));
    return answered.ok ? answered.value : answered;
  }

  fetchRecords(topic: string, partition: number, params: FetchParams = {}): Promise<Result<RpcFetchResult>> {
    return attempt(async () => {
      const result = await fetchRecords(this.env, checkTopicName(topic), parsePartition(partition), parseReadRequest(params));
      const body = JSON.parse(new TextDecoder().decode(result.body)) as RpcFetchResult;
      return body;
    });
  }

  /**
   * fetchRecords' answer as the binary record frame (log/record-frame.ts, docs/api.md): one byte array crosses RPC
   * instead of an object per record, nothing is parsed here, and the caller builds a record's strings when it reads them.
   */
  fetchRecordFrame(topic: string, partition: number, params: FetchParams = {}): Promise<Result<Uint8Array>> {
    return attempt(async () => {
      const result = await fetchRecords(this.env, checkTopicName(topic), parsePartition(partition), { ...parseReadRequest(params), format: "binary" });
      return result.body;
    });
  }

  /** isolation: "read_uncommitted" (the default) or "read_committed" (latest is then the last stable offset). */
  listOffsets(topic: string, partition: number, at: string | number, isolation?: string): Promise<Result<ListedOffset>> {
    return attempt(() => listOffsets(this.env, checkTopicName(topic), parsePartition(partition), parseOffsetSpec(at), isolation === undefined ? undefined : parseIsolation(isolation)));
  }

  /** Kafka's DeleteRecords: {beforeOffset} moves the partition's logStartOffset. */
  deleteRecords(topic: string, partition: number, request: unknown): Promise<Result<{ partition: number; logStartOffset: number }>> {
    return attempt(() => deleteRecords(this.env, checkTopicName(topic), parsePartition(partition), request));
  }

  /** InitProducerId: {} for a new idempotent producer, {producerId} to bump its epoch. */
  initProducer(request: unknown = {}): Promise<Result<ProducerIdAndEpoch>> {
    return attempt(() => initProducer(this.env, request));
  }

  /** InitProducerId for a transactional id: {transactionTimeoutMs?} -> {producerId, producerEpoch}. */
  initTransactions(transactionalId: string, request: unknown = {}): Promise<Result<ProducerIdAndEpoch>> {
    return attempt(() => initTransactions(this.env, transactionalId, request));
  }

  /** sendOffsetsToTransaction: {producerId, producerEpoch, groupId, memberId?, memberEpoch?, offsets}. */
  sendOffsetsToTransaction(transactionalId: string, request: unknown): Promise<Result<{ committed: number }>> {
    return attempt(() => sendOffsetsToTransaction(this.env, transactionalId, request));
  }

  /** {producerId, producerEpoch} -> the identity for the next transaction, and the state reached. */
  commitTransaction(transactionalId: string, request: unknown): Promise<Result<ProducerIdAndEpoch & { state: TxnStateName }>> {
    return attempt(() => endTransaction(this.env, transactionalId, request, "commit"));
  }

  abortTransaction(transactionalId: string, request: unknown): Promise<Result<ProducerIdAndEpoch & { state: TxnStateName }>> {
    return attempt(() => endTransaction(this.env, transactionalId, request, "abort"));
  }

  describeTransaction(transactionalId: string): Promise<Result<TxnSummary>> {
    return attempt(() => describeTransaction(this.env, transactionalId));
  }

  /** Every transactional id with its state (kafka-transactions.sh list); a binding is trusted, as for listGroups. */
  listTransactions(): Promise<Result<TxnSummary[]>> {
    return attempt(() => listTransactions(this.env, () => true));
  }

  /** Join (memberEpoch 0), heartbeat, or leave (memberEpoch -1) a consumer group. */
  heartbeat(group: string, request: unknown): Promise<Result<HeartbeatResponse>> {
    return attempt(() => heartbeat(this.env, group, request));
  }

  commitOffsets(group: string, request: unknown): Promise<Result<{ committed: number }>> {
    return attempt(() => commitOffsets(this.env, group, request));
  }

  /** Committed offsets with each partition's high watermark and lag. */
  groupOffsets(group: string): Promise<Result<GroupOffsets>> {
    return attempt(() => groupOffsets(this.env, group));
  }

  resetOffsets(group: string, request: unknown): Promise<Result<{ topic: string; partitions: { partition: number; offset: number }[] }>> {
    return attempt(() => resetOffsets(this.env, group, request));
  }

  listGroups(): Promise<Result<GroupSummary[]>> {
    return attempt(() => listGroups(this.env));
  }

  describeGroup(group: string): Promise<Result<DescribedGroup>> {
    return attempt(() => describeGroup(this.env, group));
  }

  deleteGroup(group: string): Promise<Result<{ groupId: string }>> {
    return attempt(() => deleteGroup(this.env, group));
  }

  /** A subscription: edgelog delivers its topics' records to a target (docs/subscriptions.md). */
  createSubscription(request: unknown): Promise<Result<{ subscription: SubscriptionDescription; secret?: string }>> {
    return attempt(() => createSubscription(this.env, request));
  }

  listSubscriptions(): Promise<Result<SubscriptionSummary[]>> {
    return attempt(() => listSubscriptions(this.env));
  }

  describeSubscription(name: string): Promise<Result<SubscriptionDescription>> {
    return attempt(() => describeSubscription(this.env, name));
  }

  alterSubscription(name: string, request: unknown): Promise<Result<SubscriptionDescription>> {
    return attempt(() => alterSubscription(this.env, name, request));
  }

  pauseSubscription(name: string): Promise<Result<SubscriptionDescription>> {
    return attempt(() => pauseSubscription(this.env, name));
  }

  resumeSubscription(name: string): Promise<Result<SubscriptionDescription>> {
    return attempt(() => resumeSubscription(this.env, name));
  }

  resetSubscriptionOffsets(name: string, request: unknown): Promise<Result<{ topic: string; partitions: { partition: number; offset: number }[] }>> {
    return attempt(() => resetSubscriptionOffsets(this.env, name, request));
  }

  deleteSubscription(name: string): Promise<Result<{ name: string }>> {
    return attempt(() => deleteSubscription(this.env, name));
  }

  /** A share group (KIP-932 queue mode, docs/share-groups.md): creates it or replaces its whole config. */
  putShareGroup(group: string, request: unknown = {}): Promise<Result<ShareGroupDescription & { created: boolean }>> {
    return attempt(async () => {
      const { created, description } = await putShareGroup(this.env, group, request);
      return { ...description, created };
    });
  }

  listShareGroups(): Promise<Result<string[]>> {
    return attempt(() => listShareGroups(this.env));
  }

  describeShareGroup(group: string): Promise<Result<ShareGroupDescription>> {
    return attempt(() => describeShareGroup(this.env, group));
  }

  alterShareGroup(group: string, request: unknown): Promise<Result<ShareGroupDescription>> {
    return attempt(() => alterShareGroup(this.env, group, request));
  }

  deleteShareGroup(group: string): Promise<Result<{ groupId: string }>> {
    return attempt(() => deleteShareGroup(this.env, group));
  }

  /** Optional membership (KIP-932's ShareGroupHeartbeat): {memberId?, memberEpoch (0 joins, -1 leaves),
   *  subscribedTopicNames} → the member's id, epoch and assigned share-partitions, as POST …/heartbeat. */
  shareGroupHeartbeat(group: string, request: unknown): Promise<Result<ShareHeartbeatResponse>> {
    return attempt(() => shareHeartbeat(this.env, group, request));
  }

  /** Leases records: {topics, memberId?, memberEpoch?, maxRecords?, maxWaitMs?, encoding?, acknowledgements?}, as POST …/poll. */
  pollShareGroup(group: string, request: unknown): Promise<Result<{ records: AcquiredRecord[]; acknowledgements?: AckResult[] }>> {
    return attempt(() => pollShare(this.env, group, request));
  }

  /** {acknowledgements: [{leaseId, type, delayMs?, reason?}]}: one result per item; {ok: false} when none applied. */
  acknowledgeShareGroup(group: string, request: unknown): Promise<Result<{ acknowledgements: AckResult[] }>> {
    return attempt(() => acknowledgeShare(this.env, group, request));
  }

  resetShareGroupOffsets(group: string, request: unknown): Promise<Result<{ topic: string; partitions: { partition: number; offset: number }[] }>> {
    return attempt(() => resetShareGroupOffsets(this.env, group, request));
  }
}

async function attempt<T>(work: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await work());
  } catch (error) {
    if (error instanceof KafkaError) return { ok: false, error: error.body };
    console.error("unexpected error", error instanceof Error ? error.stack : String(error));
    return { ok: false, error: errorBody("UNKNOWN_SERVER_ERROR", "internal error; the server log has the details") };
  }
}

