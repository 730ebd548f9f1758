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
      "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
      // Durable Streams' request headers (src/streams/) besides the API's own.
      "access-control-allow-headers":
        "authorization, content-type, last-event-id, if-none-match, if-match, stream-ttl, stream-expires-at, stream-closed, stream-seq, stream-forked-from, stream-fork-offset, stream-fork-sub-offset, producer-id, producer-epoch, producer-seq",
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
  out.headers.set(
    "access-control-expose-headers",
    // Durable Streams' answers carry their state in headers (src/streams/answers.ts).
    "retry-after, www-authenticate, etag, location, stream-next-offset, stream-up-to-date, stream-closed, stream-cursor, stream-ttl, stream-expires-at, stream-sse-data-encoding, producer-epoch, producer-seq, producer-expected-seq, producer-received-seq, edgelog-topic",
  );
  out.headers.append("vary", "Origin");
  return out;
}
