// One record as a table row: partition, offset, time, key, value (JSON pretty-printed in a collapsible block, binary
// as hex), headers, and a button that copies it as JSON.
import { empty, h, timeCell } from "./dom";
import { decodeBytes, preview, recordJson, type FetchedRecord, type Shown } from "./format";

export interface Row {
  partition: number;
  record: FetchedRecord;
}

function full(shown: Shown): HTMLElement {
  switch (shown.kind) {
    case "null":
      return h("span", { class: "muted" }, "null");
    case "json":
      return h("details", { class: "json" }, h("summary", null, preview(shown, 80)), h("pre", null, shown.pretty));
    case "text":
      return shown.text.length > 80 || shown.text.includes("\n") ? h("details", null, h("summary", null, preview(shown, 80)), h("pre", null, shown.text)) : h("span", null, shown.text);
    case "binary":
      return h("details", { class: "binary" }, h("summary", null, `binary, ${shown.bytes.toLocaleString()} bytes`), h("pre", null, shown.hex), h("p", { class: "small" }, "base64: ", h("code", null, shown.base64)));
  }
}

export function recordTable(topic: string, rows: Row[], note?: (text: string) => void): HTMLElement {
  if (rows.length === 0) return empty("No records here.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "records" },
      h("caption", { class: "sr-only" }, "Records"),
      h(
        "thead",
        null,
        h("tr", null, ["Partition", "Offset", "Timestamp", "Key", "Value", "Headers", ""].map((t, i) => h("th", { scope: "col", class: i < 2 ? "num" : null }, t))),
      ),
      h(
        "tbody",
        null,
        rows.map(({ partition, record }) =>
          h(
            "tr",
            { "data-partition": partition, "data-offset": record.offset },
            h("td", { class: "num" }, partition),
            h("td", { class: "num" }, record.offset.toLocaleString()),
            h("td", null, timeCell(record.timestamp)),
            h("td", { class: "key" }, full(decodeBytes(record.key))),
            h("td", { class: "value" }, full(decodeBytes(record.value))),
            h(
              "td",
              null,
              record.headers.length === 0
                ? h("span", { class: "muted" }, "none")
                : h("ul", { class: "headers" }, record.headers.map((hd) => h("li", null, h("code", null, hd.key), ": ", preview(decodeBytes(hd.value), 60)))),
            ),
            h(
              "td",
              null,
              h(
                "button",
                {
                  type: "button",
                  class: "small",
                  "aria-label": `Copy record ${partition}:${record.offset} as JSON`,
                  onclick: () =>
                    navigator.clipboard.writeText(JSON.stringify(recordJson(topic, partition, record))).then(
                      () => note?.(`Copied ${partition}:${record.offset} as JSON.`),
                      (e) => note?.(`Could not copy: ${e instanceof Error ? e.message : String(e)}`),
                    ),
                },
                "Copy JSON",
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
