// Docs that run: executes the shell examples of README.md and docs/*.md against a fresh local edgelog and compares what
// they print with the output shown beneath them, and type-checks their TypeScript snippets against the current client.
// The convention, in full, is docs/doctest.md; in short, a code block's info string says what happens to it:
//
//   ```console doc-run                  run: each `$ command` line (continued while a quote is open or the line ends in
//                                       `\`) runs in bash from the repository root, stdout and stderr together, and must
//                                       print the lines below it up to the next `$` line
//   ```console doc-skip: <reason>       not run; the reason is required (deploys, secrets, timing, another machine)
//   ```ts                               type-checked against src/client (`edgelog/client`) with the Workers types
//   ```ts doc-node                      type-checked with Node's types instead
//   ```ts doc-skip: <reason>            not type-checked
//   <!-- doc-prelude … -->              (just before a ts block) code prepended to it for the check, unseen by readers
//   <!-- doc-setup … -->                `$ command` lines run, output not compared, before the next block: state a
//                                       reader is told exists but is not shown being made
//
// Every console, sh, shell or bash block must say doc-run or doc-skip: an unmarked one fails the check, so nothing is
// silently skipped. Output comparison allows, in both the shown and the real output: a UUID, a 13-digit time in ms,
// a whsec_ secret and an edl_ token stand for any such value (and a value shown once stands for the real one in later
// commands of the document: a member id shown by a heartbeat is the id the next heartbeat sends); `…` matches any
// text; a line break followed by indentation matches any whitespace or none (long JSON wrapped for reading).
// Each document gets its own fresh edgelog (EDGELOG_ENV=development, auth off, the example consumer Worker bound as
// EXAMPLE_CONSUMER, as `npm start` runs), and its blocks run in order, so state carries over within a document.
//
//   npm run docs:check [-- FILE…]     check (exit 1 on any failure)
//   npm run docs:update [-- FILE…]    rewrite every shown output that differs with the real one, then check again
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SHELL_LANGUAGES = new Set(["console", "sh", "shell", "bash", "shell-session"]);
export const TS_LANGUAGES = new Set(["ts", "typescript"]);
const DOC_PORT = "8787";
const COMMAND_TIMEOUT_MS = 60_000;

/** README.md and docs/*.md, repository-relative. */
export function documents() {
  return ["README.md", ...readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/${name}`)];
}

const HOW_TO_MARK = (lang) =>
  `mark it \`\`\`${lang} doc-run (its $ commands run and their output is compared) or \`\`\`${lang} doc-skip: <why it cannot run here> (docs/doctest.md)`;

/**
 * The fenced blocks of a markdown text: {lang, info, markers: {run, skip, reason, node}, fence (0-based line of the
 * opening fence), body: [{line, text}], prelude, setup}. A doc-prelude or doc-setup HTML comment right before a block
 * (blank lines between allowed) is attached to it.
 */
export function parseBlocks(text) {
  const lines = text.split("\n");
  const blocks = [];
  let pendingComment;
  for (let i = 0; i < lines.length; i++) {
    const comment = /^<!--\s*doc-(prelude|setup)\b(.*)$/.exec(lines[i]);
    if (comment) {
      const body = [];
      // The rest of the opening line says what the comment is for; its code starts on the next line.
      let rest = comment[2].includes("-->") ? comment[2].slice(comment[2].indexOf("-->")) : "";
      let j = i;
      while (!rest.includes("-->")) {
        if (rest.trim() !== "") body.push({ line: j, text: rest });
        j++;
        if (j >= lines.length) throw new Error(`line ${i + 1}: a <!-- doc-${comment[1]} comment that never closes`);
        rest = lines[j];
      }
      const last = rest.slice(0, rest.indexOf("-->"));
      if (last.trim() !== "") body.push({ line: j, text: last });
      pendingComment = { kind: comment[1], line: i, body };
      i = j;
      continue;
    }
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]);
    if (!open) {
      if (lines[i].trim() !== "") pendingComment = undefined;
      continue;
    }
    const [, indent, fence, lang, rest] = open;
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).exec(lines[j]);
      if (close) break;
      body.push({ line: j, text: lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j].trimStart() });
    }
    const skip = /(?:^|\s)doc-skip(?::\s*(.*))?$/.exec(rest);
    const block = {
      lang: lang.toLowerCase(),
      info: `${lang} ${rest}`.trim(),
      markers: { run: /(?:^|\s)doc-run(?:\s|$)/.test(rest), skip: Boolean(skip), reason: skip?.[1]?.trim() ?? "", node: /(?:^|\s)doc-node(?:\s|$)/.test(rest) },
      fence: i,
      close: j,
      indent,
      body,
    };
    if (pendingComment?.kind === "prelude") block.prelude = pendingComment;
    if (pendingComment?.kind === "setup") block.setup = pendingComment;
    pendingComment = undefined;
    blocks.push(block);
    i = j;
  }
  return blocks;
}

