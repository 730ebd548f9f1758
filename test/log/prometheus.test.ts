// Prometheus text: HELP and TYPE before each family's samples, label values escaped, empty families left out.
import { describe, expect, it } from "vitest";
import { renderFamilies } from "../../src/log/prometheus";

describe("renderFamilies", () => {
  it("writes families in order, escapes label values, and leaves out empty families", () => {
    const text = renderFamilies([
      { name: "edgelog_a", help: "A.", type: "gauge", samples: [{ labels: { topic: 'q"b\\s\nn', partition: 0 }, value: 3 }, { labels: {}, value: 1 }] },
      { name: "edgelog_empty", help: "Nothing.", type: "gauge", samples: [] },
      { name: "edgelog_b_total", help: "B.", type: "counter", samples: [{ labels: { group: "g" }, value: 0 }] },
    ]);
    expect(text).toBe(
      [
        "# HELP edgelog_a A.",
        "# TYPE edgelog_a gauge",
        'edgelog_a{topic="q\\"b\\\\s\\nn",partition="0"} 3',
        "edgelog_a 1",
        "# HELP edgelog_b_total B.",
        "# TYPE edgelog_b_total counter",
        'edgelog_b_total{group="g"} 0',
        "",
      ].join("\n"),
    );
    expect(renderFamilies([])).toBe("");
  });
});
