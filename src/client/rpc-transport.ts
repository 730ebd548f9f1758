// The Transport over edgelog's RPC entrypoint (EdgelogRpc) through a Workers service binding: no HTTP, no JSON
// on the wire. Each method returns Result<T>; an error result becomes an EdgelogError, and a binding that throws
// (unreachable or misconfigured service) becomes a retriable NETWORK_EXCEPTION.
import type { ErrorBody, Result } from "../errors";
import { EdgelogError } from "./edgelog-error";
import { decodeRecordFrame } from "../log/record-frame";
import { raceAbort, type CallOptions, type Transport } from "./transport";
import type {
  CommitRequest,
  ConfigChanges,
  CreateTopicRequest,
  EndedTransaction,
  FetchParams,
  FetchResponse,
  GroupDescription,
  GroupOffsets,
  GroupSummary,
  HeartbeatRequest,
  HeartbeatResponse,
  IsolationLevel,
  ListedOffset,
  OffsetSpec,
  ProduceRequest,
  ProduceResult,
  ProducerIdAndEpoch,
  ResetOffsetsRequest,
  ResetOffsetsResult,
  TopicDescription,
  TopicSummary,
  TransactionDescription,
  TransactionOffsetsRequest,
  ShareAcknowledgement,
  ShareAcknowledgementResult,
  ShareGroupConfigRequest,
  ShareGroupDescription,
  ShareHeartbeatRequest,
  ShareHeartbeatResponse,
  SharePollRequest,
  SharePollResponse,
  ShareResetRequest,
} from "./wire";
import type {
  AlterSubscriptionRequest,
  CreatedSubscription,
  CreateSubscriptionRequest,
  SubscriptionDescription,
  SubscriptionSummary,
} from "./subscription-wire";

/** What a service binding to edgelog's EdgelogRpc entrypoint offers (the subset the client uses). */
export interface EdgelogBinding {
  createTopic(request: CreateTopicRequest): Promise<Result<TopicSummary>>;
  listTopics(): Promise<Result<TopicSummary[]>>;
  describeTopic(topic: string): Promise<Result<TopicDescription>>;
  alterTopicConfig(topic: string, request: { config: ConfigChanges }): Promise<Result<TopicSummary>>;
  addPartitions(topic: string, request: { count: number }): Promise<Result<TopicSummary>>;
  deleteTopic(topic: string): Promise<Result<TopicSummary>>;
  initProducer(request?: { producerId?: number }): Promise<Result<ProducerIdAndEpoch>>;
  produce(topic: string, request: ProduceRequest, partition?: number): Promise<Result<{ status: number; results: ProduceResult[] }>>;
  fetchRecords(topic: string, partition: number, params?: FetchParams): Promise<Result<FetchResponse>>;
  /** The binary record frame (docs/api.md); a binding without it is asked fetchRecords. */
  fetchRecordFrame?(topic: string, partition: number, params?: FetchParams): Promise<Result<Uint8Array>>;
  listOffsets(topic: string, partition: number, at: string | number, isolation?: IsolationLevel): Promise<Result<ListedOffset>>;
  initTransactions(transactionalId: string, request?: { transactionTimeoutMs?: number }): Promise<Result<ProducerIdAndEpoch>>;
  sendOffsetsToTransaction(transactionalId: string, request: TransactionOffsetsRequest): Promise<Result<{ committed: number }>>;
  commitTransaction(transactionalId: string, request: ProducerIdAndEpoch): Promise<Result<EndedTransaction>>;
  abortTransaction(transactionalId: string, request: ProducerIdAndEpoch): Promise<Result<EndedTransaction>>;
  describeTransaction(transactionalId: string): Promise<Result<TransactionDescription>>;
  listTransactions(): Promise<Result<TransactionDescription[]>>;
  heartbeat(group: string, request: HeartbeatRequest): Promise<Result<HeartbeatResponse>>;
  commitOffsets(group: string, request: CommitRequest): Promise<Result<{ committed: number }>>;
  groupOffsets(group: string): Promise<Result<GroupOffsets>>;
  resetOffsets(group: string, request: ResetOffsetsRequest): Promise<Result<ResetOffsetsResult>>;
  listGroups(): Promise<Result<GroupSummary[]>>;
  describeGroup(group: string): Promise<Result<GroupDescription>>;
  deleteGroup(group: string): Promise<Result<{ groupId: string }>>;
  createSubscription(request: CreateSubscriptionRequest): Promise<Result<CreatedSubscription>>;
  listSubscriptions(): Promise<Result<SubscriptionSummary[]>>;
  describeSubscription(name: string): Promise<Result<SubscriptionDescription>>;
  alterSubscription(name: string, request: AlterSubscriptionRequest): Promise<Result<SubscriptionDescription>>;
  pauseSubscription(name: string): Promise<Result<SubscriptionDescription>>;
  resumeSubscription(name: string): Promise<Result<SubscriptionDescription>>;
  resetSubscriptionOffsets(name: string, request: ResetOffsetsRequest): Promise<Result<ResetOffsetsResult>>;
  deleteSubscription(name: string): Promise<Result<{ name: string }>>;
  putShareGroup(group: string, request?: ShareGroupConfigRequest): Promise<Result<ShareGroupDescription & { created: boolean }>>;
  listShareGroups(): Promise<Result<string[]>>;
  describeShareGroup(group: string): Promise<Result<ShareGroupDescription>>;
  alterShareGroup(group: string, request: ShareGroupConfigRequest): Promise<Result<ShareGroupDescription>>;
  deleteShareGroup(group: string): Promise<Result<{ groupId: string }>>;
  shareGroupHeartbeat(group: string, request: ShareHeartbeatRequest): Promise<Result<ShareHeartbeatResponse>>;
  pollShareGroup(group: string, request: SharePollRequest): Promise<Result<SharePollResponse>>;
  acknowledgeShareGroup(group: string, request: { acknowledgements: ShareAcknowledgement[] }): Promise<Result<{ acknowledgements: ShareAcknowledgementResult[] }>>;
  resetShareGroupOffsets(group: string, request: ShareResetRequest): Promise<Result<ResetOffsetsResult>>;
}

