// HTTP handlers for /v1/transactions: init, begin, sendOffsetsToTransaction, commit, abort, describe, list. The route
// table checks the TransactionalId permission; offsets also need read on the group and its topics, as Kafka's
// TxnOffsetCommit does.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { MAX_ADMIN_REQUEST_BYTES, MAX_COMMIT_REQUEST_BYTES } from "../limits";
import { allowed } from "../auth/acl";
import { beginTransaction, describeTransaction, endTransaction, initTransactions, listTransactions, offsetsGroupOf, sendOffsetsToTransaction } from "../service/transactions";
import { authorize, principalOf } from "./auth";
import { pathParam, readJson } from "./parse";
import { json } from "./respond";

const id = (request: IRequest) => pathParam(request.params, "transactionalId");
const body = (request: IRequest, allowEmpty = false) => readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE", allowEmpty);

export async function handleInitTransactions(request: IRequest, env: Env): Promise<Response> {
  return json(await initTransactions(env, id(request), await body(request, true)));
}

export async function handleBeginTransaction(request: IRequest, env: Env): Promise<Response> {
  return json(await beginTransaction(env, id(request), await body(request)));
}

export async function handleTransactionOffsets(request: IRequest, env: Env): Promise<Response> {
  const input = await readJson(request, MAX_COMMIT_REQUEST_BYTES, "REQUEST_TOO_LARGE");
  const principal = principalOf(request);
  authorize(principal, "group", offsetsGroupOf(input), "read");
  const offsets = (input as { offsets?: unknown } | null)?.offsets;
  if (Array.isArray(offsets)) for (const o of offsets) if (typeof (o as { topic?: unknown } | null)?.topic === "string") authorize(principal, "topic", (o as { topic: string }).topic, "read");
  return json(await sendOffsetsToTransaction(env, id(request), input));
}

export async function handleCommitTransaction(request: IRequest, env: Env): Promise<Response> {
  return json(await endTransaction(env, id(request), await body(request), "commit"));
}

export async function handleAbortTransaction(request: IRequest, env: Env): Promise<Response> {
  return json(await endTransaction(env, id(request), await body(request), "abort"));
}

export async function handleDescribeTransaction(request: IRequest, env: Env): Promise<Response> {
  return json(await describeTransaction(env, id(request)));
}

/** The transactional ids this token may describe. */
export async function handleListTransactions(request: IRequest, env: Env): Promise<Response> {
  const principal = principalOf(request);
  return json({ transactions: await listTransactions(env, (t) => allowed(principal, "transactionalId", t, "describe")) });
}
