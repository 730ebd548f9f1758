// Subscriptions: the list (state, topics, target type, total lag) and a subscription's partitions (committed offset,
// high watermark, lag, delivery status, attempt, next attempt, last error), its settings, pause / resume, and delete
// behind a typed confirmation.
import { api, asShown, enc } from "./api";
import { empty, errorBox, field, h, loading, replace, timeCell } from "./dom";
import { formatInt } from "./format";
import { sortableTable } from "./table";
import { act } from "./topics";
import type { ViewContext } from "./view";

const REFRESH_MS = 3000;

export interface SubscriptionSummary {
  name: string;
  state: string;
  topics: string[];
  target: { type: string };
  totalLag: number;
}

export interface SubscriptionPartition {
  topic: string;
  partition: number;
  committedOffset: number | null;
  highWatermark: number;
  lag: number | null;
  status: string;
  inFlight: { fromOffset: number; toOffset: number; attempt: number } | null;
  nextAttemptMs: number | null;
  lastError: string | null;
  deliveredRecords: number;
  deadLetteredRecords: number;
}

export interface SubscriptionDescription {
  name: string;
  state: string;
  config: { topics: string[]; target: { type: string; url?: string; binding?: string; method?: string; prefix?: string }; [setting: string]: unknown };
  createdMs: number;
  partitions: SubscriptionPartition[];
  totalLag: number;
}

/** Where a target delivers, in one line (a webhook's secret is never in the description). */
export function targetLabel(t: SubscriptionDescription["config"]["target"]): string {
  if (t.type === "webhook") return `webhook ${t.url ?? ""}`;
  if (t.type === "service") return `service ${t.binding ?? ""}.${t.method ?? "deliver"}`;
  if (t.type === "r2") return `R2 ${t.binding ?? "ARCHIVE"}/${t.prefix ?? ""}`;
  return t.type;
}

export async function subscriptionsView({ root, signal, every }: ViewContext): Promise<void> {
  const list = h("div", null, loading());
  replace(
    root,
    h("h1", null, "Subscriptions"),
    h("p", { class: "muted" }, "edgelog delivers these topics to a Worker, a webhook or R2, committing as deliveries succeed. Create them with the API or ", h("code", null, "edgelog subscriptions create"), "."),
    list,
  );
  every(REFRESH_MS * 2, async () => {
    try {
      const { subscriptions } = await api<{ subscriptions: SubscriptionSummary[] }>("GET", "/v1/subscriptions", undefined, signal);
      if (subscriptions.length === 0) return replace(list, empty("No subscriptions yet."));
      replace(
        list,
        sortableTable(
          [
            { label: "Subscription", cell: (s) => h("a", { href: `#/subscriptions/${enc(s.name)}` }, s.name), sort: (s) => s.name },
            { label: "State", cell: (s) => h("span", { class: s.state === "paused" ? "warn" : null }, s.state), sort: (s) => s.state },
            { label: "Topics", cell: (s) => s.topics.join(", "), sort: (s) => s.topics.join(",") },
            { label: "Target", cell: (s) => s.target.type, sort: (s) => s.target.type },
            // -1: the lag could not be read just now.
            { label: "Total lag", cell: (s) => (s.totalLag < 0 ? "unknown" : formatInt(s.totalLag)), sort: (s) => s.totalLag, numeric: true },
          ],
          subscriptions,
          "Subscriptions",
          (s) => ({ "data-subscription": s.name, "data-state": s.state }),
        ),
      );
    } catch (e) {
      if (!signal.aborted) replace(list, errorBox(asShown(e)));
    }
  });
}

