// Consumer groups: the list (state, members, assignor, total lag) and a group's members, committed offsets and lag per
// partition, a lag chart sampled while the page is open, offset reset (earliest, latest, time, offset) and delete for
// empty groups.
import { api, asShown, enc, type GroupDescription } from "./api";
import { empty, errorBox, field, h, loading, replace, select, timeCell } from "./dom";
import { bounded, formatInt } from "./format";
import { describeAll } from "./overview";
import { sortableTable } from "./table";
import { act } from "./topics";
import type { ViewContext } from "./view";

const REFRESH_MS = 3000;
const CHART_POINTS = 120;

export async function groupsView({ root, signal, every }: ViewContext): Promise<void> {
  const list = h("div", null, loading());
  replace(root, h("h1", null, "Consumer groups"), list);
  every(REFRESH_MS * 2, async () => {
    try {
      const { groups } = await api<{ groups: { groupId: string }[] }>("GET", "/v1/groups", undefined, signal);
      if (groups.length === 0) return replace(list, empty("No consumer groups yet: a group appears on its first join or commit."));
      const described = await describeAll<GroupDescription>(groups.map((g) => g.groupId), (n) => `/v1/groups/${enc(n)}`, signal);
      replace(
        list,
        sortableTable(
          [
            { label: "Group", cell: (g) => h("a", { href: `#/groups/${enc(g.groupId)}` }, g.groupId), sort: (g) => g.groupId },
            { label: "State", cell: (g) => g.state, sort: (g) => g.state },
            { label: "Members", cell: (g) => formatInt(g.members.length), sort: (g) => g.members.length, numeric: true },
            { label: "Assignor", cell: (g) => g.assignor },
            { label: "Total lag", cell: (g) => formatInt(g.lag.totalLag), sort: (g) => g.lag.totalLag, numeric: true },
          ],
          described,
          "Consumer groups",
          (g) => ({ "data-group": g.groupId }),
        ),
      );
    } catch (e) {
      if (!signal.aborted) replace(list, errorBox(asShown(e)));
    }
  });
}

/** A line chart of lag samples as SVG (no library, no inline style: the CSP forbids it). */
function lagChart(samples: { atMs: number; lag: number }[]): SVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  const width = 600;
  const height = 120;
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  const max = Math.max(1, ...samples.map((s) => s.lag));
  svg.setAttribute("aria-label", `Total lag over the last ${samples.length} samples, latest ${samples.at(-1)?.lag ?? 0}, highest ${max}`);
  if (samples.length > 0) {
    const t0 = samples[0]!.atMs;
    const span = Math.max(1, samples.at(-1)!.atMs - t0);
    const points = samples.map((s) => `${(((s.atMs - t0) / span) * (width - 10) + 5).toFixed(1)},${(height - 5 - (s.lag / max) * (height - 20)).toFixed(1)}`);
    const line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", points.join(" "));
    line.setAttribute("class", "chart-line");
    svg.appendChild(line);
  }
  const label = document.createElementNS(ns, "text");
  label.setAttribute("x", "5");
  label.setAttribute("y", "12");
  label.setAttribute("class", "chart-label");
  label.textContent = `max ${max.toLocaleString()}`;
  svg.appendChild(label);
  return svg;
}

