import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-plugin";

// wrangler (read by the plugin for wrangler.toml) says "Using secrets defined in .dev.vars" once per test file at its
// "log" level; the test bindings below replace those development values anyway. Warnings and errors still show;
// WRANGLER_LOG=log (or debug) in the shell brings the rest back. `npm start` reads .dev.vars as before.
process.env.WRANGLER_LOG ??= "warn";

// Auth is off for the suites that test the log itself (test/auth turns it on per request); groups re-read topic
// metadata on every heartbeat in tests, so added partitions show at once.
const workers = () =>
  cloudflareTest({
    wrangler: { configPath: "./wrangler.toml" },
    miniflare: {
      bindings: { EDGELOG_ENV: "test", EDGELOG_AUTH: "off", GROUP_METADATA_REFRESH_MS: "0" },
      // Auxiliary Workers: target-echo answers the service delivery target's tests as a consumer Worker would.
      workers: [{ name: "target-echo", modules: true, scriptPath: "./test/fixtures/target-echo-worker.mjs", compatibilityDate: "2026-10-20" }],
      serviceBindings: { TARGET_ECHO: { name: "target-echo", entrypoint: "EchoTarget" } },
    },
  });

// Three projects: "workers" runs inside workerd (unit, Durable Object, HTTP end to end); "fuzz" runs the hostile-input
// fuzz in a workerd process of its own (it touches thousands of Durable Objects, each an open SQLite file, and one
// process has a bounded number of file descriptors); "node" runs the client, the CLI and raw-socket HTTP tests from
// Node against a real local edgelog each test file starts (scripts/bench/edgelog-server.mjs).
export default defineConfig({
  test: {
    // A passing run is quiet: what a test logs (expected failures, server logs) is printed only if it fails.
    // `npx vitest run --silent=false` shows everything.
    silent: "passed-only",
    projects: [
      {
        plugins: [workers()],
        test: { name: "workers", include: ["test/**/*.test.ts"], exclude: ["test/**/*.node.test.ts", "test/http/fuzz.test.ts", "**/node_modules/**"] },
      },
      {
        plugins: [workers()],
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
