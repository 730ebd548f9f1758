// A transactional id's state machine (Kafka's TransactionMetadata with KIP-890's part 2): Empty -> Ongoing ->
// PrepareCommit|PrepareAbort -> CompleteCommit|CompleteAbort -> Ongoing ... The Prepare state is the commit point: it
// is stored before any marker is written, and names the ending transaction's (producerId, epoch) and the participants
// still to be told. The epoch is bumped when every transaction ends, so each transaction is (producerId, epoch)-unique
// and a delayed write or EndTxn of transaction k can never touch k+1. init bumps it too, and fences every earlier
// incarnation (PRODUCER_FENCED). Pure: no storage, no I/O, no clock of its own.
import { fail, ok, type Result } from "../errors";
import { MAX_PRODUCER_EPOCH, MAX_TRANSACTION_GROUPS, MAX_TRANSACTION_PARTITIONS, TRANSACTIONAL_ID_EXPIRATION_MS } from "../limits";

export type TxnStateName = "Empty" | "Ongoing" | "PrepareCommit" | "PrepareAbort" | "CompleteCommit" | "CompleteAbort";
export type TxnOutcome = "commit" | "abort";
/** Who ended a transaction: its producer, the timeout, or a new incarnation's init (fencing). */
export type EndReason = "client" | "timeout" | "fenced";

export interface TxnPartition {
  topic: string;
  partition: number;
}

export interface EndingTxn {
  producerId: number;
  producerEpoch: number;
  outcome: TxnOutcome;
  /** Participants whose marker is not acknowledged yet. */
  partitions: TxnPartition[];
  groups: string[];
}

export interface TxnRecord {
  transactionalId: string;
  producerId: number;
  /** The epoch the producer writes with now: the open transaction's, or the next one's. */
  producerEpoch: number;
  /** The identity the latest init answered: anything older belongs to a fenced incarnation. */
  initProducerId: number;
  initEpoch: number;
  state: TxnStateName;
  timeoutMs: number;
  /** When the open (or last) transaction began; -1 before the first. */
  startedMs: number;
  lastUpdateMs: number;
  /** The open (or last) transaction's participants. */
  partitions: TxnPartition[];
  groups: string[];
  /** Set while Prepare*: what the markers say and who still has to hear it. */
  ending?: EndingTxn;
  /** The last transaction ended, so a retried EndTxn of it gets the same answer. */
  last?: { producerId: number; producerEpoch: number; outcome: TxnOutcome; reason: EndReason };
}

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

export interface TxnSummary {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: TxnStateName;
  timeoutMs: number;
  startedMs: number;
  lastUpdateMs: number;
  partitions: TxnPartition[];
  groups: string[];
  pendingMarkers: number;
}

const isPreparing = (s: TxnStateName) => s === "PrepareCommit" || s === "PrepareAbort";

/** Whether the next epoch bump needs a new producer id (the epoch is an int16: Kafka allocates a new id then). */
export function needsNewProducerId(rec: TxnRecord | undefined): boolean {
  return rec === undefined || rec.producerEpoch >= MAX_PRODUCER_EPOCH - 1;
}

/** The identity after an epoch bump: the next epoch, or epoch 0 of `freshId` once the epoch is exhausted. */
function bumped(rec: TxnRecord, freshId: number | undefined): ProducerIdAndEpoch {
  if (rec.producerEpoch >= MAX_PRODUCER_EPOCH - 1 && freshId !== undefined) return { producerId: freshId, producerEpoch: 0 };
  return { producerId: rec.producerId, producerEpoch: rec.producerEpoch + 1 };
}

/**
 * InitProducerId for a transactional id: a new id starts at epoch 0; a known one bumps its epoch, fencing every older
 * incarnation, and an open transaction of theirs is aborted (reason "fenced"). While a transaction is still being
 * completed, CONCURRENT_TRANSACTIONS (retriable): the caller finishes the markers first.
 */
export function init(rec: TxnRecord | undefined, transactionalId: string, timeoutMs: number, nowMs: number, freshId: number | undefined): Result<TxnRecord> {
  if (rec === undefined) {
    if (freshId === undefined) throw new Error("a new transactional id needs a producer id");
    return ok({ transactionalId, producerId: freshId, producerEpoch: 0, initProducerId: freshId, initEpoch: 0, state: "Empty", timeoutMs, startedMs: -1, lastUpdateMs: nowMs, partitions: [], groups: [] });
  }
  if (isPreparing(rec.state)) return concurrent(rec);
  let base = rec;
  if (rec.state === "Ongoing") base = beginEnd(rec, "abort", "fenced", nowMs, freshId);
  const next = base.state === rec.state ? bumped(rec, freshId) : { producerId: base.producerId, producerEpoch: base.producerEpoch };
  return ok({ ...base, ...next, initProducerId: next.producerId, initEpoch: next.producerEpoch, timeoutMs, lastUpdateMs: nowMs });
}

