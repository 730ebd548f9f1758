import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-plugin";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: { bindings: { EDGELOG_ENV: "test" } },
    }),
  ],
  test: { include: ["test/**/*.test.ts"] },
});
