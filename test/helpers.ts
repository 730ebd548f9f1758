// Test helpers: HTTP calls through the real Worker (exports.default.fetch, no network), and unique topic names
// (storage is isolated per test file, not per test).
import { exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

let counter = 0;
export function uniqueTopic(prefix = "t"): string {
  counter++;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

export async function api<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === "string" ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)["content-type"] ??= "application/json";
  }
  const response = await exports.default.fetch(new Request(`http://edgelog.test${path}`, init));
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (metrics, SSE): keep the text
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

export async function createTopic(name: string, partitions = 1, config?: Record<string, unknown>): Promise<void> {
  const r = await api("POST", "/v1/topics", { name, partitions, ...(config ? { config } : {}) });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${JSON.stringify(r.body)}`);
}

export function records(n: number, make: (i: number) => Record<string, unknown> = (i) => ({ value: `v${i}` })): Record<string, unknown>[] {
  return Array.from({ length: n }, (_, i) => make(i));
}

export async function produceTo(topic: string, partition: number, recs: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return api("POST", `/v1/topics/${topic}/partitions/${partition}/records`, { records: recs, ...extra });
}

export async function fetchFrom(topic: string, partition: number, query: Record<string, string | number> = {}) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  return api("GET", `/v1/topics/${topic}/partitions/${partition}/records${qs ? `?${qs}` : ""}`);
}

/** Reads a whole partition from logStartOffset to the high watermark. */
export async function readAll(topic: string, partition: number, encoding?: string): Promise<any[]> {
  const out: any[] = [];
  let offset: number | undefined;
  for (;;) {
    const q: Record<string, string | number> = { maxRecords: 10_000, maxBytes: 8 * 1024 * 1024 };
    if (offset !== undefined) q.offset = offset;
    if (encoding) q.encoding = encoding;
    const r = await fetchFrom(topic, partition, q);
    if (r.status !== 200) throw new Error(`fetch: ${r.status} ${JSON.stringify(r.body)}`);
    out.push(...r.body.records);
    if (r.body.nextOffset >= r.body.highWatermark) return out;
    offset = r.body.nextOffset;
  }
}

/**
 * Waits (by asking the object, not by sleeping) until exactly `count` readers are parked on the partition (its watch
 * sockets, src/watch.ts), and fails with a message if they never are.
 */
export async function untilParked(stub: DurableObjectStub, count: number, attempts = 5_000): Promise<void> {
  let parked = -1;
  for (let i = 0; i < attempts && parked !== count; i++) {
    parked = await runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => state.getWebSockets("watch").length);
  }
  if (parked !== count) throw new Error(`expected ${count} readers parked on the partition, found ${parked}`);
}
