// The console's only way to the server: edgelog's public HTTP API, with the token from session storage on every call.
import { errorFrom, type ShownError } from "./format";

const TOKEN_KEY = "edgelog.token";

export const token = {
  get: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  set: (value: string) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(readonly shown: ShownError) {
    super(`${shown.type}: ${shown.message}`);
  }
}

/** Called on every 401: the page asks for a token. */
let unauthorized: (e: ShownError) => void = () => {};
export function onUnauthorized(handler: (e: ShownError) => void): void {
  unauthorized = handler;
}

export function authHeaders(): Record<string, string> {
  const t = token.get();
  return t ? { authorization: `Bearer ${t}` } : {};
}

export function asShown(e: unknown): ShownError {
  if (e instanceof ApiError) return e.shown;
  if (e instanceof Error && e.name === "AbortError") return { status: 0, type: "ABORTED", code: null, message: "cancelled" };
  return { status: 0, type: "NETWORK_ERROR", code: null, message: e instanceof Error ? e.message : String(e) };
}

export async function failure(response: Response): Promise<ApiError> {
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  const shown = errorFrom(response.status, body);
  if (response.status === 401) unauthorized(shown);
  return new ApiError(shown);
}

export async function api<T = any>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = authHeaders();
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), ...(signal ? { signal } : {}) });
  } catch (e) {
    throw new ApiError(asShown(e));
  }
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

export const enc = encodeURIComponent;

// ---- the API's shapes the console reads ------------------------------------------------------------------------

// The client's declarations of them (src/client/wire.ts): one definition per body, shared with the TS client.
export type { GroupDescription, GroupOffsets as GroupLag, PartitionInfo, ShareGroupDescription, SharePartitionStatus, TopicDescription, TopicSummary } from "../../src/client/wire";
