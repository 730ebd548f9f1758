// edgelog's Worker: the HTTP router as the default export, the RPC entrypoint for service bindings, and the
// Durable Object classes wrangler binds (PartitionLog, Controller, GroupCoordinator).
import type { Env } from "./env";
import { router } from "./http/router";

export { PartitionLog } from "./partition/PartitionLog";
export { Controller } from "./controller/Controller";
export { GroupCoordinator } from "./group/GroupCoordinator";
export { SubscriptionPartition } from "./subscription/SubscriptionPartition";
export { TransactionCoordinator } from "./transaction/TransactionCoordinator";
export { SchemaRegistry } from "./registry/SchemaRegistry";
export { SharePartition } from "./share/SharePartition";
export { DurableStream } from "./streams/DurableStream";
export { TokenShard } from "./token-shard/TokenShard";
export { EdgelogRpc } from "./rpc";

export default {
  fetch(request, env, ctx) {
    return router.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
