// How a reader waits for a partition's appends outside the partition object, so a parked long-poll or live tail costs
// the object nothing (a Durable Object is billed for wall time while a request is parked in it). The router opens a
// WebSocket to the partition with one request that reads or parks: records already there answer at once as a plain
// response; none, and the object accepts the socket with hibernation and goes idle. On the next append past the
// reader's offset it sends a wake message (mode "once": then closes; "tail": stays open for the next), and the reader
// fetches as any fetch does. A leaf: plain data and names only.
import type { PartitionRef, ReadRequest } from "./protocol";

export const WATCH_URL = "https://partition.internal/watch";
/** The tag of watch sockets (ctx.getWebSockets). */
export const WATCH_TAG = "watch";
/** Request header: the WatchRequest as JSON. */
export const WATCH_REQUEST_HEADER = "x-edgelog-watch";
/** Response header of an answer that did not park: the WatchAnswer as JSON (the body is the fetch answer). */
export const WATCH_ANSWER_HEADER = "x-edgelog-answer";

export type WatchMode = "once" | "tail";

export interface WatchRequest {
  ref: PartitionRef;
  read: ReadRequest;
  mode: WatchMode;
}

/** What a watch request that did not park carries in its header: the read's numbers, an error, or the fault mark. */
export type WatchAnswer =
  | { kind: "records"; recordCount: number; nextOffset: number; highWatermark: number; logStartOffset: number }
  | { kind: "error"; error: import("./errors").ErrorBody }
  | { kind: "unavailable"; message: string };

/** What a parked socket holds across hibernation: wake it when the high watermark passes `after`. */
export interface WatchAttachment {
  after: number;
  mode: WatchMode;
}

/** The one message a watch socket receives per wake-up. */
export interface WakeMessage {
  highWatermark: number;
}
