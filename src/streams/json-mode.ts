// JSON mode (P§9.1): an append's body is one JSON value; a top-level array is flattened one level, so `[a,b]` stores two
// messages and `[[1,2]]` one. Messages are stored as their JSON text joined by commas (one row per append, as every
// edgelog batch), so a read answers "[" + rows joined by "," + "]" without parsing. A leaf.

export type Flattened = { ok: true; messages: string[] } | { ok: false; message: string };

export function flattenJson(body: Uint8Array): Flattened {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(body));
  } catch {
    return { ok: false, message: "the body is not valid JSON" };
  }
  const values = Array.isArray(value) ? value : [value];
  return { ok: true, messages: values.map((v) => JSON.stringify(v)) };
}

export type Records = { ok: true; count: number; data: Uint8Array } | { ok: false; message: string };

/** What a body stores: in JSON mode one record per flattened message (their texts joined by ","), else the body as one
 *  record (none when empty). */
export function recordsOf(isJson: boolean, body: Uint8Array): Records {
  if (body.byteLength === 0) return { ok: true, count: 0, data: body };
  if (!isJson) return { ok: true, count: 1, data: body };
  const flat = flattenJson(body);
  return flat.ok ? { ok: true, count: flat.messages.length, data: new TextEncoder().encode(flat.messages.join(",")) } : flat;
}

/** The part of a stored row (records base..base+count) inside [from, until): JSON rows are cut at message
 *  boundaries; byte rows hold one record, so they are inside or outside whole. */
export function sliceRow<R extends { base: number; count: number; data: Uint8Array }>(row: R, from: number, until: number, json: boolean): R {
  const lo = Math.max(from, row.base);
  const hi = Math.min(until, row.base + row.count);
  if (lo === row.base && hi === row.base + row.count) return row;
  if (!json) return { ...row, base: lo, count: Math.max(0, hi - lo), data: hi > lo ? row.data : new Uint8Array(0) };
  const messages = JSON.parse(`[${new TextDecoder().decode(row.data)}]`) as unknown[];
  const data = new TextEncoder().encode(messages.slice(lo - row.base, hi - row.base).map((v) => JSON.stringify(v)).join(","));
  return { ...row, base: lo, count: Math.max(0, hi - lo), data };
}

/** A read's answer body: rows' bytes back to back, or in JSON mode their message lists joined by ",". */
export function join(parts: Uint8Array[], json: boolean): Uint8Array {
  const comma = json ? 1 : 0;
  const total = parts.reduce((n, p) => n + p.byteLength, 0) + Math.max(0, parts.length - 1) * comma;
  const out = new Uint8Array(total);
  let at = 0;
  parts.forEach((part, i) => {
    if (json && i > 0) out[at++] = 0x2c;
    out.set(part, at);
    at += part.byteLength;
  });
  return out;
}
