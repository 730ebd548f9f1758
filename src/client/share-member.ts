// A share consumer's optional membership in its share group (KIP-932's ShareGroupHeartbeat; docs/share-groups.md
// #membership): join with epoch 0, heartbeat every heartbeatIntervalMs with the epoch last answered, leave with -1.
// Its polls then name the member and ask only its assigned share-partitions. A member the coordinator no longer knows
// (its session ran out: a long pause, a lost network) or a stale epoch joins again with the same id: a share group has
// no revocation, so nothing is lost meanwhile; the records it holds stay leased to it until acknowledged or expired.
import { backoffMs, sleep, DEFAULT_BACKOFF } from "./backoff";
import { isErrorType, isRetriable } from "./edgelog-error";
import type { Transport } from "./transport";

export class ShareMember {
  /** Made here (KIP-1082: clients make their member ids), kept across rejoins. */
  readonly memberId = crypto.randomUUID();
  /** 0 until joined (and after a fence, until joined again). */
  memberEpoch = 0;
  private heartbeatIntervalMs = 5_000;
  private joining: Promise<void> | undefined;
  private beating: Promise<void> | undefined;
  private readonly stopped = new AbortController();

  constructor(
    private readonly transport: Transport,
    private readonly groupId: string,
    private readonly topics: () => string[],
    private readonly retries: number,
  ) {}

  /** True for the errors that mean "join again": the coordinator removed this member, or its epoch is stale. */
  static isFenced(error: unknown): boolean {
    return isErrorType(error, "UNKNOWN_MEMBER_ID", "FENCED_MEMBER_EPOCH");
  }

  /** Joins if not joined (one join at a time, whoever asks), then keeps heartbeating until leave(). */
  async ensureJoined(): Promise<void> {
    if (this.memberEpoch > 0) return;
    this.joining ??= this.join().finally(() => (this.joining = undefined));
    await this.joining;
    this.beating ??= this.heartbeats();
  }

  /** What a poll adds to name the member. */
  pollFields(): { memberId: string; memberEpoch: number } {
    return { memberId: this.memberId, memberEpoch: this.memberEpoch };
  }

  /** A poll was refused as fenced: join again before the next one. */
  fenced(): void {
    this.memberEpoch = 0;
  }

  /** Stops heartbeating and leaves (best effort: a member that cannot leave is removed when its session ends). */
  async leave(): Promise<void> {
    this.stopped.abort();
    await this.beating?.catch(() => undefined);
    if (this.memberEpoch <= 0) return;
    await this.transport.shareGroupHeartbeat(this.groupId, { memberId: this.memberId, memberEpoch: -1 }).catch(() => undefined);
    this.memberEpoch = 0;
  }

  private async join(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const answer = await this.transport.shareGroupHeartbeat(this.groupId, { memberId: this.memberId, memberEpoch: 0, subscribedTopicNames: this.topics() });
        this.memberEpoch = answer.memberEpoch;
        this.heartbeatIntervalMs = answer.heartbeatIntervalMs;
        return;
      } catch (error) {
        if (!isRetriable(error) || attempt >= this.retries) throw error;
        await sleep(backoffMs(attempt, DEFAULT_BACKOFF), this.stopped.signal);
      }
    }
  }

  private async heartbeats(): Promise<void> {
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      await sleep(this.heartbeatIntervalMs, signal);
      if (signal.aborted) break;
      try {
        if (this.memberEpoch === 0) {
          await this.ensureJoinedOnce();
          continue;
        }
        const answer = await this.transport.shareGroupHeartbeat(this.groupId, { memberId: this.memberId, memberEpoch: this.memberEpoch });
        this.memberEpoch = answer.memberEpoch;
        this.heartbeatIntervalMs = answer.heartbeatIntervalMs;
      } catch (error) {
        // Fenced or expired: join again at the next beat (or the next poll, whichever comes first). Anything else
        // (unreachable for now) is tried again at the next beat, within the session.
        if (ShareMember.isFenced(error)) this.memberEpoch = 0;
      }
    }
  }

  private async ensureJoinedOnce(): Promise<void> {
    this.joining ??= this.join().finally(() => (this.joining = undefined));
    await this.joining;
  }
}
