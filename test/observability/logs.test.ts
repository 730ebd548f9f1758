// Structured logs inside workerd: each request writes one JSON line with its route, status, ms and what it names; no
// line ever carries the caller's token (captured from the console during requests that send one, and scanned); the
// level filter (EDGELOG_LOG_LEVEL) holds back lines below it. Plus the pure formatter's rules.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import type { Env } from "../../src/env";
import { Logger, logLevelOf, logRecord } from "../../src/log/structured-log";
import { uniqueTopic } from "../helpers";

const TOKEN = "edl_logscan_secret_token_for_tests_only";

/** Every console line written while `work` runs, with the method that wrote it. */
async function captured(work: () => Promise<void>): Promise<{ method: string; line: any }[]> {
  const lines: { method: string; line: any }[] = [];
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push({ method, line: args.length === 1 ? args[0] : args });
    });
  }
  await work();
  return lines;
}

afterEach(() => vi.restoreAllMocks());

async function call(method: string, path: string, body: unknown, extraEnv: Partial<Env> = {}): Promise<number> {
  const request = new Request(`http://edgelog.test${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", cookie: `session=${TOKEN}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const ctx = createExecutionContext();
  const response = await worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, { ...(env as unknown as Env), ...extraEnv }, ctx);
  await response.text();
  await waitOnExecutionContext(ctx);
  return response.status;
}

const DEBUG = { EDGELOG_LOG_LEVEL: "debug" };

describe("structured logs", () => {
  it("one line per request with its fields, and no token anywhere", async () => {
    const t = uniqueTopic();
    const lines = await captured(async () => {
      expect(await call("POST", "/v1/topics", { name: t, partitions: 2 }, DEBUG)).toBe(201);
      expect(await call("POST", `/v1/topics/${t}/partitions/1/records`, { records: [{ value: "a" }, { value: "b" }, { value: TOKEN }] }, DEBUG)).toBe(200);
      expect(await call("GET", `/v1/topics/${t}/partitions/1/records?offset=0`, undefined, DEBUG)).toBe(200);
      expect(await call("GET", `/v1/topics/${t}/partitions/1/records?offset=99`, undefined, DEBUG)).toBe(416);
      expect(await call("POST", `/v1/groups/g-${t}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 0 }] }, DEBUG)).toBe(200);
    });
    const text = lines.map((l) => JSON.stringify(l.line)).join("\n");
    // The record's value is the token's text: it is data, and data never reaches a log line either.
    expect(text).not.toContain(TOKEN);
    expect(text.toLowerCase()).not.toContain("bearer");
    const requests = lines.filter((l) => l.line?.event === "request").map((l) => ({ ...l.line, method_: l.method }));
    expect(requests).toHaveLength(5);
    for (const r of requests) {
      expect(r).toMatchObject({ level: expect.any(String), route: expect.any(String), status: expect.any(Number), ms: expect.any(Number) });
    }
    const [created, produced, fetched, outOfRange, committed] = requests;
    expect(created).toMatchObject({ level: "debug", method: "POST", route: "/v1/topics", status: 201, method_: "log" });
    expect(produced).toMatchObject({ route: "/v1/topics/:topic/partitions/:partition/records", topic: t, partition: 1, records: 3, status: 200 });
    expect(produced.bytes).toBeGreaterThan(0);
    expect(fetched).toMatchObject({ method: "GET", topic: t, partition: 1, records: 3, status: 200 });
    expect(outOfRange).toMatchObject({ level: "warn", status: 416, errorType: "OFFSET_OUT_OF_RANGE", method_: "warn" });
    expect(committed).toMatchObject({ group: `g-${t}`, status: 200 });
  });

  it("EDGELOG_LOG_LEVEL holds back lines below it; at the default (info) a request is logged only when it fails", async () => {
    const t = uniqueTopic();
    const byDefault = await captured(async () => {
      expect(await call("POST", "/v1/topics", { name: t, partitions: 1 })).toBe(201);
      expect(await call("GET", `/v1/topics/${t}/partitions/0/records?offset=5`, undefined)).toBe(416);
    });
    expect(byDefault.filter((l) => l.line?.event === "request").map((l) => l.line.status)).toEqual([416]);
    const warnOnly = await captured(async () => {
      expect(await call("POST", "/v1/topics", { name: `${t}-w`, partitions: 1 }, { EDGELOG_LOG_LEVEL: "warn" })).toBe(201);
      expect(await call("GET", `/v1/topics/${t}/partitions/0/records?offset=5`, undefined, { EDGELOG_LOG_LEVEL: "warn" })).toBe(416);
    });
    expect(warnOnly.filter((l) => l.line?.event === "request").map((l) => l.line.status)).toEqual([416]);
    const debug = await captured(async () => {
      expect(await call("GET", "/healthz", undefined, { EDGELOG_LOG_LEVEL: "debug" })).toBe(200);
      expect(await call("GET", "/healthz", undefined)).toBe(200); // default info: a success is debug, not written
    });
    expect(debug.filter((l) => l.line?.event === "request").map((l) => l.line)).toEqual([expect.objectContaining({ level: "debug", route: "/healthz" })]);
  });

  it("the formatter: levels parse, secrets are dropped, lines go to the console method of their level", () => {
    expect(logLevelOf(undefined)).toBe("info");
    expect(logLevelOf("WARN")).toBe("warn");
    expect(logLevelOf("verbose")).toBe("info");
    expect(logRecord("info", "x", { topic: "t", Authorization: "Bearer s", api_key: "s", token: "s", missing: undefined })).toEqual({ level: "info", event: "x", topic: "t" });
    const out: [string, unknown][] = [];
    const sink = { log: (l: unknown) => out.push(["log", l]), warn: (l: unknown) => out.push(["warn", l]), error: (l: unknown) => out.push(["error", l]) };
    const logger = new Logger("warn", sink);
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d", { n: 1 });
    expect(out).toEqual([["warn", { level: "warn", event: "c" }], ["error", { level: "error", event: "d", n: 1 }]]);
  });
});
