// Starts edgelog in workerd through Miniflare's API (no `wrangler dev`) and tears it down again.
// Owns bundling src/index.ts, the Miniflare configuration and the temporary directories; shared by the
// benchmarks and by Node-side tests that need a real HTTP endpoint.

import { readFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { buildConsole } from "../build.mjs";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

// Mirrors wrangler.toml (kept by hand: wrangler's own config loader would write .wrangler/ into the repo).
/** The objects' Worker in the split topology (startEdgelog's `topology: "split"`). */
const OBJECTS_WORKER = "edgelog-objects";

const WORKER = {
  name: "edgelog",
  entry: "src/index.ts",
  // One source for the date: wrangler.toml (the installed workerd refuses dates newer than its build).
  compatibilityDate: /^compatibility_date\s*=\s*"([^"]+)"/m.exec(readFileSync(resolve(REPO_ROOT, "wrangler.toml"), "utf8"))[1],
  compatibilityFlags: JSON.parse(/^compatibility_flags\s*=\s*(\[[^\]]*\])/m.exec(readFileSync(resolve(REPO_ROOT, "wrangler.toml"), "utf8"))?.[1] ?? "[]"),
  durableObjects: {
    PARTITION_LOG: { className: "PartitionLog", useSQLite: true },
    CONTROLLER: { className: "Controller", useSQLite: true },
    GROUP_COORDINATOR: { className: "GroupCoordinator", useSQLite: true },
    SUBSCRIPTION_PARTITION: { className: "SubscriptionPartition", useSQLite: true },
    TRANSACTION_COORDINATOR: { className: "TransactionCoordinator", useSQLite: true },
    SCHEMA_REGISTRY: { className: "SchemaRegistry", useSQLite: true },
    SHARE_PARTITION: { className: "SharePartition", useSQLite: true },
    DURABLE_STREAM: { className: "DurableStream", useSQLite: true },
    TOKEN_SHARD: { className: "TokenShard", useSQLite: true },
  },
  r2Buckets: ["SEGMENTS", "ARCHIVE"],
};

/**
 * Bundles the worker the way `wrangler deploy` does (same esbuild target, conditions, keepNames and
 * NODE_ENV define), so we measure the code we would ship. esbuild is used directly rather than
 * `wrangler deploy --dry-run` because wrangler always creates `.wrangler/tmp` in the repo root.
 */
export async function bundleWorker({ outDir, entry = WORKER.entry, repoRoot = REPO_ROOT } = {}) {
  const outfile = join(outDir, "index.js");
  // The Worker imports the console's build (build/console.mjs): rebuild it so console/ edits are never served stale.
  await buildConsole();
  await build({
    entryPoints: [resolve(repoRoot, entry)],
    absWorkingDir: repoRoot,
    outfile,
    bundle: true,
    format: "esm",
    target: "es2024",
    supported: { "import-source": true, using: true },
    keepNames: true,
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*", "node:*"],
    define: { "process.env.NODE_ENV": '"production"' },
    sourcemap: "linked",
    logLevel: "warning",
  });
  return outfile;
}

/**
 * Bundles and starts edgelog, resolving once workerd accepts HTTP.
 * Returns { url, mf, dir, scriptPath, stop }; `stop()` is idempotent and always removes the temp directory.
 *
 * Options: port (0 = any free port), bindings (merged over { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off",
 * EDGELOG_LOG_LEVEL: "warn" }: a request line per call would flood a benchmark's terminal; bench:counting measures it),
 * persist (false keeps storage in Miniflare's own ephemeral dir), verbose (workerd debug logs),
 * entry (another worker entry with the same exports, e.g. a baseline; repo-relative or absolute),
 * inspectorPort (opens workerd's Chrome DevTools inspector there, for scripts/bench/profile.mjs),
 * onLog (receives each line workerd logs, {timestamp, level, message}, instead of Miniflare printing it; tests use it
 * to check what the Worker logs),
 * workers (auxiliary Workers in the same workerd, e.g. a subscription's consumer: [{name, scriptPath, bindings?,
 * durableObjects?, compatibilityDate?}], ES modules, scriptPath repo-relative or absolute; reach one from Node with
 * `mf.getWorker(name)`) and serviceBindings (edgelog's bindings to them, Miniflare's shape: {BINDING: {name,
 * entrypoint?}} or {BINDING: "name"}), as wrangler.toml's [[services]] would bind them; exampleConsumer (also runs the
 * example consumer Worker of examples/consumer, bound to edgelog as EXAMPLE_CONSUMER, as `npm start` does).
 */
