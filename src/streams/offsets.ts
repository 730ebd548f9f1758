// Durable Streams offsets and long-poll cursors. A DS offset is the reference server's format, two 16-digit zero-padded
// decimal parts joined by "_" (the conformance suite hard-codes it): the first part is reserved (always 0, room for a
// future log epoch), the second is the edgelog record offset the next read starts at (the log end offset after an
// append). Fixed width makes the strings sort as the numbers do. "-1" (start) and "now" (tail) are sentinels, never
// minted. A leaf: no I/O.

const OFFSET = /^(\d{16})_(\d{16})$/;
const RESERVED_ZERO = "0000000000000000";

/** The DS offset of record offset `n`. */
export function formatOffset(n: number): string {
  return `${RESERVED_ZERO}_${String(n).padStart(16, "0")}`;
}

/** A parsed read/fork offset: a record offset, the start, the tail, or one past anything this server minted. */
export type ParsedOffset = { kind: "start" } | { kind: "now" } | { kind: "at"; offset: number };

/** Parses a client offset; undefined when malformed (the protocol's 400). A well-formed offset past any record offset
 *  we could mint (a non-zero first part, or a second part past 2^53) is Infinity: beyond the tail. */
export function parseOffset(text: string): ParsedOffset | undefined {
  if (text === "-1") return { kind: "start" };
  if (text === "now") return { kind: "now" };
  const m = OFFSET.exec(text);
  if (m === null) return undefined;
  if (m[1] !== RESERVED_ZERO) return { kind: "at", offset: Infinity };
  const n = Number(m[2]);
  return { kind: "at", offset: Number.isSafeInteger(n) ? n : Infinity };
}

/** Long-poll cursors (the reference's cursor.ts): 20 s intervals since 2024-10-09T00:00:00Z, so CDN caches collapse
 *  concurrent long-polls onto one key per interval. */
const CURSOR_EPOCH_MS = Date.UTC(2024, 9, 9);
const CURSOR_INTERVAL_MS = 20_000;
/** Jitter added when a client's cursor is not behind ours: 1 to 3600 s, in whole intervals (at least one). */
const MAX_JITTER_MS = 3_600_000;

export function nextCursor(nowMs: number, clientCursor: string | null, random: () => number = Math.random): string {
  const current = Math.floor((nowMs - CURSOR_EPOCH_MS) / CURSOR_INTERVAL_MS);
  const client = clientCursor !== null && /^\d{1,15}$/.test(clientCursor) ? Number(clientCursor) : -1;
  if (client < current) return String(current);
  const jitterMs = 1_000 + Math.floor(random() * (MAX_JITTER_MS - 1_000));
  return String(client + Math.max(1, Math.ceil(jitterMs / CURSOR_INTERVAL_MS)));
}