/** Whether a shell command is complete: no quote left open, no trailing backslash. */
function complete(command) {
  let state = "none";
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (state === "none") {
      if (c === "\\") i++;
      else if (c === "'") state = "single";
      else if (c === '"') state = "double";
      else if (c === "#" && (i === 0 || /\s/.test(command[i - 1]))) {
        const end = command.indexOf("\n", i);
        if (end < 0) break;
        i = end;
      }
    } else if (state === "single") {
      if (c === "'") state = "none";
    } else if (c === "\\") i++;
    else if (c === '"') state = "none";
  }
  return state === "none" && !/\\$/.test(command);
}

/** The `$ command` lines of a block's body and the output lines shown after each: [{command, line, output: [{line, text}]}]. */
export function commandsOf(body) {
  const commands = [];
  for (let k = 0; k < body.length; k++) {
    const { line, text } = body[k];
    const prompt = /^\$(?: (.*))?$/.exec(text);
    if (!prompt) {
      if (commands.length === 0) {
        if (text.trim() === "") continue;
        throw new Error(`line ${line + 1}: output before any \`$ command\` line in a doc-run block (${JSON.stringify(text)})`);
      }
      commands.at(-1).output.push({ line, text });
      continue;
    }
    let command = prompt[1] ?? "";
    const last = line;
    while (!complete(command) && k + 1 < body.length) command += `\n${body[++k].text}`;
    commands.push({ command, line, lastLine: body[k].line, output: [] });
    void last;
  }
  return commands;
}

