// What a partition replica knows of its topic and its role, and the checks every call makes with it. The replica learns
// its topic's metadata from the controller on first use, whenever a caller routed with a newer metadata version or
// leader epoch, and, with replicas, once per start before it acts as leader (a restarted leader may have been
// replaced meanwhile). Leading a replicated partition means running a Replicator; losing the lead stops it at once.
import { fail, ok, type Result } from "../errors";
import { isCompacted } from "../log/topic-config";
import type { AppendRequest, PartitionRef, TopicMetadata } from "../protocol";
import type { LocalLog, LogState, ReplicaRole } from "./local-log";
import type { Replicator } from "./replication";

export interface RoleHost {
  readonly log: LocalLog;
  /** The topic was deleted (no write may follow the drop in this instance). */
  readonly dropped: boolean;
  /** The fault switch is down: a dead replica leads nothing. */
  readonly faulted: boolean;
  now(): number;
  topicById(topicId: string): Promise<Result<TopicMetadata>>;
  newReplicator(): Replicator;
  /** The role, the ISR or the high watermark changed: waiters look again. */
  changed(): void;
}

export class PartitionRole {
  /** With replicas: whether this instance has asked the controller who leads since it started. */
  private confirmed = false;
  /** One metadata refresh at a time; concurrent requests share it. */
  private refreshing: Promise<Result<LogState>> | undefined;
  /** Set while this replica leads a replicated partition. */
  replicator: Replicator | undefined;
  private replicatorEpoch = -1;
  /** The topic's metadata as this instance last read it from the controller (memory only): a STALE_METADATA answer
   *  carries it, so the router refreshes from it rather than from the controller (docs/scale.md). */
  private latest: TopicMetadata | undefined;

  constructor(private readonly host: RoleHost) {}

  /** Whether this instance has confirmed its role with the controller since it started. */
  get isConfirmed(): boolean {
    return this.confirmed;
  }

  /**
   * Checks the caller's routing against what this partition knows. Fast path (same version): no await, no I/O.
   * A newer version, or a partition that never learned its topic, asks the controller.
   */
  async check(ref: PartitionRef): Promise<Result<LogState>> {
    const log = this.host.log;
    if (this.host.dropped) return deleted(ref.topic);
    let state = log.current;
    if (state !== undefined && state.topicId !== ref.topicId) {
      return fail("UNKNOWN_TOPIC_ID", `partition object belongs to topic id ${state.topicId}, not ${ref.topicId}`);
    }
    if (state !== undefined && state.replication.replicationFactor > 1 && (!this.confirmed || ref.leaderEpoch > state.replication.leaderEpoch)) {
      const refreshed = await this.refresh(state.topic, state.topicId, state.partition, state.replication.replicaId);
      if (!refreshed.ok) return refreshed;
      state = refreshed.value;
    }
    if (state !== undefined) {
      const role = checkRole(state.replication, ref);
      if (!role.ok) return this.withLatest(role, ref, state.metadataVersion);
    }
    if (state !== undefined && ref.version === state.metadataVersion) return ok(state);
    if (state !== undefined && ref.version < state.metadataVersion) return staleMetadata(ref, state.metadataVersion, this.latest);
    const refreshed = await this.refresh(ref.topic, ref.topicId, ref.partition, ref.replica);
    if (!refreshed.ok) return refreshed;
    if (this.host.dropped) return deleted(ref.topic);
    const role = checkRole(refreshed.value.replication, ref);
    if (!role.ok) return this.withLatest(role, ref, refreshed.value.metadataVersion);
    if (ref.version < refreshed.value.metadataVersion) return staleMetadata(ref, refreshed.value.metadataVersion, this.latest);
    return refreshed;
  }

  /** The synchronous re-check of a request that waited (group commit): the same refusals `check` makes. */
  recheck(ref: PartitionRef): Result<LogState> {
    if (this.host.dropped) return deleted(ref.topic);
    const state = this.host.log.current;
    if (state === undefined || state.topicId !== ref.topicId) return fail("UNKNOWN_TOPIC_ID", `partition object no longer belongs to topic id ${ref.topicId}`);
    const role = checkRole(state.replication, ref);
    if (!role.ok) return this.withLatest(role, ref, state.metadataVersion);
    if (ref.version < state.metadataVersion) return staleMetadata(ref, state.metadataVersion, this.latest);
    return ok(state);
  }

