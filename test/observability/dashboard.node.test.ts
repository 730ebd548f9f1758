// The Grafana dashboard and the Prometheus alert rules under docs/observability/ stay true: `promtool check rules`
// accepts the rules, `promtool test rules` fires them from scripted series (alerts.test.yml), the dashboard is valid JSON whose panels all have queries, and every edgelog_* metric either
// names is one GET /metrics of a real local edgelog emits (after traffic that gives every family it uses a sample:
// produce, fetch, an error, a group with a member and a fenced commit, a replicated topic and an election). Without
// promtool the rules check is skipped with a warning; in CI (CI=true) it fails instead.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, uniqueName, type TestServer } from "../client/server.node";

const PROMTOOL = process.env.PROMTOOL_PATH ?? "promtool";
const HAVE_PROMTOOL = spawnSync(PROMTOOL, ["--version"]).status === 0;
const RULES = fileURLToPath(new URL("../../docs/observability/alerts.yml", import.meta.url));
const DASHBOARD = fileURLToPath(new URL("../../docs/observability/grafana-dashboard.json", import.meta.url));
if (!HAVE_PROMTOOL && process.env.CI !== "true") console.warn("SKIPPED: promtool is not installed (apt-get install -y prometheus): the alert rules are not checked.");

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${server.base}${path}`, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

/** Every edgelog_* name in a text (suffix-free: the names as written in the queries). */
const metricNames = (text: string) => new Set(text.match(/\bedgelog_[a-z0-9_]+/g) ?? []);

describe("docs/observability: dashboard and alert rules", () => {
  it.skipIf(!HAVE_PROMTOOL && process.env.CI !== "true")("promtool check rules accepts the alert rules", () => {
    const check = spawnSync(PROMTOOL, ["check", "rules", RULES], { encoding: "utf8" });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });

  it.skipIf(!HAVE_PROMTOOL && process.env.CI !== "true")("promtool test rules: each alert fires after its `for`, not before (alerts.test.yml)", () => {
    const check = spawnSync(PROMTOOL, ["test", "rules", fileURLToPath(new URL("./alerts.test.yml", import.meta.url))], { encoding: "utf8" });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });

  it("every metric the dashboard and the rules use is one /metrics emits", async () => {
    const [t, r, g] = [uniqueName("t"), uniqueName("r"), uniqueName("g")];
    const ok = async (response: Promise<Response>) => {
      const res = await response;
      expect(res.status, await res.clone().text()).toBeLessThan(300);
    };
    await ok(call("POST", "/v1/topics", { name: t, partitions: 2 }));
    await ok(call("POST", "/v1/topics", { name: r, partitions: 1, replicationFactor: 2 }));
    await ok(call("POST", `/v1/topics/${t}/partitions/0/records`, { records: [{ value: "a" }, { value: "b" }] }));
    await ok(call("GET", `/v1/topics/${t}/partitions/0/records?offset=0`));
    expect((await call("GET", `/v1/topics/${t}/partitions/0/records?offset=99`)).status).toBe(416);
    const member = (await (await call("POST", `/v1/groups/${g}/heartbeat`, { memberEpoch: 0, subscribedTopics: [t] })).json()) as { memberId: string; memberEpoch: number };
    expect((await call("POST", `/v1/groups/${g}/offsets`, { memberId: member.memberId, memberEpoch: member.memberEpoch + 9, offsets: [{ topic: t, partition: 0, offset: 1 }] })).status).toBe(409);
    await ok(call("POST", `/v1/groups/${g}-admin/offsets`, { offsets: [{ topic: t, partition: 0, offset: 1 }] })); // lag samples
    // An election: the replicated topic's leader goes down and a produce elects the other replica.
    await ok(call("POST", "/v1/faults", { topic: r, partition: 0, replica: 0, down: true }));
    let produced = await call("POST", `/v1/topics/${r}/partitions/0/records`, { records: [{ value: "x" }] });
    if (produced.status !== 200) produced = await call("POST", `/v1/topics/${r}/partitions/0/records`, { records: [{ value: "x" }] });
    expect(produced.status).toBe(200);
    const scrape = await (await call("GET", "/metrics")).text();
    if (HAVE_PROMTOOL) {
      // This scrape has the families a quiet cluster leaves out (errors, fenced commits, elections): lint them too.
      const lint = spawnSync(PROMTOOL, ["check", "metrics"], { input: scrape, encoding: "utf8" });
      expect(lint.status, `${lint.stdout}${lint.stderr}`).toBe(0);
    }
    const emitted = new Set([...scrape.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));

    const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: { title: string; targets: { expr: string }[] }[] };
    expect(dashboard.panels.length).toBeGreaterThan(0);
    for (const p of dashboard.panels) expect(p.targets.length, p.title).toBeGreaterThan(0);
    const used = new Set([...metricNames(dashboard.panels.flatMap((p) => p.targets.map((x) => x.expr)).join("\n")), ...metricNames(readFileSync(RULES, "utf8"))]);
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter((name) => !emitted.has(name));
    expect(missing, `not emitted by GET /metrics:\n${scrape}`).toEqual([]);
    await ok(call("POST", "/v1/faults", { topic: r, partition: 0, replica: 0, down: false }));
  }, 60_000);
});