export class RpcTransport implements Transport {
  constructor(
    private readonly binding: EdgelogBinding,
    /** "binary": fetches take the record frame when the binding has fetchRecordFrame; "json" (the default) as HTTP. */
    private readonly fetchFormat: "binary" | "json" = "json",
  ) {}

  createTopic(request: CreateTopicRequest): Promise<TopicSummary> {
    return call(() => this.binding.createTopic(request));
  }
  listTopics(): Promise<TopicSummary[]> {
    return call(() => this.binding.listTopics());
  }
  describeTopic(topic: string): Promise<TopicDescription> {
    return call(() => this.binding.describeTopic(topic));
  }
  alterTopicConfig(topic: string, config: ConfigChanges): Promise<TopicSummary> {
    return call(() => this.binding.alterTopicConfig(topic, { config }));
  }
  addPartitions(topic: string, count: number): Promise<TopicSummary> {
    return call(() => this.binding.addPartitions(topic, { count }));
  }
  deleteTopic(topic: string): Promise<TopicSummary> {
    return call(() => this.binding.deleteTopic(topic));
  }

  initProducer(producerId?: number): Promise<ProducerIdAndEpoch> {
    return call(() => this.binding.initProducer(producerId === undefined ? {} : { producerId }));
  }
  async produce(topic: string, partition: number, request: ProduceRequest, options?: CallOptions): Promise<ProduceResult[]> {
    const { results } = await raceAbort(call(() => this.binding.produce(topic, request, partition)), options?.signal);
    // With a partition argument RPC reports the partition's failure inside results; HTTP answers with it.
    const failed = results.find((r): r is { partition: number; error: ErrorBody } => "error" in r);
    if (failed) throw EdgelogError.fromBody(failed.error);
    return results;
  }
  fetchRecords(topic: string, partition: number, params: FetchParams, options?: CallOptions): Promise<FetchResponse> {
    // An RPC call cannot be cancelled; a long-poll that is no longer wanted is left to finish (bounded by maxWaitMs).
    if (this.fetchFormat === "binary" && typeof this.binding.fetchRecordFrame === "function") {
      // Called on the binding itself: a service binding's methods are RPC stubs (no bind()).
      return raceAbort(
        call(() => this.binding.fetchRecordFrame!(topic, partition, params)).then((bytes) => {
          const { encoding: _encoding, ...page } = decodeRecordFrame(bytes);
          return page;
        }),
        options?.signal,
      );
    }
    return raceAbort(call(() => this.binding.fetchRecords(topic, partition, params)), options?.signal);
  }
  listOffsets(topic: string, partition: number, at: OffsetSpec, isolation?: IsolationLevel): Promise<ListedOffset> {
    return call(() => (isolation === undefined ? this.binding.listOffsets(topic, partition, at) : this.binding.listOffsets(topic, partition, at, isolation)));
  }