  /** Asks the controller for the topic's metadata and adopts what is newer than what this replica knows. */
  refresh(topic: string, topicId: string, partition: number, replica: number): Promise<Result<LogState>> {
    this.refreshing ??= (async (): Promise<Result<LogState>> => {
      try {
        const meta = await this.host.topicById(topicId);
        if (!meta.ok) return meta;
        const m = meta.value;
        if (this.latest === undefined || m.version >= this.latest.version) this.latest = m;
        if (partition >= m.partitionCount) {
          return fail<LogState>("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' has ${m.partitionCount} partitions, there is no partition ${partition}`);
        }
        if (this.host.dropped) return deleted(topic);
        this.confirmed = true;
        const log = this.host.log;
        const current = log.current;
        if (current !== undefined && current.metadataVersion >= m.version) {
          this.apply();
          return ok(current);
        }
        const leadership = m.leadership?.[partition] ?? { leader: 0, leaderEpoch: 0, isr: [0] };
        const replication: ReplicaRole = {
          replicaId: current?.replication.replicaId ?? replica,
          replicationFactor: m.replicationFactor,
          leader: leadership.leader,
          leaderEpoch: leadership.leaderEpoch,
          isr: leadership.isr,
          placement: m.placement,
        };
        // The leader's own ISR view is newer than the controller's copy in the metadata when the epoch is unchanged.
        if (current !== undefined && current.replication.leaderEpoch === replication.leaderEpoch && current.replication.leader === replication.replicaId) {
          replication.isr = current.replication.isr;
        }
        const adopted = log.adopt({ topic: m.name, topicId, partition, version: m.version, config: m.config, replication }, this.host.now());
        this.apply();
        return ok(adopted);
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  /** A refusal of a call routed with older metadata (a new leader: NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH)
   *  carries the metadata this instance holds, as STALE_METADATA does, so the router need not read the controller. */
  private withLatest<T>(refusal: Result<T>, ref: PartitionRef, version: number): Result<T> {
    const latest = this.latest;
    if (refusal.ok || ref.version >= version || latest === undefined || latest.version !== version || latest.topicId !== ref.topicId) return refusal;
    return { ok: false, error: { ...refusal.error, details: { ...refusal.error.details, metadata: latest } } };
  }

  /** Starts or stops leading after a role change: a new leader probes its followers; a replaced one stops at once. */
  apply(): void {
    const s = this.host.log.current;
    if (s === undefined) return;
    const r = s.replication;
    const leading = r.replicationFactor > 1 && r.leader === r.replicaId && !this.host.faulted;
    if (leading && (this.replicator === undefined || this.replicatorEpoch !== r.leaderEpoch)) {
      this.replicator?.stop();
      this.replicator = this.host.newReplicator();
      this.replicatorEpoch = r.leaderEpoch;
      this.replicator.kick(true);
    } else if (!leading && this.replicator !== undefined) {
      this.stopLeading();
    }
    this.host.changed();
  }

  stopLeading(): void {
    this.replicator?.stop();
    this.replicator = undefined;
  }

  /** Forgets what this instance confirmed (the fault switch restarts it as the platform would). */
  forget(): void {
    this.stopLeading();
    this.confirmed = false;
  }
}

export function deleted<T>(topic: string): Result<T> {
  return fail("UNKNOWN_TOPIC_OR_PARTITION", `topic '${topic}' was deleted`, { topic });
}

/** `latest`: the metadata of `version` when this instance holds it, for the router to take instead of reading it. */
function staleMetadata<T>(ref: PartitionRef, version: number, latest: TopicMetadata | undefined): Result<T> {
  const metadata = latest !== undefined && latest.version === version && latest.topicId === ref.topicId ? { metadata: latest } : {};
  return fail("STALE_METADATA", `topic '${ref.topic}' changed (metadata version ${version}, request routed with ${ref.version})`, { version, ...metadata });
}

/** What no append may do whatever its kind: null keys on a compacted topic; acks=all below min.insync.replicas. */
export function refuseAppend(state: LogState, request: AppendRequest, ref: PartitionRef): Result<void> {
  if (request.hasNullKey && isCompacted(state.config)) {
    return fail("INVALID_RECORD", "Compacted topic cannot accept message without key", { topic: ref.topic, partition: ref.partition });
  }
  const role = state.replication;
  const minIsr = Number(state.config["min.insync.replicas"]);
  if (role.replicationFactor > 1 && request.acks === -1 && role.isr.length < minIsr) {
    return fail("NOT_ENOUGH_REPLICAS", `${role.isr.length} in-sync replicas (${role.isr.join(", ")}), min.insync.replicas is ${minIsr}: nothing was written`, {
      isr: role.isr,
      minInsyncReplicas: minIsr,
    });
  }
  return ok(undefined);
}

/** A client request must reach the leader of the caller's epoch (Kafka's CurrentLeaderEpoch check). */
export function checkRole(role: ReplicaRole, ref: PartitionRef): Result<void> {
  if (ref.leaderEpoch < role.leaderEpoch) {
    return fail("FENCED_LEADER_EPOCH", `leader epoch ${ref.leaderEpoch} is older than the current ${role.leaderEpoch} (replica ${role.leader} leads)`, {
      leader: role.leader,
      leaderEpoch: role.leaderEpoch,
    });
  }
  if (role.leader !== role.replicaId) {
    return fail("NOT_LEADER_OR_FOLLOWER", `replica ${role.replicaId} does not lead this partition (replica ${role.leader} does, epoch ${role.leaderEpoch})`, {
      leader: role.leader,
      leaderEpoch: role.leaderEpoch,
    });
  }
  if (ref.leaderEpoch > role.leaderEpoch) {
    return fail("UNKNOWN_LEADER_EPOCH", `leader epoch ${ref.leaderEpoch} is newer than this replica knows (${role.leaderEpoch})`, { leaderEpoch: role.leaderEpoch });
  }
  return ok(undefined);
}
