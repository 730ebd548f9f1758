// The web console's three files (console/, built into build/console.mjs by scripts/build.mjs), served at /console
// without a token: the page holds no data; everything it shows comes from the API under the token typed into it.
// Every answer carries a strict Content-Security-Policy (only this origin's script, style and API; no inline code,
// no eval) and an ETag; the script and stylesheet are immutable under their build hash (?v=<hash>).
import type { IRequest } from "itty-router";
import { CONSOLE } from "../../build/console.mjs";

export const CONSOLE_PATHS = new Set(["/console", "/console/app.js", "/console/app.css"]);

/** Whether a request path is one of the console's (a trailing slash allowed, as the router allows it). */
export function isConsolePath(pathname: string): boolean {
  return CONSOLE_PATHS.has(pathname.replace(/(.)\/+$/, "$1"));
}

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const ETAG = `"${CONSOLE.hash}"`;

function serve(request: IRequest, body: string, contentType: string, immutable: boolean): Response {
  const headers: Record<string, string> = {
    "content-type": contentType,
    "content-security-policy": CONSOLE_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    etag: ETAG,
    // The page must always be revalidated (it names the current build); a hashed file never changes.
    "cache-control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
  };
  if (request.headers.get("if-none-match") === ETAG) return new Response(null, { status: 304, headers });
  return new Response(body, { headers });
}

/** Whether the request names the current build (?v=<hash>); another version is served but not cached for good. */
const current = (request: IRequest) => new URL(request.url).searchParams.get("v") === CONSOLE.hash;

export function handleConsolePage(request: IRequest): Response {
  return serve(request, CONSOLE.html, "text/html; charset=utf-8", false);
}

export function handleConsoleScript(request: IRequest): Response {
  return serve(request, CONSOLE.js, "text/javascript; charset=utf-8", current(request));
}

export function handleConsoleStyle(request: IRequest): Response {
  return serve(request, CONSOLE.css, "text/css; charset=utf-8", current(request));
}
