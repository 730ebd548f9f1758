// Topics: the list (sortable, filterable) with create; a topic's partitions and config, produce, alter config, add
// partitions, and delete behind a typed confirmation.
import { api, asShown, enc, type TopicDescription, type TopicSummary } from "./api";
import { empty, errorBox, field, h, loading, replace, select } from "./dom";
import { formatBytes, formatInt, parseHeaderLines } from "./format";
import { describeAll } from "./overview";
import { sortableTable } from "./table";
import type { ViewContext } from "./view";

/** Runs an action: its button is disabled meanwhile, and its outcome (success text or the API's error) shown in `out`. */
export async function act(out: HTMLElement, button: HTMLButtonElement | null, run: () => Promise<string | HTMLElement>): Promise<boolean> {
  if (button) button.disabled = true;
  replace(out, h("span", { class: "muted", role: "status" }, "Working…"));
  try {
    const done = await run();
    replace(out, typeof done === "string" ? h("p", { class: "ok", role: "status" }, done) : done);
    return true;
  } catch (e) {
    replace(out, errorBox(asShown(e)));
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

export async function topicsView({ root, signal }: ViewContext): Promise<void> {
  const list = h("div", null, loading());
  const name = h("input", { name: "name", required: true, pattern: "[a-zA-Z0-9._\\-]{1,249}", autocomplete: "off" });
  const partitions = h("input", { name: "partitions", type: "number", min: 1, max: 1024, value: 1 });
  const rf = h("input", { name: "replicationFactor", type: "number", min: 1, max: 5, value: 1 });
  const createOut = h("div");
  const createButton = h("button", { type: "submit" }, "Create topic");
  const form = h(
    "form",
    { class: "inline-form", "aria-label": "Create a topic" },
    field("Name", name),
    field("Partitions", partitions),
    field("Replication factor", rf),
    createButton,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act(createOut, createButton, async () => {
      const created = await api<TopicSummary>("POST", "/v1/topics", { name: name.value, partitions: Number(partitions.value), replicationFactor: Number(rf.value) });
      name.value = "";
      void load();
      return h("p", { class: "ok", role: "status" }, "Created ", h("a", { href: `#/topics/${enc(created.name)}` }, created.name), ".");
    });
  });
  const filter = h("input", { type: "search", name: "filter", placeholder: "substring of the name" });
  replace(root, h("h1", null, "Topics"), h("details", { class: "card" }, h("summary", null, "Create a topic"), form, createOut), field("Filter topics", filter), list);

  let rows: (TopicSummary & { bytes: number; hw: number })[] = [];
  const render = () => {
    const shown = rows.filter((t) => t.name.includes(filter.value));
    if (rows.length === 0) return replace(list, empty("No topics yet. Create one above."));
    if (shown.length === 0) return replace(list, empty(`No topic name contains '${filter.value}'.`));
    replace(
      list,
      sortableTable(
        [
          { label: "Name", cell: (t) => h("a", { href: `#/topics/${enc(t.name)}` }, t.name), sort: (t) => t.name },
          { label: "Partitions", cell: (t) => formatInt(t.partitionCount), sort: (t) => t.partitionCount, numeric: true },
          { label: "Replication", cell: (t) => formatInt(t.replicationFactor), sort: (t) => t.replicationFactor, numeric: true },
          { label: "Cleanup", cell: (t) => t.config["cleanup.policy"] ?? "—", sort: (t) => t.config["cleanup.policy"] ?? "" },
          { label: "Retention (ms)", cell: (t) => formatInt(Number(t.config["retention.ms"])), sort: (t) => Number(t.config["retention.ms"]), numeric: true },
          { label: "Bytes", cell: (t) => formatBytes(t.bytes), sort: (t) => t.bytes, numeric: true },
          { label: "High watermark sum", cell: (t) => formatInt(t.hw), sort: (t) => t.hw, numeric: true },
        ],
        shown,
        "Topics",
        (t) => ({ "data-topic": t.name }),
      ),
    );
  };
  filter.addEventListener("input", render);
  const load = async () => {
    try {
      const { topics } = await api<{ topics: TopicSummary[] }>("GET", "/v1/topics", undefined, signal);
      const described = await describeAll<TopicDescription>(topics.map((t) => t.name), (n) => `/v1/topics/${enc(n)}`, signal);
      const byName = new Map(described.map((d) => [d.name, d]));
      rows = topics.map((t) => {
        const d = byName.get(t.name);
        return { ...t, bytes: d ? d.partitions.reduce((s, p) => s + p.bytes, 0) : NaN, hw: d ? d.partitions.reduce((s, p) => s + p.highWatermark, 0) : NaN };
      });
      render();
    } catch (e) {
      if (!signal.aborted) replace(list, errorBox(asShown(e)));
    }
  };
  await load();
}

export async function topicView({ root, params, signal }: ViewContext): Promise<void> {
  const topic = params[0]!;
  replace(root, h("h1", null, "Topic ", h("code", null, topic)), loading());
  let d: TopicDescription;
  try {
    d = await api<TopicDescription>("GET", `/v1/topics/${enc(topic)}`, undefined, signal);
  } catch (e) {
    replace(root, h("h1", null, "Topic ", h("code", null, topic)), errorBox(asShown(e)), h("p", null, h("a", { href: "#/topics" }, "All topics")));
    return;
  }
  const partitions = sortableTable(
    [
      { label: "Partition", cell: (p) => p.partition, sort: (p) => p.partition, numeric: true },
      { label: "Leader", cell: (p) => p.leader, numeric: true },
      { label: "Replicas", cell: (p) => p.replicas.join(", ") },
      { label: "ISR", cell: (p) => h("span", { class: p.isr.length < p.replicas.length ? "warn" : null }, p.isr.join(", ") || "none") },
      { label: "Leader epoch", cell: (p) => formatInt(p.leaderEpoch), numeric: true },
      { label: "Log start", cell: (p) => formatInt(p.logStartOffset), sort: (p) => p.logStartOffset, numeric: true },
      { label: "High watermark", cell: (p) => formatInt(p.highWatermark), sort: (p) => p.highWatermark, numeric: true },
      { label: "Local bytes", cell: (p) => formatBytes(p.localBytes), sort: (p) => p.localBytes, numeric: true },
      { label: "Tiered bytes", cell: (p) => formatBytes(p.tieredBytes), sort: (p) => p.tieredBytes, numeric: true },
      { label: "Segments (local / tiered)", cell: (p) => `${formatInt(p.localSegments)} / ${formatInt(p.tieredSegments)}`, numeric: true },
    ],
    d.partitions,
    "Partitions",
    (p) => ({ "data-partition": String(p.partition) }),
  );
  const config = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      null,
      h("caption", { class: "sr-only" }, "Configuration"),
      h("thead", null, h("tr", null, h("th", { scope: "col" }, "Config"), h("th", { scope: "col" }, "Value"), h("th", { scope: "col" }, "Default"))),
      h(
        "tbody",
        null,
        Object.entries(d.config)
          .sort()
          .map(([k, v]) => {
            // A server without configDefaults: nothing is marked rather than guessed.
            const def = d.configDefaults?.[k];
            const isDefault = def !== undefined && def === v;
            return h(
              "tr",
              { "data-config": k, "data-default": def === undefined ? null : String(isDefault) },
              h("td", null, h("code", null, k)),
              h("td", { class: isDefault ? "muted" : null }, v),
              h("td", null, def === undefined ? "—" : isDefault ? h("span", { class: "default-mark" }, "default") : h("span", { class: "default-mark warn" }, `set (default ${def})`)),
            );
          }),
      ),
    ),
  );
  replace(
    root,
    h("h1", null, "Topic ", h("code", null, topic)),
    h(
      "p",
      { class: "actions" },
      h("a", { class: "button", href: `#/topics/${enc(topic)}/messages` }, "Browse messages"),
      " ",
      h("a", { class: "button", href: `#/tail/${enc(topic)}` }, "Live tail"),
    ),
    h("p", { class: "muted" }, `id ${d.topicId} · ${d.partitionCount} partitions · replication factor ${d.replicationFactor}`),
    h("h2", null, "Partitions"),
    partitions,
    produceForm(topic, d.partitionCount),
    h("h2", null, "Configuration"),
    config,
    alterForms(topic, d),
    deleteForm(topic),
  );
}

