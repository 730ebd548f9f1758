// Every bound edgelog enforces, in one place. Each value says why it is what it is.
// Units are last in names. Nothing here imports anything.

/** Kafka's rule: topic names are at most 249 characters of [a-zA-Z0-9._-]. */
export const MAX_TOPIC_NAME_LENGTH = 249;
/** Each partition is a Durable Object; describe fans out to all of them, so keep the fan-out bounded. */
export const MAX_PARTITIONS_PER_TOPIC = 1024;
/** Describe/delete fan out to partition objects at most this many at a time (Workers allow 6 open connections; DO calls queue). */
export const PARTITION_FANOUT_CONCURRENCY = 32;
/** A deployment's controller lists all topics in one response; bound it. */
export const MAX_TOPICS = 10_000;

/** Whole HTTP request body for produce. Far below the 100 MB zone-plan cap; a batch of 10k 100-byte records is ~1.5 MB. */
export const MAX_PRODUCE_REQUEST_BYTES = 8 * 1024 * 1024;
/** Bodies of admin and group requests are small JSON documents. */
export const MAX_ADMIN_REQUEST_BYTES = 64 * 1024;
/** Records per produce request: bounds router CPU per request and the per-record result list. */
export const MAX_RECORDS_PER_REQUEST = 10_000;
/** The single-pass produce-body reader (src/log/scan-produce-body.ts) recurses into nested values; a body nested deeper
 *  (never a real produce request) is left to JSON.parse, which answers as before: no request is refused for it. */
export const PRODUCE_SCAN_MAX_DEPTH = 256;
/** Group commit: the plain appends a partition object receives while its previous write is still committing are
 *  written together as one batch row (PartitionLog.flushAppends), up to this many records: what one request may
 *  carry, so a merged append costs no more than the largest single request does. */
export const MAX_COALESCED_APPEND_RECORDS = MAX_RECORDS_PER_REQUEST;
/** ...and up to this many bytes of packed record JSON. Group commit pays off for small appends; a fetch reads whole
 *  rows, so merging big appends into rows of up to TARGET_BATCH_ROW_BYTES would make every 1000-record fetch read ~1 MB
 *  for ~160 KB of answer (measured: fetch at 8 clients 954k -> 612k records/s). 256 KiB keeps rows near one fetch. */
export const MAX_COALESCED_APPEND_BYTES = 256 * 1024;
/** Ceiling for max.message.bytes, and its default (Kafka's default message.max.bytes, 1 MiB + 12). A record's
 *  stored JSON must fit one SQLite row (2 MB), base64 included (4/3 of 1 MiB ~ 1.4 MB). */
export const MAX_RECORD_BYTES = 1_048_588;
/** Keys are for partitioning and compaction, not payload. */
export const MAX_KEY_BYTES = 64 * 1024;
/** Headers per record; Kafka has no bound, we want one. */
export const MAX_HEADERS_PER_RECORD = 100;
/** A header key is a name, not data. */
export const MAX_HEADER_KEY_BYTES = 1024;
/** Client timestamps: non-negative int64 milliseconds that JS numbers hold exactly. */
export const MAX_TIMESTAMP_MS = Number.MAX_SAFE_INTEGER;

/** A stored batch row aims for this size; a larger produce is split over several rows (SQLite rows max 2 MB). */
export const TARGET_BATCH_ROW_BYTES = 1_000_000;
/** One stored record's JSON must fit in a row by itself (2 MB SQLite limit, with room for the row's other columns). */
export const MAX_STORED_RECORD_BYTES = 1_900_000;

/** Fetch defaults follow Kafka's consumer: max.poll.records = 500, max.partition.fetch.bytes = 1 MiB. */
export const DEFAULT_FETCH_MAX_RECORDS = 500;
export const DEFAULT_FETCH_MAX_BYTES = 1024 * 1024;
/** A fetch never returns more than this many records... */
export const MAX_FETCH_MAX_RECORDS = 10_000;
/** ...or bytes: an RPC result must stay far below the 32 MiB RPC limit and the 128 MB isolate. */
export const MAX_FETCH_MAX_BYTES = 8 * 1024 * 1024;
/** Long-poll bound (Kafka's fetch.max.wait.ms default is 500 ms; HTTP clients want longer polls). */
export const MAX_FETCH_WAIT_MS = 30_000;
/** A long-poll whose socket the partition closes without waking it (evicted, restarting) watches again for the time
 *  left, at most this many times in all: a partition that keeps closing cannot make a fetch spin. */
