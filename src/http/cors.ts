// CORS for the HTTP API: browsers from the origins listed in EDGELOG_CORS_ORIGINS (comma-separated) may call it; any
// other origin gets no CORS headers, so the browser refuses the answer. Preflights need no token.
import type { Env } from "../env";

function allowedOrigin(request: Request, env: Env): string | undefined {
  const origin = request.headers.get("origin");
  if (origin === null || !env.EDGELOG_CORS_ORIGINS) return undefined;
  const allowedOrigins = env.EDGELOG_CORS_ORIGINS.split(",").map((o) => o.trim()).filter(Boolean);
  return allowedOrigins.includes(origin) ? origin : undefined;
}

/** Answers a CORS preflight: 204, with CORS headers only for a configured origin (else the browser refuses). */
export function preflight(request: Request, env: Env): Response {
  const origin = allowedOrigin(request, env);
  if (origin === undefined) return new Response(null, { status: 204, headers: { vary: "Origin" } });
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
      "access-control-allow-headers": "authorization, content-type, last-event-id",
      "access-control-max-age": "600",
      vary: "Origin",
    },
  });
}

export function withCors(response: Response, request: Request, env: Env): Response {
  const origin = allowedOrigin(request, env);
  // A WebSocket tail's 101 goes back untouched: browsers apply no CORS to WebSockets.
  if (origin === undefined || response.webSocket !== null) return response;
  const out = new Response(response.body, response);
  out.headers.set("access-control-allow-origin", origin);
  out.headers.set("access-control-expose-headers", "retry-after, www-authenticate");
  out.headers.append("vary", "Origin");
  return out;
}
