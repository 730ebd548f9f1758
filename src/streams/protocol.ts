// What the Worker and a stream's Durable Object (DurableStream.ts) exchange over RPC: parsed requests in, typed outcomes
// out. The Worker (http.ts) turns outcomes into the protocol's statuses and headers. A leaf: plain data.

export interface ProducerTuple {
  id: string;
  epoch: number;
  seq: number;
}

/** A fork's parameters (P§4.2): the source stream's name, where its inherited data ends, and how far into the next
 *  append (bytes, or messages in JSON mode). The texts are kept to compare an idempotent re-create. */
export interface ForkSpec {
  source: string;
  offsetText?: string;
  offset?: { kind: "start" } | { kind: "now" } | { kind: "at"; offset: number };
  subOffset: number;
}

export interface CreateStreamRequest {
  /** The stream's own name (an object cannot learn the name it was addressed by; a fork of itself is refused). */
  self: string;
  fork?: ForkSpec;
  contentType: string;
  /** Whether the request named a content type (a fork may inherit its source's). */
  contentTypeGiven: boolean;
  ttlSeconds?: number;
  /** As sent (echoed by HEAD) and as epoch ms (compared, enforced). */
  expiresAt?: { text: string; ms: number };
  closed: boolean;
  body: Uint8Array;
  /** The id of the topic the stream is registered as (src/log/stream-topic.ts), from the controller. */
  topicId?: string;
}

export interface AppendStreamRequest {
  /** Absent when the request sent none (allowed only for a close without a body). */
  contentType?: string;
  body: Uint8Array;
  close: boolean;
  streamSeq?: string;
  producer?: ProducerTuple;
}

export interface ReadStreamRequest {
  /** "start", "now", or a record offset (Infinity: past anything minted; read as the tail). */
  from: { kind: "start" } | { kind: "now" } | { kind: "at"; offset: number };
  /** Wait this long for records when there are none (long-poll, SSE); 0 answers at once. */
  waitMs: number;
  /** When set, an answer waits only while the stream's incarnation is still this one (SSE across a recreate). */
  generation?: string;
}

/** A stream's metadata as HEAD and every answer need it. */
export interface StreamInfo {
  generation: string;
  contentType: string;
  ttlSeconds?: number;
  expiresAt?: string;
  closed: boolean;
  /** The record offset the next append gets (DS Stream-Next-Offset). */
  tail: number;
}

/** What a fork's source answers a fork being created (it has counted the new reference). */
export interface ForkGrant {
  contentType: string;
  ttlSeconds?: number;
  expiresAt?: { text: string; ms: number };
  /** Records below this offset are read from the source. */
  inheritEnd: number;
  /** A byte sub-offset's prefix of the source's next append: the fork's own first record. */
  prefix?: Uint8Array;
}

/** Rows of a stream's log as its forks read them (no expiry check, no TTL touch). */
export interface RawRow {
  base: number;
  count: number;
  data: Uint8Array;
  /** When the row was appended (epoch ms), when known. */
  appendMs?: number;
}

/** A refusal with the protocol's status; `headers` carry what the protocol says that status carries. */
export interface StreamRefusal {
  refused: true;
  status: 400 | 403 | 404 | 409 | 410 | 413 | 501;
  message: string;
  headers?: Record<string, string>;
}

export type StreamOutcome<T> = ({ refused: false } & T) | StreamRefusal;

export type CreateOutcome = StreamOutcome<{ created: boolean; info: StreamInfo }>;

export type AppendOutcome = StreamOutcome<{
  info: StreamInfo;
  /** 200 (a producer's new append), 204 (plain append, close, or a producer's duplicate). */
  status: 200 | 204;
  producer?: { epoch: number; seq: number };
}>;

export type ReadOutcome = StreamOutcome<{
  info: StreamInfo;
  /** Where this answer's records start and end (record offsets). */
  start: number;
  next: number;
  /** Byte streams: the concatenated bodies; JSON streams: the messages joined by "," (no brackets). */
  data: Uint8Array;
  /** Whether `next` is the tail (the answer is not cut short by the read budget). */
  upToDate: boolean;
  /** A wait (waitMs > 0) that found nothing before its time. */
  timedOut: boolean;
}>;

export type ForkOutcome = StreamOutcome<{ grant: ForkGrant }>;
export type HeadOutcome = StreamOutcome<{ info: StreamInfo }>;
export type DeleteOutcome = StreamOutcome<Record<never, never>>;

export function refuse(status: StreamRefusal["status"], message: string, headers?: Record<string, string>): StreamRefusal {
  return headers === undefined ? { refused: true, status, message } : { refused: true, status, message, headers };
}
