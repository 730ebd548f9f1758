// What describe reports of one partition replica: its role, offsets, and where its bytes are (local, tiered).
import type { PartitionDescription } from "../protocol";
import type { LocalLog } from "./local-log";
import type { Replicator } from "./replication";

export function describePartition(log: LocalLog, replicator: Replicator | undefined, databaseBytes: number, waitingReaders: number): PartitionDescription {
  const s = log.current!;
  const segments = log.segments.list();
  const remote = segments.filter((x) => x.location === "remote");
  const remoteBytes = remote.reduce((n, x) => n + x.sizeBytes, 0);
  const role = s.replication;
  return {
    partition: s.partition,
    leader: role.leader,
    leaderEpoch: role.leaderEpoch,
    replicas: Array.from({ length: role.replicationFactor }, (_, i) => i),
    isr: role.isr,
    ...(replicator ? { replicaLogEndOffsets: replicator.followerEndOffsets() } : {}),
    logStartOffset: s.logStartOffset,
    highWatermark: s.highWatermark,
    lastStableOffset: log.txns.lastStableOffset(s),
    openTransactions: log.txns.openCount,
    logEndOffset: s.logEndOffset,
    bytes: s.sizeBytes,
    batches: s.batchCount,
    localBytes: s.sizeBytes - remoteBytes,
    tieredBytes: remoteBytes,
    tieredStoredBytes: remote.reduce((n, x) => n + x.storedBytes, 0),
    localSegments: segments.length - remote.length + 1,
    databaseBytes,
    tieredSegments: remote.length,
    waitingReaders,
  };
}