export async function groupView({ root, params, signal, every }: ViewContext): Promise<void> {
  const group = params[0]!;
  const title = h("h1", null, "Group ", h("code", null, group));
  const summary = h("div", null, loading());
  const chart = h("div", { class: "card" });
  const members = h("div");
  const lag = h("div");
  const errors = h("div");
  const actions = h("div");
  replace(root, title, errors, summary, h("h2", null, "Lag over time"), chart, h("h2", null, "Members"), members, h("h2", null, "Offsets and lag"), lag, actions);
  let samples: { atMs: number; lag: number }[] = [];
  let actionsFor = "";
  every(REFRESH_MS, async () => {
    try {
      const g = await api<GroupDescription>("GET", `/v1/groups/${enc(group)}`, undefined, signal);
      samples = bounded([...samples, { atMs: Date.now(), lag: g.lag.totalLag }], CHART_POINTS);
      replace(
        summary,
        h(
          "p",
          { "data-state": g.state },
          `State ${g.state} · epoch ${g.groupEpoch} · assignor ${g.assignor} · `,
          h("span", { "data-total-lag": g.lag.totalLag }, `total lag ${formatInt(g.lag.totalLag)}`),
          ` · subscribed: ${g.subscribedTopics.join(", ") || "none"}`,
          g.type === "subscription" ? [" · the group of ", h("a", { href: `#/subscriptions/${enc(group)}` }, `subscription ${group}`)] : null,
        ),
      );
      replace(chart, lagChart(samples));
      replace(
        members,
        g.members.length === 0
          ? empty("No members: the group is empty, so its offsets may be reset and it may be deleted.")
          : sortableTable(
              [
                { label: "Member", cell: (m) => h("code", null, m.memberId), sort: (m) => m.memberId },
                { label: "State", cell: (m) => m.state },
                { label: "Epoch", cell: (m) => formatInt(m.memberEpoch), numeric: true },
                { label: "Partitions", cell: (m) => m.assignment.map((a) => `${a.topic} [${a.partitions.join(", ")}]`).join("; ") || "none" },
                { label: "Last heartbeat", cell: (m) => timeCell(m.lastHeartbeatMs) },
              ],
              g.members,
              "Members",
            ),
      );
      const rows = g.lag.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
      replace(
        lag,
        rows.length === 0
          ? empty("No committed offsets or subscribed topics.")
          : sortableTable(
              [
                { label: "Topic", cell: (r) => h("a", { href: `#/topics/${enc(r.topic)}` }, r.topic), sort: (r) => r.topic },
                { label: "Partition", cell: (r) => r.partition, sort: (r) => r.partition, numeric: true },
                { label: "Committed offset", cell: (r) => formatInt(r.committedOffset), numeric: true },
                { label: "High watermark", cell: (r) => formatInt(r.highWatermark), numeric: true },
                { label: "Lag", cell: (r) => formatInt(r.lag), sort: (r) => r.lag ?? -1, numeric: true },
              ],
              rows,
              "Offsets and lag",
              (r) => ({ "data-lag-row": `${r.topic}:${r.partition}`, "data-lag": String(r.lag ?? "") }),
            ),
      );
      // The forms are rebuilt only when the topics or emptiness change, so typing in them is not interrupted.
      const key = `${g.type}|${g.members.length === 0}|${g.lag.topics.map((t) => t.topic).join(",")}`;
      if (key !== actionsFor) {
        actionsFor = key;
        replace(actions, g.type === "subscription" ? h("p", { class: "muted" }, "A subscription's group: pause, reset and delete it on its ", h("a", { href: `#/subscriptions/${enc(group)}` }, "subscription page"), ".") : g.members.length === 0 ? emptyGroupForms(group, g.lag.topics.map((t) => t.topic)) : h("p", { class: "muted" }, "Reset and delete need an empty group: stop its consumers first."));
      }
      replace(errors);
    } catch (e) {
      if (!signal.aborted) replace(errors, errorBox(asShown(e)));
      if (summary.querySelector("[role=status]")) replace(summary);
    }
  });
}

function emptyGroupForms(group: string, topics: string[]): HTMLElement {
  const topic = select("topic", topics.map((t) => [t, t]));
  const to = select("to", [["earliest", "earliest"], ["latest", "latest"], ["timestamp", "a time"], ["offset", "an offset"]]);
  const offset = h("input", { name: "offset", type: "number", min: 0, value: 0 });
  const time = h("input", { name: "time", type: "datetime-local", step: 1 });
  const resetButton = h("button", { type: "submit" }, "Reset offsets");
  const resetOut = h("div");
  const reset = h("form", { class: "inline-form card", "aria-label": "Reset offsets" }, h("h2", null, "Reset offsets"), field("Topic", topic), field("To", to), field("Offset", offset), field("Time (your zone)", time), resetButton, resetOut);
  const syncTo = () => {
    offset.closest(".field")!.toggleAttribute("hidden", to.value !== "offset");
    time.closest(".field")!.toggleAttribute("hidden", to.value !== "timestamp");
  };
  to.addEventListener("change", syncTo);
  syncTo();
  reset.addEventListener("submit", (event) => {
    event.preventDefault();
    void act(resetOut, resetButton, async () => {
      const target = to.value === "offset" ? { offset: Number(offset.value) } : to.value === "timestamp" ? { timestamp: new Date(time.value).getTime() } : to.value;
      const r = await api<{ partitions: { partition: number; offset: number }[] }>("POST", `/v1/groups/${enc(group)}/offsets/reset`, { topic: topic.value, to: target });
      return `Reset: ${r.partitions.map((p) => `p${p.partition} → ${p.offset.toLocaleString()}`).join(", ")}.`;
    });
  });
  const confirm = h("input", { name: "confirm", autocomplete: "off" });
  const delButton = h("button", { type: "submit", class: "danger", disabled: true }, "Delete group");
  const delOut = h("div");
  confirm.addEventListener("input", () => (delButton.disabled = confirm.value !== group));
  const del = h("form", { class: "card danger-zone", "aria-label": "Delete the group" }, h("h2", null, "Delete this group"), field(`Type ${group} to confirm`, confirm), delButton, delOut);
  del.addEventListener("submit", (event) => {
    event.preventDefault();
    if (confirm.value !== group) return;
    void act(delOut, delButton, async () => {
      await api("DELETE", `/v1/groups/${enc(group)}`);
      return h("p", { class: "ok", role: "status" }, `Deleted ${group}. `, h("a", { href: "#/groups" }, "Back to groups"));
    });
  });
  return h("div", null, topics.length > 0 ? reset : null, del);
}
