// How the client reaches edgelog: one method per operation of the HTTP API, implemented over HTTP (HttpTransport)
// or over the RPC entrypoint through a service binding (RpcTransport). Methods return the answer's value or throw
// an EdgelogError; the producer, consumer and admin never see which transport they run on.
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

export interface CallOptions {
  /** Aborting gives up waiting: the call rejects with the signal's reason (the request may still run on the server). */
  signal?: AbortSignal;
}

export interface Transport {
  createTopic(request: CreateTopicRequest): Promise<TopicSummary>;
  listTopics(): Promise<TopicSummary[]>;
  describeTopic(topic: string): Promise<TopicDescription>;
  alterTopicConfig(topic: string, config: ConfigChanges): Promise<TopicSummary>;
  addPartitions(topic: string, count: number): Promise<TopicSummary>;
  deleteTopic(topic: string): Promise<TopicSummary>;

  /** InitProducerId: a new id, or with `producerId` the same id at its next epoch. */
  initProducer(producerId?: number): Promise<ProducerIdAndEpoch>;
  /** Produce to one partition; a failed partition throws its error. */
  produce(topic: string, partition: number, request: ProduceRequest, options?: CallOptions): Promise<ProduceResult[]>;
  fetchRecords(topic: string, partition: number, params: FetchParams, options?: CallOptions): Promise<FetchResponse>;
  /** With read_committed, `latest` is the last stable offset. */
  listOffsets(topic: string, partition: number, at: OffsetSpec, isolation?: IsolationLevel): Promise<ListedOffset>;

  /** InitProducerId for a transactional id: the producer id at a bumped epoch, fencing earlier incarnations. */
  initTransactions(transactionalId: string, request?: { transactionTimeoutMs?: number }): Promise<ProducerIdAndEpoch>;
  /** sendOffsetsToTransaction: stages a group's offsets in the open transaction. */
  sendOffsetsToTransaction(transactionalId: string, request: TransactionOffsetsRequest): Promise<{ committed: number }>;
  /** Commit or abort: answers the identity for the next transaction. A retry of the same call gets the same answer. */
  endTransaction(transactionalId: string, outcome: "commit" | "abort", identity: ProducerIdAndEpoch): Promise<EndedTransaction>;
  describeTransaction(transactionalId: string): Promise<TransactionDescription>;
  listTransactions(): Promise<TransactionDescription[]>;

  heartbeat(group: string, request: HeartbeatRequest): Promise<HeartbeatResponse>;
  commitOffsets(group: string, request: CommitRequest): Promise<{ committed: number }>;
  groupOffsets(group: string): Promise<GroupOffsets>;
  resetOffsets(group: string, request: ResetOffsetsRequest): Promise<ResetOffsetsResult>;
  listGroups(): Promise<GroupSummary[]>;
  describeGroup(group: string): Promise<GroupDescription>;
  deleteGroup(group: string): Promise<{ groupId: string }>;

  createSubscription(request: CreateSubscriptionRequest): Promise<CreatedSubscription>;
  listSubscriptions(): Promise<SubscriptionSummary[]>;
  describeSubscription(name: string): Promise<SubscriptionDescription>;
  alterSubscription(name: string, request: AlterSubscriptionRequest): Promise<SubscriptionDescription>;
  pauseSubscription(name: string): Promise<SubscriptionDescription>;
  resumeSubscription(name: string): Promise<SubscriptionDescription>;
  /** Only while paused (else NON_EMPTY_GROUP): the subscription's group is then empty. */
  resetSubscriptionOffsets(name: string, request: ResetOffsetsRequest): Promise<ResetOffsetsResult>;
  deleteSubscription(name: string): Promise<{ name: string }>;

  /** Share groups (docs/share-groups.md): PUT creates the group or replaces its whole config. */
  putShareGroup(group: string, config: ShareGroupConfigRequest): Promise<ShareGroupDescription & { created: boolean }>;
  listShareGroups(): Promise<string[]>;
  describeShareGroup(group: string): Promise<ShareGroupDescription>;
  alterShareGroup(group: string, config: ShareGroupConfigRequest): Promise<ShareGroupDescription>;
  deleteShareGroup(group: string): Promise<{ groupId: string }>;
  /** Leases records; acknowledgements riding on it are applied first (their results in `acknowledgements`). */
  shareGroupHeartbeat(group: string, request: ShareHeartbeatRequest): Promise<ShareHeartbeatResponse>;
  pollShareGroup(group: string, request: SharePollRequest, options?: CallOptions): Promise<SharePollResponse>;
  /** One result per item; when none applied it throws the first refusal, every item's result in `details.acknowledgements`. */
  acknowledgeShareGroup(group: string, acknowledgements: ShareAcknowledgement[]): Promise<ShareAcknowledgementResult[]>;
  /** Only while nothing of the topic is leased or being dead-lettered (else NON_EMPTY_GROUP). */
  resetShareGroupOffsets(group: string, request: ShareResetRequest): Promise<ResetOffsetsResult>;
}

/** Settles with `work`, or rejects with the signal's reason as soon as it aborts (for calls that cannot be cancelled). */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