// What differs on every run, in shown and real output alike. Each is captured, so a value shown once can stand for the
// real one in later commands.
const PLACEHOLDERS = [
  ["a UUID", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"],
  ["a time in ms", "(?<![\\d.])1[6-9]\\d{11}(?![\\d.])"],
  ["a webhook secret", "whsec_[A-Za-z0-9+/=]{8,}"],
  ["a token", "edl_[A-Za-z0-9_-]{20,}"],
];
const TOKENIZER = new RegExp(`([ \\t]*…[ \\t]*)|(\\n[ \\t]+)|${PLACEHOLDERS.map(([, re]) => `(${re})`).join("|")}`, "g");

/** The shown output as a regular expression over the real one, and the placeholder values it shows, in order. */
export function pattern(expected) {
  let source = "";
  const shown = [];
  let at = 0;
  for (const match of expected.matchAll(TOKENIZER)) {
    source += escape(expected.slice(at, match.index));
    at = match.index + match[0].length;
    if (match[1]) source += "[\\s\\S]*?";
    else if (match[2]) source += "\\s*";
    else {
      const kind = match.slice(3).findIndex((group) => group !== undefined);
      source += `(${PLACEHOLDERS[kind][1]})`;
      shown.push(match[0]);
    }
  }
  source += escape(expected.slice(at));
  return { regex: new RegExp(`^${source}$`), shown };
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Trailing spaces and trailing blank lines do not count. */
export const tidy = (text) => text.replace(/\r\n/g, "\n").replace(/[ \t]+$/gm, "").replace(/\n+$/, "").replace(/^\n+/, "");

/** Whether `actual` is what `expected` shows; on a match, the real value of each placeholder value shown. */
export function compare(expected, actual) {
  const { regex, shown } = pattern(tidy(expected));
  const match = regex.exec(tidy(actual));
  if (!match) return { ok: false };
  const values = new Map();
  shown.forEach((value, i) => {
    if (!values.has(value)) values.set(value, match[i + 1]);
  });
  return { ok: true, values };
}

/** For failure messages: both sides with every placeholder value replaced by a name. */
export function normalise(text) {
  let out = tidy(text);
  for (const [name, re] of PLACEHOLDERS) out = out.replace(new RegExp(re, "g"), `<${name.replace(/^an? /, "")}>`);
  return out;
}

/**
 * `curl … ARGS` is the document's previous curl command with its last -d '…' replaced by ARGS' (the docs' shorthand
 * for "the same request with this body").
 */
function expandShorthand(command, previousCurl) {
  if (!/^curl …/.test(command)) return command;
  if (previousCurl === undefined) throw new Error(`\`curl …\` with no earlier curl command in the document`);
  const base = previousCurl
    .replace(/\s+#[^'"\n]*$/, "")
    .replace(/\s+-d\s+'[^']*'\s*$/, "")
    .replace(/\s*\\\s*$/, "");
  return `${base} ${command.slice("curl …".length).trim()}`;
}

function run(command, { port, env, timeoutMs = COMMAND_TIMEOUT_MS, capture = true }) {
  return new Promise((resolvePromise) => {
    const child = spawn("bash", ["-c", `{ ${command}\n} 2>&1`], {
      cwd: ROOT,
      env,
      detached: true,
      stdio: ["ignore", capture ? "pipe" : "ignore", "inherit"],
    });
    let output = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n[doctest: killed after ${timeoutMs} ms]`;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const here = new RegExp(`(127\\.0\\.0\\.1|localhost):${port}\\b`, "g");
      resolvePromise({ code, output: output.replace(here, `$1:${DOC_PORT}`) });
    });
  });
}

/** Runs one document's doc-run blocks on a fresh edgelog; returns its failures and the fixes docs:update would make. */
async function runDocument(doc, blocks, { log }) {
  const { startEdgelog } = await import("../bench/edgelog-server.mjs");
  const server = await startEdgelog({ exampleConsumer: true, bindings: { EDGELOG_ENV: "development", EDGELOG_AUTH: "off" }, onLog: () => {} });
  const port = server.url.port;
  const env = { ...process.env, EDGELOG_URL: `http://127.0.0.1:${port}`, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", NO_COLOR: "1" };
  delete env.EDGELOG_TOKEN;
  const values = new Map(); // a value shown in the document → the value this run produced
  const substitute = (command) => {
    let out = command.replace(/\b(localhost|127\.0\.0\.1):8787\b/g, `127.0.0.1:${port}`);
    for (const [shown, real] of values) out = out.split(shown).join(real);
    return out;
  };
  const failures = [];
  const fixes = [];
  let previousCurl;
  let commandsRun = 0;
  try {
    for (const block of blocks) {
      if (block.setup) {
        for (const { command, line } of commandsOf(block.setup.body)) {
          // A command ending in `&` runs on in the background (its output unseen), e.g. an append that wakes a long-poll.
          const { code, output } = await run(substitute(command), { port, env, capture: !/&\s*$/.test(command) });
          commandsRun++;
          if (code !== 0) failures.push(`${doc}:${line + 1}: doc-setup command exited ${code}: ${command}\n${output}`);
        }
      }
      if (!block.markers.run || !SHELL_LANGUAGES.has(block.lang)) continue;
      for (const step of commandsOf(block.body)) {
        const shownCommand = expandShorthand(step.command, previousCurl);
        if (/^curl\b/.test(shownCommand)) previousCurl = shownCommand;
        const { output } = await run(substitute(shownCommand), { port, env });
        commandsRun++;
        const expected = step.output.map((o) => o.text).join("\n");
        const result = compare(expected, output);
        if (result.ok) {
          for (const [shown, real] of result.values) if (!values.has(shown)) values.set(shown, real);
          continue;
        }
        failures.push(
          `${doc}:${step.line + 1}: $ ${step.command}\n--- shown (placeholders named)\n${normalise(expected)}\n+++ real\n${normalise(output)}`,
        );
        // Written back with the values the document already shows where this run made others (a member id, a time),
        // so the rewritten output agrees with the commands around it.
        let shownOutput = tidy(output);
        for (const [shown, real] of values) shownOutput = shownOutput.split(real).join(shown);
        fixes.push({ step, block, output: shownOutput });
        // Later commands may still use what this one would have shown: take the real values where they line up.
        const shownValues = [...expected.matchAll(new RegExp(PLACEHOLDERS[0][1], "g"))].map((m) => m[0]);
        const realValues = [...output.matchAll(new RegExp(PLACEHOLDERS[0][1], "g"))].map((m) => m[0]);
        shownValues.forEach((value, i) => {
          if (!values.has(value) && realValues[i] !== undefined) values.set(value, realValues[i]);
        });
      }
    }
  } finally {
    await server.stop();
  }
  log(`${doc}: ${commandsRun} commands, ${failures.length} differ`);
  return { failures, fixes };
}

/** Replaces each fixed command's shown output with the real output (indented as its block is). */
function applyFixes(text, fixes) {
  const lines = text.split("\n");
  // From the bottom up, so earlier line numbers stay valid.
  for (const { step, block, output } of [...fixes].sort((a, b) => b.step.lastLine - a.step.lastLine)) {
    const from = step.lastLine + 1;
    const to = step.output.length === 0 ? from : step.output.at(-1).line + 1;
    // Keep the blank lines that separate this command from the next one.
    let end = to;
    while (end > from && lines[end - 1].trim() === "") end--;
    const replacement = output === "" ? [] : output.split("\n").map((line) => (line === "" ? "" : block.indent + line));
    lines.splice(from, end - from, ...replacement);
  }
  return lines.join("\n");
}

/** Every ts block not skipped, as a module under build/doctest/, type-checked by tsc (Workers or Node types). */
async function typecheck(docs, { log }) {
  const dir = join(ROOT, "build", "doctest");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = { workers: [], node: [] };
  const origin = new Map(); // file name → {doc, first line of the snippet in the doc, lines of prelude}
  for (const doc of docs) {
    for (const block of parseBlocks(readFileSync(join(ROOT, doc), "utf8"))) {
      if (!TS_LANGUAGES.has(block.lang) || block.markers.skip) continue;
      const name = `${doc.replace(/[/.]/g, "_")}_${block.fence + 1}.ts`;
      const prelude = block.prelude?.body.map((line) => line.text) ?? [];
      const code = block.body.map((line) => line.text);
      const all = [...prelude, ...code];
      const isModule = all.some((line) => /^\s*(import|export)\b/.test(line));
      writeFileSync(join(dir, name), [...all, ...(isModule ? [] : ["export {};"])].join("\n") + "\n");
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

/** Blocks that must say doc-run or doc-skip and do not, or say it wrongly. */
export function markingErrors(doc, blocks) {
  const errors = [];
  for (const block of blocks) {
    const where = `${doc}:${block.fence + 1}`;
    const { run: runs, skip, reason } = block.markers;
    if (SHELL_LANGUAGES.has(block.lang)) {
      if (!runs && !skip) errors.push(`${where}: a \`\`\`${block.lang} block with no marker: ${HOW_TO_MARK(block.lang)}`);
      if (runs && skip) errors.push(`${where}: both doc-run and doc-skip`);
    }
    if (skip && reason === "") errors.push(`${where}: doc-skip needs a reason: \`\`\`${block.lang} doc-skip: <why>`);
    if (runs && !SHELL_LANGUAGES.has(block.lang)) errors.push(`${where}: doc-run on a \`\`\`${block.lang} block: only ${[...SHELL_LANGUAGES].join(", ")} blocks run`);
    if (block.setup && !runs) errors.push(`${where}: a doc-setup comment before a block that does not run`);
    if (block.prelude && !TS_LANGUAGES.has(block.lang)) errors.push(`${where}: a doc-prelude comment before a block that is not TypeScript`);
  }
  return errors;
}

async function main(argv) {
  const update = argv.includes("--update");
  const only = argv.filter((arg) => !arg.startsWith("--"));
  const docs = only.length > 0 ? only.map((path) => relative(ROOT, resolve(path))) : documents();
  const started = Date.now();
  const log = (line) => console.log(`docs: ${line}`);
  const failures = [];
  const parsed = new Map();
  for (const doc of docs) {
    try {
      const blocks = parseBlocks(readFileSync(join(ROOT, doc), "utf8"));
      parsed.set(doc, blocks);
      failures.push(...markingErrors(doc, blocks));
    } catch (error) {
      failures.push(`${doc}: ${error.message}`);
    }
  }
  if (failures.length > 0) return report(failures, started);

  for (const doc of docs) {
    const blocks = parsed.get(doc);
    if (!blocks.some((block) => block.markers.run)) continue;
    let result;
    try {
      result = await runDocument(doc, blocks, { log });
    } catch (error) {
      failures.push(`${doc}: ${error.stack ?? error}`);
      continue;
    }
    if (update && result.fixes.length > 0) {
      const path = join(ROOT, doc);
      writeFileSync(path, applyFixes(readFileSync(path, "utf8"), result.fixes));
      log(`${doc}: rewrote ${result.fixes.length} outputs; checking again`);
      result = await runDocument(doc, parseBlocks(readFileSync(path, "utf8")), { log });
    }
    failures.push(...result.failures);
  }
  failures.push(...(await typecheck(docs, { log })));
  return report(failures, started);
}

function report(failures, started) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failures.length === 0) {
    console.log(`docs: every example ran as shown (${seconds} s)`);
    return 0;
  }
  console.error(`\n${failures.join("\n\n")}\n\ndocs: ${failures.length} failures (${seconds} s). Fix the docs, or run \`npm run docs:update\` to write the real outputs in.`);
  return 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