function produceForm(topic: string, partitionCount: number): HTMLElement {
  const key = h("input", { name: "key", autocomplete: "off" });
  const value = h("textarea", { name: "value", rows: 4 });
  const headers = h("textarea", { name: "headers", rows: 2, placeholder: "one per line: key: value" });
  const partition = select("partition", [["", "by key (murmur2), or sticky without a key"], ...Array.from({ length: partitionCount }, (_, i) => [String(i), `partition ${i}`] as [string, string])]);
  const nullKey = h("input", { type: "checkbox", name: "nullKey" });
  const out = h("div");
  const button = h("button", { type: "submit" }, "Produce");
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "produce-title" },
    h("h2", { id: "produce-title" }, "Produce a record"),
    field("Key", key),
    h("div", { class: "field check" }, nullKey, h("label", { for: (nullKey.id = "null-key") }, "null key")),
    field("Value", value),
    field("Headers", headers),
    field("Partition", partition),
    button,
    out,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act(out, button, async () => {
      const record: Record<string, unknown> = { key: nullKey.checked || key.value === "" ? null : key.value, value: value.value, headers: parseHeaderLines(headers.value) };
      if (partition.value !== "") record.partition = Number(partition.value);
      const { results } = await api<{ results: ({ partition: number; offset: number; timestamp: number } | { partition: number; error: { type: string; code: number; message: string } })[] }>(
        "POST",
        `/v1/topics/${enc(topic)}/records`,
        { records: [record] },
      );
      const r = results[0]!;
      if ("error" in r) return errorBox({ status: 0, ...r.error });
      return h("p", { class: "ok", role: "status", "data-produced": `${r.partition}:${r.offset}` }, `Written to partition ${r.partition} at offset ${r.offset}.`);
    });
  });
  return form;
}

