// The objects' counters as Prometheus families: each partition leader's traffic (partition-counters.ts), each group
// coordinator's membership events (group-counters.ts) and the controller's elections (election-counts.ts). Counters
// live in the objects' memory since they started: a `_start_time_seconds` gauge per object marks each reset, as
// process_start_time_seconds does. docs/observability.md maps every name to Kafka's JMX one.
import type { Family, Sample } from "../log/prometheus";
import type { PartitionCounts } from "../partition/partition-counters";
import type { GroupCounts } from "../group/group-counters";
import type { ElectionCount } from "../controller/election-counts";

type PartitionCounter = { name: string; help: string; value: (c: PartitionCounts) => number };

const PARTITION_COUNTERS: readonly PartitionCounter[] = [
  { name: "edgelog_partition_records_appended_total", help: "Records the leader appended (produce and transaction markers).", value: (c) => c.recordsAppended },
  { name: "edgelog_partition_appended_bytes_total", help: "Stored bytes of the records the leader appended.", value: (c) => c.bytesAppended },
  { name: "edgelog_partition_records_fetched_total", help: "Records answered to fetches.", value: (c) => c.recordsFetched },
  { name: "edgelog_partition_fetched_bytes_total", help: "Stored bytes of the records answered to fetches.", value: (c) => c.bytesFetched },
  { name: "edgelog_partition_produce_requests_total", help: "Produce calls the leader answered.", value: (c) => c.produceRequests },
  { name: "edgelog_partition_failed_produce_requests_total", help: "Produce calls answered with an error.", value: (c) => c.failedProduceRequests },
  { name: "edgelog_partition_fetch_requests_total", help: "Fetch calls (reads and long-polls) the leader answered.", value: (c) => c.fetchRequests },
  { name: "edgelog_partition_failed_fetch_requests_total", help: "Fetch calls answered with an error.", value: (c) => c.failedFetchRequests },
  { name: "edgelog_partition_duplicates_dropped_total", help: "Idempotent batches answered as duplicates instead of written again.", value: (c) => c.duplicatesDropped },
  { name: "edgelog_partition_group_commit_merges_total", help: "Appends written in one batch with an earlier append (group commit).", value: (c) => c.groupCommitMerges },
  { name: "edgelog_partition_tiered_uploads_total", help: "Segments uploaded to R2.", value: (c) => c.tieredUploads },
  { name: "edgelog_partition_tiered_upload_bytes_total", help: "Stored bytes of the segments uploaded to R2.", value: (c) => c.tieredUploadBytes },
  { name: "edgelog_partition_replication_pushes_total", help: "Pushes of batches (or probes) to followers.", value: (c) => c.replicationPushes },
  { name: "edgelog_partition_isr_shrinks_total", help: "Committed ISR changes that removed a replica.", value: (c) => c.isrShrinks },
  { name: "edgelog_partition_isr_expands_total", help: "Committed ISR changes that added a replica.", value: (c) => c.isrExpands },
];

export interface CountedPartition {
  topic: string;
  partition: number;
  /** The replica that answered (the leader): counters are per object, so a new leader starts its own series. */
  replica: number;
  counters: PartitionCounts;
}

export function partitionCounterFamilies(rows: readonly CountedPartition[]): Family[] {
  const labels = (r: CountedPartition) => ({ topic: r.topic, partition: r.partition, replica: r.replica });
  const errors: Sample[] = rows.flatMap((r) => Object.entries(r.counters.errors).map(([type, value]) => ({ labels: { ...labels(r), type }, value })));
  return [
    ...PARTITION_COUNTERS.map((c): Family => ({ name: c.name, help: c.help, type: "counter", samples: rows.map((r) => ({ labels: labels(r), value: c.value(r.counters) })) })),
    { name: "edgelog_partition_errors_total", help: "Errors the partition answered, by Kafka error type.", type: "counter", samples: errors },
    { name: "edgelog_partition_start_time_seconds", help: "When the partition object started counting (its counters' last reset).", type: "gauge", samples: rows.map((r) => ({ labels: labels(r), value: r.counters.sinceMs / 1000 })) },
  ];
}

export interface CountedGroup {
  group: string;
  groupEpoch: number;
  assignmentEpoch: number;
  counters: GroupCounts;
}

export function groupCounterFamilies(rows: readonly CountedGroup[]): Family[] {
  const of = (value: (g: CountedGroup) => number): Sample[] => rows.map((g) => ({ labels: { group: g.group }, value: value(g) }));
  const fenced = rows.flatMap((g) => Object.entries(g.counters.fencedCommits).map(([type, value]) => ({ labels: { group: g.group, type }, value })));
  return [
    { name: "edgelog_group_epoch", help: "The group's epoch (bumped by each membership or subscription change).", type: "gauge", samples: of((g) => g.groupEpoch) },
    { name: "edgelog_group_assignment_epoch", help: "The epoch of the group's target assignment.", type: "gauge", samples: of((g) => g.assignmentEpoch) },
    { name: "edgelog_group_joins_total", help: "Members that joined the group.", type: "counter", samples: of((g) => g.counters.joins) },
    { name: "edgelog_group_leaves_total", help: "Members that left the group.", type: "counter", samples: of((g) => g.counters.leaves) },
    { name: "edgelog_group_session_expiries_total", help: "Members removed because their session or revocation deadline ran out.", type: "counter", samples: of((g) => g.counters.sessionExpiries) },
    { name: "edgelog_group_rebalances_total", help: "New target assignments (assignment epochs) computed.", type: "counter", samples: of((g) => g.counters.rebalances) },
    { name: "edgelog_group_fenced_commits_total", help: "Offset commits refused for a stale or unknown member, by error type.", type: "counter", samples: fenced },
    { name: "edgelog_group_start_time_seconds", help: "When the group coordinator started counting (its counters' last reset).", type: "gauge", samples: of((g) => g.counters.sinceMs / 1000) },
  ];
}

export function electionFamilies(sinceMs: number, elections: readonly ElectionCount[]): Family[] {
  return [
    {
      name: "edgelog_controller_leader_elections_total",
      help: "Leader elections the controller ran, by partition and election type.",
      type: "counter",
      samples: elections.map((e) => ({ labels: { topic: e.topic, partition: e.partition, type: e.type }, value: e.count })),
    },
    { name: "edgelog_controller_start_time_seconds", help: "When the controller started counting (its counters' last reset).", type: "gauge", samples: [{ labels: {}, value: sinceMs / 1000 }] },
  ];
}