export const MAX_WATCH_ATTEMPTS = 3;
/** The TS consumer's long-poll (its maxWaitMs default). A parked poll costs its partition nothing while it waits, but
 *  each poll is one request to it: at 20 s an idle partition read by a connected consumer gets 180 requests an hour
 *  ($0.02 a month) where 5 s would cost four times that. New records answer a poll at once whatever its wait. */
export const DEFAULT_CONSUMER_MAX_WAIT_MS = 20_000;
/** Parked long-polls per partition object; beyond this a fetch answers at once (empty) instead of waiting. */
export const MAX_FETCH_WAITERS_PER_PARTITION = 1_000;

/** SSE live tail: each connection lives at most this long, then the client resumes with Last-Event-ID. */
export const SSE_MAX_DURATION_MS = 60_000;
/** Each SSE poll waits this long for new records before sending a keep-alive comment. */
export const SSE_POLL_WAIT_MS = 15_000;

/** WebSocket live tails per partition object (src/tail.ts): each is a hibernated socket in the object (workerd allows
 *  32k); every append reads once per distinct tail position, so bound the fan-out as the parked long-polls are. */
export const MAX_TAILS_PER_PARTITION = 1_000;
/** Unacknowledged bytes in flight per WebSocket tail: with no bufferedAmount in workerd, the client's acks are the
 *  only backpressure. 4 MiB is four default fetch answers in flight, enough to keep a reader across an ocean busy. */
export const MAX_TAIL_UNACKED_BYTES = 4 * 1024 * 1024;
/** ...and unacknowledged frames: keeps the socket's attachment (each frame an entry) under workerd's 2 KiB. */
export const MAX_TAIL_UNACKED_FRAMES = 16;
/** A tail holding unacknowledged frames this long without an ack is closed (4408), checked when the object next
 *  wakes for it (an append, an ack, a new tail): a stalled reader then costs a socket, never an alarm. */
export const TAIL_ACK_TIMEOUT_MS = 60_000;
/** A tail's session: past this it is closed (4504) the next time it would be sent something, and the client
 *  reconnects, so the token and ACLs are checked again, as an SSE tail's are every SSE_MAX_DURATION_MS. A tail with
 *  nothing to send is not woken for it (an idle tail delivers nothing, so a revoked token gains nothing). */
export const TAIL_MAX_SESSION_MS = 60_000;

/** The oldest answer about a token a router isolate uses, its own or its location's (Cache API,
 *  service/token-cache.ts), taken from the token's shard: a revoked token stops working within it. */
export const TOKEN_CACHE_MS = 5_000;
/** Tokens in the controller's store. Routers never load the store, they look one hash up in its shard (issue 23), so
 *  the bound is the registry's: its list is paged and a create counts the rows. */
export const MAX_STORED_TOKENS = 100_000;
/** Token shards (TokenShard objects) the store's hash records are spread over by hash prefix: a router's lookups for
 *  I isolates reach each at I·k / (N · TOKEN_CACHE_MS) (docs/scale.md). Fixed for a deployment: a token's shard is
 *  its hash prefix modulo this, so changing it moves every token. */
export const TOKEN_SHARDS = 64;
/** Token answers one router isolate keeps (known and unknown hashes): a flood of made-up tokens churns this many
 *  entries, never the isolate's memory (~300 bytes each). */
export const TOKEN_ANSWER_CACHE_ENTRIES = 10_000;
/** Tokens one GET /v1/tokens page lists (the default and the most): the store holds up to MAX_STORED_TOKENS. */
export const MAX_TOKEN_LIST_PAGE = 1_000;

/** Router metadata cache: entries are refreshed when a partition says the topic changed (service/metadata.ts); one
 *  older than this is read again anyway, a safety net against a lost notice rather than a schedule: 10,000 isolates
 *  re-reading 10 topics every 30 s were 3,333 controller requests a second (docs/scale.md). */
