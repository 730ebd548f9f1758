// The console's files over HTTP: served without a token even with auth on, with their content types, a strict CSP
// (no inline code, no eval, no other origins), ETags with 304s, and caching for good only under the current hash.
import { env } from "cloudflare:workers";
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { Env } from "../../src/env";
import { api } from "../helpers";
import pkg from "../../package.json";

// Auth on, with one token: the console must still load, and the API still refuse.
const authEnv = { ...(env as unknown as Env), EDGELOG_ENV: "production", EDGELOG_AUTH: undefined, EDGELOG_TOKENS: JSON.stringify([{ name: "x", sha256: "0".repeat(64), acls: [] }]) };

async function get(path: string, headers: Record<string, string> = {}, method = "GET") {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`http://edgelog.test${path}`, { method, headers }) as never, authEnv, ctx);
  await waitOnExecutionContext(ctx);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe("GET /console", () => {
  it("serves the page without a token, with a strict CSP and no caching without revalidation", async () => {
    const r = await get("/console");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.headers.get("cache-control")).toBe("no-cache");
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    const csp = r.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)|https?:|\*/);
    // The page references its script and stylesheet by the build's hash, and has no inline script or style.
    const hash = /app\.js\?v=([0-9a-f]{16})/.exec(r.text)?.[1];
    expect(hash).toBeDefined();
    expect(r.text).toContain(`/console/app.css?v=${hash}`);
    expect(r.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son\w+=/i);
    expect(r.headers.get("etag")).toBe(`"${hash}"`);
    // A trailing slash is the same page.
    expect((await get("/console/")).status).toBe(200);
  });

  it("serves the script and stylesheet, immutable under the current hash and revalidated otherwise", async () => {
    const page = await get("/console");
    const hash = /app\.js\?v=([0-9a-f]{16})/.exec(page.text)![1]!;
    const js = await get(`/console/app.js?v=${hash}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js.headers.get("content-security-policy")).toContain("default-src 'none'");
    // Workers forbid eval and new Function, and the CSP would refuse them anyway.
    expect(js.text).not.toMatch(/\beval\(|new Function\(/);
    const css = await get(`/console/app.css?v=${hash}`);
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(css.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const stale = await get("/console/app.js?v=0000000000000000");
    expect(stale.status).toBe(200);
    expect(stale.headers.get("cache-control")).toBe("no-cache");
    expect((await get("/console/app.js")).headers.get("cache-control")).toBe("no-cache");
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const page = await get("/console");
    const etag = page.headers.get("etag")!;
    const again = await get("/console", { "if-none-match": etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect(again.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect((await get("/console", { "if-none-match": '"other"' })).status).toBe(200);
  });

  it("opens only the console's own paths: the API and other paths under /console still need a token", async () => {
    expect((await get("/v1/topics")).status).toBe(401);
    const other = await get("/console/secret");
    expect(other.status).toBe(401);
    expect(JSON.parse(other.text).error.type).toBe("SASL_AUTHENTICATION_FAILED");
    const post = await get("/console", {}, "POST");
    expect(post.status).toBe(405);
    expect(JSON.parse(post.text).error.type).toBe("METHOD_NOT_ALLOWED");
  });

  it("is counted in /metrics by its route, like any route", async () => {
    await api("GET", "/console");
    const m = await api("GET", "/metrics");
    expect(m.body).toContain('edgelog_http_requests_total{route="/console",status="200"}');
  });

  it("has the environment and edgelog's version from /healthz, without a token (the overview shows them)", async () => {
    const r = await get("/healthz");
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ status: "ok", env: "production", version: pkg.version });
  });
});
