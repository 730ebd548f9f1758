#!/usr/bin/env node
// `edgelog`: runs the CLI bundle (build/edgelog.mjs). In a clone of the repository it first rebuilds the bundle
// when it is missing or older than the sources it comes from, so `npx edgelog` always runs the code in src/.
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bundle = join(root, "build", "edgelog.mjs");

function newestMs(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMs(join(path, name))));
}

const sources = ["src/cli", "src/client", "src/log", "src/errors.ts", "src/limits.ts", "src/subscription-protocol.ts", "src/share-protocol.ts", "package.json"].map((p) => join(root, p));
if (sources.every(existsSync)) {
  const stale = !existsSync(bundle) || Math.max(...sources.map(newestMs)) > statSync(bundle).mtimeMs;
  if (stale) {
    try {
      const { build } = await import(pathToFileURL(join(root, "scripts", "build.mjs")).href);
      await build();
    } catch (error) {
      if (!existsSync(bundle)) {
        console.error(`edgelog: the CLI is not built and building it failed (${error.message}). Run \`npm install\` in ${root}.`);
        process.exit(1);
      }
    }
  }
}

const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
