// Share groups (KIP-932 queue mode): the list (topics, total lag, records in flight by state, dead letters pending) and
// a group's share-partitions (SPSO, end of the in-flight window, high watermark, lag, in-flight counts by state, done
// counts, dead letters pending), its config, offset reset (refused by the API while records are leased) and delete
// behind a typed confirmation.
import { api, asShown, enc, type ShareGroupDescription } from "./api";
import { empty, errorBox, field, h, loading, replace, select, timeCell } from "./dom";
import { formatInt, shareTotals } from "./format";
import { describeAll } from "./overview";
import { sortableTable } from "./table";
import { act } from "./topics";
import type { ViewContext } from "./view";

const REFRESH_MS = 3000;

export async function shareGroupsView({ root, signal, every }: ViewContext): Promise<void> {
  const list = h("div", null, loading());
  replace(
    root,
    h("h1", null, "Share groups"),
    h("p", { class: "muted" }, "Queue mode on a log: any number of workers poll the same partitions, each record leased to one of them and acknowledged on its own. Create them with the API or ", h("code", null, "edgelog share-groups create"), "."),
    list,
  );
  every(REFRESH_MS * 2, async () => {
    try {
      const { shareGroups } = await api<{ shareGroups: string[] }>("GET", "/v1/share-groups", undefined, signal);
      if (shareGroups.length === 0) return replace(list, empty("No share groups yet."));
      const described = (await describeAll<ShareGroupDescription>(shareGroups, (n) => `/v1/share-groups/${enc(n)}`, signal)).map((g) => ({ ...g, totals: shareTotals(g.partitions) }));
      replace(
        list,
        sortableTable(
          [
            { label: "Share group", cell: (g) => h("a", { href: `#/share-groups/${enc(g.groupId)}` }, g.groupId), sort: (g) => g.groupId },
            // A share-partition exists once polled: a group never polled has no topics yet.
            { label: "Topics", cell: (g) => g.totals.topics.join(", ") || "none polled yet", sort: (g) => g.totals.topics.join(",") },
            { label: "Total lag", cell: (g) => formatInt(g.totalLag), sort: (g) => g.totalLag, numeric: true },
            { label: "Acquired", cell: (g) => formatInt(g.totals.acquired), sort: (g) => g.totals.acquired, numeric: true },
            { label: "Available", cell: (g) => formatInt(g.totals.available), sort: (g) => g.totals.available, numeric: true },
            { label: "Dead letters pending", cell: (g) => h("span", { class: g.totals.deadLettersPending > 0 ? "warn" : null }, formatInt(g.totals.deadLettersPending)), sort: (g) => g.totals.deadLettersPending, numeric: true },
          ],
          described,
          "Share groups",
          (g) => ({ "data-share-group": g.groupId, "data-acquired": String(g.totals.acquired), "data-total-lag": String(g.totalLag) }),
        ),
      );
    } catch (e) {
      if (!signal.aborted) replace(list, errorBox(asShown(e)));
    }
  });
}

