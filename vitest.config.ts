import { readFileSync } from "node:fs";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
// @ts-expect-error: a plain .mjs script without declarations
import { buildConsole } from "./scripts/build.mjs";

// The Worker imports the console's build (build/console.mjs, from console/): rebuild it so tests never see it stale.
await buildConsole();

// wrangler (read by the plugin for wrangler.toml) says "Using secrets defined in .dev.vars" once per test file at its
// "log" level; the test bindings below replace those development values anyway. Warnings and errors still show;
// WRANGLER_LOG=log (or debug) in the shell brings the rest back. `npm start` reads .dev.vars as before.
process.env.WRANGLER_LOG ??= "warn";

// itty-router ships source maps that name sources it does not ship ("../src/…"), so vite warned on every run
// "Sourcemap for …/itty-router/… points to a source file outside its package". Its modules load without their map
// comment (stack traces then point into the .mjs, which is the code that runs); every other warning still shows.
const ittyRouterWithoutSourcemaps: Plugin = {
  name: "itty-router-without-sourcemaps",
  enforce: "pre",
  load(id) {
    if (!/[\\/]node_modules[\\/]itty-router[\\/][^?]*\.m?js$/.test(id)) return null;
    return { code: readFileSync(id, "utf8").replace(/^\/\/# sourceMappingURL=.*$/m, ""), map: null };
  },
};

// Auth is off for the suites that test the log itself (test/auth turns it on per request); groups re-read topic
// metadata on every heartbeat in tests, so added partitions show at once.
const workers = (bindings: Record<string, string> = {}) =>
  [ittyRouterWithoutSourcemaps, cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: { EDGELOG_ENV: "test", EDGELOG_AUTH: "off", GROUP_METADATA_REFRESH_MS: "0", ...bindings },
      // Auxiliary Workers: target-echo answers the service delivery target's tests as a consumer Worker would;
      // test-consumer is the subscriptions' consumer Worker, logging every delivery in its own Durable Object.
      workers: [
        { name: "target-echo", modules: true, scriptPath: "./test/fixtures/target-echo-worker.mjs", compatibilityDate: "2026-10-20" },
        {
          name: "test-consumer",
          modules: true,
          scriptPath: "./test/fixtures/consumer-worker.mjs",
          compatibilityDate: "2026-10-20",
          durableObjects: { DELIVERY_LOG: { className: "DeliveryLog", useSQLite: true } },
        },
      ],
      serviceBindings: {
        TARGET_ECHO: { name: "target-echo", entrypoint: "EchoTarget" },
        TEST_CONSUMER: { name: "test-consumer", entrypoint: "Consumer" },
        TEST_CONSUMER_LOG: "test-consumer",
      },
    },
  })];

// Five projects: "workers" runs inside workerd (unit, Durable Object, HTTP end to end); "fuzz" runs the hostile-input
// fuzz in a workerd process of its own, "ws-tail-cap" the 1,000 WebSocket tails of one partition (it touches thousands of Durable Objects, each an open SQLite file, and one
// process has a bounded number of file descriptors); "acks-timeout" runs the one test that waits out an acks=all
// produce's timeout, with ACKS_ALL_TIMEOUT_MS at 1 s instead of 30 s (the wait is the partition object's real timer:
// vitest's fake timers would run its callback in the test's I/O context, which workerd refuses, and a small timeout for
// every test would fail slow but healthy acks=all produces elsewhere); "node" runs the client, the CLI and raw-socket
// HTTP tests from Node against a real local edgelog each test file starts (scripts/bench/edgelog-server.mjs).
export default defineConfig({
  test: {
    // A passing run is quiet: what a test logs (expected failures, server logs) is printed only if it fails.
    // `npx vitest run --silent=false` shows everything.
    silent: "passed-only",
    projects: [
      {
        plugins: workers(),
        test: { name: "workers", include: ["test/**/*.test.ts"], exclude: ["test/**/*.node.test.ts", "test/http/fuzz.test.ts", "test/http/acks-timeout.test.ts", "test/http/ws-tail-cap.test.ts", "**/node_modules/**"] },
      },
      {
        plugins: workers(),
        test: { name: "ws-tail-cap", include: ["test/http/ws-tail-cap.test.ts"] },
      },
      {
        plugins: workers({ ACKS_ALL_TIMEOUT_MS: "1000" }),
        test: { name: "acks-timeout", include: ["test/http/acks-timeout.test.ts"] },
      },
      {
        plugins: workers(),
        test: { name: "fuzz", include: ["test/http/fuzz.test.ts"] },
      },
      {
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.node.test.ts"],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
