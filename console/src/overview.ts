// Overview: topics, partitions, bytes, records/s in (high-watermark deltas) and consumed (committed-offset deltas)
// while the page is open, under-replicated and offline partitions, groups by state, edgelog's version and environment.
import { api, asShown, enc, type GroupDescription, type TopicDescription, type TopicSummary } from "./api";
import { errorBox, h, loading, replace } from "./dom";
import { formatBytes, formatInt, formatRate, ratePerSecond } from "./format";
import type { ViewContext } from "./view";

const REFRESH_MS = 5000;
/** Describing is one request per topic or group: the overview looks at this many at most. */
const MAX_DESCRIBED = 200;

export async function describeAll<T>(names: string[], path: (name: string) => string, signal: AbortSignal): Promise<T[]> {
  return Promise.all(names.slice(0, MAX_DESCRIBED).map((name) => api<T>("GET", path(name), undefined, signal)));
}

function stat(name: string, label: string, value: string, raw?: number, hint?: string): HTMLElement {
  return h(
    "div",
    { class: "stat", "data-stat": name, "data-value": raw ?? "" },
    h("span", { class: "stat-value" }, value),
    h("span", { class: "stat-label" }, label),
    hint ? h("span", { class: "muted small" }, hint) : null,
  );
}

export async function overviewView({ root, signal, every }: ViewContext): Promise<void> {
  const stats = h("div", { class: "stats" }, loading());
  const problems = h("div");
  const errors = h("div");
  const about = h("p", { class: "muted" });
  replace(root, h("h1", null, "Overview"), about, errors, stats, problems);
  api<{ env: string; version?: string }>("GET", "/healthz", undefined, signal)
    .then((health) => replace(about, h("span", { "data-version": health.version ?? "", "data-env": health.env }, `edgelog ${health.version ?? "(version unknown)"} · environment ${health.env}`)))
    .catch((e) => signal.aborted || replace(about, errorBox(asShown(e))));
  let previousIn: { atMs: number; total: number } | undefined;
  let previousOut: { atMs: number; total: number } | undefined;
  every(REFRESH_MS, async () => {
    try {
      const [{ topics }, { groups }] = await Promise.all([
        api<{ topics: TopicSummary[] }>("GET", "/v1/topics", undefined, signal),
        api<{ groups: { groupId: string; state: string; members: number }[] }>("GET", "/v1/groups", undefined, signal),
      ]);
      const described = await describeAll<TopicDescription>(topics.map((t) => t.name), (n) => `/v1/topics/${enc(n)}`, signal);
      const groupDescribed = await describeAll<GroupDescription>(groups.map((g) => g.groupId), (n) => `/v1/groups/${enc(n)}`, signal);
      const partitions = described.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
      const atMs = Date.now();
      const hwSum = partitions.reduce((sum, p) => sum + p.highWatermark, 0);
      const committedSum = groupDescribed.reduce(
        (sum, g) => sum + g.lag.topics.reduce((s, t) => s + t.partitions.reduce((x, p) => x + (p.committedOffset ?? 0), 0), 0),
        0,
      );
      const rateIn = ratePerSecond(previousIn, { atMs, total: hwSum });
      const rateOut = ratePerSecond(previousOut, { atMs, total: committedSum });
      previousIn = { atMs, total: hwSum };
      previousOut = { atMs, total: committedSum };
      const underReplicated = partitions.filter((p) => p.isr.length > 0 && p.isr.length < p.replicas.length);
      const offline = partitions.filter((p) => p.isr.length === 0);
      const byState = new Map<string, number>();
      for (const g of groups) byState.set(g.state, (byState.get(g.state) ?? 0) + 1);
      const bytes = partitions.reduce((s, p) => s + p.bytes, 0);
      const local = partitions.reduce((s, p) => s + p.localBytes, 0);
      const tiered = partitions.reduce((s, p) => s + p.tieredBytes, 0);
      replace(
        stats,
        stat("topics", "topics", formatInt(topics.length), topics.length),
        stat("partitions", "partitions", formatInt(partitions.length), partitions.length),
        stat("bytes", "bytes", formatBytes(bytes), bytes, `local ${formatBytes(local)} · tiered ${formatBytes(tiered)}`),
        stat("highWatermarks", "records (high watermarks)", formatInt(hwSum), hwSum),
        stat("rateIn", "records/s in", formatRate(rateIn), rateIn ?? undefined, "high-watermark deltas while open"),
        stat("rateOut", "records/s consumed", formatRate(rateOut), rateOut ?? undefined, "committed-offset deltas while open"),
        stat("groups", "consumer groups", formatInt(groups.length), groups.length, [...byState].map(([s, n]) => `${s} ${n}`).join(" · ") || "none"),
        stat("underReplicated", "under-replicated partitions", formatInt(underReplicated.length), underReplicated.length),
        stat("offline", "offline partitions", formatInt(offline.length), offline.length),
      );
      replace(
        problems,
        underReplicated.length + offline.length === 0
          ? null
          : h(
              "ul",
              { class: "problems" },
              [...offline, ...underReplicated].map((p) =>
                h("li", null, h("a", { href: `#/topics/${enc(p.topic)}` }, `${p.topic}[${p.partition}]`), ` ISR ${JSON.stringify(p.isr)} of replicas ${JSON.stringify(p.replicas)}`),
              ),
            ),
        topics.length > MAX_DESCRIBED ? h("p", { class: "muted" }, `Totals cover the first ${MAX_DESCRIBED} topics.`) : null,
      );
      replace(errors);
    } catch (e) {
      if (signal.aborted) return;
      replace(errors, errorBox(asShown(e)));
      if (stats.querySelector("[role=status]")) replace(stats);
    }
  });
}
