// GET /v1/usage?topic=T&topic=U&group=G: billed items counted by the objects themselves (src/service/usage.ts).
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { usage } from "../service/usage";
import { json } from "./respond";

/** A query parameter that may repeat. */
function list(query: Record<string, string | string[] | undefined>, name: string): string[] {
  const value = query[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export async function handleUsage(request: IRequest, env: Env): Promise<Response> {
  const unknown = Object.keys(request.query).filter((k) => k !== "topic" && k !== "group");
  if (unknown.length > 0) throw new KafkaError("INVALID_REQUEST", `unknown query parameter ${unknown[0]}; use topic and group`, { field: unknown[0] });
  return json(await usage(env, list(request.query, "topic"), list(request.query, "group")));
}
