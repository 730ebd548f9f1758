// WebSocket live tails (GET …/partitions/{p}/records with Upgrade: websocket): the client's socket ends in the
// partition object itself, accepted with hibernation, so a tail with nothing to send costs the object no duration (an
// SSE tail instead holds the router Worker open and parks an internal watch socket, src/watch.ts). Each text frame is
// one fetch answer; the client acknowledges frames ({"ack": nextOffset}) and the object keeps at most
// MAX_TAIL_UNACKED_BYTES / MAX_TAIL_UNACKED_FRAMES unacknowledged per socket: flow control by credit, since workerd
// exposes no bufferedAmount. A leaf: plain data, the close codes, and the credit rules.
import { ERRORS, type ErrorBody } from "./errors";
import { MAX_TAIL_UNACKED_BYTES, MAX_TAIL_UNACKED_FRAMES, TAIL_ACK_TIMEOUT_MS, TAIL_MAX_SESSION_MS } from "./limits";
import type { PartitionRef, ReadRequest } from "./protocol";

export const TAIL_URL = "https://partition.internal/tail";
/** The tag of client tail sockets (ctx.getWebSockets), distinct from the router's watch sockets. */
export const TAIL_TAG = "tail";
/** Request header: the TailRequest as JSON. */
export const TAIL_REQUEST_HEADER = "x-edgelog-tail";
/** Header of a refused tail (no upgrade): the error body as JSON, or the fault mark. */
export const TAIL_ERROR_HEADER = "x-edgelog-tail-error";

/** A keep-alive text frame the object answers without waking (setWebSocketAutoResponse). */
export const TAIL_PING = "ping";
export const TAIL_PONG = "pong";

/**
 * Close codes. An error after the upgrade is sent first as a frame {"error": {...}} (the fetch error shape), then the
 * socket closes with 4000 + the error's HTTP status: 4404 the topic or partition is gone, 4416 the position fell
 * below the log start (retention), 4503 this object no longer leads or is unavailable (reconnect: the router finds
 * the leader). Two codes are the tail's own: 4400 a client message that is not an ack, 4408 credit held too long.
 */
export const TAIL_CLOSE_BAD_MESSAGE = 4400;
export const TAIL_CLOSE_ACK_TIMEOUT = 4408;

export function tailCloseCode(error: ErrorBody): number {
  return 4000 + ERRORS[error.type].status;
}

export interface TailRequest {
  ref: PartitionRef;
  read: ReadRequest;
}

/** What a tail socket holds across hibernation (serializeAttachment, at most 2 KiB: frames are bounded). */
export interface TailAttachment {
  ref: PartitionRef;
  /** The read's bounds per frame, encoding and isolation (its offset is `position`). */
  read: ReadRequest;
  /** The next offset to send. */
  position: number;
  /** Frames sent and not yet acknowledged: [nextOffset, bytes]. */
  unacked: [number, number][];
  /** On the object's clock: when the client last made progress (an ack, or the first unacked frame). */
  sinceMs: number;
  /** On the object's clock: when the socket was opened (its token and ACLs were checked then). */
  openedMs: number;
}

export function unackedBytes(a: TailAttachment): number {
  let sum = 0;
  for (const [, bytes] of a.unacked) sum += bytes;
  return sum;
}

/** Whether a frame of `bytes` may go now: always when nothing is in flight (one frame is as big as a fetch answer),
 *  else within both bounds. */
export function mayFollow(a: TailAttachment, bytes: number): boolean {
  if (a.unacked.length === 0) return true;
  return a.unacked.length < MAX_TAIL_UNACKED_FRAMES && unackedBytes(a) + bytes <= MAX_TAIL_UNACKED_BYTES;
}

/** Whether the socket has room for any frame at all (the cheapest check, before reading). */
export function hasCredit(a: TailAttachment): boolean {
  return a.unacked.length < MAX_TAIL_UNACKED_FRAMES && unackedBytes(a) < MAX_TAIL_UNACKED_BYTES;
}

/** The socket's session is over: it was opened (and authorized) more than TAIL_MAX_SESSION_MS ago. */
export function sessionOver(a: TailAttachment, nowMs: number): boolean {
  return nowMs - (a.openedMs ?? a.sinceMs) > TAIL_MAX_SESSION_MS;
}

/** The client held unacknowledged frames longer than TAIL_ACK_TIMEOUT_MS. */
export function ackOverdue(a: TailAttachment, nowMs: number): boolean {
  return a.unacked.length > 0 && nowMs - a.sinceMs > TAIL_ACK_TIMEOUT_MS;
}

export function sent(a: TailAttachment, nextOffset: number, bytes: number, nowMs: number): TailAttachment {
  return { ...a, position: nextOffset, unacked: [...a.unacked, [nextOffset, bytes]], sinceMs: a.unacked.length === 0 ? nowMs : a.sinceMs };
}

/** A client message: {"ack": n} frees every frame whose nextOffset is at most n. Undefined: not a valid ack. */
export function acked(a: TailAttachment, message: string | ArrayBuffer, nowMs: number): TailAttachment | undefined {
  if (typeof message !== "string" || message.length > 100) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    return undefined;
  }
  const n = (parsed as { ack?: unknown } | null)?.ack;
  if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0 || n > a.position) return undefined;
  return { ...a, unacked: a.unacked.filter(([next]) => next > n), sinceMs: nowMs };
}
