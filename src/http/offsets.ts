// HTTP handler for ListOffsets: GET /v1/topics/{topic}/partitions/{p}/offsets?at=earliest|latest|<ms>.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { listOffsets, parseOffsetSpec, parsePartition } from "../service/fetch";
import { checkTopicName } from "../service/topics";
import { pathParam, queryParam } from "./parse";
import { json } from "./respond";

export async function handleListOffsets(request: IRequest, env: Env): Promise<Response> {
  const topic = checkTopicName(pathParam(request.params, "topic"));
  const partition = parsePartition(pathParam(request.params, "partition"));
  const spec = parseOffsetSpec(queryParam(request.query, "at"));
  return json(await listOffsets(env, topic, partition, spec));
}
