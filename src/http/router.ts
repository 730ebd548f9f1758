// The route table (ROUTES, registered in a loop) and the one catch. Handlers live one file per resource.
import { Router } from "itty-router/Router";
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { handleAlterGroup, handleCommit, handleDeleteGroup, handleDescribeGroup, handleGroupOffsets, handleGroupStatus, handleHeartbeat, handleListGroups, handleResetOffsets } from "./groups";
import { countRequest, handleHealth, handleMetrics } from "./health";
import { handleConsolePage, handleConsoleScript, handleConsoleStyle, isConsolePath } from "./console";
import { handleDeleteRecords, handleListOffsets } from "./offsets";
import { handleInitProducer } from "./producers";
import { handleFetch, handleProduce } from "./records";
import { fromThrown } from "./respond";
import { logRequest, noteError, noteStart } from "./request-log";
import type { Principal, Requirement, ResourceType } from "../auth/acl";
import { authenticate, authIsOff, authorize, checkQuota, debitQuota, principalOf } from "./auth";
import { prefetchTopic } from "../service/metadata";
import { preflight, withCors } from "./cors";
import { pathParam } from "./parse";
import { handleCreateToken, handleListTokens, handleRevokeToken } from "./tokens";
import { handleAddPartitions, handleAlterTopic, handleCreateTopic, handleDeleteTopic, handleDescribeTopic, handleListTopics } from "./topics";
import {
  handleAlterSubscription,
  handleCreateSubscription,
  handleDeleteSubscription,
  handleDescribeSubscription,
  handleListSubscriptions,
  handlePauseSubscription,
  handleResetSubscriptionOffsets,
  handleResumeSubscription,
} from "./subscriptions";
import { handleUsage } from "./usage";
import { handleStream } from "../streams/handler";
import { DS_STREAM_PREFIX } from "../streams/routes";
import { isRegistryPath, REGISTRY_ROUTES, registryFromThrown } from "./schema-registry";
import { REGISTRY_BASE_PATH } from "../registry/registry-error";
import {
  handleAcknowledgeShareGroup,
  handleAlterShareGroup,
  handleDeleteShareGroup,
  handleDescribeShareGroup,
  handleListShareGroups,
  handlePollShareGroup,
  handlePutShareGroup,
  handleResetShareGroupOffsets,
  handleShareGroupHeartbeat,
} from "./share-groups";
import { handleElectLeader, handleFault } from "./replicas";
import {
  handleAbortTransaction,
  handleBeginTransaction,
  handleCommitTransaction,
  handleDescribeTransaction,
  handleInitTransactions,
  handleListTransactions,
  handleTransactionOffsets,
} from "./transactions";

type Args = [Env, ExecutionContext];

/** Route guard: the caller needs `operation` on the resource named by a path parameter (or the cluster). */
function need({ resource, operation, param }: Permission) {
  return (request: IRequest, ..._args: Args): void => {
    authorize(principalOf(request), resource, param === undefined ? "cluster" : pathParam(request.params, param), operation);
  };
}

/** Authenticates every request but liveness, the console's files and CORS preflights, then charges its request quota. */
async function authenticateRequest(request: IRequest, env: Env): Promise<Response | undefined> {
  noteStart(request);
  if (request.method === "OPTIONS") return preflight(request, env);
  const pathname = new URL(request.url).pathname;
  if (pathname === "/healthz" || isConsolePath(pathname)) return undefined;
  const topic = recordsTopic(pathname);
  // When authentication waits on a read of the token's answer, the topic is read meanwhile (a cold isolate's first
  // request then costs one round trip, not two in a row). Only then: an unauthenticated request costs at most one
  // metadata read per token answer it reads anyway.
  let prefetch: Promise<unknown> | undefined;
  const whileWaiting = topic !== undefined && !authIsOff(env) ? () => void (prefetch = prefetchTopic(env, topic)) : undefined;
  const principal = await authenticate(request, env, whileWaiting);
  await prefetch;
  (request as unknown as { principal: Principal }).principal = principal;
  checkQuota(principal, "requests");
  debitQuota(principal, "requests", 1);
  return undefined;
}