export const METADATA_MAX_AGE_MS = 3_600_000;

/** Consumer groups (KIP-848). Session timeout: Kafka allows 45-60 s; HTTP members get a wider range (deployment vars
 *  GROUP_MIN_SESSION_TIMEOUT_MS / GROUP_MAX_SESSION_TIMEOUT_MS may narrow or widen it). */
export const DEFAULT_SESSION_TIMEOUT_MS = 45_000;
export const MIN_SESSION_TIMEOUT_MS = 1_000;
export const MAX_SESSION_TIMEOUT_MS = 30 * 60_000;
/** Kafka's group.consumer.heartbeat.interval.ms; never more than a third of the member's session timeout. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5_000;
/** A revoking member must release its partitions within its rebalance timeout (Kafka's max.poll.interval.ms). */
export const DEFAULT_REBALANCE_TIMEOUT_MS = 300_000;
export const MAX_REBALANCE_TIMEOUT_MS = 30 * 60_000;
/** Members per group: every heartbeat may recompute an assignment over all of them. */
export const MAX_MEMBERS_PER_GROUP = 1_000;
/** Topics one member may subscribe to. */
export const MAX_SUBSCRIBED_TOPICS = 100;
/** Kafka's offset.metadata.max.bytes. */
export const MAX_COMMIT_METADATA_BYTES = 4_096;
/** A commit of MAX_OFFSETS_PER_COMMIT offsets with metadata needs more than an admin body. */
export const MAX_COMMIT_REQUEST_BYTES = 4 * 1024 * 1024;
/** Offsets in one commit request. */
export const MAX_OFFSETS_PER_COMMIT = 10_000;
/** A member id is an opaque string the coordinator or the client makes (KIP-1082: clients make UUIDs). */
export const MAX_MEMBER_ID_LENGTH = 64;
/** A coordinator re-reads its subscribed topics' metadata when the controller says one changed (created, partitions
 *  added, deleted: controller/topic-watches.ts), on the next heartbeat; and, as a safety net against a lost notice, on a
 *  heartbeat this long after the last read (deployment var GROUP_METADATA_REFRESH_MS). 10,000 groups re-reading every
 *  30 s were 333 controller requests a second (docs/scale.md). */
export const GROUP_METADATA_REFRESH_MS = 3_600_000;
/** Groups in one deployment (the controller's registry lists them). */
export const MAX_GROUPS = 10_000;

/** Idempotent producers: Kafka keeps the last 5 batches per producer and partition, since a client has at most 5 in flight. */
export const PRODUCER_BATCHES_RETAINED = 5;
/** Kafka's producer.id.expiration.ms: a producer silent this long is forgotten (any sequence is then accepted). */
export const PRODUCER_ID_EXPIRATION_MS = 86_400_000;
/** Producer ids a router isolate leases from the controller at once (KIP-730's block, also 1,000): the controller
 *  sees one request per this many new producers; an evicted isolate's unused ids are never issued again. */
export const PRODUCER_ID_BLOCK_SIZE = 1_000;
/** Producer ids are int64 in Kafka; ours stay within JS's exact integers. Epochs are int16. */
export const MAX_PRODUCER_EPOCH = 32_767;

/** Local bytes a partition keeps before sealed segments move to R2 whatever local.retention.* say: a Durable Object
 *  holds at most 10 GB, and a partition must stay far below that however large it grows. */
export const MAX_LOCAL_PARTITION_BYTES = 1_000_000_000;
/** A partition's alarm is set for when its background work next falls due (segment.ms, retention, tiering, compaction
 *  lag), never on an interval. Work that is due but cannot run yet (its segments are not committed by the replicas) is
 *  tried again this much later (deployment var PARTITION_MAINTENANCE_RETRY_MS). */
