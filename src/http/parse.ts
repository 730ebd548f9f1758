// Reading requests: JSON bodies under a byte limit (checked from Content-Length first, then while streaming, so
// an oversized body is refused without being buffered), path parameters, and query strings. Every route that takes
// a body reads it here, so a body cut short is a client error (400) on all of them alike.
import { KafkaError, type ErrorType } from "../errors";
import { scanProduceBody } from "../log/scan-produce-body";

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/**
 * Reads and parses a JSON body of at most maxBytes; `tooLarge` names the error for an oversized body. With
 * allowEmpty, an absent or empty body reads as undefined instead of an error.
 */
export async function readJson(request: Request, maxBytes: number, tooLarge: ErrorType, allowEmpty = false): Promise<unknown> {
  return (await readJsonSized(request, maxBytes, tooLarge, allowEmpty)).value;
}

/** readJson, also telling the body's size in bytes (produce quotas charge it). */
export async function readJsonSized(request: Request, maxBytes: number, tooLarge: ErrorType, allowEmpty = false): Promise<{ value: unknown; bytes: number }> {
  const { text, bytes } = await readText(request, maxBytes, tooLarge, allowEmpty);
  return { value: text === undefined ? undefined : parseJson(text), bytes };
}

/**
 * A produce body: read in one pass by scanProduceBody when it can (no object graph, the records' JSON sliced from the
 * text), else JSON.parse'd as readJsonSized does, which then decides every error.
 */
export async function readProduceBody(request: Request, maxBytes: number, tooLarge: ErrorType): Promise<{ value: unknown; bytes: number }> {
  const { text, bytes } = await readText(request, maxBytes, tooLarge, false);
  return { value: scanProduceBody(text!) ?? parseJson(text!), bytes };
}

/** The body as text (undefined when empty and allowed), after the media type, size and UTF-8 checks. */
async function readText(request: Request, maxBytes: number, tooLarge: ErrorType, allowEmpty: boolean): Promise<{ text: string | undefined; bytes: number }> {
  const contentType = request.headers.get("content-type");
  if (contentType !== null && !/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType.trim())) {
    throw new KafkaError("UNSUPPORTED_MEDIA_TYPE", `Content-Type must be application/json, got '${contentType.slice(0, 100)}'`);
  }
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    throw new KafkaError(tooLarge, `request body is ${declared} bytes, the maximum is ${maxBytes}`, { bytes: Number(declared), maxBytes });
  }
  const bytes = await readBody(request, declared !== null, maxBytes, tooLarge);
  if (bytes.length > maxBytes) {
    throw new KafkaError(tooLarge, `request body is over the maximum of ${maxBytes} bytes`, { maxBytes });
  }
  if (bytes.length === 0) {
    if (allowEmpty) return { text: undefined, bytes: 0 };
    throw new KafkaError("INVALID_REQUEST", "request body is empty; send a JSON object");
  }
  try {
    return { text: decoder.decode(bytes), bytes: bytes.length };
  } catch {
    throw new KafkaError("INVALID_REQUEST", "request body is not valid UTF-8");
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KafkaError("INVALID_REQUEST", `malformed JSON: ${error instanceof Error ? error.message : String(error)}`.slice(0, 300));
  }
}

/**
 * The body's bytes. A body that fails to arrive (the connection closed before Content-Length bytes came, or a broken
 * chunked encoding) is the client's doing: 400, not a server error, and nothing to log (the client may be gone, so
 * /metrics' 400 count for the route is where it shows).
 */
async function readBody(request: Request, lengthDeclared: boolean, maxBytes: number, tooLarge: ErrorType): Promise<Uint8Array> {
  // Reading twice is our bug, not the client's: keep it out of the catch below.
  if (request.bodyUsed) throw new Error("request body was already read");
  try {
    // With a declared length (already checked against the limit) the HTTP layer stops the body at that length, so
    // one arrayBuffer() is safe and far cheaper than pulling chunks through a JS reader; the caller's check after
    // it guards the unexpected. Without one (chunked), stream and count.
    return lengthDeclared ? new Uint8Array(await request.arrayBuffer()) : await readCapped(request, maxBytes, tooLarge);
  } catch (error) {
    if (error instanceof KafkaError) throw error;
    throw new KafkaError("INVALID_REQUEST", "request body ended early: the connection closed before the whole body arrived, or its chunked encoding is broken");
  }
}

async function readCapped(request: Request, maxBytes: number, tooLarge: ErrorType): Promise<Uint8Array> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new KafkaError(tooLarge, `request body is over the maximum of ${maxBytes} bytes`, { maxBytes });
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const chunk of chunks) {
    out.set(chunk, pos);
    pos += chunk.byteLength;
  }
  return out;
}

/** A path parameter, percent-decoded. */
export function pathParam(params: Record<string, string>, name: string): string {
  const raw = params[name] ?? "";
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new KafkaError("INVALID_REQUEST", `path parameter ${name} is not valid percent-encoding`);
  }
}

/** A single query parameter; repeating it is an error rather than a silent pick. */
export function queryParam(query: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = query[name];
  if (Array.isArray(value)) throw new KafkaError("INVALID_REQUEST", `query parameter ${name} is given more than once`, { field: name });
  return value;
}
