// Builds what the package ships besides the Worker: the CLI bundle (build/edgelog.mjs, run by bin/edgelog.mjs),
// the client bundle behind the `edgelog/client` export (build/client.mjs) and its type declarations
// (build/types/client/edgelog.d.ts, so a `nodenext` TypeScript project type-checks against the export). Runs from
// `npm install` (the `prepare` script); bin/edgelog.mjs rebuilds the bundles (not the declarations) on demand when
// src/ changed, so no manual step is needed.
//   node scripts/build.mjs
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { resolve, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild } from "esbuild";
import ts from "typescript";

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

/**
 * Declarations of the client and the leaves it imports, under build/types/ as src/ lays them out. The sources import
 * without extensions (bundler resolution); Node's ESM resolution, which a `nodenext` project applies to the
 * declarations of this `"type": "module"` package, needs them, so relative specifiers get `.js` (which TypeScript maps
 * to the `.d.ts` beside it).
 */
export function buildTypes() {
  const outDir = resolve(ROOT, "build/types");
  rmSync(outDir, { recursive: true, force: true });
  const program = ts.createProgram([resolve(ROOT, "src/client/edgelog.ts")], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2024.d.ts"],
    // The client runs in Workers, Node and browsers; Node's types stand in for the globals they share (fetch, timers).
    types: ["node"],
    typeRoots: [resolve(ROOT, "node_modules/@types")],
    strict: true,
    skipLibCheck: true,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: resolve(ROOT, "src"),
    outDir,
  });
  const withJs = (text) =>
    text.replace(/((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']+?)(["'])/g, (_, head, spec, quote) => `${head}${spec.endsWith(".js") ? spec : `${spec}.js`}${quote}`);
  const result = program.emit(undefined, (file, text) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, withJs(text));
  }, undefined, true);
  const errors = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics].filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (result.emitSkipped || errors.length > 0) {
    throw new Error(`client declarations: ${ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" })}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await build();
  buildTypes();
}
