// SSE live reads of a Durable Stream (P§5.8): the Worker holds the connection and asks the stream's object for each
// next range with a bounded wait, so the object holds no stream of its own. Every read that brings data is sent as one
// data event followed by its control event in a single write (a reader may stop mid-event); a wait that times out
// sends a keep-alive control. The connection ends when the stream is closed and fully sent, is deleted or recreated,
// the client goes away, or after DS_SSE_CONNECTION_MS (the client resumes from the last control's offset).
import type { Env } from "../env";
import { DS_SSE_CONNECTION_MS } from "../limits";
import { readStream } from "../service/streams";
import { dsResponse, refusalResponse } from "./answers";
import { isJsonType, isTextType } from "./media-type";
import { formatOffset, nextCursor, type ParsedOffset } from "./offsets";
import type { ReadOutcome } from "./protocol";
import { base64Of, controlEvent, dataEvent, type ControlEvent } from "./sse";

type Read = Exclude<ReadOutcome, { refused: true }>;

function eventsOf(read: Read, cursor: string | null): string {
  const { info } = read;
  const closedEnd = info.closed && read.upToDate;
  const control: ControlEvent = {
    streamNextOffset: formatOffset(read.next),
    ...(info.closed ? {} : { streamCursor: nextCursor(Date.now(), cursor) }),
    ...(read.upToDate ? { upToDate: true as const } : {}),
    ...(closedEnd ? { streamClosed: true as const } : {}),
  };
  let data = "";
  if (read.next > read.start) {
    const payload = isJsonType(info.contentType)
      ? `[${new TextDecoder().decode(read.data)}]`
      : isTextType(info.contentType)
        ? new TextDecoder().decode(read.data)
        : base64Of(read.data);
    data = dataEvent(payload);
  }
  return data + controlEvent(control);
}

/** `charge` debits each range's bytes to the reader's fetch quota. */
export async function serveSse(env: Env, stream: string, from: ParsedOffset, cursor: string | null, waitMs: number, charge: (bytes: number) => void): Promise<Response> {
  const first = await readStream(env, stream, { from, waitMs: 0 });
  if (first.refused) return refusalResponse(first);
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const encoder = new TextEncoder();
  const generation = first.info.generation;
  const endAt = Date.now() + DS_SSE_CONNECTION_MS;
  const pump = async () => {
    let read: Read = first;
    for (;;) {
      charge(read.data.byteLength);
      await writer.write(encoder.encode(eventsOf(read, cursor)));
      if (read.info.closed && read.upToDate) return;
      const left = endAt - Date.now();
      if (left <= 0) return;
      const next = await readStream(env, stream, { from: { kind: "at", offset: read.next }, waitMs: Math.min(waitMs, left), generation });
      if (next.refused) return;
      read = next;
    }
  };
  // Not awaited: the answer streams while the pump runs; a write to a reader that left rejects and ends it.
  void pump()
    .catch(() => {})
    .finally(() => writer.close().catch(() => {}));
  return dsResponse(readable, 200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "content-encoding": "identity",
    ...(isTextType(first.info.contentType) ? {} : { "stream-sse-data-encoding": "base64" }),
  });
}
