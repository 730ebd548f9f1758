// WebSocket live tails served by the partition object (src/tail.ts has the protocol). Each client socket is accepted
// with ctx.acceptWebSocket under TAIL_TAG, its position, read bounds and unacknowledged frames in its attachment, so
// it survives the object's hibernation and eviction: an idle tail costs no duration. When the log moves (or a client
// acknowledges), one pump sends every socket with credit what lies past its position: sockets at the same position
// with the same read share one read and one serialized frame. One pump runs at a time, so a socket is never sent the
// same records twice; a wake during a pump makes it go round once more. Shared by the partition object and a Durable
// Stream object, which serves its stream topic's tails (src/streams/topic-watch.ts).
import { clientError, errorBody, type ErrorBody, type Result } from "./errors";
import { MAX_TAILS_PER_PARTITION } from "./limits";
import type { PartitionRef, ReadRequest } from "./protocol";
import {
  ackOverdue,
  sessionOver,
  acked,
  hasCredit,
  mayFollow,
  sent,
  TAIL_CLOSE_ACK_TIMEOUT,
  TAIL_CLOSE_BAD_MESSAGE,
  TAIL_ERROR_HEADER,
  TAIL_TAG,
  tailCloseCode,
  type TailAttachment,
  type TailRequest,
} from "./tail";

/** One read's answer as a tail frame: the fetch answer as text (decoded once, sent to every socket at its position),
 *  its size in bytes, and its numbers. */
export interface TailFrame {
  text: string;
  bytes: number;
  recordCount: number;
  nextOffset: number;
}

export interface TailsHost {
  /** The object's clock (tests move it). */
  now(): number;
  /** Reads from request.offset after the routing and offset checks every fetch makes. */
  read(ref: PartitionRef, request: ReadRequest): Promise<Result<TailFrame>>;
  /** Where a read with these bounds ends now (undefined before the log is loaded): sockets there are skipped. */
  end(request: ReadRequest): number | undefined;
  /** Counts the pump's work as the object's active time (it runs after the append that woke it has answered). */
  busy(work: () => Promise<void>): Promise<void>;
}