export async function subscriptionView({ root, params, signal, every }: ViewContext): Promise<void> {
  const name = params[0]!;
  const summary = h("div", null, loading());
  const partitions = h("div");
  const settings = h("div");
  const errors = h("div");
  const controls = h("div");
  let deleted = false;
  const del = deleteForm(name, () => (deleted = true));
  replace(root, h("h1", null, "Subscription ", h("code", null, name)), errors, summary, controls, h("h2", null, "Partitions"), partitions, h("h2", null, "Settings"), settings, del);
  let controlsFor = "";
  const refresh = async (): Promise<void> => {
    if (deleted) return;
    try {
      const s = await api<SubscriptionDescription>("GET", `/v1/subscriptions/${enc(name)}`, undefined, signal);
      replace(
        summary,
        h(
          "p",
          { "data-state": s.state },
          `State ${s.state} · ${targetLabel(s.config.target)} · topics ${s.config.topics.join(", ")} · `,
          h("span", { "data-total-lag": s.totalLag }, `total lag ${formatInt(s.totalLag)}`),
          " · created ",
          timeCell(s.createdMs),
          " · ",
          h("a", { href: `#/groups/${enc(name)}` }, "its consumer group"),
        ),
      );
      replace(
        partitions,
        s.partitions.length === 0
          ? empty("No partitions yet.")
          : sortableTable(
              [
                { label: "Topic", cell: (p) => h("a", { href: `#/topics/${enc(p.topic)}` }, p.topic), sort: (p) => p.topic },
                { label: "Partition", cell: (p) => p.partition, sort: (p) => p.partition, numeric: true },
                { label: "Committed offset", cell: (p) => formatInt(p.committedOffset), numeric: true },
                { label: "High watermark", cell: (p) => formatInt(p.highWatermark < 0 ? null : p.highWatermark), numeric: true },
                { label: "Lag", cell: (p) => formatInt(p.lag), sort: (p) => p.lag ?? -1, numeric: true },
                { label: "Status", cell: (p) => h("span", { class: p.status === "stopped" || p.status === "retrying" ? "warn" : null }, p.status), sort: (p) => p.status },
                { label: "Attempt", cell: (p) => (p.inFlight ? `${formatInt(p.inFlight.attempt)} (${formatInt(p.inFlight.fromOffset)}–${formatInt(p.inFlight.toOffset)})` : "—") },
                { label: "Next attempt", cell: (p) => (p.nextAttemptMs === null ? "—" : timeCell(p.nextAttemptMs)) },
                { label: "Last error", cell: (p) => (p.lastError === null ? "—" : h("span", { class: "last-error" }, p.lastError)) },
                { label: "Delivered", cell: (p) => formatInt(p.deliveredRecords), numeric: true },
                { label: "Dead-lettered", cell: (p) => formatInt(p.deadLetteredRecords), numeric: true },
              ],
              s.partitions,
              "Partitions",
              (p) => ({ "data-sub-partition": `${p.topic}:${p.partition}`, "data-status": p.status, "data-attempt": String(p.inFlight?.attempt ?? "") }),
            ),
      );
      const rows = Object.entries(s.config).filter(([k]) => k !== "name" && k !== "topics" && k !== "target");
      replace(
        settings,
        h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            null,
            h("caption", { class: "sr-only" }, "Settings"),
            h("thead", null, h("tr", null, h("th", { scope: "col" }, "Setting"), h("th", { scope: "col" }, "Value"))),
            h(
              "tbody",
              null,
              h("tr", null, h("td", null, h("code", null, "target")), h("td", null, targetLabel(s.config.target))),
              rows.map(([k, v]) => h("tr", null, h("td", null, h("code", null, k)), h("td", null, typeof v === "number" ? formatInt(v) : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v ?? "—")))),
            ),
          ),
        ),
      );
      // The button is rebuilt only when the state changes, so a click is never lost to a refresh.
      if (s.state !== controlsFor) {
        controlsFor = s.state;
        const paused = s.state === "paused";
        const out = h("div");
        const button = h("button", { type: "button" }, paused ? "Resume" : "Pause");
        button.addEventListener("click", () => {
          void act(out, button, async () => {
            const after = await api<SubscriptionDescription>("POST", `/v1/subscriptions/${enc(name)}/${paused ? "resume" : "pause"}`);
            void refresh();
            return paused ? "Resumed: delivery restarts from the committed offsets." : `Paused (state ${after.state}): no delivery starts until it is resumed.`;
          });
        });
        replace(controls, h("p", { class: "actions" }, button), out);
      }
      replace(errors);
    } catch (e) {
      if (!signal.aborted) replace(errors, errorBox(asShown(e)));
      if (summary.querySelector("[role=status]")) replace(summary);
    }
  };
  every(REFRESH_MS, refresh);
}

function deleteForm(name: string, onDeleted: () => void): HTMLElement {
  const confirm = h("input", { name: "confirm", autocomplete: "off" });
  const button = h("button", { type: "submit", class: "danger", disabled: true }, "Delete subscription");
  const out = h("div");
  confirm.addEventListener("input", () => (button.disabled = confirm.value !== name));
  const form = h(
    "form",
    { class: "card danger-zone", "aria-label": "Delete the subscription" },
    h("h2", null, "Delete this subscription"),
    h("p", { class: "muted" }, "Stops deliveries and deletes the subscription and its committed offsets."),
    field(`Type ${name} to confirm`, confirm),
    button,
    out,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (confirm.value !== name) return;
    void act(out, button, async () => {
      await api("DELETE", `/v1/subscriptions/${enc(name)}`);
      onDeleted();
      return h("p", { class: "ok", role: "status" }, `Deleted ${name}. `, h("a", { href: "#/subscriptions" }, "Back to subscriptions"));
    });
  });
  return form;
}
