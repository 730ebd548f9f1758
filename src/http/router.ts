// The route table (DESIGN §3) and the one catch. Handlers live one file per resource.
import { Router } from "itty-router/Router";
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { handleCommit, handleDeleteGroup, handleDescribeGroup, handleGroupOffsets, handleHeartbeat, handleListGroups, handleResetOffsets } from "./groups";
import { countRequest, handleHealth, handleMetrics } from "./health";
import { handleDeleteRecords, handleListOffsets } from "./offsets";
import { handleInitProducer } from "./producers";
import { handleFetch, handleProduce } from "./records";
import { fromThrown } from "./respond";
import type { Principal, Requirement, ResourceType } from "../auth/acl";
import { authenticate, authorize, checkQuota, debitQuota, preflight, principalOf, withCors } from "./auth";
import { pathParam } from "./parse";
import { handleCreateToken, handleListTokens, handleRevokeToken } from "./tokens";
import { handleAddPartitions, handleAlterTopic, handleCreateTopic, handleDeleteTopic, handleDescribeTopic, handleListTopics } from "./topics";
import { handleUsage } from "./usage";
import { handleElectLeader, handleFault } from "./replicas";

type Args = [Env, ExecutionContext];

/** Route guard: the caller needs `operation` on the resource named by a path parameter (or the cluster). */
function need(resource: ResourceType, operation: Requirement, param?: string) {
  return (request: IRequest, ..._args: Args): void => {
    authorize(principalOf(request), resource, param === undefined ? "cluster" : pathParam(request.params, param), operation);
  };
}

/** Authenticates every request but liveness and CORS preflights, then charges its request quota. */
async function authenticateRequest(request: IRequest, env: Env): Promise<Response | undefined> {
  if (request.method === "OPTIONS") return preflight(request, env);
  if (new URL(request.url).pathname === "/healthz") return undefined;
  const principal = await authenticate(request, env);
  (request as unknown as { principal: Principal }).principal = principal;
  checkQuota(principal, "requests");
  debitQuota(principal, "requests", 1);
  return undefined;
}

export const router = Router<IRequest, Args>({
  before: [authenticateRequest],
  catch: (error) => fromThrown(error),
  finally: [
    (response: Response, request: IRequest, env: Env) => {
      countRequest(request.route ?? "unmatched", response.status);
      // A preflight answer already carries its CORS headers.
      return request.method === "OPTIONS" ? response : withCors(response, request, env);
    },
  ],
});

// Permissions per route (docs/security.md has the table). Body-named resources (a created topic, subscribed and
// committed topics) are checked in their handlers.
router
  .get("/healthz", handleHealth)
  .get("/metrics", need("cluster", "read"), handleMetrics)
  .get("/v1/usage", need("cluster", "read"), handleUsage)
  .post("/v1/topics", handleCreateTopic)
  .get("/v1/topics", handleListTopics)
  .get("/v1/topics/:topic", need("topic", "describe", "topic"), handleDescribeTopic)
  .patch("/v1/topics/:topic", need("topic", "admin", "topic"), handleAlterTopic)
  .delete("/v1/topics/:topic", need("topic", "admin", "topic"), handleDeleteTopic)
  .post("/v1/topics/:topic/partitions", need("topic", "admin", "topic"), handleAddPartitions)
  .post("/v1/topics/:topic/records", need("topic", "write", "topic"), handleProduce)
  .post("/v1/topics/:topic/partitions/:partition/records", need("topic", "write", "topic"), handleProduce)
  .get("/v1/topics/:topic/partitions/:partition/records", need("topic", "read", "topic"), handleFetch)
  .get("/v1/topics/:topic/partitions/:partition/offsets", need("topic", "describe", "topic"), handleListOffsets)
  .post("/v1/topics/:topic/partitions/:partition/delete-records", need("topic", "admin", "topic"), handleDeleteRecords)
  .post("/v1/topics/:topic/partitions/:partition/elect", need("topic", "admin", "topic"), handleElectLeader)
  .post("/v1/faults", need("cluster", "admin"), handleFault)
  .post("/v1/producers", handleInitProducer)
  .get("/v1/groups", handleListGroups)
  .get("/v1/groups/:group", need("group", "read", "group"), handleDescribeGroup)
  .delete("/v1/groups/:group", need("group", "admin", "group"), handleDeleteGroup)
  .post("/v1/groups/:group/heartbeat", need("group", "read", "group"), handleHeartbeat)
  .post("/v1/groups/:group/offsets", need("group", "read", "group"), handleCommit)
  .get("/v1/groups/:group/offsets", need("group", "read", "group"), handleGroupOffsets)
  .post("/v1/groups/:group/offsets/reset", need("group", "admin", "group"), handleResetOffsets)
  .post("/v1/tokens", need("cluster", "admin"), handleCreateToken)
  .get("/v1/tokens", need("cluster", "admin"), handleListTokens)
  .delete("/v1/tokens/:id", need("cluster", "admin"), handleRevokeToken)
  .all("*", (request: IRequest) => {
    const path = new URL(request.url).pathname;
    const allowed = router.routes
      .filter(([method, pattern]) => method !== "ALL" && pattern.test(path))
      .map(([method]) => method);
    if (allowed.length > 0) {
      throw new KafkaError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${path}; use ${[...new Set(allowed)].join(", ")}`, {
        allowed: [...new Set(allowed)],
      });
    }
    throw new KafkaError("NOT_FOUND", `no route for ${request.method} ${path}; see docs/api.md`);
  });
