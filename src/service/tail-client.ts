// The router's side of a WebSocket live tail (src/tail.ts): it forwards the client's upgrade to the partition leader,
// which accepts the socket itself (hibernated between appends) or refuses with an error the router answers as HTTP.
// The router holds nothing once it hands back the 101: the client's socket ends in the partition object.
import type { Env } from "../env";
import type { ErrorBody } from "../errors";
import { replicaStub } from "../names";
import type { ReadRequest } from "../protocol";
import { TAIL_ERROR_HEADER, TAIL_REQUEST_HEADER, TAIL_URL, type TailRequest } from "../tail";
import { ObjectUnavailable } from "../unavailable";
import { callPartition } from "./metadata";

/** Opens a tail from `read.offset` (the log start when absent): the 101 response to return, or throws the error. */
export function openTail(env: Env, topic: string, partition: number, read: ReadRequest): Promise<Response> {
  return callPartition(env, topic, partition, async (ref) => {
    const request: TailRequest = { ref, read: { ...read, maxWaitMs: 0 } };
    const response = await replicaStub(env, ref).fetch(TAIL_URL, { headers: { [TAIL_REQUEST_HEADER]: JSON.stringify(request), upgrade: "websocket" } });
    if (response.status === 101 && response.webSocket !== null) return { ok: true, value: new Response(null, { status: 101, webSocket: response.webSocket }) };
    const refused = JSON.parse(response.headers.get(TAIL_ERROR_HEADER) ?? "null") as ErrorBody | { unavailable: string } | null;
    if (refused === null) throw new Error(`partition ${topic}/${partition} answered a tail request with ${response.status} and no answer`);
    if ("unavailable" in refused) throw new ObjectUnavailable(refused.unavailable);
    return { ok: false, error: refused };
  });
}