/** The topic a produce, fetch or offsets path names (the routes that read its metadata first), if any. */
function recordsTopic(pathname: string): string | undefined {
  const match = /^\/v1\/topics\/([^/]+)\/(?:records|partitions\/[^/]+\/(?:records|offsets))$/.exec(pathname);
  if (match === null) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

export const router = Router<IRequest, Args>({
  before: [authenticateRequest],
  // The schema registry answers Confluent's error bodies (its clients parse them), edgelog's own routes edgelog's.
  catch: (error, request) => {
    noteError(request, error);
    return isRegistryPath(request.url) ? registryFromThrown(error) : fromThrown(error);
  },
  finally: [
    (response: Response, request: IRequest, env: Env) => {
      countRequest(request.route ?? "unmatched", response.status);
      logRequest(env, request, response);
      // A preflight answer already carries its CORS headers.
      return request.method === "OPTIONS" ? response : withCors(response, request, env);
    },
  ],
});

/** Who may call a route: `operation` on the resource named by the path parameter `param` (or the cluster). */
export interface Permission {
  resource: ResourceType;
  operation: Requirement;
  param?: string;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** itty-router's pattern: `:name` matches one non-empty path segment. */
  path: string;
  /** Checked before the handler; absent: open, or checked in the handler (a created topic, subscribed topics). */
  permission?: Permission;
  handler: (request: IRequest, env: Env, ctx: ExecutionContext) => Response | Promise<Response>;
}

const topicAdmin: Permission = { resource: "topic", operation: "admin", param: "topic" };
const clusterAdmin: Permission = { resource: "cluster", operation: "admin" };
/** A subscription is its group: reading it needs read on the group of its name, changing it admin. */
const subscriptionRead: Permission = { resource: "group", operation: "read", param: "name" };
const subscriptionAdmin: Permission = { resource: "group", operation: "admin", param: "name" };
/** A share group is a group: polling and acknowledging need read on it, changing it admin. */
const shareRead: Permission = { resource: "group", operation: "read", param: "group" };
const shareAdmin: Permission = { resource: "group", operation: "admin", param: "group" };
/** Kafka's TransactionalId resource: write to use it, describe to see it. */
const txnWrite: Permission = { resource: "transactionalId", operation: "write", param: "transactionalId" };

// The route table: every public route, with the permission it needs (docs/security.md has the table, docs/api.md the
// routes; test/docs/tables.node.test.ts keeps api.md in step). Body-named resources (a created topic, subscribed and
// committed topics) are checked in their handlers.
export const ROUTES: readonly Route[] = [
  { method: "GET", path: "/healthz", handler: handleHealth },
  { method: "GET", path: "/console", handler: handleConsolePage },
  { method: "GET", path: "/console/app.js", handler: handleConsoleScript },
  { method: "GET", path: "/console/app.css", handler: handleConsoleStyle },
  { method: "GET", path: "/metrics", permission: { resource: "cluster", operation: "read" }, handler: handleMetrics },
  { method: "GET", path: "/v1/usage", permission: { resource: "cluster", operation: "read" }, handler: handleUsage },
  { method: "POST", path: "/v1/topics", handler: handleCreateTopic },
  { method: "GET", path: "/v1/topics", handler: handleListTopics },
  { method: "GET", path: "/v1/topics/:topic", permission: { resource: "topic", operation: "describe", param: "topic" }, handler: handleDescribeTopic },
  { method: "PATCH", path: "/v1/topics/:topic", permission: topicAdmin, handler: handleAlterTopic },
  { method: "DELETE", path: "/v1/topics/:topic", permission: topicAdmin, handler: handleDeleteTopic },
  { method: "POST", path: "/v1/topics/:topic/partitions", permission: topicAdmin, handler: handleAddPartitions },
  { method: "POST", path: "/v1/topics/:topic/records", permission: { resource: "topic", operation: "write", param: "topic" }, handler: handleProduce },
  { method: "POST", path: "/v1/topics/:topic/partitions/:partition/records", permission: { resource: "topic", operation: "write", param: "topic" }, handler: handleProduce },
  { method: "GET", path: "/v1/topics/:topic/partitions/:partition/records", permission: { resource: "topic", operation: "read", param: "topic" }, handler: handleFetch },
  { method: "GET", path: "/v1/topics/:topic/partitions/:partition/offsets", permission: { resource: "topic", operation: "describe", param: "topic" }, handler: handleListOffsets },
  { method: "POST", path: "/v1/topics/:topic/partitions/:partition/delete-records", permission: topicAdmin, handler: handleDeleteRecords },
  { method: "POST", path: "/v1/topics/:topic/partitions/:partition/elect", permission: topicAdmin, handler: handleElectLeader },
  { method: "POST", path: "/v1/faults", permission: clusterAdmin, handler: handleFault },
  { method: "POST", path: "/v1/producers", handler: handleInitProducer },
  { method: "GET", path: "/v1/groups", handler: handleListGroups },
  { method: "GET", path: "/v1/groups/:group", permission: { resource: "group", operation: "read", param: "group" }, handler: handleDescribeGroup },
  { method: "PATCH", path: "/v1/groups/:group", permission: { resource: "group", operation: "admin", param: "group" }, handler: handleAlterGroup },
  { method: "DELETE", path: "/v1/groups/:group", permission: { resource: "group", operation: "admin", param: "group" }, handler: handleDeleteGroup },
  { method: "POST", path: "/v1/groups/:group/heartbeat", permission: { resource: "group", operation: "read", param: "group" }, handler: handleHeartbeat },
  { method: "POST", path: "/v1/groups/:group/offsets", permission: { resource: "group", operation: "read", param: "group" }, handler: handleCommit },
  { method: "GET", path: "/v1/groups/:group/offsets", permission: { resource: "group", operation: "read", param: "group" }, handler: handleGroupOffsets },
  { method: "GET", path: "/v1/groups/:group/status", permission: { resource: "group", operation: "read", param: "group" }, handler: handleGroupStatus },
  { method: "POST", path: "/v1/groups/:group/offsets/reset", permission: { resource: "group", operation: "admin", param: "group" }, handler: handleResetOffsets },
  { method: "POST", path: "/v1/tokens", permission: clusterAdmin, handler: handleCreateToken },
  { method: "GET", path: "/v1/tokens", permission: clusterAdmin, handler: handleListTokens },
  { method: "DELETE", path: "/v1/tokens/:id", permission: clusterAdmin, handler: handleRevokeToken },
  { method: "POST", path: "/v1/subscriptions", handler: handleCreateSubscription },
  { method: "GET", path: "/v1/subscriptions", handler: handleListSubscriptions },
  { method: "GET", path: "/v1/subscriptions/:name", permission: subscriptionRead, handler: handleDescribeSubscription },
  { method: "PATCH", path: "/v1/subscriptions/:name", permission: subscriptionAdmin, handler: handleAlterSubscription },
  { method: "DELETE", path: "/v1/subscriptions/:name", permission: subscriptionAdmin, handler: handleDeleteSubscription },
  { method: "POST", path: "/v1/subscriptions/:name/pause", permission: subscriptionAdmin, handler: handlePauseSubscription },
  { method: "POST", path: "/v1/subscriptions/:name/resume", permission: subscriptionAdmin, handler: handleResumeSubscription },
  { method: "POST", path: "/v1/subscriptions/:name/offsets/reset", permission: subscriptionAdmin, handler: handleResetSubscriptionOffsets },
  { method: "GET", path: "/v1/share-groups", handler: handleListShareGroups },
  { method: "PUT", path: "/v1/share-groups/:group", permission: shareAdmin, handler: handlePutShareGroup },
  { method: "GET", path: "/v1/share-groups/:group", permission: shareRead, handler: handleDescribeShareGroup },
  { method: "PATCH", path: "/v1/share-groups/:group", permission: shareAdmin, handler: handleAlterShareGroup },
  { method: "DELETE", path: "/v1/share-groups/:group", permission: shareAdmin, handler: handleDeleteShareGroup },
  { method: "POST", path: "/v1/share-groups/:group/heartbeat", permission: shareRead, handler: handleShareGroupHeartbeat },
  { method: "POST", path: "/v1/share-groups/:group/poll", permission: shareRead, handler: handlePollShareGroup },
  { method: "POST", path: "/v1/share-groups/:group/acknowledgements", permission: shareRead, handler: handleAcknowledgeShareGroup },
  { method: "POST", path: "/v1/share-groups/:group/offsets/reset", permission: shareAdmin, handler: handleResetShareGroupOffsets },
  { method: "GET", path: "/v1/transactions", handler: handleListTransactions },
  { method: "GET", path: "/v1/transactions/:transactionalId", permission: { resource: "transactionalId", operation: "describe", param: "transactionalId" }, handler: handleDescribeTransaction },
  { method: "POST", path: "/v1/transactions/:transactionalId/init", permission: txnWrite, handler: handleInitTransactions },
  { method: "POST", path: "/v1/transactions/:transactionalId/begin", permission: txnWrite, handler: handleBeginTransaction },
  { method: "POST", path: "/v1/transactions/:transactionalId/offsets", permission: txnWrite, handler: handleTransactionOffsets },
  { method: "POST", path: "/v1/transactions/:transactionalId/commit", permission: txnWrite, handler: handleCommitTransaction },
  { method: "POST", path: "/v1/transactions/:transactionalId/abort", permission: txnWrite, handler: handleAbortTransaction },
];

for (const route of ROUTES) {
  const handlers = route.permission === undefined ? [route.handler] : [need(route.permission), route.handler];
  router[route.method.toLowerCase() as "get" | "post" | "put" | "patch" | "delete"](route.path, ...handlers);
}

/** Whether `path` matches a route pattern as itty-router matches it (trailing slashes allowed). */
export function matchesPattern(pattern: string, path: string): boolean {
  const want = pattern.split("/");
  const got = path.replace(/(.)\/+$/, "$1").split("/");
  return want.length === got.length && want.every((segment, i) => (segment.startsWith(":") ? got[i] !== "" : segment === got[i]));
}

// Durable Streams (docs/durable-streams.md): a protocol of its own under /ds, every method on one path pattern; the
// handler authorizes each method on the stream as a topic resource.
router.all(`${DS_STREAM_PREFIX}*`, handleStream);

// The schema registry's routes: a separate API with its own table (docs/schemas.md), under /schema-registry.
for (const route of REGISTRY_ROUTES) {
  router[route.method.toLowerCase() as "get" | "post" | "put" | "delete"](route.path === "/" ? REGISTRY_BASE_PATH : `${REGISTRY_BASE_PATH}${route.path}`, route.handler);
}

router.all("*", (request: IRequest) => {
  const path = new URL(request.url).pathname;
  const allowed = [...new Set(ROUTES.filter((route) => matchesPattern(route.path, path)).map((route) => route.method))];
  if (allowed.length > 0) {
    throw new KafkaError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}; use ${allowed.join(", ")}`, { allowed });
  }
  throw new KafkaError("NOT_FOUND", `no route for ${request.method} ${path}; see docs/api.md`);
});
