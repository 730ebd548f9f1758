// The WebSocket tail's subprotocols (docs/api.md, "WebSocket live tail"): a leaf, so the TS client, the console and
// the router share one encoding.

/**
 * Browsers' WebSocket cannot send an Authorization header, so a browser names the tail's subprotocol and carries its
 * token as a second one: `Sec-WebSocket-Protocol: edgelog.tail, edgelog.bearer.<base64url(token)>` (the way
 * Kubernetes' API server takes bearer tokens on WebSockets). The 101 answer selects TAIL_SUBPROTOCOL, as browsers
 * require when they offered any. No cookie is involved, so another site cannot open a tail with a user's credentials.
 */
export const TAIL_SUBPROTOCOL = "edgelog.tail";
export const TAIL_BEARER_PROTOCOL_PREFIX = "edgelog.bearer.";

/** The subprotocols a client offers for a tail with `token` (for browsers; the token base64url-encoded). */
export function tailProtocols(token: string | undefined): string[] {
  if (token === undefined) return [TAIL_SUBPROTOCOL];
  const bytes = new TextEncoder().encode(token);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return [TAIL_SUBPROTOCOL, TAIL_BEARER_PROTOCOL_PREFIX + btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")];
}

/** What a Sec-WebSocket-Protocol header offers: whether it names the tail's subprotocol, and the token it carries
 *  (undefined when none, or when it does not decode). */
export function offeredTailProtocols(header: string | null): { tail: boolean; token: string | undefined } {
  const offered = (header ?? "").split(",").map((p) => p.trim());
  const bearer = offered.find((p) => p.startsWith(TAIL_BEARER_PROTOCOL_PREFIX))?.slice(TAIL_BEARER_PROTOCOL_PREFIX.length);
  let token: string | undefined;
  if (bearer !== undefined && /^[A-Za-z0-9_-]{1,700}$/.test(bearer)) {
    try {
      const binary = atob(bearer.replace(/-/g, "+").replace(/_/g, "/"));
      token = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
    } catch {
      token = undefined;
    }
  }
  return { tail: offered.includes(TAIL_SUBPROTOCOL), token };
}
