// A live tail of one partition (`edgelog.tail(topic, partition)`): an async iterator of fetch answers as records
// arrive. Over HTTP it uses a WebSocket tail (docs/api.md, "WebSocket live tail") where the runtime can open one with
// the token: Workers (fetch with Upgrade: websocket), Node 22 (its WebSocket takes headers) and browsers (the token as a
// subprotocol, src/tail.ts); each frame is acked once the caller took it, so a slow caller holds the server back
// instead of piling frames up. A closed socket reconnects from the last nextOffset (no gap, no duplicate); a
// non-retriable error (topic deleted, offset out of range) ends the iterator by throwing it. Elsewhere (the RPC binding, a runtime without WebSocket) the same iterator long-polls.
import { DEFAULT_CONSUMER_MAX_WAIT_MS } from "../limits";
import { EdgelogError } from "./edgelog-error";
import type { FetchFunction } from "./http-transport";
import type { Transport } from "./transport";
import type { ErrorBody } from "../errors";
import { tailProtocols } from "../log/tail-subprotocol";
import type { FetchParams, FetchResponse } from "./wire";

export interface TailOptions extends Omit<FetchParams, "maxWaitMs"> {
  /** Ends the tail (the iterator returns). */
  signal?: AbortSignal;
  /** "auto" (the default): a WebSocket where one can carry the token, else long-polls. */
  via?: "auto" | "websocket" | "long-poll";
}

export interface TailEndpoint {
  url: string;
  token?: string;
  fetch?: FetchFunction;
}

/** Reconnects after a socket closed without an error frame wait this long (doubling, at most 30 s). */
const RECONNECT_MS = 250;

export async function* tailPartition(transport: Transport, endpoint: TailEndpoint | undefined, topic: string, partition: number, options: TailOptions = {}): AsyncGenerator<FetchResponse> {
  const { signal, via = "auto", ...params } = options;
  let offset = params.offset;
  let failures = 0;
  while (!signal?.aborted) {
    const ws = endpoint !== undefined && via !== "long-poll" ? await connect(endpoint, topic, partition, { ...params, offset }, via === "websocket") : undefined;
    if (ws === undefined) {
      const r = await transport.fetchRecords(topic, partition, { ...params, offset, maxWaitMs: DEFAULT_CONSUMER_MAX_WAIT_MS }, signal === undefined ? {} : { signal });
      offset = r.nextOffset;
      if (r.records.length > 0) yield r;
      continue;
    }
    const frames = new Frames(ws, signal);
    let opened = false;
    try {
      for (let frame = await frames.next(); frame !== undefined; frame = await frames.next()) {
        opened = true;
        failures = 0;
        if ("error" in frame) {
          if (!frame.error.retriable) throw EdgelogError.fromBody(frame.error);
          break;
        }
        offset = frame.nextOffset;
        yield frame;
        frames.ack(frame.nextOffset);
      }
    } finally {
      frames.close();
    }
    if (signal?.aborted) return;
    if (!opened) {
      // Refused before any frame: a plain read says why (it throws the HTTP error), or it was the network.
      await transport.fetchRecords(topic, partition, { ...params, offset, maxRecords: 1, maxWaitMs: 0 });
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, RECONNECT_MS * 2 ** failures++)));
  }
}

/** Opens the socket, or undefined when this runtime cannot send the token on one (then the tail long-polls). */
async function connect(endpoint: TailEndpoint, topic: string, partition: number, params: FetchParams, required: boolean): Promise<WebSocket | undefined> {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, String(value));
  const url = `${endpoint.url.replace(/\/+$/, "")}/v1/topics/${encodeURIComponent(topic)}/partitions/${partition}/records?${query}`;
  const auth: Record<string, string> = endpoint.token === undefined ? {} : { authorization: `Bearer ${endpoint.token}` };
  if (typeof (globalThis as { WebSocketPair?: unknown }).WebSocketPair === "function") {
    // Workers: the upgrade is a fetch; a refusal is the HTTP error.
    const response = await (endpoint.fetch ?? fetch)(url, { headers: { upgrade: "websocket", ...auth } });
    const ws = (response as Response & { webSocket: WebSocket | null }).webSocket;
    if (response.status !== 101 || ws === null) {
      const body = (await response.json().catch(() => null)) as { error?: ErrorBody } | null;
      if (body?.error) throw EdgelogError.fromBody(body.error, response.status);
      throw new EdgelogError("UNKNOWN_SERVER_ERROR", `the WebSocket tail was answered ${response.status}`, { status: response.status });
    }
    (ws as WebSocket & { accept(): void }).accept();
    return ws;
  }
  if (typeof WebSocket !== "function") {
    if (required) throw new Error("this runtime has no WebSocket: use via: 'long-poll'");
    return undefined;
  }
  const node = typeof process !== "undefined" && typeof process.versions?.node === "string";
  const wsUrl = url.replace(/^http/, "ws");
  if (endpoint.token === undefined) return new WebSocket(wsUrl);
  // Node's WebSocket (undici) takes headers in its second argument; a browser's cannot send one, so its token goes as
  // a subprotocol (src/tail.ts) and the server selects the tail's.
  return node ? new (WebSocket as unknown as new (url: string, init: object) => WebSocket)(wsUrl, { headers: auth }) : new WebSocket(wsUrl, tailProtocols(endpoint.token));
}

type Frame = FetchResponse | { error: ErrorBody };

/** A socket's frames, one at a time; undefined once it closed (or the signal fired). */
class Frames {
  private readonly queue: Frame[] = [];
  private done = false;
  private notify: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly signal?: AbortSignal,
  ) {
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string" && e.data !== "pong") this.queue.push(JSON.parse(e.data) as Frame);
      this.poke();
    });
    const end = () => {
      this.done = true;
      this.poke();
    };
    ws.addEventListener("close", end);
    ws.addEventListener("error", end);
    signal?.addEventListener("abort", end, { once: true });
  }

  private poke(): void {
    const n = this.notify;
    this.notify = undefined;
    n?.();
  }

  async next(): Promise<Frame | undefined> {
    for (;;) {
      if (this.signal?.aborted) return undefined;
      const frame = this.queue.shift();
      if (frame !== undefined) return frame;
      if (this.done) return undefined;
      await new Promise<void>((resolve) => (this.notify = resolve));
    }
  }

  ack(nextOffset: number): void {
    try {
      this.ws.send(JSON.stringify({ ack: nextOffset }));
    } catch {
      // closed meanwhile: the next() after this says so
    }
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // already closed
    }
  }
}
