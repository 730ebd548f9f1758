// A thin HTTP client for the edgelog v1 API, used by the benchmarks to drive a real socket.
// Uses an undici Pool (keep-alive, one connection per concurrent client) because global fetch's
// per-request overhead would make the 2-core bench box measure Node rather than workerd.

import { Pool } from "undici";

/** The binary fetch answer's media type (src/log/record-frame.ts). */
export const RECORDS_MEDIA_TYPE = "application/vnd.edgelog.records.v1";

export class HttpError extends Error {
  constructor(method, path, status, body) {
    super(`${method} ${path} -> ${status}: ${body.slice(0, 300)}`);
    this.status = status;
    this.body = body;
  }
}

export class EdgelogClient {
  /** @param {URL|string} baseUrl  @param {{ connections?: number }} [opts] */
  constructor(baseUrl, { connections = 1 } = {}) {
    // pipelining: 1 keeps one request in flight per socket, i.e. each client behaves like a real caller.
    this.pool = new Pool(new URL(baseUrl).origin, { connections, pipelining: 1 });
  }

  close() {
    return this.pool.close();
  }

  /**
   * Sends a request and returns { status, text }. `expect` lists acceptable statuses; anything else
   * throws HttpError. The body is always consumed so the socket can be reused.
   */
  async request(method, path, { body, expect = [200] } = {}) {
    const res = await this.pool.request({
      method,
      path,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body,
    });
    const text = await res.body.text();
    if (!expect.includes(res.statusCode)) throw new HttpError(method, path, res.statusCode, text);
    return { status: res.statusCode, text };
  }

  async json(method, path, opts) {
    const { status, text } = await this.request(method, path, opts);
    try {
      return { status, data: JSON.parse(text) };
    } catch {
      throw new HttpError(method, path, status, `not JSON: ${text}`);
    }
  }

  healthz() {
    return this.request("GET", "/healthz");
  }

  /** Creates a topic; an existing one (409) is accepted so re-runs against a persisted store work. */
  createTopic(name, partitions = 1, config = undefined) {
    return this.request("POST", "/v1/topics", {
      body: JSON.stringify(config === undefined ? { name, partitions } : { name, partitions, config }),
      expect: [201, 409],
    });
  }

  /** `body` is a pre-serialised produce request (see produceBody) so JSON building is not timed. */
  produceRaw(topic, partition, body) {
    return this.request("POST", recordsPath(topic, partition), { body });
  }

  async fetchRecords(topic, partition, options) {
    return JSON.parse(await this.fetchRecordsText(topic, partition, options));
  }

  /** The fetch response as the binary record frame's bytes (docs/api.md), undecoded. */
  async fetchRecordsFrame(topic, partition, { offset, maxRecords = 1000, maxBytes = 8 * 1024 * 1024, maxWaitMs = 0 }) {
    const query = new URLSearchParams({ offset: String(offset), maxRecords: String(maxRecords), maxBytes: String(maxBytes), maxWaitMs: String(maxWaitMs) });
    const path = `${recordsPath(topic, partition)}?${query}`;
    const res = await this.pool.request({ method: "GET", path, headers: { accept: RECORDS_MEDIA_TYPE } });
    const bytes = new Uint8Array(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw new HttpError("GET", path, res.statusCode, new TextDecoder().decode(bytes));
    return bytes;
  }

  /** The fetch response as text, unparsed (the scan bench parses only a sample, so the client is not the bottleneck). */
  async fetchRecordsText(topic, partition, { offset, maxRecords = 1000, maxBytes = 8 * 1024 * 1024, maxWaitMs = 0 }) {
    const query = new URLSearchParams({
      offset: String(offset),
      maxRecords: String(maxRecords),
      maxBytes: String(maxBytes),
      maxWaitMs: String(maxWaitMs),
    });
    return (await this.request("GET", `${recordsPath(topic, partition)}?${query}`)).text;
  }
}

export function recordsPath(topic, partition) {
  return `/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/records`;
}

/**
 * A produce request body of `count` records with `valueBytes`-long ASCII values (so length == bytes).
 * Values differ per record so nothing downstream can get away with deduplicating them.
 */
export function produceBody(count, valueBytes) {
  const records = [];
  for (let i = 0; i < count; i++) {
    const prefix = `v${i}-`;
    records.push({ key: null, value: prefix + "x".repeat(Math.max(0, valueBytes - prefix.length)), headers: [] });
  }
  return JSON.stringify({ records, acks: 1 });
}
