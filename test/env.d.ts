// Types what tests see through `env` and `exports` from cloudflare:workers.
import type { Env as EdgelogEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends EdgelogEnv {
      /** test/fixtures/consumer-worker.mjs: its Consumer entrypoint (the subscriptions' target) and its fetch (the log). */
      TEST_CONSUMER: Fetcher;
      TEST_CONSUMER_LOG: Fetcher;
    }
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "PartitionLog" | "Controller" | "GroupCoordinator" | "SubscriptionPartition" | "TransactionCoordinator";
    }
  }
}
