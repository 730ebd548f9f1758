// What one group coordinator counts for GET /metrics (docs/observability.md): members joining and leaving, sessions
// expired, rebalances (each new assignment epoch) and commits refused as fenced, by error type. In memory only, since
// this instance started (`sinceMs`): an evicted coordinator starts again at zero (Prometheus reads it as a counter
// reset); persisting them would add a write to heartbeats, which write nothing today. The epochs themselves are
// persisted group state and exported as gauges. Notable events are logged as they are counted. Pure: no storage.
import type { Result } from "../errors";
import type { Logger } from "../log/structured-log";

export interface GroupCounts {
  sinceMs: number;
  joins: number;
  leaves: number;
  sessionExpiries: number;
  /** Times the assignment epoch moved (a new target assignment), Kafka's rebalances under KIP-848. */
  rebalances: number;
  /** Offset commits refused for a stale or unknown member, by error type. */
  fencedCommits: Record<string, number>;
}

export class GroupCounters {
  private readonly c: GroupCounts;
  /** The assignment epoch last seen; undefined until the group's state is first seen by this instance. */
  private assignmentEpoch: number | undefined;

  constructor(
    sinceMs: number,
    private readonly groupId: () => string | undefined,
    private readonly logger: Logger,
  ) {
    this.c = { sinceMs, joins: 0, leaves: 0, sessionExpiries: 0, rebalances: 0, fencedCommits: {} };
  }

  /** A heartbeat answered: epoch 0 joins, −1 leaves (KIP-848's sentinels). */
  heartbeat(memberEpoch: number, result: Result<{ memberId: string }>): void {
    if (!result.ok) return;
    if (memberEpoch === 0) {
      this.c.joins++;
      this.logger.info("member_joined", { group: this.groupId(), memberId: result.value.memberId });
    } else if (memberEpoch === -1) {
      this.c.leaves++;
      this.logger.info("member_left", { group: this.groupId(), memberId: result.value.memberId });
    }
  }

  expired(memberIds: readonly string[]): void {
    if (memberIds.length === 0) return;
    this.c.sessionExpiries += memberIds.length;
    this.logger.warn("session_expired", { group: this.groupId(), members: memberIds });
  }

  /** The group's state was written (or read at start): counts a moved assignment epoch as a rebalance. */
  observe(assignmentEpoch: number, groupEpoch: number, members: number): void {
    const before = this.assignmentEpoch;
    this.assignmentEpoch = assignmentEpoch;
    if (before === undefined || assignmentEpoch <= before) return;
    this.c.rebalances++;
    this.logger.info("rebalance", { group: this.groupId(), assignmentEpoch, groupEpoch, members });
  }

  /** A commit's fencing check failed: counted and logged; returns the refusal. */
  commitRefused<T extends Result<unknown>>(refused: T, memberId: string | null): T {
    if (!refused.ok) {
      const type = refused.error.type;
      this.c.fencedCommits[type] = (this.c.fencedCommits[type] ?? 0) + 1;
      this.logger.warn("commit_fenced", { group: this.groupId(), memberId, errorType: type });
    }
    return refused;
  }

  snapshot(): GroupCounts {
    return { ...this.c, fencedCommits: { ...this.c.fencedCommits } };
  }
}
