// Administration: topics (create, list, describe, alter config, add partitions, delete), groups (list, describe,
// delete, reset offsets, lag), subscriptions (create, list, describe, alter, pause, resume, reset offsets, delete),
// share groups (put, list, describe, alter, reset offsets, delete), transactions (list, describe) and ListOffsets.
// Reads and idempotent changes are retried on retriable errors; create, delete and add-partitions are not (a retry
// after a lost answer would report "already exists").
import { PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { DEFAULT_BACKOFF, retry } from "./backoff";
import type { Transport } from "./transport";
import type {
  ConfigChanges,
  CreateTopicRequest,
  GroupDescription,
  GroupOffsets,
  GroupSummary,
  ListedOffset,
  OffsetSpec,
  ResetOffsetsRequest,
  ResetOffsetsResult,
  TopicDescription,
  TopicSummary,
  TransactionDescription,
  ShareGroupConfigRequest,
  ShareGroupDescription,
  ShareResetRequest,
} from "./wire";
import type {
  AlterSubscriptionRequest,
  CreatedSubscription,
  CreateSubscriptionRequest,
  SubscriptionDescription,
  SubscriptionSummary,
} from "./subscription-wire";

export interface AdminConfig {
  /** Retries of a read or an idempotent change that failed with a retriable error. Default 5. */
  retries?: number;
}

export class Admin {
  private readonly retries: number;

  constructor(
    private readonly transport: Transport,
    config: AdminConfig = {},
  ) {
    this.retries = config.retries ?? 5;
  }

  createTopic(request: CreateTopicRequest): Promise<TopicSummary> {
    return this.transport.createTopic(request);
  }
  listTopics(): Promise<TopicSummary[]> {
    return this.read(() => this.transport.listTopics());
  }
  describeTopic(topic: string): Promise<TopicDescription> {
    return this.read(() => this.transport.describeTopic(topic));
  }
  /** Sets the named configs; null resets one to its default. */
  alterTopicConfig(topic: string, config: ConfigChanges): Promise<TopicSummary> {
    return this.read(() => this.transport.alterTopicConfig(topic, config));
  }
  /** `count` is the new total (Kafka's CreatePartitions). */
  addPartitions(topic: string, count: number): Promise<TopicSummary> {
    return this.transport.addPartitions(topic, count);
  }
  deleteTopic(topic: string): Promise<TopicSummary> {
    return this.transport.deleteTopic(topic);
  }

  listGroups(): Promise<GroupSummary[]> {
    return this.read(() => this.transport.listGroups());
  }
  /** Members, their assignments, and the lag table. */
  describeGroup(group: string): Promise<GroupDescription> {
    return this.read(() => this.transport.describeGroup(group));
  }
  deleteGroup(group: string): Promise<{ groupId: string }> {
    return this.transport.deleteGroup(group);
  }
  /** Sets a topic's committed offsets for replay; only while the group has no members. */
  resetOffsets(group: string, request: ResetOffsetsRequest): Promise<ResetOffsetsResult> {
    return this.read(() => this.transport.resetOffsets(group, request));
  }
  /** Committed offsets with each partition's high watermark and lag (highWatermark - committed). */
  lag(group: string): Promise<GroupOffsets> {
    return this.read(() => this.transport.groupOffsets(group));
  }

  /**
   * A subscription: edgelog delivers every record of `topics` to `target`, in offset order per partition, as a
   * consumer group of the same name whose only member is edgelog. A webhook's signing secret is in the answer only.
   */
  createSubscription(request: CreateSubscriptionRequest): Promise<CreatedSubscription> {
    return this.transport.createSubscription(request);
  }
  listSubscriptions(): Promise<SubscriptionSummary[]> {
    return this.read(() => this.transport.listSubscriptions());
  }
  /** Its config, state, and per partition the committed offset, lag, in-flight batch, attempts and last error. */
  describeSubscription(name: string): Promise<SubscriptionDescription> {
    return this.read(() => this.transport.describeSubscription(name));
  }
  /** Changes the named settings (deadLetterTopic: null removes it) or the target. */
  alterSubscription(name: string, patch: AlterSubscriptionRequest): Promise<SubscriptionDescription> {
    return this.read(() => this.transport.alterSubscription(name, patch));
  }
  /** Deliveries stop within one batch; offsets stay where they are. */
  pauseSubscription(name: string): Promise<SubscriptionDescription> {
    return this.read(() => this.transport.pauseSubscription(name));
  }
  resumeSubscription(name: string): Promise<SubscriptionDescription> {
    return this.read(() => this.transport.resumeSubscription(name));
  }
  /** Replay (or skip): sets a topic's committed offsets; only while the subscription is paused (else NON_EMPTY_GROUP). */
  resetSubscriptionOffsets(name: string, request: ResetOffsetsRequest): Promise<ResetOffsetsResult> {
    return this.read(() => this.transport.resetSubscriptionOffsets(name, request));
  }
  deleteSubscription(name: string): Promise<{ name: string }> {
    return this.transport.deleteSubscription(name);
  }

  /**
   * A share group (queue mode, docs/share-groups.md): creates it, or replaces its whole config (fields left out take
   * their defaults). `created` says which. Idempotent, so retried.
   */
  putShareGroup(group: string, config: ShareGroupConfigRequest = {}): Promise<ShareGroupDescription & { created: boolean }> {
    return this.read(() => this.transport.putShareGroup(group, config));
  }
  listShareGroups(): Promise<string[]> {
    return this.read(() => this.transport.listShareGroups());
  }
  /** Its config and, per share-partition polled so far: start offset, in-flight counts by state, lag, dead letters. */
  describeShareGroup(group: string): Promise<ShareGroupDescription> {
    return this.read(() => this.transport.describeShareGroup(group));
  }
  /** Changes the named config fields (deadLetterTopic: null removes it). */
  alterShareGroup(group: string, config: ShareGroupConfigRequest): Promise<ShareGroupDescription> {
    return this.read(() => this.transport.alterShareGroup(group, config));
  }
  /** Replay (or skip) a topic: only while none of its records is leased or being dead-lettered (else NON_EMPTY_GROUP). */
  resetShareGroupOffsets(group: string, request: ShareResetRequest): Promise<ResetOffsetsResult> {
    return this.read(() => this.transport.resetShareGroupOffsets(group, request));
  }
  /** Deletes the group and its share-partitions' state, leases included. */
  deleteShareGroup(group: string): Promise<{ groupId: string }> {
    return this.transport.deleteShareGroup(group);
  }

  /** Every transactional id with its state (kafka-transactions.sh list). */
  listTransactions(): Promise<TransactionDescription[]> {
    return this.read(() => this.transport.listTransactions());
  }
  /** A transactional id's producer, epoch, state, partitions, groups and pending markers. */
  describeTransaction(transactionalId: string): Promise<TransactionDescription> {
    return this.read(() => this.transport.describeTransaction(transactionalId));
  }

  /** ListOffsets for one partition: earliest, latest, or the first offset whose timestamp is at least `at` ms. */
  listOffsets(topic: string, partition: number, at: OffsetSpec): Promise<ListedOffset> {
    return this.read(() => this.transport.listOffsets(topic, partition, at));
  }

  /** ListOffsets for every partition of a topic. */
  async topicOffsets(topic: string, at: OffsetSpec = "latest"): Promise<({ partition: number } & ListedOffset)[]> {
    const { partitionCount } = await this.describeTopic(topic);
    const out: ({ partition: number } & ListedOffset)[] = [];
    for (let from = 0; from < partitionCount; from += PARTITION_FANOUT_CONCURRENCY) {
      const partitions = Array.from({ length: Math.min(PARTITION_FANOUT_CONCURRENCY, partitionCount - from) }, (_, i) => from + i);
      out.push(...(await Promise.all(partitions.map(async (partition) => ({ partition, ...(await this.listOffsets(topic, partition, at)) })))));
    }
    return out;
  }

  private read<T>(work: () => Promise<T>): Promise<T> {
    return retry(work, this.retries, DEFAULT_BACKOFF);
  }
}
