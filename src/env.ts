// The bindings edgelog's Worker and objects receive (wrangler.toml, and the test config for tests).
import type { PartitionLog } from "./partition/PartitionLog";
import type { Controller } from "./controller/Controller";
import type { GroupCoordinator } from "./group/GroupCoordinator";
import type { SubscriptionPartition } from "./subscription/SubscriptionPartition";
import type { TransactionCoordinator } from "./transaction/TransactionCoordinator";
import type { SchemaRegistry } from "./registry/SchemaRegistry";
import type { SharePartition } from "./share/SharePartition";
import type { DurableStream } from "./streams/DurableStream";
import type { TokenShard } from "./token-shard/TokenShard";

export interface Env {
  PARTITION_LOG: DurableObjectNamespace<PartitionLog>;
  CONTROLLER: DurableObjectNamespace<Controller>;
  GROUP_COORDINATOR: DurableObjectNamespace<GroupCoordinator>;
  /** One object per (subscription, topic partition): the delivery engine (src/subscription/). */
  SUBSCRIPTION_PARTITION: DurableObjectNamespace<SubscriptionPartition>;
  /** One object per transactional id: Kafka's transaction coordinator (src/transaction/). */
  TRANSACTION_COORDINATOR: DurableObjectNamespace<TransactionCoordinator>;
  /** One object per deployment: the Confluent-compatible schema registry (src/registry/, docs/schemas.md). */
  SCHEMA_REGISTRY: DurableObjectNamespace<SchemaRegistry>;
  /** One object per share-partition (share group, topic, partition): leases, delivery counts, dead letters (src/share/). */
  SHARE_PARTITION: DurableObjectNamespace<SharePartition>;
  /** One object per Durable Stream: the DS protocol's streams (src/streams/, docs/durable-streams.md). */
  DURABLE_STREAM: DurableObjectNamespace<DurableStream>;
  /** TOKEN_SHARDS objects holding copies of the token store's hash records, looked up by routers (src/token-shard/). */
  TOKEN_SHARD: DurableObjectNamespace<TokenShard>;
  /** Tiered storage for sealed segments. */
  SEGMENTS: R2Bucket;
  /** Subscriptions' R2 archive target's default bucket (an ArchiveTarget may name another bucket binding). Optional:
   *  a deployment without archive subscriptions may leave it unbound. */
  ARCHIVE?: R2Bucket;
  /** "production", "development" (npm start), "test" or "bench": shown by /healthz. */
  EDGELOG_ENV?: string;
  /** How often a group coordinator re-reads subscribed topics' metadata (ms; default 5000). Tests use 0. */
  GROUP_METADATA_REFRESH_MS?: string;
  /** Heartbeat interval told to members (ms; default 5000, Kafka's group.consumer.heartbeat.interval.ms). */
  GROUP_HEARTBEAT_INTERVAL_MS?: string;
  /** Bounds for a member's sessionTimeoutMs (ms; defaults 1000 and 1800000). */
  GROUP_MIN_SESSION_TIMEOUT_MS?: string;
  GROUP_MAX_SESSION_TIMEOUT_MS?: string;
  /** How soon a partition retries maintenance that was due but blocked by uncommitted records (ms; default 30000). */
  PARTITION_MAINTENANCE_RETRY_MS?: string;
  /** How long an acks=all produce waits for the in-sync replicas before REQUEST_TIMED_OUT (ms; default 30000). */
  ACKS_ALL_TIMEOUT_MS?: string;
  /** Bytes of newest batches a partition keeps in memory for tail reads (src/partition/tail-cache.ts); 0 turns it off. */
  PARTITION_TAIL_CACHE_BYTES?: string;
  /** Local bytes per partition before segments go to R2 regardless of local.retention.* (default 1e9). */
  MAX_LOCAL_PARTITION_BYTES?: string;
  /** Default replica placement for new topics: comma-separated location hints (e.g. "enam,weur,apac"). */
  EDGELOG_REPLICA_PLACEMENT?: string;
  /** Kafka's replica.lag.time.max.ms (default 30000). */
  REPLICA_LAG_TIME_MAX_MS?: string;
  /** "off" opens the API without tokens, honoured only when EDGELOG_ENV is development, test or bench (.dev.vars). */
  EDGELOG_AUTH?: string;
  /** Secret: a JSON array of {name, sha256, acls, quotas?} (docs/security.md). */
  EDGELOG_TOKENS?: string;
  /** Origins allowed to call the API from browsers, comma-separated (no CORS headers otherwise). */
  EDGELOG_CORS_ORIGINS?: string;
  /** Lowest structured-log level written: debug, info (default), warn or error (src/log/structured-log.ts). */
  EDGELOG_LOG_LEVEL?: string;
  /** A DS long-poll's wait before 204, in ms (default DS_LONG_POLL_MS, 2000); tests shorten it. */
  DS_LONG_POLL_MS?: string;
  /** "off" stops partitions counting traffic (their /metrics counters stay 0): for `npm run bench:counting`'s A/B only. */
  EDGELOG_COUNTERS?: string;
}