export async function shareGroupView({ root, params, signal, every }: ViewContext): Promise<void> {
  const group = params[0]!;
  const summary = h("div", null, loading());
  const partitions = h("div");
  const settings = h("div");
  const errors = h("div");
  const resetArea = h("div");
  let deleted = false;
  const del = deleteForm(group, () => (deleted = true));
  const legend = h(
    "p",
    { class: "muted" },
    "SPSO: the share-partition start offset, below which every record is done. Window end: the first offset never fetched. " +
      "Between them, each record is available, acquired (leased), archiving (its dead letter being written) or done. " +
      "Done counts the records accepted / archived / dead-lettered; DLQ pending, those still to be written to the dead-letter topic.",
  );
  replace(root, h("h1", null, "Share group ", h("code", null, group)), errors, summary, h("h2", null, "Share-partitions"), legend, partitions, h("h2", null, "Configuration"), settings, resetArea, del);
  let resetFor = "";
  every(REFRESH_MS, async () => {
    if (deleted) return;
    try {
      const g = await api<ShareGroupDescription>("GET", `/v1/share-groups/${enc(group)}`, undefined, signal);
      const totals = shareTotals(g.partitions);
      replace(
        summary,
        h(
          "p",
          null,
          `Topics ${totals.topics.join(", ") || "none polled yet"} · `,
          h("span", { "data-total-lag": g.totalLag }, `total lag ${formatInt(g.totalLag)}`),
          " · ",
          h("span", { "data-acquired": totals.acquired }, `${formatInt(totals.acquired)} acquired`),
          ` · ${formatInt(totals.available)} available · `,
          h("span", { class: totals.deadLettersPending > 0 ? "warn" : null }, `${formatInt(totals.deadLettersPending)} dead letters pending`),
          " · created ",
          timeCell(g.createdMs),
        ),
      );
      replace(
        partitions,
        g.partitions.length === 0
          ? empty("No share-partitions yet: one appears when a topic's partition is first polled by this group.")
          : sortableTable(
              [
                { label: "Topic", cell: (p) => h("a", { href: `#/topics/${enc(p.topic)}` }, p.topic), sort: (p) => p.topic },
                { label: "Partition", cell: (p) => p.partition, sort: (p) => p.partition, numeric: true },
                { label: "SPSO", cell: (p) => formatInt(p.startOffset), sort: (p) => p.startOffset, numeric: true },
                { label: "Window end", cell: (p) => formatInt(p.endOffset), numeric: true },
                { label: "High watermark", cell: (p) => formatInt(p.highWatermark), numeric: true },
                { label: "Lag", cell: (p) => formatInt(p.lag), sort: (p) => p.lag, numeric: true },
                { label: "Available", cell: (p) => formatInt(p.inFlight.available), sort: (p) => p.inFlight.available, numeric: true },
                { label: "Acquired", cell: (p) => formatInt(p.inFlight.acquired), sort: (p) => p.inFlight.acquired, numeric: true },
                { label: "Archiving", cell: (p) => formatInt(p.inFlight.archiving), numeric: true },
                // One column for the three done counts keeps the table inside 1280 px.
                { label: "Done", cell: (p) => `${formatInt(p.acknowledged)} / ${formatInt(p.archived)} / ${formatInt(p.deadLettered)}`, numeric: true },
                { label: "DLQ pending", cell: (p) => h("span", { class: p.deadLettersPending > 0 ? "warn" : null }, formatInt(p.deadLettersPending)), sort: (p) => p.deadLettersPending, numeric: true },
              ],
              g.partitions,
              "Share-partitions",
              (p) => ({
                "data-share-partition": `${p.topic}:${p.partition}`,
                "data-start-offset": String(p.startOffset),
                "data-acquired": String(p.inFlight.acquired),
                "data-available": String(p.inFlight.available),
                "data-lag": String(p.lag),
              }),
            ),
      );
      replace(
        settings,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            null,
            h("caption", { class: "sr-only" }, "Configuration"),
            h("thead", null, h("tr", null, h("th", { scope: "col" }, "Setting"), h("th", { scope: "col" }, "Value"))),
            h(
              "tbody",
              null,
              Object.entries(g.config).map(([k, v]) =>
                h("tr", { "data-config": k }, h("td", null, h("code", null, k)), h("td", null, typeof v === "number" ? formatInt(v) : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v ?? "—"))),
              ),
            ),
          ),
        ),
      );
      // The reset form is rebuilt only when the group's topics change, so typing in it is not interrupted.
      const key = totals.topics.join(",");
      if (key !== resetFor) {
        resetFor = key;
        replace(resetArea, totals.topics.length > 0 ? resetForm(group, totals.topics) : null);
      }
      replace(errors);
    } catch (e) {
      if (!signal.aborted) replace(errors, errorBox(asShown(e)));
      if (summary.querySelector("[role=status]")) replace(summary);
    }
  });
}

function resetForm(group: string, topics: string[]): HTMLElement {
  const topic = select("topic", topics.map((t) => [t, t]));
  const to = select("to", [["earliest", "earliest"], ["latest", "latest"], ["timestamp", "a time"], ["offset", "an offset"]]);
  const offset = h("input", { name: "offset", type: "number", min: 0, value: 0 });
  const time = h("input", { name: "time", type: "datetime-local", step: 1 });
  const button = h("button", { type: "submit" }, "Reset offsets");
  const out = h("div");
  const form = h(
    "form",
    { class: "inline-form card", "aria-label": "Reset offsets" },
    h("h2", null, "Reset offsets"),
    h("p", { class: "muted" }, "Moves the start offset of every partition of the topic and forgets the in-flight window: a replay. Refused while any record of the topic is leased or being dead-lettered."),
    field("Topic", topic),
    field("To", to),
    field("Offset", offset),
    field("Time (your zone)", time),
    button,
    out,
  );
  const syncTo = () => {
    offset.closest(".field")!.toggleAttribute("hidden", to.value !== "offset");
    time.closest(".field")!.toggleAttribute("hidden", to.value !== "timestamp");
  };
  to.addEventListener("change", syncTo);
  syncTo();
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act(out, button, async () => {
      const target = to.value === "offset" ? { offset: Number(offset.value) } : to.value === "timestamp" ? { timestamp: new Date(time.value).getTime() } : to.value;
      const r = await api<{ partitions: { partition: number; offset: number }[] }>("POST", `/v1/share-groups/${enc(group)}/offsets/reset`, { topic: topic.value, to: target });
      return `Reset: ${r.partitions.map((p) => `p${p.partition} → ${p.offset.toLocaleString()}`).join(", ")}.`;
    });
  });
  return form;
}

function deleteForm(group: string, onDeleted: () => void): HTMLElement {
  const confirm = h("input", { name: "confirm", autocomplete: "off" });
  const button = h("button", { type: "submit", class: "danger", disabled: true }, "Delete share group");
  const out = h("div");
  confirm.addEventListener("input", () => (button.disabled = confirm.value !== group));
  const form = h(
    "form",
    { class: "card danger-zone", "aria-label": "Delete the share group" },
    h("h2", null, "Delete this share group"),
    h("p", { class: "muted" }, "Deletes the group and every share-partition's state, leases included: records now leased are not redelivered. A group created again under this name starts over."),
    field(`Type ${group} to confirm`, confirm),
    button,
    out,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (confirm.value !== group) return;
    void act(out, button, async () => {
      await api("DELETE", `/v1/share-groups/${enc(group)}`);
      onDeleted();
      return h("p", { class: "ok", role: "status" }, `Deleted ${group}. `, h("a", { href: "#/share-groups" }, "Back to share groups"));
    });
  });
  return form;
}
