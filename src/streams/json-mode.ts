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

/** A stored row's text (messages joined by ","), from message `skip` on. */
export function jsonRowFrom(row: string, skip: number): string {
  if (skip === 0) return row;
  return (JSON.parse(`[${row}]`) as unknown[]).slice(skip).map((v) => JSON.stringify(v)).join(",");
}
