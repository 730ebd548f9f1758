// Content types of Durable Streams: fixed at creation, compared on the media type alone (case-insensitive, parameters
// ignored), echoed exactly as given. The media type chooses JSON mode and SSE's encoding. A leaf.

export const DEFAULT_CONTENT_TYPE = "application/octet-stream";

/** "Text/Plain; charset=utf-8" → "text/plain". */
export function mediaType(contentType: string): string {
  return contentType.split(";")[0]!.trim().toLowerCase();
}

export function sameMediaType(a: string, b: string): boolean {
  return mediaType(a) === mediaType(b);
}

/** JSON mode (P§9.1): bodies are validated and flattened, reads answer one array. */
export function isJsonType(contentType: string): boolean {
  return mediaType(contentType) === "application/json";
}

/** SSE sends text streams as UTF-8 and everything else as base64 (Stream-SSE-Data-Encoding: base64). */
export function isTextType(contentType: string): boolean {
  const media = mediaType(contentType);
  return media.startsWith("text/") || media === "application/json";
}
