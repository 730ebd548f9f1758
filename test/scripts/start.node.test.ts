// `npm start` (scripts/start.mjs, scripts/dev-config.mjs): the banner tells the truth about auth and where the
// settings came from, for each way wrangler reads variables (.dev.vars, .env files, --env-file, --var, --env), and a
// real start runs edgelog with the example consumer bound beside it, open or closed as the banner said.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { authIsOff, banner, devConfigText, flagValues, varsInForce } from "../../scripts/dev-config.mjs";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "edgelog-start-"));
  temporary.push(dir);
  return dir;
}

/** A repository-like folder: wrangler.toml with [vars] EDGELOG_ENV=production, and these files beside it. */
function project(files: Record<string, string>): string {
  const dir = tempDir();
  writeFileSync(join(dir, "wrangler.toml"), 'name = "edgelog"\nmain = "src/index.ts"\n\n[vars]\nEDGELOG_ENV = "production"\n');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const DEV_VARS = "# comment\nEDGELOG_ENV=development\nEDGELOG_AUTH=off\n";

describe("the variables in force and the banner", () => {
  it.each<[string, Record<string, string>, string[], Record<string, string>, boolean]>([
    [".dev.vars", { ".dev.vars": DEV_VARS }, [], { EDGELOG_ENV: "development (.dev.vars)", EDGELOG_AUTH: "off (.dev.vars)" }, true],
    ["--env-file instead of .dev.vars", { ".dev.vars": DEV_VARS, "prod.env": "EDGELOG_TOKENS='[]'\n" }, ["--env-file", "prod.env"], { EDGELOG_ENV: "production (wrangler.toml [vars])", EDGELOG_TOKENS: "[] (prod.env)" }, false],
    ["off ignored in production", { "open.env": "EDGELOG_AUTH=off\n" }, ["--env-file=open.env"], { EDGELOG_ENV: "production (wrangler.toml [vars])", EDGELOG_AUTH: "off (open.env)" }, false],
    ["later --env-file wins", { "a.env": DEV_VARS, "b.env": 'EDGELOG_ENV="production" # closed\n' }, ["--env-file", "a.env", "b.env"], { EDGELOG_ENV: "production (b.env)", EDGELOG_AUTH: "off (a.env)" }, false],
    ["--var wins over .dev.vars", { ".dev.vars": DEV_VARS }, ["--var", "EDGELOG_AUTH:on"], { EDGELOG_ENV: "development (.dev.vars)", EDGELOG_AUTH: "on (--var)" }, false],
    [".env without .dev.vars", { ".env": "export EDGELOG_ENV=test\n", ".env.local": "EDGELOG_AUTH=off\n" }, [], { EDGELOG_ENV: "test (.env)", EDGELOG_AUTH: "off (.env.local)" }, true],
    [".dev.vars.<env> with --env", { ".dev.vars": DEV_VARS, ".dev.vars.staging": "EDGELOG_AUTH=off\n" }, ["--env", "staging"], { EDGELOG_AUTH: "off (.dev.vars.staging)" }, false],
  ])("%s", (_name, files, args, expected, off) => {
    const dir = project(files);
    const { vars, from } = varsInForce(dir, args, {});
    expect(Object.fromEntries(Object.keys(vars).map((key) => [key, `${vars[key]} (${from[key]})`]))).toEqual(expected);
    expect(authIsOff(vars)).toBe(off);
    const text = banner({ url: "http://127.0.0.1:8787", persistTo: ".wrangler/state", vars, from, consumer: "edgelog-example-consumer" });
    expect(text).toMatch(off ? /auth: OFF: every request is allowed/ : /auth: ON: requests need a token/);
    if (vars.EDGELOG_AUTH === "off" && !off) expect(text).toMatch(/EDGELOG_AUTH=off is ignored outside development, test and bench/);
    // Each setting the decision rests on is named, with where it came from.
    for (const key of ["EDGELOG_AUTH", "EDGELOG_ENV"]) {
      if (vars[key] === undefined) expect(text).toContain(`${key} unset`);
      else expect(text).toMatch(new RegExp(`${key}=${vars[key]}[^\n]*from ${from[key]!.replace(/[.[\]]/g, "\\$&")}`));
    }
  });

  it("docs/configuration.md's `npm start` output is banner() for this repository's own files, word for word", () => {
    const doc = readFileSync(join(ROOT, "docs/configuration.md"), "utf8");
    const block = /```console doc-skip:[^\n]*banner\(\)[^\n]*\n\$ npm start\n([\s\S]*?)\n```/.exec(doc);
    expect(block, "the ```console block showing `$ npm start` and its banner").not.toBeNull();
    const { vars, from } = varsInForce(ROOT, [], {});
    const text = banner({ url: "http://127.0.0.1:8787", persistTo: ".wrangler/state", vars, from, consumer: "edgelog-example-consumer" });
    expect(block![1]).toBe(text.trim());
  });

  it("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV=false: env files are not read; CLOUDFLARE_INCLUDE_PROCESS_ENV=true: the environment is", () => {
    const dir = project({ "open.env": DEV_VARS });
    expect(varsInForce(dir, ["--env-file", "open.env"], { CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "false" }).vars).toEqual({ EDGELOG_ENV: "production" });
    const withProcess = varsInForce(dir, ["--env-file", "open.env"], { CLOUDFLARE_INCLUDE_PROCESS_ENV: "true", EDGELOG_AUTH: "on" });
    expect(withProcess.vars).toEqual({ EDGELOG_ENV: "development", EDGELOG_AUTH: "on" });
    expect(withProcess.from.EDGELOG_AUTH).toMatch(/CLOUDFLARE_INCLUDE_PROCESS_ENV/);
  });

  it("flags: --name v, --name=v, and an array flag's several values", () => {
    expect(flagValues(["--port", "8799", "--ip=0.0.0.0"], ["--port"])).toEqual(["8799"]);
    expect(flagValues(["--port", "8799", "--ip=0.0.0.0"], ["--ip"])).toEqual(["0.0.0.0"]);
    expect(flagValues(["--var", "A:1", "B:2", "--port", "1", "--var=C:3"], ["--var"], { array: true })).toEqual(["A:1", "B:2", "C:3"]);
    expect(flagValues(["-e", "staging"], ["--env", "-e"])).toEqual(["staging"]);
  });

  it("the development config is wrangler.toml and the consumer's service binding, which wrangler.toml itself never has", () => {
    const wranglerToml = readFileSync(join(ROOT, "wrangler.toml"), "utf8");
    expect(wranglerToml).not.toMatch(/EXAMPLE_CONSUMER|\[\[services\]\]/);
    const text = devConfigText(ROOT);
    expect(text).toContain(wranglerToml.trimEnd());
    expect(text.endsWith('[[services]]\nbinding = "EXAMPLE_CONSUMER"\nservice = "edgelog-example-consumer"\nentrypoint = "Consumer"\n')).toBe(true);
    // The consumer runs on the same workerd as edgelog.
    const consumerToml = readFileSync(join(ROOT, "examples/consumer/wrangler.toml"), "utf8");
    expect(/^compatibility_date = "(.+)"$/m.exec(consumerToml)?.[1]).toBe(/^compatibility_date = "(.+)"$/m.exec(wranglerToml)?.[1]);
  });
});

/** A local port nothing listens on right now. */
async function freePort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as { port: number };
  await new Promise((resolve) => listener.close(resolve));
  return port;
}

