// The client's import rule (DESIGN §4): src/client imports only the pure leaves (src/log/*, src/errors.ts,
// src/limits.ts) and nothing from cloudflare:* or node:*, so it runs in Workers, Node and browsers; and the Worker's
// bundle carries none of the client or the CLI.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

function importsOf(file: string): string[] {
  const source = readFileSync(file, "utf8");
  return [...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+"([^"]+)"/gms)].map((m) => m[1]!);
}

describe("import rules", () => {
  it("src/client imports only itself and the leaves", () => {
    const dir = join(ROOT, "src/client");
    const allowed = /^(\.\/[\w-]+|\.\.\/log\/[\w-]+|\.\.\/errors|\.\.\/limits)$/;
    for (const name of readdirSync(dir)) {
      for (const spec of importsOf(join(dir, name))) expect(`${name}: ${spec}`).toMatch(new RegExp(`: ${allowed.source.slice(1)}`));
    }
  });

  it("the leaves the client uses import nothing else of ours", () => {
    for (const file of ["src/errors.ts", "src/limits.ts", ...readdirSync(join(ROOT, "src/log")).map((n) => `src/log/${n}`)]) {
      for (const spec of importsOf(join(ROOT, file))) expect(`${file}: ${spec}`).toMatch(/: \.\/[\w-]+$|: \.\.\/limits$/);
    }
  });

  it("the Worker bundle (src/index.ts) includes nothing from src/client or src/cli", async () => {
    const result = await build({
      entryPoints: [join(ROOT, "src/index.ts")],
      bundle: true,
      write: false,
      metafile: true,
      format: "esm",
      platform: "neutral",
      conditions: ["workerd", "worker", "browser"],
      external: ["cloudflare:*", "node:*"],
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.startsWith("src/index.ts") || path.endsWith("src/index.ts"))).toBe(true);
    expect(inputs.filter((path) => /src\/(client|cli)\//.test(path))).toEqual([]);
  });
});
