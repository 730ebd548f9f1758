// `promtool check metrics` (Debian package prometheus) on a real scrape of a running edgelog: topics, a replicated
// one, a group with commits, a share group that leased a record, so every family GET /metrics writes is in the text it
// checks. Without promtool the file is skipped with a warning; in CI (CI=true) it fails instead, so CI never passes
// without checking.
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, uniqueName, type TestServer } from "../client/server.node";

const PROMTOOL = process.env.PROMTOOL_PATH ?? "promtool";
const HAVE_PROMTOOL = spawnSync(PROMTOOL, ["--version"]).status === 0;
const MISSING = `promtool is not installed (apt-get install -y prometheus, or set PROMTOOL_PATH): GET /metrics is not checked against Prometheus' linter.`;
if (!HAVE_PROMTOOL && process.env.CI !== "true") console.warn(`SKIPPED: ${MISSING}`);

let server: TestServer;
beforeAll(async () => {
  if (!HAVE_PROMTOOL) {
    if (process.env.CI === "true") throw new Error(MISSING);
    return;
  }
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<Response> {
  const r = await fetch(`${server.base}${path}`, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r;
}

describe.skipIf(!HAVE_PROMTOOL && process.env.CI !== "true")("promtool", () => {
  it("promtool check metrics passes on a real scrape", async () => {
    const [t, r, g, s] = [uniqueName("t"), uniqueName("r"), uniqueName("g"), uniqueName("s")];
    await call("POST", "/v1/topics", { name: t, partitions: 3 });
    await call("POST", "/v1/topics", { name: r, partitions: 1, replicationFactor: 2 });
    await call("POST", `/v1/topics/${t}/records`, { records: [{ value: "a" }, { value: "b" }, { key: "k", value: 'quote " and \\ backslash' }] });
    await call("POST", `/v1/groups/${g}/offsets`, { offsets: [{ topic: t, partition: 0, offset: 0 }] });
    await call("PUT", `/v1/share-groups/${s}`, { autoOffsetReset: "earliest" });
    await call("POST", `/v1/share-groups/${s}/poll`, { topics: [t], maxRecords: 1 });
    const text = await (await call("GET", "/metrics")).text();
    expect(text).toContain(`edgelog_group_lag{group="${g}"`);
    expect(text).toContain(`edgelog_share_group_acquired_records{group="${s}",topic="${t}"`);
    expect(text).toContain(`edgelog_partition_in_sync_replicas{topic="${r}",partition="0"} 2`);
    const check = spawnSync(PROMTOOL, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(check.status, `${check.stdout}${check.stderr}\n--- scrape:\n${text}`).toBe(0);
  }, 60_000);
});
