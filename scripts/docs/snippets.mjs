// The TypeScript snippets of the docs (docs/doctest.md): every one not doc-skip is type-checked against the current
// client; a `ts doc-run` one is also bundled and run in Node against the document's edgelog, its output compared with
// the ```text block beneath it as a shell command's is.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { parseBlocks, ROOT, run, TS_LANGUAGES } from "./doctest.mjs";

const SNIPPET_TIMEOUT_MS = 60_000;
let clientBuilt;

/** The snippet as a module: its doc-prelude (hidden from readers), then its code. */
function source(block) {
  const prelude = block.prelude?.body.map((line) => line.text) ?? [];
  const code = block.body.map((line) => line.text);
  const all = [...prelude, ...code];
  const isModule = all.some((line) => /^\s*(import|export)\b/.test(line));
  return { prelude, text: [...all, ...(isModule ? [] : ["export {};"])].join("\n") + "\n" };
}

/**
 * Runs one `ts doc-run` snippet: `substitute` points its URL at the document's edgelog (and puts in the values shown
 * earlier), esbuild bundles it with `edgelog/client` left to Node, which resolves the package's own export (the built
 * build/client.mjs, rebuilt once per run so it is the current src/client), and Node runs it. Stdout and stderr
 * together, as a reader's terminal shows them; a non-zero exit is reported beside the output (and never written into
 * the document by docs:update: a snippet that fails is a failure to fix, not an output to show).
 */
export async function runSnippet(doc, block, { substitute, env }) {
  if (clientBuilt === undefined) clientBuilt = import(pathToFileURL(join(ROOT, "scripts/build.mjs")).href).then((m) => m.build());
  await clientBuilt;
  const dir = join(ROOT, "build", "doctest", "run");
  mkdirSync(dir, { recursive: true });
  const name = `${doc.replace(/[/.]/g, "_")}_${block.fence + 1}`;
  writeFileSync(join(dir, `${name}.ts`), substitute(source(block).text));
  await build({
    entryPoints: [join(dir, `${name}.ts`)],
    outfile: join(dir, `${name}.mjs`),
    absWorkingDir: ROOT,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    external: ["edgelog/client"],
    logLevel: "error",
  });
  const { code, output } = await run(`"${process.execPath}" ${relative(ROOT, join(dir, `${name}.mjs`))}`, {
    port: new URL(env.EDGELOG_URL).port,
    env,
    timeoutMs: SNIPPET_TIMEOUT_MS,
  });
  return { code, output: code === 0 ? output : `${output}\n[doctest: exited ${code}]` };
}

/** Every ts block not skipped, as a module under build/doctest/, type-checked by tsc (Workers or Node types). */
export async function typecheck(docs, { log }) {
  const dir = join(ROOT, "build", "doctest");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = { workers: [], node: [] };
  const origin = new Map(); // file name → {doc, first line of the snippet in the doc, lines of prelude}
  for (const doc of docs) {
    for (const block of parseBlocks(readFileSync(join(ROOT, doc), "utf8"))) {
      if (!TS_LANGUAGES.has(block.lang) || block.markers.skip) continue;
      const name = `${doc.replace(/[/.]/g, "_")}_${block.fence + 1}.ts`;
      const { prelude, text } = source(block);
      writeFileSync(join(dir, name), text);
      files[block.markers.node ? "node" : "workers"].push(name);
      origin.set(name, { doc, line: block.fence + 2, preludeLines: prelude.length, prelude: block.prelude });
    }
  }
  const failures = [];
  for (const [kind, names] of Object.entries(files)) {
    if (names.length === 0) continue;
    const config = `tsconfig.${kind}.json`;
    writeFileSync(
      join(dir, config),
      JSON.stringify(
        {
          extends: kind === "node" ? "../../tsconfig.node.json" : "../../tsconfig.json",
          compilerOptions: { noEmit: true, paths: { "edgelog/client": ["../../src/client/edgelog.ts"] } },
          include: names,
          exclude: [],
        },
        null,
        2,
      ),
    );
    const { code, output } = await run(`"${process.execPath}" node_modules/typescript/bin/tsc --pretty false -p ${relative(ROOT, join(dir, config))}`, {
      port: 0,
      env: process.env,
      timeoutMs: 180_000,
    });
    if (code === 0) continue;
    // Errors in the snippets, with the document's line numbers; anything else as tsc said it.
    for (const line of output.split("\n").filter((l) => l.trim() !== "")) {
      const at = /^build\/doctest\/([^(]+)\((\d+),(\d+)\): (.*)$/.exec(line);
      const from = at && origin.get(at[1]);
      if (!from) {
        failures.push(`type-check (${kind}): ${line}`);
        continue;
      }
      const n = Number(at[2]);
      const where = n <= from.preludeLines ? `${from.doc}:${from.prelude.body[n - 1].line + 1} (doc-prelude)` : `${from.doc}:${from.line + n - from.preludeLines - 1}`;
      failures.push(`${where}:${at[3]}: ${at[4]}`);
    }
  }
  log(`TypeScript snippets: ${files.workers.length} with the Workers types, ${files.node.length} with Node's, ${failures.length} errors`);
  return failures;
}

