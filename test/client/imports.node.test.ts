// The client's import rule (DESIGN §4): src/client imports only the pure leaves (src/log/*, src/errors.ts,
// src/limits.ts, src/subscription-protocol.ts, src/share-protocol.ts) and nothing from cloudflare:* or node:*, so it runs in Workers, Node
// and browsers; the Worker's bundle carries none of the client or the CLI; and the package's `edgelog/client` export
// works outside the repository: plain Node imports it, and a `nodenext` TypeScript project type-checks against its
// declarations.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
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
    const allowed = /^(\.\/[\w-]+|\.\.\/log\/[\w-]+|\.\.\/errors|\.\.\/limits|\.\.\/subscription-protocol|\.\.\/share-protocol)$/;
    for (const name of readdirSync(dir)) {
      for (const spec of importsOf(join(dir, name))) expect(`${name}: ${spec}`).toMatch(new RegExp(`: ${allowed.source.slice(1)}`));
    }
  });

  it("the leaves the client uses import nothing else of ours", () => {
    for (const file of ["src/errors.ts", "src/limits.ts", "src/subscription-protocol.ts", "src/share-protocol.ts", ...readdirSync(join(ROOT, "src/log")).map((n) => `src/log/${n}`)]) {
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

describe("the edgelog/client export, from a project outside the repository", () => {
  /** A project with edgelog installed (a link to this repository, as `npm install <path>` makes). */
  function project(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "edgelog-consumer-"));
    mkdirSync(join(dir, "node_modules"));
    symlinkSync(ROOT, join(dir, "node_modules", "edgelog"), "dir");
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }
  const run = (args: string[], cwd: string) => spawnSync(process.execPath, args, { cwd, encoding: "utf8", timeout: 110_000 });
  const tsconfig = JSON.stringify({
    compilerOptions: {
      module: "nodenext",
      moduleResolution: "nodenext",
      target: "es2022",
      strict: true,
      noEmit: true,
      types: ["node"],
      typeRoots: [join(ROOT, "node_modules/@types")],
    },
    files: ["main.ts"],
  });
  const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
  const consumer = `import { deliveryBatch, Edgelog, EdgelogError, type DeliveryBatch, type DeliveryResponse, type ProducerConfig } from "edgelog/client";

const config: ProducerConfig = { lingerMs: 5, acks: "all" };
const edgelog = new Edgelog({ url: "http://127.0.0.1:8787" });
export async function send(): Promise<number> {
  const [sent] = await edgelog.producer(config).send("orders", { key: "customer-17", value: "{}" });
  return sent!.offset;
}
export const exists = (error: unknown): boolean => error instanceof EdgelogError && error.type === "TOPIC_ALREADY_EXISTS";
export function deliver(input: DeliveryBatch): DeliveryResponse {
  const batch = deliveryBatch(input);
  batch.records[0]?.retry({ delayMs: 5_000 });
  return batch.response();
}
`;

  it("type-checks a nodenext project against the declarations, and refuses a wrong use", () => {
    // Fresh bundle and declarations (npm install's prepare made them, but src/ may have changed since).
    const built = run([join(ROOT, "scripts/build.mjs")], ROOT);
    expect(built.status, built.stderr).toBe(0);
    const good = project({ "tsconfig.json": tsconfig, "main.ts": consumer });
    const bad = project({ "tsconfig.json": tsconfig, "main.ts": `${consumer}export const wrong: string = edgelog.admin();\n` });
    try {
      const checked = run([tsc, "-p", good], good);
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);
      // The declarations carry real types (not `any`): a misuse is an error.
      const refused = run([tsc, "-p", bad], bad);
      expect(refused.stdout).toMatch(/main\.ts\(\d+,\d+\): error TS2322: Type 'Admin' is not assignable to type 'string'/);
      // And plain Node runs the export (no bundler, no TypeScript).
      const imported = run(["--input-type=module", "-e", `import { deliveryBatch, Edgelog } from "edgelog/client"; console.log(typeof new Edgelog({ url: "http://127.0.0.1:8787" }).producer, typeof deliveryBatch);`], good);
      expect(imported.stderr).toBe("");
      expect(imported.stdout.trim()).toBe("function function");
    } finally {
      rmSync(good, { recursive: true, force: true });
      rmSync(bad, { recursive: true, force: true });
    }
  });

  it("type-checks the consume-transform-produce example of docs/transactions.md and docs/client.md, which test/client/transactions.test.ts runs", () => {
    // After the test above: the declarations are fresh.
    const snippet = (doc: string) => {
      const blocks = [...readFileSync(join(ROOT, doc), "utf8").matchAll(/```ts[^\n]*\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => b.includes("producer.transaction()"));
      expect(blocks, `${doc}: one ts block with producer.transaction()`).toHaveLength(1);
      return blocks[0]!;
    };
    const example = snippet("docs/transactions.md");
    expect(snippet("docs/client.md")).toBe(example);
    // The test runs the same transaction: each line from transaction() to commit(), with the output topic's name passed
    // in (the doc's loop around it also prints and stops once caught up, which docs:check runs).
    const test = readFileSync(join(ROOT, "test/client/transactions.test.ts"), "utf8");
    const handler = example.slice(example.indexOf("const txn = await producer.transaction();"), example.indexOf("await txn.commit();") + "await txn.commit();".length);
    for (const line of handler.split("\n").map((l) => l.trim()).filter(Boolean)) expect(test, line).toContain(line.replace('"shouted"', "names.output"));
    const dir = project({ "tsconfig.json": tsconfig.replace('"target":"es2022"', '"target":"es2022","lib":["es2023","dom"]'), "main.ts": `${example}export {};\n` });
    try {
      const checked = run([tsc, "-p", dir], dir);
      expect(checked.status, checked.stdout + checked.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
