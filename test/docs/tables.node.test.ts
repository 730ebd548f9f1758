// The docs agree with the code they describe: docs/api.md's error table is src/errors.ts's ERRORS, entry for entry;
// the README's shorter table says nothing ERRORS contradicts; the route tables (docs/api.md's, the README's overview)
// hold exactly the routes of src/http/router.ts; and every link or backquoted repository path in README.md and
// docs/*.md names a file of this repository (and a heading of it, for an anchor).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { ERRORS } from "../../src/errors";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const DOCS = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`)];

/** The document without its fenced code blocks (their `#` lines are not headings, their brackets not links). */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[ \t]*$/gm, "");
}

/** The markdown table that follows `heading` (a line of the document), as rows of trimmed cells. */
function tableAfter(markdown: string, heading: string): string[][] {
  const lines = markdown.split("\n");
  const at = lines.indexOf(heading);
  expect(at, `heading ${JSON.stringify(heading)}`).toBeGreaterThanOrEqual(0);
  const start = lines.findIndex((line, i) => i > at && line.startsWith("|"));
  const rows: string[][] = [];
  for (let i = start; i < lines.length && lines[i]!.startsWith("|"); i++) {
    // A `|` inside backquotes is escaped as `\|` in these tables.
    rows.push(lines[i]!.replace(/\\\|/g, "\u0000").split("|").slice(1, -1).map((cell) => cell.trim().replace(/\u0000/g, "|")));
  }
  return rows.slice(2); // header and separator
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens; repeats get -1, -2, … */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of prose(markdown).matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) {
    const text = match[1]!.replace(/`/g, "").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const base = text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** `GET /v1/topics/{topic}` and the router's `/v1/topics/:topic` alike: parameters by position, not by name. */
const routeKey = (method: string, path: string) => `${method} ${path.replace(/\{[^}]+\}|:\w+/g, "{}")}`;

interface Route {
  method: string;
  path: string;
}

describe("docs/api.md and README.md agree with the code", () => {
  let routes: string[];

  beforeAll(async () => {
    // Imported by a computed name so that the node type-check (tsconfig.node.json) does not pull in the Worker's
    // sources, which need the Workers types; vitest resolves it at run time like any import.
    const module = "../../src/http/router";
    const { ROUTES } = (await import(module)) as { ROUTES: readonly Route[] };
    // Durable Streams' routes (one handler for every method of the stream path) are listed beside the router's.
    const streams = "../../src/streams/routes";
    const { DS_ROUTES } = (await import(streams)) as { DS_ROUTES: readonly Route[] };
    routes = [...ROUTES, ...DS_ROUTES].map((route) => routeKey(route.method, route.path)).sort();
    expect(routes.length).toBeGreaterThan(20);
  });

  it("docs/api.md's error table is the error table: every type, with its code, status and retriable", () => {
    const rows = tableAfter(read("docs/api.md"), "## Errors");
    const documented = rows.map(([type, code, status, retriable]) => ({ type: type!.replace(/`/g, ""), code: Number(code), status: Number(status), retriable: retriable === "yes" }));
    const expected = Object.entries(ERRORS).map(([type, e]) => ({ type, code: e.code, status: e.status, retriable: e.retriable }));
    const byType = (a: { type: string }, b: { type: string }) => a.type.localeCompare(b.type);
    expect([...documented].sort(byType)).toEqual([...expected].sort(byType));
    for (const [type, , , retriable] of rows) expect(retriable, type).toMatch(/^(yes|no)$/);
  });

  it("the README's error table says nothing the error table contradicts, and points to the whole one", () => {
    const readme = read("README.md");
    const rows = tableAfter(readme, "### Errors");
    expect(rows.length).toBeGreaterThan(5);
    for (const [type, code, status, retriable] of rows) {
      const entry = ERRORS[type!.replace(/`/g, "") as keyof typeof ERRORS];
      expect(entry, `README error table: ${type}`).toBeDefined();
      expect({ type, code: Number(code), status: Number(status), retriable: retriable === "yes" }).toEqual({ type, code: entry.code, status: entry.status, retriable: entry.retriable });
    }
    expect(readme).toContain("](docs/api.md#errors)");
  });

  it("docs/api.md's route table lists exactly the router's routes", () => {
    const rows = tableAfter(read("docs/api.md"), "# edgelog HTTP API v1");
    const documented = rows.map(([cell]) => {
      const match = /^\[`(GET|HEAD|POST|PUT|PATCH|DELETE) ([^`]+)`\]\(#[^)]+\)$/.exec(cell!);
      expect(match, `route table cell ${cell}`).not.toBeNull();
      return routeKey(match![1]!, match![2]!);
    });
    expect(documented.sort()).toEqual(routes);
  });

  it("docs/api.md's RPC table and the README's method list name exactly EdgelogRpc's methods", () => {
    // src/rpc.ts imports cloudflare:workers, which Node cannot load: its class body is read as text.
    const source = read("src/rpc.ts");
    const body = source.slice(source.indexOf("export class EdgelogRpc"));
    const methods = [...body.slice(0, body.indexOf("\n}\n")).matchAll(/^ {2}(?:async )?(\w+)\(/gm)].map((m) => m[1]!).sort();
    expect(methods.length).toBeGreaterThan(15);
    const table = tableAfter(read("docs/api.md"), "## RPC entrypoint").map(([cell]) => /^`(\w+)\(/.exec(cell!)?.[1]);
    expect(table.sort()).toEqual(methods);
    const readme = read("README.md");
    const list = /Methods: ((?:`\w+`,?\s*(?:and\s*)?)+)\./.exec(readme);
    expect(list, "the README's \"Methods: …\" sentence").not.toBeNull();
    expect([...list![1]!.matchAll(/`(\w+)`/g)].map((m) => m[1]!).sort()).toEqual(methods);
  });

  it("the README's API overview lists exactly the router's routes", () => {
    const rows = tableAfter(read("README.md"), "## API overview");
    const documented = new Set<string>();
    for (const [cell] of rows) for (const match of cell!.matchAll(/`(GET|HEAD|POST|PUT|PATCH|DELETE) (\/[^\s`?]*)/g)) documented.add(routeKey(match[1]!, match[2]!));
    expect([...documented].sort()).toEqual(routes);
  });
});

describe("links in README.md and docs/*.md", () => {
  /** `[text](target)` outside code blocks (from the document's folder, as GitHub resolves them), and backquoted paths
   * that look like files of the repository (from its root). */
  function references(doc: string): { reference: string; from: string }[] {
    const text = prose(read(doc));
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/i.test(target));
    const paths = [...text.matchAll(/`((?:src|docs|scripts|test|bin)\/[\w./-]*(?:#[\w-]+)?|\.\.\/[^`\s]*)`/g)].map((m) => m[1]!);
    return [...links.map((reference) => ({ reference, from: dirname(doc) })), ...paths.map((reference) => ({ reference, from: "." }))];
  }

  for (const doc of DOCS) {
    it(`${doc}: every relative link and repository path resolves, anchors included`, () => {
      const broken: string[] = [];
      for (const { reference, from } of references(doc)) {
        const [path, anchor] = reference.split("#") as [string, string | undefined];
        const target = path === "" ? join(ROOT, doc) : resolve(ROOT, from, path);
        if (relative(ROOT, target).startsWith("..") || !existsSync(target)) {
          broken.push(`${reference}: no such file in the repository`);
          continue;
        }
        if (anchor !== undefined && target.endsWith(".md") && !anchorsOf(readFileSync(target, "utf8")).has(anchor)) {
          broken.push(`${reference}: no heading with anchor #${anchor} in ${relative(ROOT, target)}`);
        }
      }
      expect(broken).toEqual([]);
    });
  }
});
