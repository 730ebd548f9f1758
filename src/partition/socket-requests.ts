// The partition object's fetch handler: the two kinds of request that may end in a hibernated WebSocket. A watch
// (src/watch.ts) parks the router's internal socket until the next append; a tail (src/tail.ts) is a client's own
// socket the object sends records on. Anything else is 404.
import { isUnavailable, type Unavailable } from "../unavailable";
import { TAIL_ERROR_HEADER, TAIL_PING, TAIL_PONG, TAIL_REQUEST_HEADER, TAIL_URL, type TailRequest } from "../tail";
import { readEnd, responseBody } from "./read-path";
import type { LocalLog } from "./local-log";
import { Tails, type TailsHost } from "../tails";
import type { Usage } from "../usage";
import { serveWatch, watchRequestOf, type WatchHost } from "./watch-handler";
import { watchAnswer } from "../watchers";

export interface SocketRequestHost extends WatchHost {
  readonly tails: Tails;
  serve<T>(work: () => Promise<T>): Promise<T | Unavailable>;
  fetched(): void;
}

export async function serveSocketRequest(host: SocketRequestHost, request: Request): Promise<Response> {
  const tail = tailRequestOf(request);
  if (tail !== undefined) {
    host.fetched();
    const answered = await host.serve(() => host.tails.open(tail));
    return isUnavailable(answered) ? new Response(null, { headers: { [TAIL_ERROR_HEADER]: JSON.stringify({ unavailable: answered.edgelogUnavailable }) } }) : answered;
  }
  const watch = watchRequestOf(request);
  if (watch === undefined) return new Response("not found", { status: 404 });
  host.fetched();
  const answered = await host.serve(() => serveWatch(host, watch, request.headers.get("upgrade") === "websocket"));
  return isUnavailable(answered) ? watchAnswer({ kind: "unavailable", message: answered.edgelogUnavailable }) : answered;
}

function tailRequestOf(request: Request): TailRequest | undefined {
  const tail = JSON.parse(request.headers.get(TAIL_REQUEST_HEADER) ?? "null") as TailRequest | null;
  if (tail === null || new URL(request.url).pathname !== new URL(TAIL_URL).pathname) return undefined;
  return tail;
}

export interface TailsParts {
  log(): LocalLog;
  now(): number;
  readChecked: WatchHost["readChecked"];
  meter: Usage;
}

/** The object's tails, and the keep-alive it answers for them without waking (setWebSocketAutoResponse). */
export function newTails(ctx: DurableObjectState, parts: TailsParts): Tails {
  ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(TAIL_PING, TAIL_PONG));
  return new Tails(ctx, tailsHost(parts));
}

/** What a tail needs of the log: a checked read as one frame of text, and where reads end now. */
function tailsHost({ log, now, readChecked, meter }: TailsParts): TailsHost {
  const decoder = new TextDecoder();
  return {
    now,
    // The pump outlives the append that woke it: active time, not a request of its own.
    busy: async (work) => {
      meter.busy();
      await work().finally(() => meter.end());
    },
    end: (request) => (log().current === undefined ? undefined : readEnd(log(), request)),
    read: async (ref, request) => {
      const slice = await readChecked(ref, request);
      if (!slice.ok) return slice;
      const body = responseBody(log(), slice.value, request);
      return { ok: true, value: { text: decoder.decode(body), bytes: body.length, recordCount: slice.value.recordCount, nextOffset: slice.value.nextOffset } };
    },
  };
}
