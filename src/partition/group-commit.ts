// Group commit for plain appends: one is written at once when no earlier write of the partition is still committing;
// appends that arrive meanwhile queue and are written together, as one batch row, when that commit is confirmed. A lone
// append never waits for anything but its own commit; under concurrent appends the batch grows with the commit
// latency, as a broker's group commit does. Each part keeps its own contiguous offsets, in arrival order, and answers
// only once its records are durable (the output gate). Idempotent batches and acks=all appends on replicated topics
// never come here: they are sequence-checked or wait for their own high watermark.
import { ok, type Result } from "../errors";
import { MAX_COALESCED_APPEND_BYTES, MAX_COALESCED_APPEND_RECORDS } from "../limits";
import type { AppendRequest, AppendResult, PartitionRef } from "../protocol";
import type { LocalLog, LogState } from "./local-log";
import { mergeAppends, splitResult, takeGroup } from "./merge-appends";

interface QueuedAppend {
  ref: PartitionRef;
  request: AppendRequest;
  resolve(result: Result<AppendResult>): void;
  reject(error: unknown): void;
}

export interface GroupCommitHost {
  readonly log: LocalLog;
  now(): number;
  /** Throws while the partition is down (the fault switch): the parts fail as their calls would have alone. */
  checkAvailable(): void;
  /** The routing checks a direct append makes, again, synchronously at flush time. */
  recheck(ref: PartitionRef): Result<void>;
  /** Resolves when every write so far is durable. */
  sync(): Promise<void>;
  /** After the writes (`before`: the state they started from): replicate or wake readers, keep the alarm due. */
  appended(before: LogState): Promise<void>;
  /** `appends` were written in a batch row with an earlier append (GET /metrics' group-commit merges). */
  merged(appends: number): void;
}

export class GroupCommit {
  /** Plain appends waiting, in arrival order. */
  private readonly queue: QueuedAppend[] = [];
  /** The last flush's durability, while unconfirmed: appends queue behind it. */
  private committing: Promise<void> | undefined;

  constructor(private readonly host: GroupCommitHost) {}

  append(ref: PartitionRef, request: AppendRequest): Promise<Result<AppendResult>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ref, request, resolve, reject });
      if (this.committing === undefined) void this.flush();
    });
  }

  /**
   * Writes every queued append: groups of the same encoding within MAX_COALESCED_APPEND_RECORDS/BYTES, each one
   * append (offsets in arrival order), then watches the commit. Each part is checked again first, since the role, the
   * topic or its config may have changed while it waited. No await between the writes: they commit together.
   */
  private async flush(): Promise<void> {
    const queue = this.queue;
    const log = this.host.log;
    const answered: { part: QueuedAppend; result: Result<AppendResult> }[] = [];
    const written: QueuedAppend[] = [];
    const before = log.current!;
    try {
      this.host.checkAvailable();
      const now = this.host.now();
      while (queue.length > 0) {
        const group = takeGroup(queue, MAX_COALESCED_APPEND_RECORDS, MAX_COALESCED_APPEND_BYTES, (a, b) => a.request.encoding === b.request.encoding);
        const parts: QueuedAppend[] = [];
        for (const part of group) {
          const refused = this.host.recheck(part.ref);
          if (refused.ok) parts.push(part);
          else answered.push({ part, result: refused });
        }
        if (parts.length === 0) continue;
        const state = log.current!;
        const merged = mergeAppends(parts.map((p) => p.request));
        const count = merged.tails.ends.length;
        const logAppendTime = state.config["message.timestamp.type"] === "LogAppendTime";
        const timestamps = logAppendTime ? new Float64Array(count).fill(now) : merged.timestamps;
        const logAppendTimeMs = logAppendTime ? now : -1;
        if (state.replication.replicationFactor > 1) log.addEpoch(state.replication.leaderEpoch, state.logEndOffset);
        written.push(...parts);
        if (parts.length > 1) this.host.merged(parts.length - 1);
        const baseOffset = log.append(merged.encoding, timestamps, merged.tails, now);
        const results = splitResult({ baseOffset, logAppendTimeMs, duplicate: false }, parts.map((p) => p.request.tails.ends.length));
        parts.forEach((part, i) => answered.push({ part, result: ok(results[i]!) }));
      }
      if (written.length > 0) {
        // Appends that arrive before this commit is confirmed queue up and go together once it is.
        // (A failed commit breaks the object, which workerd restarts; the queue is only told to move on.)
        const committing = this.host
          .sync()
          .catch(() => {})
          .finally(() => {
            if (this.committing === committing) this.committing = undefined;
            if (queue.length > 0 && this.committing === undefined) void this.flush();
          });
        this.committing = committing;
        await this.host.appended(before);
      }
    } catch (error) {
      // Every part not refused fails as its call would have alone (the router reports it as ambiguous); none was
      // answered ok.
      for (const part of [...written, ...queue.splice(0)]) part.reject(error);
      for (const { part, result } of answered) if (!result.ok) part.resolve(result);
      return;
    }
    for (const { part, result } of answered) part.resolve(result);
  }
}
