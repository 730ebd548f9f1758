// Types for edgelog-server.mjs, so TypeScript tests can import it (the project does not enable allowJs).
import type { Miniflare } from "miniflare";

/** Absolute path of the repository root. */
export declare const REPO_ROOT: string;

/** Bundles the worker entry (default src/index.ts) into `outDir/index.js` and returns that path. */
export declare function bundleWorker(options: { outDir: string; entry?: string; repoRoot?: string }): Promise<string>;

export interface EdgelogServer {
  /** Base URL of the workerd HTTP socket, e.g. http://127.0.0.1:41234/. */
  url: URL;
  mf: Miniflare;
  /** Temp dir holding the bundle and persisted storage; removed by stop(). */
  dir: string;
  /** The bundled worker (inside `dir`). */
  scriptPath: string;
  /** Disposes Miniflare and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

export declare function startEdgelog(options?: {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Merged over { EDGELOG_ENV: "bench" }. */
  bindings?: Record<string, string>;
  /** Persist Durable Object / R2 data under the temp dir (default true). */
  persist?: boolean;
  verbose?: boolean;
  /** Worker entry to bundle instead of src/index.ts (repo-relative or absolute). */
  entry?: string;
  inspectorPort?: number;
  direct?: boolean;
  /** Receives each line workerd logs (console output and uncaught errors) instead of Miniflare printing it. */
  onLog?: (log: { timestamp: number; level: string; message: string }) => void;
  /** Auxiliary Workers in the same workerd (ES modules; scriptPath repo-relative or absolute); `mf.getWorker(name)`. */
  workers?: { name: string; scriptPath: string; bindings?: Record<string, string>; durableObjects?: Record<string, { className: string; useSQLite?: boolean }>; compatibilityDate?: string }[];
  /** edgelog's service bindings to them, e.g. { CONSUMER: { name: "consumer", entrypoint: "Consumer" } }. */
  serviceBindings?: Record<string, string | { name: string; entrypoint?: string }>;
  /** Also run the example consumer Worker (examples/consumer), bound to edgelog as EXAMPLE_CONSUMER, as `npm start` does. */
  exampleConsumer?: boolean;
}): Promise<EdgelogServer>;