export const PARTITION_MAINTENANCE_RETRY_MS = 30_000;
/** Segments uploaded to R2 per alarm run: bounds one run's time and memory (a segment is read whole). */
export const MAX_TIERED_SEGMENTS_PER_RUN = 4;
/** Bytes of segments one compaction pass reads and rewrites: bounds one alarm run (read one segment at a time). */
export const MAX_COMPACTION_PASS_BYTES = 128 * 1024 * 1024;
/** Segments roll at min(segment.bytes, this): tiering builds a segment's R2 object in memory, and an isolate has
 *  128 MB (Kafka's default segment.bytes, 1 GiB, would not fit). */
export const MAX_SEGMENT_BYTES = 32 * 1024 * 1024;
/** A partition's alarm is set at most this far ahead: due times years away (retention.ms of years, segment.ms of a
 *  long) are computed again then rather than scheduled, which costs one alarm a year. */
export const MAX_ALARM_HORIZON_MS = 365 * 86_400_000;
/** After a bounded alarm run that left work (more segments to tier, a dirtier log), the next run starts this soon. */
export const MAINTENANCE_CONTINUE_MS = 100;

/** Topics, and groups, one GET /v1/usage may name (each topic fans out to all its partitions). */
export const MAX_USAGE_NAMES = 64;

/** Replicas per partition: every acks=all write waits for each in-sync one, and each is a full (billed) copy; Kafka's
 *  usual factor is 3, and Cloudflare has 9 location hints. */
export const MAX_REPLICATION_FACTOR = 5;
/** Kafka's replica.lag.time.max.ms: a reachable follower that has not caught up for this long leaves the ISR
 *  (deployment var REPLICA_LAG_TIME_MAX_MS). An unreachable one leaves at once (Kafka fences a dead broker). */
export const REPLICA_LAG_TIME_MAX_MS = 30_000;
/** Bytes of batches in one push to a follower: far below the 32 MiB RPC limit, and several rows' worth. */
export const REPLICA_PUSH_MAX_BYTES = 4 * 1024 * 1024;
/** A partition keeps its newest batches in memory up to this many bytes (deployment var PARTITION_TAIL_CACHE_BYTES; 0
 *  turns it off): a consumer at the tail is served without SQLite, and a push to followers sends what was just appended
 *  without reading it back (one push's worth: a follower in sync never needs more). */
export const PARTITION_TAIL_CACHE_BYTES = REPLICA_PUSH_MAX_BYTES;
/** The most PARTITION_TAIL_CACHE_BYTES may be: objects share an isolate's 128 MB, and a busy partition fills its cache. */
export const MAX_PARTITION_TAIL_CACHE_BYTES = 32 * 1024 * 1024;
/** Kafka's replica.fetch.backoff.ms: after a failed push, the leader waits this long before trying that follower again
 *  (the alarm retries sooner only when the follower has fallen out of sync). */
export const REPLICA_RETRY_BACKOFF_MS = 1_000;
/** An acks=all produce waits at most this long for the in-sync replicas (Kafka's request.timeout.ms), then answers
 *  REQUEST_TIMED_OUT: ambiguous, the records may still be committed. */
export const ACKS_ALL_TIMEOUT_MS = 30_000;

/** Subscriptions' delivery targets (src/subscription/targets/). A consumer's retry delay is capped here, as Cloudflare
 *  Queues caps a message's delay: 12 h, so a mistyped delay cannot park a partition for days. */
export const MAX_SUBSCRIPTION_RETRY_DELAY_MS = 12 * 3_600_000;
/** A delivery's error as describe shows it (lastError): enough for a status line and a message, not a whole page. */
export const MAX_DELIVERY_ERROR_LENGTH = 512;
/** A webhook call's timeout when the target sets none: Standard Webhooks recommends 15-30 s. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 30_000;
/** ...and its ceiling: a Worker's CPU limit is at most 5 min, so an answer later than that is a hang, not work. */
export const MAX_WEBHOOK_TIMEOUT_MS = 5 * 60_000;
/** A service binding call's timeout when the target sets none (as a webhook's). */
export const DEFAULT_SERVICE_TIMEOUT_MS = 30_000;
/** ...and its ceiling: the consumer Worker's invocation may use at most 5 min of CPU. */
export const MAX_SERVICE_TIMEOUT_MS = 5 * 60_000;
/** An RPC method name is an identifier in the consumer's code, not data. */
export const MAX_SERVICE_METHOD_LENGTH = 64;
/** Webhook URLs are stored with the subscription and shown by describe; 2048 is what browsers and CDNs reliably carry. */
export const MAX_WEBHOOK_URL_LENGTH = 2_048;
/** A webhook's 2xx body is read for a DeliveryResponse up to this: a retry list for a 10,000-record batch is ~600 KB,
 *  and a larger body is not an answer (an HTML page), so it is not held in the delivering object's memory. */
