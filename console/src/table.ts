// A sortable table: column headers are buttons (keyboard reachable) that sort by that column, again to reverse.
import { h, replace, type Child } from "./dom";

export interface Column<T> {
  label: string;
  cell: (row: T) => Child;
  /** The value sorted by; a column without one is not sortable. */
  sort?: (row: T) => string | number;
  numeric?: boolean;
}

export function sortableTable<T>(columns: Column<T>[], rows: T[], caption: string, rowAttrs?: (row: T) => Record<string, string>): HTMLElement {
  let by = columns.findIndex((c) => c.sort);
  let descending = false;
  const table = h("table");
  const render = () => {
    const sorted = [...rows];
    const key = columns[by]?.sort;
    if (key) sorted.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0) * (descending ? -1 : 1));
    replace(
      table,
      h("caption", { class: "sr-only" }, caption),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          columns.map((c, i) =>
            h(
              "th",
              { scope: "col", class: c.numeric ? "num" : null, "aria-sort": i === by ? (descending ? "descending" : "ascending") : null },
              c.sort
                ? h("button", { type: "button", class: "sort", onclick: () => ((descending = i === by ? !descending : false), (by = i), render()) }, c.label, i === by ? (descending ? " ▼" : " ▲") : "")
                : c.label,
            ),
          ),
        ),
      ),
      h("tbody", null, sorted.map((row) => h("tr", rowAttrs?.(row) ?? null, columns.map((c) => h("td", { class: c.numeric ? "num" : null }, c.cell(row)))))),
    );
  };
  render();
  return h("div", { class: "table-wrap" }, table);
}