export class Tails {
  private pumping = false;
  private again = false;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly host: TailsHost,
  ) {}

  get size(): number {
    return this.ctx.getWebSockets(TAIL_TAG).length;
  }

  /** A client asks to tail: refused with an error answer (no upgrade), or accepted with the records already there. */
  async open(request: TailRequest): Promise<Response> {
    if (this.size >= MAX_TAILS_PER_PARTITION) return refusal(tooMany(request.ref));
    const read = { ...request.read, maxWaitMs: 0 };
    const first = await this.host.read(request.ref, read);
    if (!first.ok) return refusal(first.error);
    // Other opens may have been accepted while this one read (a tiered read waits on R2): count again.
    if (this.size >= MAX_TAILS_PER_PARTITION) return refusal(tooMany(request.ref));
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.ctx.acceptWebSocket(server, [TAIL_TAG]);
    const start: TailAttachment = { ref: request.ref, read: { ...read, offset: undefined }, position: first.value.nextOffset, unacked: [], sinceMs: this.host.now(), openedMs: this.host.now() };
    server.serializeAttachment(first.value.recordCount > 0 ? this.send(server, start, first.value) : start);
    // Appends that landed during the read, and what did not fit one frame.
    this.wake();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** The log moved, or a client gave credit: send what each socket may get. */
  wake(): void {
    this.again = true;
    if (this.pumping) return;
    this.pumping = true;
    void this.host.busy(() => this.pump()).finally(() => (this.pumping = false));
  }

  /** A client's message: an ack gives credit; anything else closes the socket (4400). */
  message(ws: WebSocket, message: string | ArrayBuffer): void {
    const a = ws.deserializeAttachment() as TailAttachment | null;
    if (a === null) return;
    const next = acked(a, message, this.host.now());
    if (next === undefined) {
      closeWith(ws, { error: errorBody("INVALID_REQUEST", 'a tail accepts only {"ack": <nextOffset of a frame received>} (or "ping")') }, TAIL_CLOSE_BAD_MESSAGE);
      return;
    }
    ws.serializeAttachment(next);
    this.wake();
  }

  /** Closes every tail with an error (the topic was deleted, the object went down): clients see its code. */
  closeAll(error: ErrorBody): void {
    for (const ws of this.ctx.getWebSockets(TAIL_TAG)) closeWith(ws, { error }, tailCloseCode(error));
  }

  private async pump(): Promise<void> {
    while (this.again) {
      this.again = false;
      const now = this.host.now();
      // Sockets that want the same read from the same position: one read, one frame.
      const groups = new Map<string, { ref: PartitionRef; read: ReadRequest; position: number; sockets: WebSocket[] }>();
      for (const ws of this.ctx.getWebSockets(TAIL_TAG)) {
        const a = ws.deserializeAttachment() as TailAttachment | null;
        if (a === null) continue;
        if (ackOverdue(a, now)) {
          closeWith(ws, { error: errorBody("REQUEST_TIMED_OUT", `no ack for ${now - a.sinceMs} ms with frames unacknowledged`) }, TAIL_CLOSE_ACK_TIMEOUT);
          continue;
        }
        const end = this.host.end(a.read);
        if (!hasCredit(a) || (end !== undefined && a.position >= end)) continue;
        if (sessionOver(a, now)) {
          closeWith(ws, { error: errorBody("REQUEST_TIMED_OUT", `the tail's session ended after ${now - a.openedMs} ms: reconnect from nextOffset ${a.position} (the token is checked again)`) }, tailCloseCode(errorBody("REQUEST_TIMED_OUT", "")));
          continue;
        }
        const key = JSON.stringify([a.ref, a.read, a.position]);
        const group = groups.get(key) ?? { ref: a.ref, read: a.read, position: a.position, sockets: [] };
        group.sockets.push(ws);
        groups.set(key, group);
      }
      for (const g of groups.values()) {
        let frame: Result<TailFrame>;
        try {
          frame = await this.host.read(g.ref, { ...g.read, offset: g.position });
        } catch (error) {
          // A tiered read that failed: the client reconnects and the router finds a replica that answers.
          frame = { ok: false, error: errorBody("KAFKA_STORAGE_ERROR", `reading for the tail failed: ${String(error)}`) };
        }
        for (const ws of g.sockets) {
          // Re-read: during the read the socket may have been acked, closed or moved by an earlier group.
          const a = ws.deserializeAttachment() as TailAttachment | null;
          if (a === null || a.position !== g.position) continue;
          if (!frame.ok) {
            closeWith(ws, { error: clientError(frame.error) }, tailCloseCode(frame.error));
            continue;
          }
          if (frame.value.recordCount === 0) {
            // Skipped offsets (aborted transactions, compacted away): move on silently.
            if (frame.value.nextOffset > a.position) ws.serializeAttachment({ ...a, position: frame.value.nextOffset });
            continue;
          }
          if (!mayFollow(a, frame.value.bytes)) continue;
          ws.serializeAttachment(this.send(ws, a, frame.value));
          this.again = true; // there may be more past this frame
        }
      }
    }
  }

  private send(ws: WebSocket, a: TailAttachment, frame: TailFrame): TailAttachment {
    try {
      ws.send(frame.text);
    } catch {
      return a; // closed by its client meanwhile
    }
    return sent(a, frame.nextOffset, frame.bytes, this.host.now());
  }
}

function tooMany(ref: PartitionRef): ErrorBody {
  return errorBody("THROTTLING_QUOTA_EXCEEDED", `partition ${ref.topic}/${ref.partition} has ${MAX_TAILS_PER_PARTITION} WebSocket tails, the most it serves; retry later or use a long-poll`, { maxTails: MAX_TAILS_PER_PARTITION });
}

function refusal(error: ErrorBody): Response {
  return new Response(null, { status: 200, headers: { [TAIL_ERROR_HEADER]: JSON.stringify(error) } });
}

function closeWith(ws: WebSocket, frame: { error: ErrorBody }, code: number): void {
  try {
    ws.send(JSON.stringify(frame));
    ws.close(code, frame.error.type);
  } catch {
    // already closed
  }
}
