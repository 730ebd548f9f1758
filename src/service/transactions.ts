// Transactions over stateless HTTP and RPC: validates requests and calls the transactional id's coordinator
// (src/transaction/). The flow is Kafka's: init (the producer id and a bumped epoch, fencing older incarnations),
// begin (optional), transactional produce (produce.ts, with its "transaction" field), sendOffsetsToTransaction, then
// commit or abort, which answer the epoch for the next transaction (KIP-890 part 2).
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import { topicNameError } from "../log/topic-name";
import { DEFAULT_TRANSACTION_TIMEOUT_MS, MAX_PRODUCER_EPOCH, MAX_TRANSACTION_TIMEOUT_MS } from "../limits";
import { controllerStub, transactionCoordinatorStub } from "../names";
import type { ProducerIdAndEpoch, TxnOutcome, TxnStateName, TxnSummary } from "../transaction/txn-state";
import { checkGroupId, parseMember, parseOffsetCommits } from "./groups";
import { objectCall } from "./metadata";
import { integerField, onlyFields, requireObject } from "./validate";

type CoordinatorStub = ReturnType<typeof transactionCoordinatorStub>;

/** Calls a transactional id's coordinator; a call that throws is a retriable COORDINATOR_NOT_AVAILABLE. */
async function coordinator<T>(env: Env, transactionalId: string, call: (stub: CoordinatorStub) => Promise<unknown>): Promise<T> {
  return unwrap(await objectCall(() => call(transactionCoordinatorStub(env, transactionalId)) as Promise<Result<T>>, "COORDINATOR_NOT_AVAILABLE", `transaction coordinator ${transactionalId}`));
}

/** Transactional ids follow the topic name rules: safe in paths, logs and object names. */
export function checkTransactionalId(transactionalId: unknown, field = "transactional id"): string {
  const error = topicNameError(transactionalId, field);
  if (error !== undefined) throw new KafkaError("INVALID_REQUEST", error, { field: "transactionalId" });
  return transactionalId as string;
}

/** {producerId, producerEpoch}: the identity init (or the last commit or abort) answered. */
function parseIdentity(body: Record<string, unknown>): ProducerIdAndEpoch {
  return {
    producerId: integerField(body.producerId, "producerId", 0, Number.MAX_SAFE_INTEGER),
    producerEpoch: integerField(body.producerEpoch, "producerEpoch", 0, MAX_PRODUCER_EPOCH),
  };
}

/** InitProducerId: {transactionTimeoutMs?} -> {producerId, producerEpoch}. */
export async function initTransactions(env: Env, transactionalId: string, input: unknown): Promise<ProducerIdAndEpoch> {
  checkTransactionalId(transactionalId);
  const body = input === undefined || input === null ? {} : requireObject(input, "init request", ["transactionTimeoutMs"]);
  const timeoutMs = body.transactionTimeoutMs === undefined || body.transactionTimeoutMs === null ? DEFAULT_TRANSACTION_TIMEOUT_MS : Number(body.transactionTimeoutMs);
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TRANSACTION_TIMEOUT_MS) {
    throw new KafkaError("INVALID_TRANSACTION_TIMEOUT", `transactionTimeoutMs must be an integer from 1 to ${MAX_TRANSACTION_TIMEOUT_MS} (transaction.max.timeout.ms)`, { max: MAX_TRANSACTION_TIMEOUT_MS });
  }
  return coordinator<ProducerIdAndEpoch>(env, transactionalId, (c) => c.init(transactionalId, timeoutMs));
}

export async function beginTransaction(env: Env, transactionalId: string, input: unknown): Promise<TxnSummary> {
  checkTransactionalId(transactionalId);
  const { producerId, producerEpoch } = parseIdentity(requireObject(input, "begin request", ["producerId", "producerEpoch"]));
  return coordinator<TxnSummary>(env, transactionalId, (c) => c.begin(transactionalId, producerId, producerEpoch));
}

/** The group named in the body, for the route's ACL check (read on the group, as Kafka's TxnOffsetCommit). */
export function offsetsGroupOf(input: unknown): string {
  return checkGroupId(requireObject(input, "offsets request").groupId);
}

/** sendOffsetsToTransaction: {producerId, producerEpoch, groupId, memberId?, memberEpoch?, offsets}. */
export async function sendOffsetsToTransaction(env: Env, transactionalId: string, input: unknown): Promise<{ committed: number }> {
  checkTransactionalId(transactionalId);
  const body = requireObject(input, "offsets request", ["producerId", "producerEpoch", "groupId", "memberId", "memberEpoch", "offsets"]);
  const { producerId, producerEpoch } = parseIdentity(body);
  const groupId = checkGroupId(body.groupId);
  const { memberId, memberEpoch } = parseMember(body);
  const offsets = await parseOffsetCommits(env, body.offsets);
  return coordinator<{ committed: number }>(env, transactionalId, (c) => c.addOffsets(transactionalId, producerId, producerEpoch, groupId, memberId, memberEpoch, offsets));
}

/** commitTransaction / abortTransaction: {producerId, producerEpoch} -> the identity for the next transaction. */
export async function endTransaction(env: Env, transactionalId: string, input: unknown, outcome: TxnOutcome): Promise<ProducerIdAndEpoch & { state: TxnStateName }> {
  checkTransactionalId(transactionalId);
  const { producerId, producerEpoch } = parseIdentity(requireObject(input, `${outcome} request`, ["producerId", "producerEpoch"]));
  return coordinator<ProducerIdAndEpoch & { state: TxnStateName }>(env, transactionalId, (c) => c.end(transactionalId, producerId, producerEpoch, outcome));
}

export async function describeTransaction(env: Env, transactionalId: string): Promise<TxnSummary> {
  checkTransactionalId(transactionalId);
  return coordinator<TxnSummary>(env, transactionalId, (c) => c.describe(transactionalId));
}

/** Every transactional id with its state (kafka-transactions.sh list). */
export async function listTransactions(env: Env, visible: (transactionalId: string) => boolean): Promise<TxnSummary[]> {
  const ids = ((await controllerStub(env).listTransactionalIds()) as string[]).filter(visible);
  const out: TxnSummary[] = [];
  for (const id of ids) {
    const described = (await objectCall(() => transactionCoordinatorStub(env, id).describe(id) as Promise<Result<TxnSummary>>, "COORDINATOR_NOT_AVAILABLE", `transaction coordinator ${id}`)) as Result<TxnSummary>;
    if (described.ok) out.push(described.value);
  }
  return out;
}

/** A produce request's "transaction": {transactionalId, producerId, producerEpoch, baseSequence}. */
export function parseTransactionField(input: unknown): { transactionalId: string; producerId: number; producerEpoch: number; baseSequence: number } {
  const body = requireObject(input, "transaction");
  onlyFields(body, ["transactionalId", "producerId", "producerEpoch", "baseSequence"], "transaction");
  return {
    transactionalId: checkTransactionalId(body.transactionalId, "transaction.transactionalId"),
    producerId: integerField(body.producerId, "transaction.producerId", 0, Number.MAX_SAFE_INTEGER),
    producerEpoch: integerField(body.producerEpoch, "transaction.producerEpoch", 0, MAX_PRODUCER_EPOCH),
    baseSequence: integerField(body.baseSequence, "transaction.baseSequence", 0, 2_147_483_647),
  };
}
