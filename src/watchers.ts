// Readers waiting for this partition's next append, held so the object can hibernate (src/watch.ts has the protocol):
// each is a WebSocket accepted with ctx.acceptWebSocket, its wake condition in the socket's attachment, so it survives
// the object's eviction. An append that moves the high watermark past a socket's offset sends it one wake message; a
// long-poll's socket ("once") is then closed, a live tail's stays for the next. The object defines no close handler: a
// reader that answers, times out or goes away closes its socket without waking the object. Shared by the partition
// object and a Durable Stream object, which parks its stream topic's watches (src/streams/topic-watch.ts).
import { MAX_FETCH_WAITERS_PER_PARTITION } from "./limits";
import { WATCH_ANSWER_HEADER, WATCH_TAG, type WakeMessage, type WatchAnswer, type WatchAttachment, type WatchMode } from "./watch";

export class Watchers {
  constructor(private readonly ctx: DurableObjectState) {}

  get size(): number {
    return this.ctx.getWebSockets(WATCH_TAG).length;
  }

  /** Whether another reader may park (beyond the bound a fetch answers at once, empty, as Kafka's would at its timeout). */
  get hasRoom(): boolean {
    return this.size < MAX_FETCH_WAITERS_PER_PARTITION;
  }

  /** Parks a reader until the high watermark passes `after`: the 101 answer that hands the router its socket. */
  park(after: number, mode: WatchMode): Response {
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [WATCH_TAG]);
    server.serializeAttachment({ after, mode } satisfies WatchAttachment);
    return new Response(null, { status: 101, webSocket: client });
  }

  /** The high watermark moved: wakes every reader whose offset it passed. */
  wake(highWatermark: number): void {
    const sockets = this.ctx.getWebSockets(WATCH_TAG);
    if (sockets.length === 0) return;
    const message = JSON.stringify({ highWatermark } satisfies WakeMessage);
    for (const ws of sockets) {
      const a = ws.deserializeAttachment() as WatchAttachment | null;
      if (a === null || highWatermark <= a.after) continue;
      try {
        ws.send(message);
        if (a.mode === "once") ws.close(1000, "appended");
        else ws.serializeAttachment({ ...a, after: highWatermark } satisfies WatchAttachment);
      } catch {
        // Closed by its reader meanwhile.
      }
    }
  }

  /** Closes every socket (the topic was deleted, or the fault switch went down): each reader then reads once more and
   *  gets the error, as a parked request would. */
  closeAll(reason: string): void {
    for (const ws of this.ctx.getWebSockets(WATCH_TAG)) {
      try {
        ws.close(1012, reason);
      } catch {
        // already closed
      }
    }
  }
}

/** An answer to a watch request that did not park: the fetch body, and its numbers (or error) in a header. */
export function watchAnswer(answer: WatchAnswer, body?: Uint8Array): Response {
  return new Response(body ?? null, { headers: { [WATCH_ANSWER_HEADER]: JSON.stringify(answer) } });
}

export function withAnswer(parked: Response, answer: WatchAnswer): Response {
  return new Response(null, { status: 101, webSocket: parked.webSocket, headers: { [WATCH_ANSWER_HEADER]: JSON.stringify(answer) } });
}

