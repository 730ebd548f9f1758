// The Durable Streams endpoint's routes and the permission each method needs: a stream is a topic resource, named by
// the stream's path (docs/security.md). One pattern serves every stream name, slashes included; requests are counted
// in /metrics under this route. A leaf: plain data.
import type { Requirement } from "../auth/acl";

/** Where the endpoint lives; DS clients are given `<origin>/ds` as their base and append /v1/stream/<name>. */
export const DS_BASE_PATH = "/ds";
export const DS_STREAM_PREFIX = `${DS_BASE_PATH}/v1/stream/`;
/** The route as docs, tests and /metrics name it. */
export const DS_STREAM_ROUTE = `${DS_STREAM_PREFIX}:stream`;

export interface StreamRoute {
  method: "GET" | "HEAD" | "POST" | "PUT" | "DELETE";
  path: string;
  /** On the topic resource named like the stream. */
  operation: Requirement;
}

export const DS_ROUTES: readonly StreamRoute[] = [
  // Creating or deleting a stream is creating or deleting a topic-like resource: admin, as for topics.
  { method: "PUT", path: DS_STREAM_ROUTE, operation: "admin" },
  { method: "POST", path: DS_STREAM_ROUTE, operation: "write" },
  { method: "GET", path: DS_STREAM_ROUTE, operation: "read" },
  { method: "HEAD", path: DS_STREAM_ROUTE, operation: "describe" },
  { method: "DELETE", path: DS_STREAM_ROUTE, operation: "admin" },
];
