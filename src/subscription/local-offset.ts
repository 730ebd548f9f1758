// A subscription partition's committed offset, kept in its own delivery object (issue 23): the object is the only
// writer of its partition's offset, so it commits here, in its own storage, and the group's coordinator hears of it
// only when it asks (describe, lag, GET /metrics: SubscriptionHome.collectOffsets) or when the subscription pauses
// (before a reset). A subscription of many partitions no longer sends its coordinator a commit per partition per
// SUBSCRIPTION_COMMIT_INTERVAL_MS. The row names the subscription's generation and the topic's id: after a reset (a
// new generation) or a topic created again, it no longer applies and the coordinator's offset is read instead.
import type { Env } from "../env";
import { SUBSCRIPTION_COMMIT_INTERVAL_MS } from "../limits";
import { PartitionIo } from "./partition-io";
import type { SubscriptionPartitionRecord } from "./partition-record";

const TABLE = "CREATE TABLE IF NOT EXISTS subscription_offset (id INTEGER PRIMARY KEY CHECK (id = 0), generation INTEGER NOT NULL, topic_id TEXT NOT NULL, committed INTEGER NOT NULL)";

export interface LocalCommit {
  generation: number;
  topicId: string;
  offset: number;
}

/** A delivery object's commits: what it committed here (durable), when, and what its coordinator last accepted. */
export class PartitionCommits {
  /** The offset committed here, once known. Memory only (the row is the durable copy). */
  committed: number | undefined;
  private reported: number | undefined;
  private lastCommitMs = 0;
  private readonly store: LocalOffset;

  constructor(
    sql: SqlStorage,
    private readonly env: Env,
  ) {
    this.store = new LocalOffset(sql);
  }

  /** The committed offset: in memory, else the row of this generation and topic incarnation. */
  known(r: SubscriptionPartitionRecord | undefined): number | undefined {
    return this.committed ?? (r === undefined ? undefined : this.store.read(r.generation, r.topicId));
  }

  /** While records flow, a commit is written at most every SUBSCRIPTION_COMMIT_INTERVAL_MS. */
  due(nowMs: number): boolean {
    return nowMs - this.lastCommitMs >= SUBSCRIPTION_COMMIT_INTERVAL_MS;
  }

  /** Commits here: durable in this object's storage before the caller goes on. */
  commit(r: SubscriptionPartitionRecord, offset: number, nowMs: number): void {
    if (offset === this.committed) return;
    this.store.write({ generation: r.generation, topicId: r.topicId, offset });
    this.lastCommitMs = nowMs;
    this.committed = offset;
  }

  /** Tells the coordinator the committed offset, fenced by the generation. Refused (a reset since, or the subscription
   *  deleted): `stop` pauses the object and this throws; the coordinator restarts or removes it. */
  async report(r: SubscriptionPartitionRecord, stop: () => void): Promise<void> {
    const offset = this.known(r);
    if (offset === undefined || offset === this.reported) return;
    const answer = await new PartitionIo(this.env, r).commit(offset);
    if (answer.ok) {
      this.reported = offset;
      return;
    }
    stop();
    throw new Error(`commit refused: ${answer.error.type} ${answer.error.message}`);
  }

  /** The position is read again (a reset, a resume, a restart with a new config). */
  forget(): void {
    this.committed = undefined;
    this.reported = undefined;
  }

  /** The object's storage was deleted (the subscription was). */
  dropped(): void {
    this.forget();
    this.store.forget();
  }
}

class LocalOffset {
  private tableExists = false;

  constructor(private readonly sql: SqlStorage) {}

  /** The offset committed here for this generation and topic incarnation, if any. */
  read(generation: number, topicId: string): number | undefined {
    this.ensureTable();
    const row = this.sql.exec<{ generation: number; topic_id: string; committed: number }>("SELECT generation, topic_id, committed FROM subscription_offset WHERE id = 0").toArray()[0];
    return row !== undefined && row.generation === generation && row.topic_id === topicId ? row.committed : undefined;
  }

  write(c: LocalCommit): void {
    this.ensureTable();
    this.sql.exec("INSERT OR REPLACE INTO subscription_offset (id, generation, topic_id, committed) VALUES (0, ?, ?, ?)", c.generation, c.topicId, c.offset);
  }

  /** The object's storage was deleted (the subscription was): a subscription created again creates the table anew. */
  forget(): void {
    this.tableExists = false;
  }

  private ensureTable(): void {
    if (this.tableExists) return;
    this.sql.exec(TABLE);
    this.tableExists = true;
  }
}