/** Runs `npm start` with `args` until `check` has run against it; stops it (its whole process group) after. */
async function withStart(args: string[], check: (url: string, output: () => string) => Promise<void>): Promise<string> {
  const port = await freePort();
  const state = tempDir();
  const child = spawn(process.execPath, [join(ROOT, "scripts/start.mjs"), "--port", String(port), "--persist-to", state, ...args], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // Its own dev registry: this edgelog must not meet another `npm start` on the machine.
    // vitest.config.ts quiets wrangler to warnings; the test reads its "Ready on" line and bindings table.
    env: { ...process.env, WRANGLER_REGISTRY_PATH: join(state, "registry"), CI: "true", WRANGLER_LOG: "log" },
  });
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  try {
    const deadline = Date.now() + 60_000;
    while (!/Ready on http/.test(output)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm start ${args.join(" ")} not ready within 60 s: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await check(`http://127.0.0.1:${port}`, () => output);
  } finally {
    process.kill(-child.pid!, "SIGINT");
    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 10_000))]);
    if (!stopped) process.kill(-child.pid!, "SIGKILL");
  }
  return output;
}

describe("npm start", () => {
  it("runs edgelog with the example consumer bound, open as .dev.vars says; closed with an --env-file that says production", async () => {
    const open = await withStart([], async (url) => {
      expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: "ok", env: "development" });
      expect((await fetch(`${url}/v1/topics`)).status).toBe(200);
    });
    expect(open).toMatch(/auth: OFF: every request is allowed \(EDGELOG_AUTH=off and EDGELOG_ENV=development, from \.dev\.vars\)/);
    expect(open).toMatch(/env\.EXAMPLE_CONSUMER \(edgelog-example-consumer#Consumer\)\s+Worker/);

    const envFile = join(tempDir(), "production.env");
    writeFileSync(envFile, "EDGELOG_ENV=production\n");
    const closed = await withStart(["--env-file", envFile], async (url) => {
      expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: "ok", env: "production" });
      expect((await fetch(`${url}/v1/topics`)).status).toBe(401);
    });
    expect(closed).toContain(`(EDGELOG_ENV=production, from ${envFile}; EDGELOG_AUTH unset)`);
    expect(closed).toMatch(/auth: ON: requests need a token/);
    expect(closed).toMatch(/edgelog \(local, EDGELOG_ENV=production\)/);
  }, 150_000);
});
