// Docs that run: executes the shell examples of README.md and docs/*.md against a fresh local edgelog and compares what
// they print with the output shown beneath them, and type-checks their TypeScript snippets against the current client.
// The convention, in full, is docs/doctest.md; in short, a code block's info string says what happens to it:
//
//   ```console doc-run                  run: each `$ command` line (continued while a quote is open or the line ends in
//                                       `\`) runs in bash from the repository root, stdout and stderr together, and must
//                                       print the lines below it up to the next `$` line
//   ```console doc-skip: <reason>       not run; the reason is required (deploys, secrets, timing, another machine)
//   ```ts doc-run                       type-checked, then bundled and run in Node 22 against the edgelog: what it prints
//                                       must be the ```text block after it (scripts/docs/snippets.mjs)
//   ```ts doc-compile: <reason>         type-checked against src/client (`edgelog/client`) with the Workers types, not run
//   ```ts doc-node …                    type-checked with Node's types instead
//   ```ts doc-skip: <reason>            not type-checked
//   <!-- doc-prelude … -->              (just before a ts block) code prepended to it for the check, unseen by readers
//   <!-- doc-setup … -->                `$ command` lines run, output not compared, before the next block: state a
//                                       reader is told exists but is not shown being made
//
// Every console, sh, shell or bash block must say doc-run or doc-skip, every ts block doc-run, doc-compile or doc-skip:
// an unmarked one fails the check, so nothing is
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
import { alignPlaceholders, compare, normalise, tidy } from "./compare.mjs";
import { runSnippet, typecheck } from "./snippets.mjs";

export { alignPlaceholders, compare, normalise, pattern, tidy } from "./compare.mjs";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const SHELL_LANGUAGES = new Set(["console", "sh", "shell", "bash", "shell-session"]);
export const TS_LANGUAGES = new Set(["ts", "typescript"]);
const DOC_PORT = "8787";
const COMMAND_TIMEOUT_MS = 60_000;

/** README.md and docs/*.md, repository-relative. */
export function documents() {
  return ["README.md", ...readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).sort().map((name) => `docs/${name}`)];
}

const HOW_TO_MARK_TS = (lang) =>
  `mark it \`\`\`${lang} doc-run (run in Node against the test edgelog, its output compared with the \`\`\`text block after it) or \`\`\`${lang} doc-compile: <why it cannot run in Node> (type-checked only) (docs/doctest.md)`;
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
  let pending = {}; // the doc-prelude and doc-setup comments waiting for the next block
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
      pending[comment[1]] = { kind: comment[1], line: i, body };
      i = j;
      continue;
    }
    const open = /^( {0,3})(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]);
    if (!open) {
      if (lines[i].trim() !== "") pending = {};
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
    const skip = /(?:^|\s)doc-(skip|compile)(?::\s*(.*))?$/.exec(rest);
    const block = {
      lang: lang.toLowerCase(),
      info: `${lang} ${rest}`.trim(),
      markers: {
        run: /(?:^|\s)doc-run(?:\s|$)/.test(rest),
        skip: skip?.[1] === "skip",
        compile: skip?.[1] === "compile",
        reason: skip?.[2]?.trim() ?? "",
        node: /(?:^|\s)doc-node(?:\s|$)/.test(rest),
      },
      fence: i,
      close: j,
      indent,
      body,
    };
    if (pending.prelude) block.prelude = pending.prelude;
    if (pending.setup) block.setup = pending.setup;
    pending = {};
    // A ts doc-run snippet's output is the ```text block after it, if one follows before any heading or other block.
    const previous = blocks.at(-1);
    if (previous?.markers.run && TS_LANGUAGES.has(previous.lang) && block.lang === "text" && !lines.slice(previous.close, i).some((l) => /^#/.test(l))) {
      previous.output = block;
      block.isOutput = true;
    }
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

export function run(command, { port, env, timeoutMs = COMMAND_TIMEOUT_MS, capture = true }) {
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
  let snippetsRun = 0;
  /** Compares one command's (or snippet's) real output with the shown one; on a difference, a failure and a fix. */
  const check = (step, block, output, { fixable = true } = {}) => {
    const expected = step.output.map((o) => o.text).join("\n");
    const result = compare(expected, output);
    if (result.ok) {
      for (const [shown, real] of result.values) if (!values.has(shown)) values.set(shown, real);
      return;
    }
    failures.push(`${doc}:${step.line + 1}: $ ${step.command}\n--- shown (placeholders named)\n${normalise(expected)}\n+++ real\n${normalise(output)}`);
    // Later commands may still use what this one would have shown: take the real values where they line up.
    const aligned = alignPlaceholders(expected, output);
    for (const [real, shown] of aligned) if (!values.has(shown)) values.set(shown, real);
    // Written back with the values the document shows where this run made others (an id, a time): those already
    // shown elsewhere, then those this output showed in the same place, so an update makes no needless diff and the
    // rewritten output agrees with the commands around it.
    let shownOutput = tidy(output);
    for (const [shown, real] of values) shownOutput = shownOutput.split(real).join(shown);
    for (const [real, shown] of aligned) shownOutput = shownOutput.split(real).join(shown);
    if (fixable) fixes.push({ step, block, output: shownOutput });
  };
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
      if (!block.markers.run) continue;
      if (TS_LANGUAGES.has(block.lang)) {
        const { code, output } = await runSnippet(doc, block, { substitute, env });
        snippetsRun++;
        // The output block stands in for a command's output lines; with none, the snippet must print nothing.
        const at = block.output ? { lastLine: block.output.fence, output: block.output.body } : { lastLine: block.close, output: [], wrap: true };
        check({ line: block.fence, command: `(the ${block.lang} snippet)`, ...at }, block, output, { fixable: code === 0 });
        continue;
      }
      if (!SHELL_LANGUAGES.has(block.lang)) continue;
      for (const step of commandsOf(block.body)) {
        const shownCommand = expandShorthand(step.command, previousCurl);
        if (/^curl\b/.test(shownCommand)) previousCurl = shownCommand;
        const { output } = await run(substitute(shownCommand), { port, env });
        commandsRun++;
        check(step, block, output);
      }
    }
  } finally {
    await server.stop();
  }
  log(`${doc}: ${commandsRun} commands, ${snippetsRun} TypeScript snippets run, ${failures.length} differ`);
  return { failures, fixes, commandsRun, snippetsRun };
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
    let replacement = output === "" ? [] : output.split("\n").map((line) => (line === "" ? "" : block.indent + line));
    // A snippet that printed something but shows no output gets a ```text block for it.
    if (step.wrap && replacement.length > 0) replacement = ["", `${block.indent}\`\`\`text`, ...replacement, `${block.indent}\`\`\``];
    lines.splice(from, end - from, ...replacement);
  }
  return lines.join("\n");
}