/** Moves an Ongoing transaction to its Prepare state (the commit point) and bumps the epoch for the next one; with
 *  no participant to tell, straight on to its Complete state. */
function beginEnd(rec: TxnRecord, outcome: TxnOutcome, reason: EndReason, nowMs: number, freshId: number | undefined): TxnRecord {
  const next = bumped(rec, freshId);
  const prepared: TxnRecord = {
    ...rec,
    ...next,
    state: outcome === "commit" ? "PrepareCommit" : "PrepareAbort",
    lastUpdateMs: nowMs,
    ending: { producerId: rec.producerId, producerEpoch: rec.producerEpoch, outcome, partitions: [...rec.partitions], groups: [...rec.groups] },
    last: { producerId: rec.producerId, producerEpoch: rec.producerEpoch, outcome, reason },
  };
  return rec.partitions.length === 0 && rec.groups.length === 0 ? completed(prepared, nowMs) : prepared;
}

function completed(rec: TxnRecord, nowMs: number): TxnRecord {
  const { ending, ...rest } = rec;
  return { ...rest, state: ending?.outcome === "commit" ? "CompleteCommit" : "CompleteAbort", lastUpdateMs: nowMs };
}

type ProducerCheck = { kind: "current" } | { kind: "last" } | { kind: "error"; result: Result<never> };

/** Where a request's (producerId, epoch) stands: the current transaction's, the last ended one's, or neither. Ids are
 *  allocated in increasing order, so an identity below the latest init's belongs to a fenced incarnation. */
export function checkProducer(rec: TxnRecord, producerId: number, producerEpoch: number): ProducerCheck {
  if (producerId === rec.producerId && producerEpoch === rec.producerEpoch) return { kind: "current" };
  const older = producerId < rec.initProducerId || (producerId === rec.initProducerId && producerEpoch < rec.initEpoch);
  if (older) return { kind: "error", result: fenced(rec, producerId, producerEpoch) };
  const last = rec.last;
  if (last !== undefined && last.producerId === producerId && last.producerEpoch === producerEpoch) return { kind: "last" };
  return {
    kind: "error",
    result: fail("INVALID_PRODUCER_EPOCH", `transactional id '${rec.transactionalId}' is at producer ${rec.producerId} epoch ${rec.producerEpoch}, the request carries ${producerId} epoch ${producerEpoch}`, {
      producerId: rec.producerId,
      producerEpoch: rec.producerEpoch,
    }),
  };
}

function fenced(rec: TxnRecord, producerId: number, producerEpoch: number): Result<never> {
  return fail("PRODUCER_FENCED", `producer ${producerId} epoch ${producerEpoch} of transactional id '${rec.transactionalId}' was fenced by a newer incarnation (epoch ${rec.initEpoch})`, {
    producerId: rec.producerId,
    producerEpoch: rec.producerEpoch,
  });
}

function concurrent(rec: TxnRecord): Result<never> {
  return fail("CONCURRENT_TRANSACTIONS", `transactional id '${rec.transactionalId}' is completing its last transaction (${rec.state}); retry shortly`, { state: rec.state });
}

/** A call from the producer of an ended transaction that it did not end itself, or another call to it. */
function refuseEnded(rec: TxnRecord): Result<never> {
  if (rec.last?.reason === "timeout") {
    return fail("TRANSACTION_ABORTABLE", `transaction of '${rec.transactionalId}' was aborted after its timeout of ${rec.timeoutMs} ms; abort to go on`, { timeoutMs: rec.timeoutMs });
  }
  return fail("INVALID_TXN_STATE", `the transaction of producer ${rec.last?.producerId} epoch ${rec.last?.producerEpoch} has ended (${rec.last?.outcome}); the next one uses epoch ${rec.producerEpoch}`, {
    producerId: rec.producerId,
    producerEpoch: rec.producerEpoch,
  });
}

/** Starts a transaction if none is open (implicit begin), after the producer checks. */
function ongoing(rec: TxnRecord, producerId: number, producerEpoch: number, nowMs: number): Result<TxnRecord> {
  const check = checkProducer(rec, producerId, producerEpoch);
  if (check.kind === "error") return check.result;
  if (check.kind === "last") return refuseEnded(rec);
  if (isPreparing(rec.state)) return concurrent(rec);
  if (rec.state === "Ongoing") return ok({ ...rec, lastUpdateMs: nowMs });
  return ok({ ...rec, state: "Ongoing", startedMs: nowMs, lastUpdateMs: nowMs, partitions: [], groups: [] });
}

/** beginTransaction (optional: the first write or offsets begin one too). */
export function begin(rec: TxnRecord, producerId: number, producerEpoch: number, nowMs: number): Result<TxnRecord> {
  return ongoing(rec, producerId, producerEpoch, nowMs);
}

