// A consumer's membership in its group (KIP-848): join with epoch 0, heartbeat every heartbeatIntervalMs with the
// partitions it still owns, hand each answer's assignment to the consumer, rejoin when fenced or expired, leave
// with epoch -1. It owns the member id (made here, as KIP-1082 has clients do) and the current epoch. Nothing is
// retried for ever: a join gets `retries` retries; a member rides out an outage shorter than its session, and
// after one as long (the coordinator has removed it by then) joins again with the same retries.
import { backoffMs, sleep, type BackoffConfig } from "./backoff";
import { isErrorType, isRetriable } from "./edgelog-error";
import type { Transport } from "./transport";
import type { HeartbeatRequest, TopicPartitions } from "./wire";

export interface MemberConfig {
  groupId: string;
  memberId: string;
  subscribedTopics: string[];
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  assignor: "uniform" | "range" | undefined;
  backoff: BackoffConfig;
  /** Retries of a join (epoch 0) after retriable failures before the last failure is fatal. */
  retries: number;
}

export interface MemberHooks {
  /** Partitions the consumer still owns (assigned, or being revoked and not yet released). */
  owned(): TopicPartitions[];
  /** The partitions the member may consume now. */
  assigned(assignment: TopicPartitions[]): void;
  /** Fenced or expired: the partitions are someone else's; stop consuming them without committing. */
  lost(): Promise<void>;
  /** A failure no retry can fix (bad group id, group full, authorization), or one the retries did not. */
  fatal(error: unknown): void;
}

export class GroupMember {
  memberEpoch = 0;
  heartbeatIntervalMs = 5_000;
  private wakeUp = new AbortController();

  constructor(
    private readonly transport: Transport,
    readonly config: MemberConfig,
    private readonly hooks: MemberHooks,
  ) {}

  get memberId(): string {
    return this.config.memberId;
  }

  /** Id and epoch for a commit, while the member is in the group. */
  identity(): { memberId: string; memberEpoch: number } | undefined {
    return this.memberEpoch > 0 ? { memberId: this.memberId, memberEpoch: this.memberEpoch } : undefined;
  }

  /** Heartbeats until `signal` aborts. Never rejects: fatal errors go to hooks.fatal. */
  async run(signal: AbortSignal): Promise<void> {
    let lastOkMs = Date.now();
    let failures = 0;
    while (!signal.aborted) {
      try {
        const response = await this.transport.heartbeat(this.config.groupId, this.request());
        lastOkMs = Date.now();
        failures = 0;
        this.memberEpoch = response.memberEpoch;
        this.heartbeatIntervalMs = response.heartbeatIntervalMs;
        if (!signal.aborted) this.hooks.assigned(response.assignment);
      } catch (error) {
        if (signal.aborted) return;
        if (isErrorType(error, "FENCED_MEMBER_EPOCH", "UNKNOWN_MEMBER_ID")) {
          await this.rejoin();
          continue;
        }
        if (!isRetriable(error) || (this.memberEpoch === 0 && failures >= this.config.retries)) {
          this.hooks.fatal(error);
          return;
        }
        if (this.memberEpoch > 0 && Date.now() - lastOkMs > this.config.sessionTimeoutMs) {
          // No heartbeat got through for a whole session: the coordinator has removed us; our partitions are gone.
          await this.rejoin();
          failures = 0;
        }
        await sleep(backoffMs(failures++, this.config.backoff, (error as { retryAfterMs?: number }).retryAfterMs ?? 0), signal);
        continue;
      }
      await sleep(this.heartbeatIntervalMs, AbortSignal.any([signal, this.wakeUp.signal]));
      if (this.wakeUp.signal.aborted) this.wakeUp = new AbortController();
    }
  }

  /** Heartbeat now instead of at the next interval (a revocation finished: tell the coordinator at once). */
  wake(): void {
    this.wakeUp.abort();
  }

  /** Leaves the group (epoch -1) so its partitions move at once rather than after the session timeout. */
  async leave(): Promise<void> {
    if (this.memberEpoch <= 0) return;
    const request: HeartbeatRequest = { memberId: this.memberId, memberEpoch: -1 };
    this.memberEpoch = 0;
    try {
      await this.transport.heartbeat(this.config.groupId, request);
    } catch {
      // Unreachable or already removed: the session timeout removes the member anyway.
    }
  }

  private request(): HeartbeatRequest {
    if (this.memberEpoch === 0) {
      const { memberId, subscribedTopics, sessionTimeoutMs, rebalanceTimeoutMs, assignor } = this.config;
      return { memberId, memberEpoch: 0, subscribedTopics, sessionTimeoutMs, rebalanceTimeoutMs, ...(assignor ? { assignor } : {}) };
    }
    return { memberId: this.memberId, memberEpoch: this.memberEpoch, ownedPartitions: this.hooks.owned() };
  }

  private async rejoin(): Promise<void> {
    this.memberEpoch = 0;
    await this.hooks.lost();
  }
}
