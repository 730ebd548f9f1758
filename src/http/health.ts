// Liveness (with the environment and edgelog's version) and metrics. /healthz touches no object, so it measures the
// router alone (the benchmarks' ceiling). /metrics: this isolate's requests by route and status, and the cluster's
// gauges gathered from the objects (src/service/metrics.ts), in Prometheus text format.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { VERSION } from "../version";
import { json } from "./respond";
import { KafkaError } from "../errors";
import { clusterGauges } from "../service/metrics";
import { renderFamilies } from "../log/prometheus";

const requestCounts = new Map<string, number>();

export function countRequest(route: string, status: number): void {
  const key = `route="${route}",status="${status}"`;
  requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1);
}

export function handleHealth(_request: IRequest, env: Env): Response {
  return json({ status: "ok", env: env.EDGELOG_ENV ?? "production", version: VERSION });
}

/** A query parameter that may repeat. */
function list(query: Record<string, string | string[] | undefined>, name: string): string[] {
  const value = query[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export async function handleMetrics(request: IRequest, env: Env): Promise<Response> {
  const unknown = Object.keys(request.query).filter((k) => k !== "topic" && k !== "group");
  if (unknown.length > 0) throw new KafkaError("INVALID_REQUEST", `unknown query parameter ${unknown[0]}; use topic and group`, { field: unknown[0] });
  const gauges = renderFamilies(await clusterGauges(env, list(request.query, "topic"), list(request.query, "group")));
  const lines = ["# HELP edgelog_http_requests_total HTTP requests answered by this isolate.", "# TYPE edgelog_http_requests_total counter"];
  for (const [labels, count] of requestCounts) lines.push(`edgelog_http_requests_total{${labels}} ${count}`);
  return new Response(lines.join("\n") + "\n" + gauges, { headers: { "content-type": "text/plain; version=0.0.4" } });
}
