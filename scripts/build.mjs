// Builds what the package ships besides the Worker: the CLI bundle (build/edgelog.mjs, run by bin/edgelog.mjs)
// and the client bundle behind the `edgelog/client` export (build/client.mjs). Runs from `npm install` (the
// `prepare` script) and on demand from bin/edgelog.mjs when src/ changed, so no manual step is needed.
//   node scripts/build.mjs
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export async function build() {
  await Promise.all([
    esbuild({
      entryPoints: [resolve(ROOT, "src/cli/main.ts")],
      outfile: resolve(ROOT, "build/edgelog.mjs"),
      absWorkingDir: ROOT,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      // commander stays a runtime dependency (it is ESM; bundling it buys nothing).
      packages: "external",
      logLevel: "warning",
    }),
    esbuild({
      entryPoints: [resolve(ROOT, "src/client/edgelog.ts")],
      outfile: resolve(ROOT, "build/client.mjs"),
      absWorkingDir: ROOT,
      bundle: true,
      // Workers, Node and browsers: no platform-specific resolution, nothing external (the client has no deps).
      platform: "neutral",
      format: "esm",
      target: "es2022",
      logLevel: "warning",
    }),
  ]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await build();
