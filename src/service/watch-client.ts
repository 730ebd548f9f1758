// The router's side of waiting for a partition's appends outside the partition object (src/watch.ts): one request
// that reads or parks, then a socket the router waits on while the object hibernates. Waiting here costs CPU time
// only, and none while nothing happens.
import { ok, type Result } from "../errors";
import { encodeRecordFrame } from "../log/record-frame";
import { replicaStub } from "../names";
import type { Env } from "../env";
import type { PartitionRef, ReadRequest, ReadResult } from "../protocol";
import { ObjectUnavailable } from "../unavailable";
import { WATCH_ANSWER_HEADER, WATCH_REQUEST_HEADER, WATCH_URL, type WatchAnswer, type WatchMode, type WatchRequest } from "../watch";

export interface Watch {
  /** The read's answer: records, or (parked) the empty answer a timed-out long-poll gives. */
  result: ReadResult;
  /** Set when the partition parked the reader: wait on it for the next append. */
  socket?: WakeSocket;
}

const encoder = new TextEncoder();

/** Reads from `read.offset`, or parks the reader when there is nothing to read (a full partition answers at once). */
export async function openWatch(env: Env, ref: PartitionRef, read: ReadRequest, mode: WatchMode): Promise<Result<Watch>> {
  const request: WatchRequest = { ref, read, mode };
  const response = await replicaStub(env, ref).fetch(WATCH_URL, { headers: { [WATCH_REQUEST_HEADER]: JSON.stringify(request), upgrade: "websocket" } });
  const header = response.headers.get(WATCH_ANSWER_HEADER);
  if (header === null) throw new Error(`partition ${ref.topic}/${ref.partition} answered a watch request with ${response.status} and no answer`);
  const answer = JSON.parse(header) as WatchAnswer;
  if (answer.kind === "unavailable") throw new ObjectUnavailable(answer.message);
  if (answer.kind === "error") {
    await response.body?.cancel();
    return { ok: false, error: answer.error };
  }
  const numbers = { recordCount: answer.recordCount, nextOffset: answer.nextOffset, highWatermark: answer.highWatermark, logStartOffset: answer.logStartOffset };
  const socket = response.webSocket;
  if (socket !== null) {
    socket.accept();
    const body =
      read.format === "binary"
        ? encodeRecordFrame([], { nextOffset: answer.nextOffset, highWatermark: answer.highWatermark, logStartOffset: answer.logStartOffset, encoding: read.encoding })
        : encoder.encode(`{"records":[],"nextOffset":${answer.nextOffset},"highWatermark":${answer.highWatermark},"logStartOffset":${answer.logStartOffset}}`);
    return ok({ result: { body, ...numbers }, socket: new WakeSocket(socket) });
  }
  return ok({ result: { body: new Uint8Array(await response.arrayBuffer()), ...numbers } });
}

/** A parked reader's socket: wake messages coalesce (one read catches up with them all). */
export class WakeSocket {
  private woken = false;
  private closed = false;
  private notify: (() => void) | undefined;

  constructor(private readonly socket: WebSocket) {
    const poke = () => {
      const n = this.notify;
      this.notify = undefined;
      n?.();
    };
    socket.addEventListener("message", () => {
      this.woken = true;
      poke();
    });
    const onClose = () => {
      this.closed = true;
      poke();
    };
    socket.addEventListener("close", onClose);
    socket.addEventListener("error", onClose);
  }

  /**
   * Resolves at the next wake ("woken"), when the partition closed the socket ("closed"), after `ms` ("timeout"), or
   * when the reader's own client goes away ("gone": `signal`, request.signal of the reader's request).
   */
  next(ms: number, signal?: AbortSignal): Promise<"woken" | "closed" | "timeout" | "gone"> {
    if (signal?.aborted) return Promise.resolve("gone");
    const taken = this.take();
    if (taken !== undefined) return Promise.resolve(taken);
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        this.notify = undefined;
        resolve("gone");
      };
      const timer = setTimeout(() => {
        this.notify = undefined;
        signal?.removeEventListener("abort", onAbort);
        resolve("timeout");
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
      this.notify = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(this.take() ?? "timeout");
      };
    });
  }

  /** Lets the partition forget this reader (a timed-out long-poll, a tail that ends). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close(1000, "done");
    } catch {
      // already closing
    }
  }

  private take(): "woken" | "closed" | undefined {
    if (this.woken) {
      this.woken = false;
      return "woken";
    }
    return this.closed ? "closed" : undefined;
  }
}
