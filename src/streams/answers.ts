// Durable Streams answers: the headers every DS response carries (P§12.7), refusals with the protocol's status
// codes (DS clients read statuses and headers, so the body is plain text, not edgelog's error JSON), and the headers
// describing a stream. A leaf.
import { formatOffset } from "./offsets";
import type { StreamInfo, StreamRefusal } from "./protocol";

/** On every DS answer, errors included: browsers must not sniff stream bytes, and other origins may embed reads. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "x-content-type-options": "nosniff",
  "cross-origin-resource-policy": "cross-origin",
};

export function dsResponse(body: BodyInit | null, status: number, headers: Record<string, string>): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, ...headers } });
}

export function refusalResponse(refusal: StreamRefusal | { status: number; message: string; headers?: Record<string, string> }): Response {
  return dsResponse(refusal.message, refusal.status, { "content-type": "text/plain; charset=utf-8", ...(refusal.headers ?? {}) });
}

/** Stream-Next-Offset and Stream-Closed, as every successful answer names them. */
export function tailHeaders(info: StreamInfo): Record<string, string> {
  return { "stream-next-offset": formatOffset(info.tail), ...(info.closed ? { "stream-closed": "true" } : {}) };
}

/** HEAD's metadata: the configured TTL (not what is left of it) or the Expires-At as sent. */
export function metadataHeaders(info: StreamInfo): Record<string, string> {
  return {
    "content-type": info.contentType,
    ...tailHeaders(info),
    ...(info.ttlSeconds === undefined ? {} : { "stream-ttl": String(info.ttlSeconds) }),
    ...(info.expiresAt === undefined ? {} : { "stream-expires-at": info.expiresAt }),
  };
}

/** A read's ETag: the stream's incarnation (a recreated stream restarts at offset 0), the range, and whether it is
 *  the closed end (closing changes what the same range answers: Stream-Closed). */
export function etagOf(info: StreamInfo, start: number, next: number, closedEnd: boolean): string {
  return `"${info.generation}:${start}:${next}${closedEnd ? ":c" : ""}"`;
}
