// The appends that do not go through the group commit, written alone and at once: an idempotent producer's batch (its
// sequence is checked against the producer's last batches, a retry answered with the original offsets, and the
// producer's state written in the same turn as the batch), and an acks=all append on a replicated topic, which waits
// for the high watermark to pass its own records. A transactional batch (verified with its coordinator first,
// txn-append.ts) opens or extends its producer's transaction here in the same turn.
import { fail, ok, type Result } from "../errors";
import { checkSequence, recordBatch } from "../log/producer-state";
import type { AppendRequest, AppendResult } from "../protocol";
import type { LocalLog, LogState } from "./local-log";

export interface AloneParts {
  log: LocalLog;
  now: number;
  /** After the write: replicate or wake readers, keep the alarm due. */
  appended(before: LogState): Promise<void>;
  /** Waits until the high watermark reaches `offset` (acks=all). */
  waitForCommit(offset: number, minIsr: number): Promise<Result<void>>;
}

export async function appendAlone(p: AloneParts, request: AppendRequest, waitForAll: boolean): Promise<Result<AppendResult>> {
  const { log, now } = p;
  const state = log.current!;
  const config = state.config;
  const minIsr = Number(config["min.insync.replicas"]);
  const producer = request.producer;
  const entry = producer ? log.producers.get(producer.producerId) : undefined;
  if (producer) {
    const check = checkSequence(entry, producer, request.tails.ends.length, now);
    if (check.kind === "duplicate") {
      const { baseOffset, lastOffset, logAppendTimeMs } = check.batch;
      if (waitForAll) {
        const committed = await p.waitForCommit(lastOffset + 1, minIsr);
        if (!committed.ok) return committed;
      }
      return ok({ baseOffset, logAppendTimeMs, duplicate: true, timestamps: log.batches.timestampsOf(baseOffset, lastOffset) });
    }
    if (check.kind === "error") return fail(check.type, check.message, check.details);
  }
  const logAppendTime = config["message.timestamp.type"] === "LogAppendTime";
  const timestamps = logAppendTime ? new Float64Array(request.timestamps.length).fill(now) : request.timestamps;
  const logAppendTimeMs = logAppendTime ? now : -1;
  // No await from here to appended(): the batch, its epoch entry and the producer's state commit together.
  if (state.replication.replicationFactor > 1) log.addEpoch(state.replication.leaderEpoch, state.logEndOffset);
  const transactional = request.transactionalId !== undefined;
  const stamp = producer ? { producerId: producer.producerId, producerEpoch: producer.producerEpoch, baseSequence: producer.baseSequence, logAppendTimeMs, ...(transactional ? { transactional } : {}) } : undefined;
  const baseOffset = log.append(request.encoding, timestamps, request.tails, now, stamp);
  if (producer) log.producers.save(producer.producerId, recordBatch(entry, producer, request.tails.ends.length, baseOffset, logAppendTimeMs, now));
  if (producer && transactional) log.txns.recordAppend(producer.producerId, producer.producerEpoch, baseOffset, baseOffset + request.tails.ends.length - 1);
  await p.appended(state);
  if (waitForAll) {
    const committed = await p.waitForCommit(baseOffset + request.tails.ends.length, minIsr);
    if (!committed.ok) return committed;
  }
  return ok({ baseOffset, logAppendTimeMs, duplicate: false });
}
