// The route table (DESIGN §3) and the one catch. Handlers live one file per resource.
import { Router } from "itty-router/Router";
import type { IRequest } from "itty-router";
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { handleCommit, handleDeleteGroup, handleDescribeGroup, handleGroupOffsets, handleHeartbeat, handleListGroups, handleResetOffsets } from "./groups";
import { countRequest, handleHealth, handleMetrics } from "./health";
import { handleListOffsets } from "./offsets";
import { handleInitProducer } from "./producers";
import { handleFetch, handleProduce } from "./records";
import { fromThrown } from "./respond";
import { handleAddPartitions, handleAlterTopic, handleCreateTopic, handleDeleteTopic, handleDescribeTopic, handleListTopics } from "./topics";

type Args = [Env, ExecutionContext];

export const router = Router<IRequest, Args>({
  catch: (error) => fromThrown(error),
  finally: [
    (response: Response, request: IRequest) => {
      countRequest(request.route ?? "unmatched", response.status);
      return response;
    },
  ],
});

router
  .get("/healthz", handleHealth)
  .get("/metrics", handleMetrics)
  .post("/v1/topics", handleCreateTopic)
  .get("/v1/topics", handleListTopics)
  .get("/v1/topics/:topic", handleDescribeTopic)
  .patch("/v1/topics/:topic", handleAlterTopic)
  .delete("/v1/topics/:topic", handleDeleteTopic)
  .post("/v1/topics/:topic/partitions", handleAddPartitions)
  .post("/v1/topics/:topic/records", handleProduce)
  .post("/v1/topics/:topic/partitions/:partition/records", handleProduce)
  .get("/v1/topics/:topic/partitions/:partition/records", handleFetch)
  .get("/v1/topics/:topic/partitions/:partition/offsets", handleListOffsets)
  .post("/v1/producers", handleInitProducer)
  .get("/v1/groups", handleListGroups)
  .get("/v1/groups/:group", handleDescribeGroup)
  .delete("/v1/groups/:group", handleDeleteGroup)
  .post("/v1/groups/:group/heartbeat", handleHeartbeat)
  .post("/v1/groups/:group/offsets", handleCommit)
  .get("/v1/groups/:group/offsets", handleGroupOffsets)
  .post("/v1/groups/:group/offsets/reset", handleResetOffsets)
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