export async function startEdgelog({ port = 0, bindings = {}, persist = true, verbose = false, entry, inspectorPort, direct = true, onLog, workers = [], serviceBindings = {}, exampleConsumer = false, topology = "shared" } = {}) {
  if (topology !== "shared" && topology !== "split") throw new Error(`topology must be shared or split, got '${topology}'`);
  // One temp dir holds both the bundle and the Durable Object / R2 data so a single rm cleans up.
  const dir = await mkdtemp(join(tmpdir(), "edgelog-"));
  // Miniflare answers SIGINT/SIGTERM by killing workerd and calling process.exit() synchronously, so
  // an async stop() would never run; an "exit" listener is the one place left to delete our files.
  const removeDirSync = () => rmSync(dir, { recursive: true, force: true });
  process.on("exit", removeDirSync);
  let mf;
  let objectsMf;
  const stop = once(async () => {
    try {
      if (mf) await mf.dispose();
      if (objectsMf) await objectsMf.dispose();
    } finally {
      process.off("exit", removeDirSync);
      await rm(dir, { recursive: true, force: true });
    }
  });

  try {
    const scriptPath = await bundleWorker({ outDir: join(dir, "bundle"), entry });
    const shared = {
      // Miniflare 5 replaced durableObjectsPersist/r2Persist with one root (subdirs do/, r2/, cache/).
      ...(persist ? { resourcePersistencePath: join(dir, "persist") } : {}),
      host: "127.0.0.1",
      port,
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
      verbose,
      ...(onLog === undefined ? {} : { handleStructuredLogs: onLog }),
      // Per-request console lines would cost more than some of the requests we are timing.
      logRequests: false,
      telemetry: { enabled: false },
    };
    const edgelog = {
      name: WORKER.name,
      modules: true,
      scriptPath,
      // Module names are paths relative to this root; without it the bundle outside the cwd gets a
      // "../" name that workerd rejects.
      modulesRoot: dirname(scriptPath),
      compatibilityDate: WORKER.compatibilityDate,
      compatibilityFlags: WORKER.compatibilityFlags,
      durableObjects: WORKER.durableObjects,
      r2Buckets: WORKER.r2Buckets,
      bindings: { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off", EDGELOG_LOG_LEVEL: "warn", ...bindings },
      ...(Object.keys(serviceBindings).length === 0 ? {} : { serviceBindings }),
      // A socket straight into the Worker, as in production: without it every request also runs Miniflare's
      // development entry worker (~0.4 ms of workerd CPU each). `direct: false` measures through that entry.
      ...(direct ? { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] } : {}),
    };
    // With auxiliary Workers, edgelog comes first: the entry (mf.ready's URL and the direct socket's default).
    const auxiliary = workers.map((w) => ({
      modules: true,
      compatibilityDate: WORKER.compatibilityDate,
      ...w,
      scriptPath: resolve(REPO_ROOT, w.scriptPath),
    }));
    if (exampleConsumer) {
      const { CONSUMER_BINDING, CONSUMER_CONFIG, CONSUMER_ENTRYPOINT, consumerName } = await import("../dev-config.mjs");
      const consumerScript = await bundleWorker({ outDir: join(dir, "consumer"), entry: join(dirname(CONSUMER_CONFIG), "src/index.ts") });
      const name = consumerName(REPO_ROOT);
      auxiliary.push({ name, modules: true, scriptPath: consumerScript, modulesRoot: dirname(consumerScript), compatibilityDate: WORKER.compatibilityDate });
      edgelog.serviceBindings = { ...(edgelog.serviceBindings ?? {}), [CONSUMER_BINDING]: { name, entrypoint: CONSUMER_ENTRYPOINT } };
    }
    if (topology === "split") {
      // The production topology: the router never shares a thread with the Durable Objects. A second workerd process
      // runs the same bundle as "edgelog-objects", owning every object class and the storage; the router's object
      // bindings name that script, and Miniflare joins the two through its dev registry (a directory both instances
      // watch; each call goes through the objects' workerd debug port as a real cross-process RPC).
      if (auxiliary.length > 0 || inspectorPort !== undefined) throw new Error("topology split runs edgelog alone (no auxiliary Workers, no inspector)");
      const registry = join(dir, "registry");
      const objects = {
        ...edgelog,
        name: OBJECTS_WORKER,
        unsafeDirectSockets: undefined,
      };
      delete objects.unsafeDirectSockets;
      objectsMf = new Miniflare(convertV4MiniflareOptions({ ...objects, ...shared, port: 0, unsafeDevRegistryPath: registry }));
      await objectsMf.ready;
      edgelog.durableObjects = Object.fromEntries(Object.entries(WORKER.durableObjects).map(([binding, { className }]) => [binding, { className, scriptName: OBJECTS_WORKER }]));
      shared.unsafeDevRegistryPath = registry;
      // The router's own storage holds nothing: its R2 buckets are left empty (the bench's routes do not read them).
      if (persist) shared.resourcePersistencePath = join(dir, "persist-router");
    }
    // Miniflare 5's constructor only accepts its new per-worker config shape; convertV4MiniflareOptions is
    // its exported adapter from the classic flat options, the same one wrangler uses.
    const options = convertV4MiniflareOptions(auxiliary.length === 0 ? { ...edgelog, ...shared } : { ...shared, workers: [edgelog, ...auxiliary] });
    mf = new Miniflare(options);
    const entryUrl = await mf.ready;
    const url = direct ? await mf.unsafeGetDirectURL() : entryUrl;
    return { url, mf, objectsMf, dir, scriptPath, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function once(fn) {
  let promise;
  return () => (promise ??= fn());
}
