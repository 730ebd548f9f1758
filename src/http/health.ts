// Liveness (with the environment and edgelog's version) and metrics. /healthz touches no object, so it measures the router alone (the benchmarks' ceiling).
// /metrics counts this isolate's requests by route and status in Prometheus text format.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { VERSION } from "../version";
import { json } from "./respond";

const requestCounts = new Map<string, number>();

export function countRequest(route: string, status: number): void {
  const key = `route="${route}",status="${status}"`;
  requestCounts.set(key, (requestCounts.get(key) ?? 0) + 1);
}

export function handleHealth(_request: IRequest, env: Env): Response {
  return json({ status: "ok", env: env.EDGELOG_ENV ?? "production", version: VERSION });
}

export function handleMetrics(): Response {
  const lines = ["# HELP edgelog_http_requests_total HTTP requests answered by this isolate.", "# TYPE edgelog_http_requests_total counter"];
  for (const [labels, count] of requestCounts) lines.push(`edgelog_http_requests_total{${labels}} ${count}`);
  return new Response(lines.join("\n") + "\n", { headers: { "content-type": "text/plain; version=0.0.4" } });
}
