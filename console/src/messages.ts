// The message browser: one partition or all, from an offset, the newest N, or a time (ListOffsets by timestamp);
// pages forward and back; a key filter on the page; download the page as NDJSON. Fetches with encoding=base64 so
// every byte is shown as it is (text, JSON, or binary as hex).
import { api, asShown, enc, type TopicDescription } from "./api";
import { errorBox, field, h, loading, replace, select } from "./dom";
import { filterByKey, newestStart, nextStart, previousStart, recordJson, type FetchedRecord, type PartitionRange } from "./format";
import { recordTable, type Row } from "./record";
import type { ViewContext } from "./view";

interface Fetched {
  records: FetchedRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

export async function messagesView({ root, params, signal }: ViewContext): Promise<void> {
  const topic = params[0]!;
  const title = h("h1", null, "Messages in ", h("a", { href: `#/topics/${enc(topic)}` }, h("code", null, topic)));
  replace(root, title, loading());
  let d: TopicDescription;
  try {
    d = await api<TopicDescription>("GET", `/v1/topics/${enc(topic)}`, undefined, signal);
  } catch (e) {
    replace(root, title, errorBox(asShown(e)));
    return;
  }
  const partition = select("partition", [["all", "all partitions"], ...d.partitions.map((p) => [String(p.partition), `partition ${p.partition}`] as [string, string])]);
  const mode = select("from", [["newest", "the newest records"], ["offset", "an offset"], ["time", "a time"]]);
  const offset = h("input", { name: "offset", type: "number", min: 0, value: 0 });
  const time = h("input", { name: "time", type: "datetime-local", step: 1 });
  const size = h("input", { name: "size", type: "number", min: 1, max: 500, value: 50 });
  const keyFilter = h("input", { name: "key", type: "search", placeholder: "substring of the key" });
  const load = h("button", { type: "submit" }, "Show");
  const previous = h("button", { type: "button", disabled: true }, "◀ Previous page");
  const next = h("button", { type: "button", disabled: true }, "Next page ▶");
  const download = h("button", { type: "button", disabled: true }, "Download page (NDJSON)");
  const status = h("p", { class: "muted", role: "status" });
  const out = h("div");
  const form = h(
    "form",
    { class: "inline-form card", "aria-label": "Choose records" },
    field("Partition", partition),
    field("Start at", mode),
    field("Offset", offset),
    field("Time (your zone)", time),
    field("Records per partition", size),
    field("Filter by key", keyFilter),
    load,
  );
  replace(root, title, form, h("p", { class: "actions" }, previous, " ", next, " ", download), status, out);

  const syncMode = () => {
    offset.closest(".field")!.toggleAttribute("hidden", mode.value !== "offset");
    time.closest(".field")!.toggleAttribute("hidden", mode.value !== "time");
  };
  mode.addEventListener("change", syncMode);
  syncMode();

  // The page shown: where each partition's page starts, and what the fetch said about its range.
  let starts = new Map<number, number>();
  let ranges = new Map<number, PartitionRange & { nextOffset: number }>();
  let rows: Row[] = [];
  const n = () => Math.max(1, Math.min(500, Number(size.value) || 50));
  const chosen = () => (partition.value === "all" ? d.partitions.map((p) => p.partition) : [Number(partition.value)]);

  const render = () => {
    const shown = filterByKey(rows.map((r) => ({ ...r, key: r.record.key })), keyFilter.value);
    const filtered = keyFilter.value ? `, ${shown.length} with a key containing '${keyFilter.value}'` : "";
    status.textContent = `${rows.length.toLocaleString()} records${filtered}. ${[...starts].map(([p, s]) => `p${p} from ${s.toLocaleString()}`).join(", ")}`;
    replace(out, recordTable(topic, shown, (text) => (status.textContent = text)));
    const ps = [...starts.keys()];
    previous.disabled = ps.every((p) => previousStart(ranges.get(p)!, starts.get(p)!, n()) === null);
    next.disabled = ps.every((p) => nextStart(ranges.get(p)!, ranges.get(p)!.nextOffset) === null);
    download.disabled = rows.length === 0;
  };

  const show = async (pageStarts: Map<number, number>) => {
    replace(out, loading());
    try {
      const fetched = await Promise.all(
        [...pageStarts].map(async ([p, start]) => {
          const r = await api<Fetched>("GET", `/v1/topics/${enc(topic)}/partitions/${p}/records?offset=${start}&maxRecords=${n()}&encoding=base64`, undefined, signal);
          return [p, start, r] as const;
        }),
      );
      starts = new Map(fetched.map(([p, start]) => [p, start]));
      ranges = new Map(fetched.map(([p, , r]) => [p, { logStartOffset: r.logStartOffset, highWatermark: r.highWatermark, nextOffset: r.nextOffset }]));
      rows = fetched.flatMap(([p, , r]) => r.records.map((record) => ({ partition: p, record })));
      if (fetched.length > 1) rows.sort((a, b) => a.record.timestamp - b.record.timestamp || a.partition - b.partition || a.record.offset - b.record.offset);
      render();
    } catch (e) {
      if (!signal.aborted) replace(out, errorBox(asShown(e)));
    }
  };

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      try {
        const fresh = await api<TopicDescription>("GET", `/v1/topics/${enc(topic)}`, undefined, signal);
        const range = new Map(fresh.partitions.map((p) => [p.partition, p]));
        const ps = chosen();
        const begin = new Map<number, number>();
        if (mode.value === "newest") for (const p of ps) begin.set(p, newestStart(range.get(p)!, n()));
        else if (mode.value === "offset") {
          const o = Math.max(0, Math.floor(Number(offset.value) || 0));
          // One partition: exactly that offset (an offset out of range is the API's 416); all: clamped into each range.
          for (const p of ps) begin.set(p, ps.length === 1 ? o : Math.min(Math.max(o, range.get(p)!.logStartOffset), range.get(p)!.highWatermark));
        } else {
          const at = time.value ? new Date(time.value).getTime() : NaN;
          if (!Number.isFinite(at)) return replace(out, errorBox({ status: 0, type: "INVALID_TIME", code: null, message: "pick a time" }));
          for (const p of ps) {
            const found = await api<{ offset: number }>("GET", `/v1/topics/${enc(topic)}/partitions/${p}/offsets?at=${at}`, undefined, signal);
            begin.set(p, found.offset < 0 ? range.get(p)!.highWatermark : found.offset);
          }
        }
        await show(begin);
      } catch (e) {
        if (!signal.aborted) replace(out, errorBox(asShown(e)));
      }
    })();
  });
  previous.addEventListener("click", () => {
    void show(new Map([...starts].map(([p, s]) => [p, previousStart(ranges.get(p)!, s, n()) ?? s])));
  });
  next.addEventListener("click", () => {
    void show(new Map([...starts].map(([p, s]) => [p, nextStart(ranges.get(p)!, ranges.get(p)!.nextOffset) ?? s])));
  });
  keyFilter.addEventListener("input", () => rows.length > 0 && render());
  download.addEventListener("click", () => {
    const lines = rows.map((r) => JSON.stringify(recordJson(topic, r.partition, r.record))).join("\n") + "\n";
    const url = URL.createObjectURL(new Blob([lines], { type: "application/x-ndjson" }));
    const a = h("a", { href: url, download: `${topic}-page.ndjson` });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
}
