// HTTP handler for ListOffsets: GET /v1/topics/{topic}/partitions/{p}/offsets?at=earliest|latest|<ms>&isolation=...
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { deleteRecords, listOffsets, parseOffsetSpec } from "../service/fetch";
import { parseIsolation, parsePartition } from "../service/request-params";
import { MAX_ADMIN_REQUEST_BYTES } from "../limits";
import { checkTopicName } from "../service/topics";
import { pathParam, queryParam, readJson } from "./parse";
import { json } from "./respond";

export async function handleListOffsets(request: IRequest, env: Env): Promise<Response> {
  const topic = checkTopicName(pathParam(request.params, "topic"));
  const partition = parsePartition(pathParam(request.params, "partition"));
  const spec = parseOffsetSpec(queryParam(request.query, "at"));
  return json(await listOffsets(env, topic, partition, spec, parseIsolation(queryParam(request.query, "isolation"))));
}

/** POST /v1/topics/{topic}/partitions/{p}/delete-records {beforeOffset}: Kafka's DeleteRecords. */
export async function handleDeleteRecords(request: IRequest, env: Env): Promise<Response> {
  const topic = checkTopicName(pathParam(request.params, "topic"));
  const partition = parsePartition(pathParam(request.params, "partition"));
  return json(await deleteRecords(env, topic, partition, await readJson(request, MAX_ADMIN_REQUEST_BYTES, "REQUEST_TOO_LARGE")));
}