  initTransactions(transactionalId: string, request: { transactionTimeoutMs?: number } = {}): Promise<ProducerIdAndEpoch> {
    return call(() => this.binding.initTransactions(transactionalId, request));
  }
  sendOffsetsToTransaction(transactionalId: string, request: TransactionOffsetsRequest): Promise<{ committed: number }> {
    return call(() => this.binding.sendOffsetsToTransaction(transactionalId, request));
  }
  endTransaction(transactionalId: string, outcome: "commit" | "abort", identity: ProducerIdAndEpoch): Promise<EndedTransaction> {
    const request = { producerId: identity.producerId, producerEpoch: identity.producerEpoch };
    return call(() => (outcome === "commit" ? this.binding.commitTransaction(transactionalId, request) : this.binding.abortTransaction(transactionalId, request)));
  }
  describeTransaction(transactionalId: string): Promise<TransactionDescription> {
    return call(() => this.binding.describeTransaction(transactionalId));
  }
  listTransactions(): Promise<TransactionDescription[]> {
    return call(() => this.binding.listTransactions());
  }

  heartbeat(group: string, request: HeartbeatRequest): Promise<HeartbeatResponse> {
    return call(() => this.binding.heartbeat(group, request));
  }
  commitOffsets(group: string, request: CommitRequest): Promise<{ committed: number }> {
    return call(() => this.binding.commitOffsets(group, request));
  }
  groupOffsets(group: string): Promise<GroupOffsets> {
    return call(() => this.binding.groupOffsets(group));
  }
  resetOffsets(group: string, request: ResetOffsetsRequest): Promise<ResetOffsetsResult> {
    return call(() => this.binding.resetOffsets(group, request));
  }
  listGroups(): Promise<GroupSummary[]> {
    return call(() => this.binding.listGroups());
  }
  describeGroup(group: string): Promise<GroupDescription> {
    return call(() => this.binding.describeGroup(group));
  }
  deleteGroup(group: string): Promise<{ groupId: string }> {
    return call(() => this.binding.deleteGroup(group));
  }

  createSubscription(request: CreateSubscriptionRequest): Promise<CreatedSubscription> {
    return call(() => this.binding.createSubscription(request));
  }
  listSubscriptions(): Promise<SubscriptionSummary[]> {
    return call(() => this.binding.listSubscriptions());
  }
  describeSubscription(name: string): Promise<SubscriptionDescription> {
    return call(() => this.binding.describeSubscription(name));
  }
  alterSubscription(name: string, request: AlterSubscriptionRequest): Promise<SubscriptionDescription> {
    return call(() => this.binding.alterSubscription(name, request));
  }
  pauseSubscription(name: string): Promise<SubscriptionDescription> {
    return call(() => this.binding.pauseSubscription(name));
  }
  resumeSubscription(name: string): Promise<SubscriptionDescription> {
    return call(() => this.binding.resumeSubscription(name));
  }
  resetSubscriptionOffsets(name: string, request: ResetOffsetsRequest): Promise<ResetOffsetsResult> {
    return call(() => this.binding.resetSubscriptionOffsets(name, request));
  }
  deleteSubscription(name: string): Promise<{ name: string }> {
    return call(() => this.binding.deleteSubscription(name));
  }

  putShareGroup(group: string, config: ShareGroupConfigRequest): Promise<ShareGroupDescription & { created: boolean }> {
    return call(() => this.binding.putShareGroup(group, config));
  }
  listShareGroups(): Promise<string[]> {
    return call(() => this.binding.listShareGroups());
  }
  describeShareGroup(group: string): Promise<ShareGroupDescription> {
    return call(() => this.binding.describeShareGroup(group));
  }
  alterShareGroup(group: string, config: ShareGroupConfigRequest): Promise<ShareGroupDescription> {
    return call(() => this.binding.alterShareGroup(group, config));
  }
  deleteShareGroup(group: string): Promise<{ groupId: string }> {
    return call(() => this.binding.deleteShareGroup(group));
  }
  shareGroupHeartbeat(group: string, request: ShareHeartbeatRequest): Promise<ShareHeartbeatResponse> {
    return call(() => this.binding.shareGroupHeartbeat(group, request));
  }
  pollShareGroup(group: string, request: SharePollRequest, options?: CallOptions): Promise<SharePollResponse> {
    // An RPC call cannot be cancelled: a poll no longer wanted runs to its end (bounded by maxWaitMs), its leases with it.
    return raceAbort(call(() => this.binding.pollShareGroup(group, request)), options?.signal);
  }
  async acknowledgeShareGroup(group: string, acknowledgements: ShareAcknowledgement[]): Promise<ShareAcknowledgementResult[]> {
    return (await call(() => this.binding.acknowledgeShareGroup(group, { acknowledgements }))).acknowledgements;
  }
  resetShareGroupOffsets(group: string, request: ShareResetRequest): Promise<ResetOffsetsResult> {
    return call(() => this.binding.resetShareGroupOffsets(group, request));
  }
}

async function call<T>(invoke: () => Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await invoke();
  } catch (error) {
    throw EdgelogError.network(`edgelog service binding failed: ${error instanceof Error ? error.message : String(error)}`, error);
  }
  if (result.ok) return result.value;
  throw EdgelogError.fromBody(result.error);
}