export const MAX_WEBHOOK_RESPONSE_BYTES = 1024 * 1024;
/** Standard Webhooks: an HMAC key is 24 to 64 bytes (192 to 512 bits). */
export const MIN_WEBHOOK_SECRET_BYTES = 24;
export const MAX_WEBHOOK_SECRET_BYTES = 64;
/** generateWebhookSecret's key: 256 bits, HMAC-SHA256's output size, within Standard Webhooks' 24-64 bytes. */
export const WEBHOOK_SECRET_BYTES = 32;
/** verifyWebhook refuses a webhook-timestamp further than this from now: Standard Webhooks' replay window. */
export const WEBHOOK_TIMESTAMP_TOLERANCE_MS = 5 * 60_000;
/** An archive key is prefix + topic (<= 249) + "/" + partition + "/" + two 20-digit offsets + ".ndjson" (<= 303 bytes
 *  in all); R2 keys are at most 1024 bytes, so the prefix gets 512 and the rest always fits. */
export const MAX_ARCHIVE_PREFIX_BYTES = 512;
/** An archive object (one batch) is built in the delivering object's memory: 8 MiB by default (few, large objects;
 *  R2 bills per write), at most 32 MiB (the records and the body are both in an isolate's 128 MB, as MAX_SEGMENT_BYTES). */
export const DEFAULT_ARCHIVE_MAX_OBJECT_BYTES = 8 * 1024 * 1024;
export const MAX_ARCHIVE_MAX_OBJECT_BYTES = 32 * 1024 * 1024;
/** A partial archive object waits this long for more records by default (an archive a minute behind at most)... */
export const DEFAULT_ARCHIVE_MAX_OBJECT_AGE_MS = 60_000;
/** ...and at most an hour: records wait in the log, not in memory, but an archive staler than that is not an archive. */
export const MAX_ARCHIVE_MAX_OBJECT_AGE_MS = 3_600_000;
/** Subscriptions (src/subscription/): records per delivery. The default is Cloudflare Queues' largest batch; the most,
 *  what one fetch returns (MAX_FETCH_MAX_RECORDS). */
export const DEFAULT_SUBSCRIPTION_BATCH_SIZE = 100;
export const MAX_SUBSCRIPTION_BATCH_SIZE = MAX_FETCH_MAX_RECORDS;
/** Bytes of record JSON per delivery: a fetch's default, and its most (an RPC argument stays far below 32 MiB). */
export const DEFAULT_SUBSCRIPTION_BATCH_BYTES = DEFAULT_FETCH_MAX_BYTES;
export const MAX_SUBSCRIPTION_BATCH_BYTES = MAX_FETCH_MAX_BYTES;
/** How long a partial batch waits for more records (Queues' max_batch_timeout goes to 60 s). */
export const DEFAULT_SUBSCRIPTION_BATCH_WAIT_MS = 1_000;
export const MAX_SUBSCRIPTION_BATCH_WAIT_MS = 60_000;
/** Retries of a failed batch before dead-lettering (Queues' default 3, its most 100). */
export const DEFAULT_SUBSCRIPTION_MAX_RETRIES = 3;
export const MAX_SUBSCRIPTION_MAX_RETRIES = 100;
/** The first retry's delay; each next doubles it (capped at MAX_SUBSCRIPTION_RETRY_DELAY_MS). */
export const DEFAULT_SUBSCRIPTION_RETRY_DELAY_MS = 1_000;
/** Batches of one partition delivered at once (1 keeps them in order): bounds one object's outstanding calls. */
export const MAX_SUBSCRIPTION_IN_FLIGHT = 10;
/** A shared subscription's batches of one topic delivered at once (Cloudflare Queues' max_concurrency: its most is
 *  250, but there each batch is its own invocation; here one delivery object per topic holds every call open). */
