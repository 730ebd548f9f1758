// A fetch of a Durable Stream's topic that will wait (src/watch.ts): answered at once when there are records, else
// parked on a hibernated socket (src/watchers.ts) that the stream's next append wakes, as a partition object parks
// one. The read and the park happen with no await between the read's end and the park. A client's WebSocket tail is
// refused: the stream object does not serve tails yet (SSE and long-polls do the same work through the router).
import { errorBody } from "../errors";
import { TAIL_ERROR_HEADER } from "../tail";
import { WATCH_REQUEST_HEADER, WATCH_URL, type WatchRequest } from "../watch";
import { watchAnswer, withAnswer, type Watchers } from "../watchers";
import { readAsTopic, type StreamTopicHost } from "./topic-reads";

export async function serveTopicSocket(host: StreamTopicHost, watchers: Watchers, request: Request): Promise<Response> {
  if (new URL(request.url).pathname !== new URL(WATCH_URL).pathname) {
    const refused = errorBody("INVALID_REQUEST", "WebSocket tails of a Durable Stream's topic are not supported yet: use SSE or long-polls");
    return new Response(null, { headers: { [TAIL_ERROR_HEADER]: JSON.stringify(refused) } });
  }
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
