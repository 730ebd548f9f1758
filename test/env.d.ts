// Types what tests see through `env` and `exports` from cloudflare:workers.
import type { Env as EdgelogEnv } from "../src/env";

declare global {
  namespace Cloudflare {
    interface Env extends EdgelogEnv {}
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "PartitionLog" | "Controller" | "GroupCoordinator";
    }
  }
}
