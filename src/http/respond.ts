// Turning results and errors into HTTP responses: the one place that maps the error table to statuses.
import { ERRORS, errorBody, KafkaError, type ErrorBody } from "../errors";

export const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

/** A body already serialized as UTF-8 JSON (fetch responses come from the partition object this way). */
export function jsonBytes(body: Uint8Array, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorResponse(error: ErrorBody, headers: Record<string, string> = {}): Response {
  return json({ error }, ERRORS[error.type].status, headers);
}

/** The one catch: operating errors answer with their own body; anything else is a bug, logged and answered 500. */
export function fromThrown(thrown: unknown): Response {
  if (thrown instanceof KafkaError) return errorResponse(thrown.body, thrown.headers);
  console.error("unexpected error", thrown instanceof Error ? thrown.stack : String(thrown));
  return errorResponse(errorBody("UNKNOWN_SERVER_ERROR", "internal error; the server log has the details"));
}
