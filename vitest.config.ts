import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-plugin";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // Auth is off for the suites that test the log itself (test/auth turns it on per request); groups re-read
      // topic metadata on every heartbeat in tests, so added partitions show at once.
      miniflare: { bindings: { EDGELOG_ENV: "test", EDGELOG_AUTH: "off", GROUP_METADATA_REFRESH_MS: "0" } },
    }),
  ],
  test: { include: ["test/**/*.test.ts"] },
});