export const DEFAULT_SUBSCRIPTION_MAX_CONCURRENCY = 10;
export const MAX_SUBSCRIPTION_MAX_CONCURRENCY = 100;
/** A shared subscription's delivery object delivers at most this long in one invocation, then goes on from an alarm
 *  set for now: a backlog is not worked through in one ever-longer invocation. */
export const SHARED_PUMP_SLICE_MS = 5_000;
/** Topics one subscription delivers: each partition of each is an object of its own. */
export const MAX_SUBSCRIPTION_TOPICS = 20;
/** While deliveries flow, a partition's delivery object commits its offset (in its own storage: the coordinator asks
 *  for it on describe) at most this often, and always when it catches up or pauses: a row written per batch would
 *  cost more than the delivery; a crash redelivers at most this much. */
export const SUBSCRIPTION_COMMIT_INTERVAL_MS = 1_000;
/** A delivering partition keeps an alarm this far ahead, so an eviction mid-delivery resumes within it. An idle one
 *  (waiting on its partition's wake-up) keeps none. */
export const SUBSCRIPTION_WATCHDOG_MS = 60_000;
/** A caught-up subscription partition on a replicated topic looks again this often: its wait lives on the leader,
 *  which a failover can replace (an unreplicated topic's wait never moves: no alarm at all). About 105,000 alarms a
 *  year, ~3 requests each: some $0.05 a year per partition. */
export const SUBSCRIPTION_FAILOVER_RECHECK_MS = 5 * 60_000;
/** A delivering partition reads at least this many records at a time (whole waves of maxBatchSize x
 *  maxInFlightPerPartition) and delivers them wave after wave: one read per wave made small batches cost a partition
 *  call each, and a read starting inside a stored batch decodes all of it. A failed wave drops the rest of the read
 *  (read again after the retry), so this bounds re-reading, not correctness. */
export const SUBSCRIPTION_READ_AHEAD_RECORDS = 1_000;
/** ...and at most this many bytes (a fetch's default), unless one wave's maxBatchBytes x maxInFlightPerPartition is
 *  more: the read is held in the object's memory while its waves are delivered. */
export const SUBSCRIPTION_READ_AHEAD_BYTES = DEFAULT_FETCH_MAX_BYTES;

/** Transactions (src/transaction/): Kafka's transaction.timeout.ms default. The coordinator aborts a transaction older
 *  than its timeout, so a crashed producer cannot pin its partitions' last stable offset for ever. */
export const DEFAULT_TRANSACTION_TIMEOUT_MS = 60_000;
/** Kafka's transaction.max.timeout.ms (15 min): the most a producer may ask for. */
export const MAX_TRANSACTION_TIMEOUT_MS = 900_000;
/** Kafka's transactional.id.expiration.ms (7 days): a transactional id silent this long (and with no open
 *  transaction) is forgotten, its coordinator's storage deleted. */
export const TRANSACTIONAL_ID_EXPIRATION_MS = 7 * 86_400_000;
/** Partitions one transaction writes to: each gets a marker at the end, and the coordinator's row lists them all. */
export const MAX_TRANSACTION_PARTITIONS = 1_000;
/** Consumer groups one transaction commits offsets for (Kafka's flow has one; a few cost nothing). */
export const MAX_TRANSACTION_GROUPS = 10;
/** Markers not yet acknowledged (a partition or group coordinator unreachable) are sent again by alarm this soon. */
export const TRANSACTION_MARKER_RETRY_MS = 1_000;
/** Transactional ids one deployment keeps (the controller lists them; each is an object of its own). */
export const MAX_TRANSACTIONAL_IDS = 100_000;

/** Lag status (src/log/lag-status.ts, Burrow's evaluator): commits kept per group partition, in the coordinator's
 *  memory. Burrow's default `intervals` is 10: enough commits to tell a trend from noise, 10 entries per partition. */
