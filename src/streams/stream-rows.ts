// A stream's records in a range, as every read gathers them: below a fork's fork offset from its source object
// (recursively up a chain: a source's rows never change below the offset a fork took), then the stream's own rows, cut
// at message boundaries in JSON mode (json-mode.ts).
import type { Env } from "../env";
import { durableStreamStub } from "../names";
import { sliceRow } from "./json-mode";
import { isJsonType } from "./media-type";
import type { RawRow } from "./protocol";
import type { StreamMeta, StreamStore } from "./stream-store";

/** Records [from, until): below the fork offset from the source (recursively), then this stream's own rows, up to
 *  `maxBytes` (at least one row). */
export async function streamRows(env: Env, store: StreamStore, meta: StreamMeta, from: number, until: number, maxBytes: number): Promise<RawRow[]> {
  const json = isJsonType(meta.contentType);
  const out: RawRow[] = [];
  let at = from;
  let budget = maxBytes;
  if (at < meta.inheritEnd && meta.forkedFrom !== undefined) {
    const inherited = await durableStreamStub(env, meta.forkedFrom).rawRows(at, Math.min(until, meta.inheritEnd), maxBytes);
    for (const row of inherited) {
      out.push(row);
      budget -= row.data.byteLength;
      at = row.base + row.count;
    }
    if (at < Math.min(until, meta.inheritEnd) || budget <= 0) return out;
  }
  for (const row of store.batchesFrom(at, out.length === 0 ? budget : Math.max(0, budget))) {
    if (row.base >= until) break;
    const part = sliceRow(row, at, until, json);
    if (part.count > 0) out.push(part);
  }
  return out;
}
