// Prometheus text exposition format (version 0.0.4): one family per metric name, HELP and TYPE first, label values
// escaped. Pure: the metrics service gathers the samples, this writes them.

export interface Sample {
  labels: Record<string, string | number>;
  value: number;
}

export interface Family {
  name: string;
  help: string;
  type: "gauge" | "counter";
  samples: Sample[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** Families in order; a family with no samples is left out (a narrowed scrape has no groups, say). */
export function renderFamilies(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(",");
      lines.push(`${f.name}${labels ? `{${labels}}` : ""} ${s.value}`);
    }
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