export const LAG_WINDOW_COMMITS = 10;
/** Commits closer than this to the window's newest entry replace it (Burrow's min-distance, 1 s): a consumer
 *  committing every few ms would otherwise fill the window with a span too short to show a trend. */
export const LAG_WINDOW_MIN_DISTANCE_MS = 1_000;
/** A partition with lag is STOPPED when its last commit is older than the window's span (Burrow's rule) and older
 *  than this: a burst of fast commits then silence for seconds is a pause, not a stopped consumer. */
export const DEFAULT_LAG_STOPPED_AFTER_MS = 5 * 60_000;
/** The most a group may set lagStoppedAfterMs to (a day): beyond that nobody is watching the alert anyway. */
export const MAX_LAG_STOPPED_AFTER_MS = 86_400_000;
/** GET /metrics answers from this isolate's cache for this long (per query): a Prometheus scraping every 15 s, or a
 *  few scraping at once, costs at most one fan-out to the objects per 10 s per isolate. */
export const METRICS_CACHE_MS = 10_000;
/** Distinct ?topic=/?group= queries the metrics cache keeps (oldest dropped first): bounds the isolate's memory. */
export const METRICS_CACHE_ENTRIES = 16;

// ---- schema registry (src/registry/, docs/schemas.md) -------------------------------------------------------------
/** A schema's text. Confluent has no bound of its own (its _schemas topic's 1 MB message is one); a row in the registry's
 *  SQLite stays far below 2 MB, and parsing this much JSON costs a few ms. */
export const MAX_SCHEMA_BYTES = 256 * 1024;
/** A registry request body: a schema escaped in JSON may double in size, plus references and fields. */
export const MAX_REGISTRY_REQUEST_BYTES = 2 * MAX_SCHEMA_BYTES + 64 * 1024;
/** Versions a subject keeps (live and soft-deleted): a transitive check reads them all, so bound its cost. */
export const MAX_VERSIONS_PER_SUBJECT = 1_000;
/** Subjects in one registry: GET /subjects answers them all in one response. */
export const MAX_SUBJECTS = 10_000;
/** A subject name (Confluent's are topic names plus "-value", or record full names). */
export const MAX_SUBJECT_NAME_LENGTH = 255;
/** References one schema names directly. */
export const MAX_SCHEMA_REFERENCES = 64;
/** How deep references may nest (a reference's references...): bounds resolution work and recursion. */
export const MAX_SCHEMA_REFERENCE_DEPTH = 16;
/** Entries the router's validator caches hold, and parsed schemas the registry object keeps (oldest dropped first):
 *  bounds the isolate's memory. */
export const MAX_CACHED_SCHEMAS = 256;
/** Share groups (KIP-932, src/share/). Kafka's share.record.lock.duration.ms: default 30 s, 1 s to 1 h (its broker
 *  range; SQS and Queues allow 12 h, but a lease that long is a job, not a delivery: renew it instead). */
export const DEFAULT_SHARE_LOCK_DURATION_MS = 30_000;
export const MIN_SHARE_LOCK_DURATION_MS = 1_000;
export const MAX_SHARE_LOCK_DURATION_MS = 3_600_000;
/** Renewals keep a lease at most this long from its acquisition: SQS's and Queues' visibility maximum, 12 h. Past it
 *  the record goes back to the others (a worker stuck while renewing cannot hold it for ever). */
export const MAX_SHARE_LEASE_MS = 12 * 3_600_000;
/** Kafka's share.delivery.count.limit: default 5, 2 to 10. */
export const DEFAULT_SHARE_DELIVERY_COUNT_LIMIT = 5;
export const MIN_SHARE_DELIVERY_COUNT_LIMIT = 2;
export const MAX_SHARE_DELIVERY_COUNT_LIMIT = 10;
/** Kafka's share.partition.max.record.locks: the in-flight window per share-partition, default 2000, 100 to 10000.
 *  The window is held in the object's memory and scanned on each call, so it stays bounded. */
