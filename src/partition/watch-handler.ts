// A reader that will wait for records (src/watch.ts), served by the partition's fetch handler: reads, and answers the
// records at once when there are any; else parks the reader's WebSocket with hibernation until the high watermark
// passes its offset. The read and the parking happen in one turn with no await between them, so no append can fall
// between "nothing new" and "waiting". A read_committed reader parks on the same wake-ups: a marker is an append.
import type { Result } from "../errors";
import type { ReadAccumulator } from "../log/batch-reader";
import { MAX_WATCH_ATTEMPTS } from "../limits";
import type { PartitionRef, ReadRequest } from "../protocol";
import { WATCH_REQUEST_HEADER, WATCH_URL, type WatchAnswer, type WatchRequest } from "../watch";
import type { LocalLog } from "./local-log";
import { readEnd, responseBody } from "./read-path";
import { watchAnswer, withAnswer, type Watchers } from "../watchers";

export interface WatchHost {
  readonly log: LocalLog;
  readonly watchers: Watchers;
  readChecked(ref: PartitionRef, request: ReadRequest): Promise<Result<ReadAccumulator>>;
}

/** The watch request a fetch handler got, or undefined for anything else (answered 404). */
export function watchRequestOf(request: Request): WatchRequest | undefined {
  const watch = JSON.parse(request.headers.get(WATCH_REQUEST_HEADER) ?? "null") as WatchRequest | null;
  if (watch === null || new URL(request.url).pathname !== new URL(WATCH_URL).pathname) return undefined;
  return watch;
}

export async function serveWatch(host: WatchHost, watch: WatchRequest, wantsToWait: boolean): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const slice = await host.readChecked(watch.ref, watch.read);
    if (!slice.ok) return watchAnswer({ kind: "error", error: slice.error });
    // From here to the park, no await: nothing can append in between. But other requests ran during the read's
    // awaits: if an append moved the read's end past what the read saw, read again (an empty read past the high
    // watermark, a compacted-away tail, parks on the high watermark itself).
    const s = host.log.current!;
    const found = slice.value;
    const answer: WatchAnswer = { kind: "records", recordCount: found.recordCount, nextOffset: found.nextOffset, highWatermark: s.highWatermark, logStartOffset: s.logStartOffset };
    if (found.recordCount > 0 || !wantsToWait || !host.watchers.hasRoom) return watchAnswer(answer, responseBody(host.log, found, watch.read));
    if (readEnd(host.log, watch.read) > found.nextOffset && attempt < MAX_WATCH_ATTEMPTS) continue;
    return withAnswer(host.watchers.park(Math.max(found.nextOffset, s.highWatermark), watch.mode), answer);
  }
}