function alterForms(topic: string, d: TopicDescription): HTMLElement {
  const name = select("config", Object.keys(d.config).sort().map((k) => [k, k]));
  const value = h("input", { name: "value", autocomplete: "off", placeholder: "empty: reset to the default" });
  const out = h("div");
  const button = h("button", { type: "submit" }, "Set config");
  const form = h("form", { class: "inline-form", "aria-label": "Alter config" }, field("Config", name), field("New value", value), button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act(out, button, async () => {
      await api("PATCH", `/v1/topics/${enc(topic)}`, { config: { [name.value]: value.value === "" ? null : value.value } });
      return `Set ${name.value}. Reload to see the new configuration.`;
    });
  });
  const count = h("input", { name: "count", type: "number", min: d.partitionCount + 1, max: 1024, value: d.partitionCount + 1 });
  const addOut = h("div");
  const addButton = h("button", { type: "submit" }, "Add partitions");
  const add = h("form", { class: "inline-form", "aria-label": "Add partitions" }, field("New partition count (total)", count), addButton);
  add.addEventListener("submit", (event) => {
    event.preventDefault();
    void act(addOut, addButton, async () => {
      const s = await api<TopicSummary>("POST", `/v1/topics/${enc(topic)}/partitions`, { count: Number(count.value) });
      return `The topic now has ${s.partitionCount} partitions. Reload to see them.`;
    });
  });
  return h("details", { class: "card" }, h("summary", null, "Alter config, add partitions"), form, out, add, addOut);
}

function deleteForm(topic: string): HTMLElement {
  const confirm = h("input", { name: "confirm", autocomplete: "off", spellcheck: "false" });
  const button = h("button", { type: "submit", class: "danger", disabled: true }, "Delete topic");
  const out = h("div");
  confirm.addEventListener("input", () => (button.disabled = confirm.value !== topic));
  const form = h(
    "form",
    { class: "card danger-zone", "aria-labelledby": "delete-title" },
    h("h2", { id: "delete-title" }, "Delete this topic"),
    h("p", null, "Deletes the topic and all its records. This cannot be undone."),
    field(`Type ${topic} to confirm`, confirm),
    button,
    out,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (confirm.value !== topic) return;
    void act(out, button, async () => {
      await api("DELETE", `/v1/topics/${enc(topic)}`);
      confirm.disabled = true;
      return h("p", { class: "ok", role: "status" }, `Deleted ${topic}. `, h("a", { href: "#/topics" }, "Back to topics"));
    }).then((ok) => ok && (button.disabled = true));
  });
  return form;
}