export const DEFAULT_SHARE_MAX_RECORD_LOCKS = 2_000;
export const MIN_SHARE_MAX_RECORD_LOCKS = 100;
export const MAX_SHARE_MAX_RECORD_LOCKS = 10_000;
/** Records one poll answers at most (Kafka's max.poll.records default is 500; a fetch's most is 10,000). */
export const DEFAULT_SHARE_POLL_MAX_RECORDS = 500;
export const MAX_SHARE_POLL_MAX_RECORDS = 10_000;
/** Topics one poll names: each partition of each is a share-partition object the poll may call. */
export const MAX_SHARE_POLL_TOPICS = 20;
/** Acknowledgements in one request (a poll's worth). */
export const MAX_SHARE_ACKS_PER_REQUEST = 10_000;
/** A release's delay: Cloudflare Queues' and SQS's cap, 12 h (a record parked longer holds the window for nothing). */
export const MAX_SHARE_RELEASE_DELAY_MS = 12 * 3_600_000;
/** A reject's reason as written to the dead letter's __dlq.errors.message header. */
export const MAX_SHARE_REJECT_REASON_LENGTH = 1_000;
/** Acknowledgement and poll bodies carry up to 10,000 lease ids (~40 bytes each). */
export const MAX_SHARE_REQUEST_BYTES = 1024 * 1024;
/** share.session.timeout.ms: a share group's member that sends no heartbeat for this long is removed (Kafka's default;
 *  the bounds are consumer groups' HTTP-wide ones, since Kafka's 45-60 s suits long-lived clients only). */
export const DEFAULT_SHARE_SESSION_TIMEOUT_MS = 45_000;
export const MIN_SHARE_SESSION_TIMEOUT_MS = MIN_SESSION_TIMEOUT_MS;
export const MAX_SHARE_SESSION_TIMEOUT_MS = MAX_SESSION_TIMEOUT_MS;
/** share.heartbeat.interval.ms: how often members are told to heartbeat; must be below the session timeout. */
export const DEFAULT_SHARE_HEARTBEAT_INTERVAL_MS = 5_000;
export const MIN_SHARE_HEARTBEAT_INTERVAL_MS = 500;
export const MAX_SHARE_HEARTBEAT_INTERVAL_MS = 5 * 60_000;
/** Kafka's group.share.max.size: every heartbeat that changes membership recomputes the assignment over all members. */
export const MAX_SHARE_GROUP_MEMBERS = 200;
/** A router isolate re-reads a share group's config from its coordinator after this long: a safety net. A change
 *  reaches routers through the share-partitions (told by the coordinator, they answer an older configVersion with
 *  STALE_SHARE_GROUP and the new config); only a share-partition that missed that notice waits for this timer. */
export const SHARE_GROUP_CONFIG_CACHE_MS = 5 * 60_000;
/** Dead letters written per produce by a share-partition (one idempotent batch, one sequence range). */
export const SHARE_DEAD_LETTER_BATCH = 500;
/** A failed dead-letter write is tried again by alarm this much later (Kafka's DLQ producer backs off from 1 s). */
export const SHARE_DEAD_LETTER_RETRY_MS = 1_000;

/** Durable Streams (src/streams/): one append is one stored row, so its body stays under the 1 MB row size edgelog's
 *  batches aim for (SQLite's limit is 2 MB); larger bodies are 413, which the protocol allows. */
export const DS_MAX_APPEND_BYTES = 1_048_576;
/** Bytes of records one DS read answers (at least one append): bounds the Worker's and the object's memory per read. */
export const DS_MAX_READ_BYTES = 4 * 1024 * 1024;
/** Stream-TTL at most 100 years (the reference Cloudflare server's bound): further out is a typo, not a lifetime. */
export const DS_MAX_TTL_SECONDS = 100 * 365 * 24 * 3600;
/** How long a DS long-poll waits for an append before 204; under the conformance suite's 5 s per-test limit (its 204
 *  tests wait one full timeout) and the same as the reference Cloudflare server's. */
export const DS_LONG_POLL_MS = 2_000;
/** An SSE connection ends after this long; the client reconnects from the last control event's offset (P§5.8). */
export const DS_SSE_CONNECTION_MS = 60_000;
/** Producer state of a DS stream is kept per producer id; bound how many a stream remembers (oldest forgotten). */
export const DS_MAX_PRODUCERS_PER_STREAM = 10_000;
