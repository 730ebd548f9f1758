// The partition's side of a transaction: a transactional write is verified before it lands, and a marker ends the
// transaction here. Verification (KIP-890 part 1): the first write of (producerId, epoch) asks the transactional id's
// coordinator to add this partition, so no write lands in a partition the coordinator would not send a marker to; and
// a write of an epoch this partition already ended (a delayed write of transaction k, arriving after k's marker) is
// refused, so it can never land in transaction k+1 (KIP-890 part 2 bumps the epoch per transaction).
import type { Env } from "../env";
import { errorBody, fail, ok, type Result } from "../errors";
import type { AppendRequest, PartitionRef, TxnMarker } from "../protocol";
import { transactionCoordinatorStub } from "../names";
import type { AloneParts } from "./append-alone";
import type { LocalLog, LogState } from "./local-log";

/** Checks a transactional append before it is written (the caller writes it in the turn this answers ok in). */
export async function verifyTxnWrite(log: LocalLog, env: Env, ref: PartitionRef, request: AppendRequest): Promise<Result<void>> {
  const producer = request.producer!;
  const transactionalId = request.transactionalId!;
  const ended = refuseEnded(log, producer.producerId, producer.producerEpoch);
  if (!ended.ok) return ended;
  const open = log.txns.open(producer.producerId);
  if (open !== undefined && open.producerEpoch === producer.producerEpoch) return ok(undefined);
  if (open !== undefined && open.producerEpoch > producer.producerEpoch) {
    return fail("INVALID_PRODUCER_EPOCH", `producer ${producer.producerId} epoch ${producer.producerEpoch} is older than its open transaction's epoch ${open.producerEpoch}`, {
      producerId: producer.producerId,
      producerEpoch: open.producerEpoch,
    });
  }
  if (open !== undefined) {
    return fail("CONCURRENT_TRANSACTIONS", `producer ${producer.producerId}'s transaction of epoch ${open.producerEpoch} has not been ended on this partition yet; retry`, { producerEpoch: open.producerEpoch });
  }
  let verified: Result<unknown>;
  try {
    verified = (await transactionCoordinatorStub(env, transactionalId).addPartition(transactionalId, producer.producerId, producer.producerEpoch, ref.topic, ref.partition)) as Result<unknown>;
  } catch (error) {
    console.error(`verifying a transactional write with '${transactionalId}' failed: ${String(error)}`);
    return { ok: false, error: errorBody("COORDINATOR_NOT_AVAILABLE", `the coordinator of transactional id '${transactionalId}' did not answer; retry`) };
  }
  if (!verified.ok) return verified;
  // A marker may have ended the transaction while the coordinator was asked.
  return refuseEnded(log, producer.producerId, producer.producerEpoch);
}

function refuseEnded(log: LocalLog, producerId: number, producerEpoch: number): Result<void> {
  const ended = log.txns.endedEpoch(producerId);
  if (producerEpoch > ended) return ok(undefined);
  return fail("INVALID_PRODUCER_EPOCH", `the transaction of producer ${producerId} epoch ${producerEpoch} has ended on this partition (a delayed write is refused)`, {
    producerId,
    endedEpoch: ended,
  });
}

/**
 * A marker: when (producerId, epoch) has a transaction open here, a control row ends it (an abort keeps its ranges for
 * read_committed readers) and answers its offset; otherwise only the ended epoch is recorded (a marker for a partition
 * the transaction never wrote, or a retry of one already written). Idempotent. No await: one turn.
 */
export function applyMarker(log: LocalLog, marker: TxnMarker, nowMs: number): number | null {
  const open = log.txns.open(marker.producerId);
  if (open === undefined || open.producerEpoch !== marker.producerEpoch) {
    log.txns.end(marker.producerId, marker.producerEpoch, marker.commit, nowMs);
    return null;
  }
  const s = log.current!;
  if (s.replication.replicationFactor > 1) log.addEpoch(s.replication.leaderEpoch, s.logEndOffset);
  return appendControl(log, marker, nowMs);
}

/**
 * A transaction marker (Kafka's control batch): an empty row that takes one offset, so readers step over it, stamped
 * with the transaction it ends. It is appended as a follower appends its leader's marker (appendReplicated ends the
 * transaction in the same turn), so leader and followers store and apply it the same way; with one replica it is
 * committed at once.
 */
function appendControl(log: LocalLog, marker: TxnMarker, nowMs: number): number {
  const s = log.current!;
  const offset = s.logEndOffset;
  const control = marker.commit ? ("commit" as const) : ("abort" as const);
  const producer = { producerId: marker.producerId, producerEpoch: marker.producerEpoch, baseSequence: -1, baseOffset: offset, logAppendTimeMs: -1, control };
  log.appendReplicated([{ baseOffset: offset, lastOffset: offset, recordCount: 0, maxTimestamp: -1, appendTimeMs: nowMs, encoding: "text", records: new Uint8Array(0), positions: new Uint32Array(0), producer }], nowMs);
  if (s.replication.replicationFactor === 1) log.setHighWatermark(offset + 1);
  return offset;
}

/** A marker from the coordinator: applied, then (with replicas) answered once committed, so a new leader has it too. */
export async function writeMarker(p: AloneParts, before: LogState, marker: TxnMarker): Promise<Result<{ offset: number | null }>> {
  const offset = applyMarker(p.log, marker, p.now);
  if (offset === null) return ok({ offset });
  await p.appended(before);
  if (before.replication.replicationFactor > 1) {
    const committed = await p.waitForCommit(offset + 1, Number(before.config["min.insync.replicas"]));
    if (!committed.ok) return committed;
  }
  return ok({ offset });
}
