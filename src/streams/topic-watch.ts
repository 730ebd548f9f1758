// The stream object's fetch handler for its topic: the two kinds of request that may end in a hibernated WebSocket,
// as a partition object serves them (src/partition/socket-requests.ts). A watch (src/watch.ts) is answered at once
// when there are records, else parked (src/watchers.ts) until the stream's next append, with no await between the
// read's end and the park. A client's WebSocket tail (src/tail.ts) is accepted by the shared Tails (src/tails.ts),
// whose frames are the topic's fetch answers (topic-reads.ts).
import { TAIL_PING, TAIL_PONG, TAIL_REQUEST_HEADER, TAIL_URL, type TailRequest } from "../tail";
import { Tails } from "../tails";
import { WATCH_REQUEST_HEADER, WATCH_URL, type WatchRequest } from "../watch";
import { watchAnswer, withAnswer, type Watchers } from "../watchers";
import { readAsTopic, type StreamTopicHost } from "./topic-reads";

const decoder = new TextDecoder();

export async function serveTopicSocket(host: StreamTopicHost, watchers: Watchers, tails: Tails, request: Request): Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path === new URL(TAIL_URL).pathname) return tails.open(JSON.parse(request.headers.get(TAIL_REQUEST_HEADER) ?? "null") as TailRequest);
  if (path !== new URL(WATCH_URL).pathname) return new Response("not found", { status: 404 });
  const watch = JSON.parse(request.headers.get(WATCH_REQUEST_HEADER) ?? "null") as WatchRequest;
  const read = await readAsTopic(host, watch.ref, watch.read);
  if (!read.ok) return watchAnswer({ kind: "error", error: read.error });
  const r = read.value;
  const answer = { kind: "records" as const, recordCount: r.recordCount, nextOffset: r.nextOffset, highWatermark: r.highWatermark, logStartOffset: r.logStartOffset };
  // A read that awaited a fork's source may have let an append in: the tail past what it read answers at once.
  const tail = host.meta()?.tail ?? r.nextOffset;
  if (r.recordCount > 0 || !watchers.hasRoom || tail > r.nextOffset) return watchAnswer(answer, r.body);
  return withAnswer(watchers.park(r.nextOffset, watch.mode), answer);
}

/** The stream topic's WebSocket tails, and the keep-alive the object answers without waking. */
export function newStreamTails(ctx: DurableObjectState, host: StreamTopicHost, now: () => number): Tails {
  ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(TAIL_PING, TAIL_PONG));
  return new Tails(ctx, {
    now,
    busy: (work) => work(),
    end: () => host.meta()?.tail,
    read: async (ref, request) => {
      const read = await readAsTopic(host, ref, request);
      if (!read.ok) return read;
      const r = read.value;
      return { ok: true, value: { text: decoder.decode(r.body), bytes: r.body.byteLength, recordCount: r.recordCount, nextOffset: r.nextOffset } };
    },
  });
}
