// One structured log line per HTTP request (src/log/structured-log.ts): method, route pattern (never the URL: a query
// string is the caller's), status, ms, the topic, partition and group the path names, records and bytes when the
// handler noted them, and the error type. Headers are never read here, so neither a token nor an Authorization header
// can reach the log. Level: error for 5xx, warn for 4xx, debug for a success: Workers Logs already keeps an invocation
// log per request, a line per successful request cost about 12% of local produce throughput (docs/observability.md),
// and Kafka's own request logger is quiet by default too; so the default level (info) shows failures and events.
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { loggerFor, type LogLevel } from "../log/structured-log";
import { RegistryError } from "../registry/registry-error";

interface Noted {
  edgelogStartMs?: number;
  edgelogRecords?: number;
  edgelogBytes?: number;
  edgelogErrorType?: string;
}

export function noteStart(request: IRequest): void {
  (request as Noted).edgelogStartMs = Date.now();
}

/** What a produce or fetch moved: records and body bytes. */
export function noteTraffic(request: IRequest, records: number, bytes: number): void {
  const n = request as Noted;
  n.edgelogRecords = records;
  n.edgelogBytes = bytes;
}

export function noteError(request: IRequest, error: unknown): void {
  const type = error instanceof KafkaError ? error.body.type : error instanceof RegistryError ? error.type : typeof error === "string" ? error : undefined;
  (request as Noted).edgelogErrorType = type ?? "UNKNOWN_SERVER_ERROR";
}

export function logRequest(env: Env, request: IRequest, response: Response): void {
  const n = request as Noted;
  const route = request.route ?? "unmatched";
  const status = response.status;
  const level: LogLevel = status >= 500 ? "error" : status >= 400 ? "warn" : "debug";
  const params = request.params ?? {};
  const partition = params.partition === undefined ? undefined : Number(params.partition);
  loggerFor(env.EDGELOG_LOG_LEVEL).write(level, "request", {
    method: request.method,
    route,
    status,
    ms: n.edgelogStartMs === undefined ? undefined : Date.now() - n.edgelogStartMs,
    topic: params.topic,
    partition: Number.isInteger(partition) ? partition : undefined,
    group: params.group ?? params.name,
    records: n.edgelogRecords,
    bytes: n.edgelogBytes,
    errorType: n.edgelogErrorType,
  });
}
