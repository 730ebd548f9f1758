// The bindings edgelog's Worker and objects receive (wrangler.toml, and the test config for tests).
import type { PartitionLog } from "./partition/PartitionLog";
import type { Controller } from "./controller/Controller";

export interface Env {
  PARTITION_LOG: DurableObjectNamespace<PartitionLog>;
  CONTROLLER: DurableObjectNamespace<Controller>;
  /** Tiered storage for sealed segments. */
  SEGMENTS: R2Bucket;
  /** "production", "development" (npm start), "test" or "bench": shown by /healthz. */
  EDGELOG_ENV?: string;
}
