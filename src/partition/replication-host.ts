// The leader's side of replication, wired to its partition object: what the Replicator (replication.ts) may do with
// the log, the followers and the controller, and how an acks=all append knows its records are committed.
import { fail, ok, type Result } from "../errors";
import type { Env } from "../env";
import { controllerStub, partitionLogClient } from "../names";
import type { PartitionRef, TopicMetadata } from "../protocol";
import type { LocalLog, ReplicaRole } from "./local-log";
import { batchesFrom } from "./read-path";
import { Replicator } from "./replication";
import type { TieredLog } from "./tiered-log";
import type { PartitionCounters } from "./partition-counters";
import { loggerFor, type Logger } from "../log/structured-log";
import { PartitionRole } from "./partition-role";

export interface LeaderParts {
  readonly log: LocalLog;
  readonly tiered: TieredLog;
  readonly env: Env;
  now(): number;
  lagTimeMaxMs(): number;
  changed(): void;
  /** Counts pushes and committed ISR changes; the logger reports ISR changes. */
  readonly counters: PartitionCounters;
  readonly logger: Logger;
  /** A follower knows a newer leader epoch: re-read the metadata (this replica steps down). */
  fenced(): void;
}

/** What the partition object lends its role: its log and flags as they change, and the leader's parts. */
export interface RoleParts extends Omit<LeaderParts, "logger" | "fenced"> {
  readonly dropped: boolean;
  readonly faulted: boolean;
}

/**
 * The partition's role (partition-role.ts) wired to this object: the controller answers what it is, and as leader it
 * gets a Replicator; a follower reporting a newer leader epoch makes it re-read its role (it steps down).
 */
export function newPartitionRole(p: RoleParts): PartitionRole {
  const logger = loggerFor(p.env.EDGELOG_LOG_LEVEL);
  const role: PartitionRole = new PartitionRole({
    get log() {
      return p.log;
    },
    get dropped() {
      return p.dropped;
    },
    get faulted() {
      return p.faulted;
    },
    now: () => p.now(),
    topicById: (topicId) => controllerStub(p.env).getTopicById(topicId) as Promise<Result<TopicMetadata>>,
    newReplicator: () =>
      newReplicator({
        get log() {
          return p.log;
        },
        tiered: p.tiered,
        env: p.env,
        now: () => p.now(),
        lagTimeMaxMs: () => p.lagTimeMaxMs(),
        changed: () => p.changed(),
        get counters() {
          return p.counters;
        },
        logger,
        fenced: () => {
          const s = p.log.current!;
          void role.refresh(s.topic, s.topicId, s.partition, s.replication.replicaId);
        },
      }),
    changed: () => p.changed(),
  });
  return role;
}

export function newReplicator(p: LeaderParts): Replicator {
  return new Replicator({
    get log() {
      return p.log;
    },
    now: () => p.now(),
    lagTimeMaxMs: () => p.lagTimeMaxMs(),
    batchesFrom: (offset, maxBytes) => batchesFrom(p.log, p.tiered, offset, maxBytes),
    push: (replica, request) => {
      const s = p.log.current!;
      const placement = s.replication.placement;
      const hint = placement.length > 0 ? placement[replica % placement.length] : undefined;
      const ref: PartitionRef = { topic: s.topic, topicId: s.topicId, partition: s.partition, version: s.metadataVersion, replica, leaderEpoch: s.replication.leaderEpoch };
      p.counters.pushed();
      return partitionLogClient(p.env, s.topicId, s.partition, replica, hint).replicate({ ...request, ref });
    },
    alterIsr: async (isr) => {
      const s = p.log.current!;
      const before = s.replication.isr;
      const committed = (await controllerStub(p.env).alterPartition(s.topicId, s.partition, s.replication.replicaId, s.replication.leaderEpoch, isr)) as Result<ReplicaRole>;
      if (committed.ok) {
        p.counters.isrChanged(before.length, committed.value.isr.length);
        const shrink = committed.value.isr.length < before.length;
        p.logger.write(shrink ? "warn" : "info", shrink ? "isr_shrink" : "isr_expand", { topic: s.topic, partition: s.partition, leaderEpoch: s.replication.leaderEpoch, isrBefore: before, isr: committed.value.isr });
      }
      return committed;
    },
    changed: () => p.changed(),
    fenced: () => {
      const s = p.log.current!;
      p.logger.warn("leader_fenced", { topic: s.topic, partition: s.partition, replica: s.replication.replicaId, leaderEpoch: s.replication.leaderEpoch });
      p.fenced();
    },
  });
}

/**
 * Whether an acks=all append ending before `offset` is settled: committed (the high watermark passed it), or failed
 * for good because this replica stopped leading or the ISR shrank below min.insync.replicas (both ambiguous: the
 * records were written and may survive). Undefined: keep waiting.
 */
export function commitOutcome(log: LocalLog, offset: number, minIsr: number, leading: boolean): Result<void> | undefined {
  const s = log.current!;
  if (s.highWatermark >= offset) return ok(undefined);
  const r = s.replication;
  if (!leading || r.leader !== r.replicaId) {
    return fail("NOT_LEADER_OR_FOLLOWER", `this replica stopped leading before offset ${offset - 1} was committed; the records may or may not survive`, {
      ambiguous: true,
      leader: r.leader,
      leaderEpoch: r.leaderEpoch,
    });
  }
  if (r.isr.length < minIsr) {
    return fail("NOT_ENOUGH_REPLICAS_AFTER_APPEND", `the records were written, but the ISR shrank to ${r.isr.length} (${r.isr.join(", ")}) below min.insync.replicas ${minIsr} before they were committed`, {
      ambiguous: true,
      isr: r.isr,
      minInsyncReplicas: minIsr,
    });
  }
  return undefined;
}