/** AddPartitionsToTxn, as a partition's verification of its first transactional write (KIP-890 part 1). */
export function addPartition(rec: TxnRecord, producerId: number, producerEpoch: number, tp: TxnPartition, nowMs: number): Result<TxnRecord> {
  const started = ongoing(rec, producerId, producerEpoch, nowMs);
  if (!started.ok) return started;
  const r = started.value;
  if (r.partitions.some((p) => p.topic === tp.topic && p.partition === tp.partition)) return started;
  if (r.partitions.length >= MAX_TRANSACTION_PARTITIONS) {
    return fail("INVALID_REQUEST", `a transaction writes to at most ${MAX_TRANSACTION_PARTITIONS} partitions`, { max: MAX_TRANSACTION_PARTITIONS });
  }
  return ok({ ...r, partitions: [...r.partitions, tp] });
}

/** AddOffsetsToTxn: the group's offsets commit with the transaction. */
export function addGroup(rec: TxnRecord, producerId: number, producerEpoch: number, groupId: string, nowMs: number): Result<TxnRecord> {
  const started = ongoing(rec, producerId, producerEpoch, nowMs);
  if (!started.ok) return started;
  const r = started.value;
  if (r.groups.includes(groupId)) return started;
  if (r.groups.length >= MAX_TRANSACTION_GROUPS) return fail("INVALID_REQUEST", `a transaction commits offsets of at most ${MAX_TRANSACTION_GROUPS} groups`, { max: MAX_TRANSACTION_GROUPS });
  return ok({ ...r, groups: [...r.groups, groupId] });
}

/**
 * EndTxn. The current transaction moves to its Prepare state and the epoch is bumped; the answer is the identity for
 * the next transaction. A retry of the last EndTxn (its epoch, same outcome) gets the same answer; the other outcome,
 * or an EndTxn with no transaction open, is INVALID_TXN_STATE; a commit of a transaction the timeout aborted is
 * TRANSACTION_ABORTABLE.
 */
export function end(rec: TxnRecord, producerId: number, producerEpoch: number, outcome: TxnOutcome, nowMs: number, freshId: number | undefined): Result<TxnRecord> {
  const check = checkProducer(rec, producerId, producerEpoch);
  if (check.kind === "error") return check.result;
  if (check.kind === "last") {
    if (rec.last!.outcome === outcome) return ok(rec);
    return refuseEnded(rec);
  }
  if (rec.state !== "Ongoing") {
    return fail("INVALID_TXN_STATE", `transactional id '${rec.transactionalId}' has no transaction open (${rec.state}): nothing to ${outcome}`, { state: rec.state });
  }
  return ok(beginEnd(rec, outcome, "client", nowMs, freshId));
}

/** The coordinator's timeout: an Ongoing transaction older than its timeout is aborted (and its producer fenced from
 *  going on with it: TRANSACTION_ABORTABLE). */
export function timedOut(rec: TxnRecord, nowMs: number, freshId: number | undefined): TxnRecord | undefined {
  if (rec.state !== "Ongoing" || nowMs < rec.startedMs + rec.timeoutMs) return undefined;
  return beginEnd(rec, "abort", "timeout", nowMs, freshId);
}

/** A participant acknowledged its marker; the last one completes the transaction. */
export function acknowledged(rec: TxnRecord, participant: { partition: TxnPartition } | { group: string }, nowMs: number): TxnRecord {
  const e = rec.ending;
  if (e === undefined) return rec;
  const ending: EndingTxn =
    "group" in participant
      ? { ...e, groups: e.groups.filter((g) => g !== participant.group) }
      : { ...e, partitions: e.partitions.filter((p) => p.topic !== participant.partition.topic || p.partition !== participant.partition.partition) };
  if (ending.partitions.length > 0 || ending.groups.length > 0) return { ...rec, ending };
  return completed(rec, nowMs);
}

/** Whether the id has been silent long enough to be forgotten (never while a transaction is open or ending). */
export function expired(rec: TxnRecord, nowMs: number): boolean {
  return (rec.state === "Empty" || rec.state === "CompleteCommit" || rec.state === "CompleteAbort") && nowMs - rec.lastUpdateMs >= TRANSACTIONAL_ID_EXPIRATION_MS;
}

/** When the coordinator must next look (on its own clock): the timeout, the expiration, or (Prepare) a marker retry. */
export function nextDueMs(rec: TxnRecord, markerRetryMs: number, nowMs: number): number {
  if (isPreparing(rec.state)) return nowMs + markerRetryMs;
  if (rec.state === "Ongoing") return rec.startedMs + rec.timeoutMs;
  return rec.lastUpdateMs + TRANSACTIONAL_ID_EXPIRATION_MS;
}

export function summary(rec: TxnRecord): TxnSummary {
  return {
    transactionalId: rec.transactionalId,
    producerId: rec.producerId,
    producerEpoch: rec.producerEpoch,
    state: rec.state,
    timeoutMs: rec.timeoutMs,
    startedMs: rec.startedMs,
    lastUpdateMs: rec.lastUpdateMs,
    partitions: rec.partitions,
    groups: rec.groups,
    pendingMarkers: (rec.ending?.partitions.length ?? 0) + (rec.ending?.groups.length ?? 0),
  };
}