/** Blocks that must say doc-run or doc-skip and do not, or say it wrongly. */
export function markingErrors(doc, blocks) {
  const errors = [];
  for (const block of blocks) {
    const where = `${doc}:${block.fence + 1}`;
    const { run: runs, skip, compile, reason } = block.markers;
    if (SHELL_LANGUAGES.has(block.lang)) {
      if (!runs && !skip) errors.push(`${where}: a \`\`\`${block.lang} block with no marker: ${HOW_TO_MARK(block.lang)}`);
      if (runs && skip) errors.push(`${where}: both doc-run and doc-skip`);
      if (compile) errors.push(`${where}: doc-compile on a \`\`\`${block.lang} block: only TypeScript is compiled`);
    }
    if (TS_LANGUAGES.has(block.lang)) {
      if (!runs && !skip && !compile) errors.push(`${where}: a \`\`\`${block.lang} snippet with no marker: ${HOW_TO_MARK_TS(block.lang)}`);
      if ([runs, skip, compile].filter(Boolean).length > 1) errors.push(`${where}: more than one of doc-run, doc-compile and doc-skip`);
    }
    if ((skip || compile) && reason === "") errors.push(`${where}: ${skip ? "doc-skip" : "doc-compile"} needs a reason: \`\`\`${block.lang} ${skip ? "doc-skip" : "doc-compile"}: <why>`);
    if (runs && !SHELL_LANGUAGES.has(block.lang) && !TS_LANGUAGES.has(block.lang)) {
      errors.push(`${where}: doc-run on a \`\`\`${block.lang} block: only ${[...SHELL_LANGUAGES, ...TS_LANGUAGES].join(", ")} blocks run`);
    }
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

  const totals = { commands: 0, snippets: 0 };
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
    totals.commands += result.commandsRun;
    totals.snippets += result.snippetsRun;
  }
  failures.push(...(await typecheck(docs, { log })));
  // What was not run, and why: every such block carries its reason, so the count is the whole story.
  const notRun = [...parsed.values()].flat().filter((b) => (SHELL_LANGUAGES.has(b.lang) || TS_LANGUAGES.has(b.lang)) && !b.markers.run);
  log(
    `${totals.commands} commands and ${totals.snippets} TypeScript snippets run; not run, each with its reason: ` +
      `${notRun.filter((b) => SHELL_LANGUAGES.has(b.lang)).length} shell blocks (doc-skip), ` +
      `${notRun.filter((b) => b.markers.compile).length} snippets type-checked only (doc-compile), ` +
      `${notRun.filter((b) => TS_LANGUAGES.has(b.lang) && b.markers.skip).length} snippets not even type-checked (doc-skip)`,
  );
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
