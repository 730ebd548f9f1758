// The web console in a real browser: headless Chromium (Debian's `chromium`, driven by playwright-core) against a real
// edgelog in workerd with auth on. The flows a person goes through: the token prompt (a bad token's error shown with
// its code), the overview's numbers against the API, create a topic, produce from the form and find the record by
// offset and by time, the live tail, a group's lag falling as the CLI (bin/edgelog.mjs) consumes as that group and
// rising again after a reset from the page, a share group's leases and lag, delete behind a typed confirmation,
// tokens, and a read-only token's 403s. Every page is watched for
// uncaught errors, CSP violations, console errors other than the API's expected 4xx answers, and failed requests.
// Without Chromium the test fails and says how to install it: it never passes without having run.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, uniqueName, waitFor, type TestServer } from "../client/server.node";

const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
const CLI = fileURLToPath(new URL("../../bin/edgelog.mjs", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** EDGELOG_CONSOLE_SCREENSHOTS=1 saves each main page to docs/console/ (for the README). */
const SCREENSHOTS = process.env.EDGELOG_CONSOLE_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/console/", import.meta.url)) : undefined;

const ADMIN = `edl_console_admin_${crypto.randomUUID()}`;
const READER = `edl_console_reader_${crypto.randomUUID()}`;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const TOKENS = [
  {
    name: "console-admin",
    sha256: sha256(ADMIN),
    acls: [
      { resource: "cluster", name: "cluster", operations: ["admin"] },
      { resource: "topic", name: "*", operations: ["admin"] },
      { resource: "group", name: "*", operations: ["admin"] },
      { resource: "transactionalId", name: "*", operations: ["admin"] },
    ],
  },
  {
    name: "console-reader",
    sha256: sha256(READER),
    acls: [
      { resource: "topic", name: "*", operations: ["read"] },
      { resource: "group", name: "*", operations: ["read"] },
    ],
  },
];

let server: TestServer;
/** A share group left in place for the phone-width pass (its detail page). */
let shareGroup: string;
let browser: Browser;
let page: Page;
/** What went wrong in the browser, beyond the API's expected error answers. */
const problems: string[] = [];

async function api(method: string, path: string, body?: unknown, token = ADMIN): Promise<any> {
  const response = await fetch(`${server.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const parsed = await response.json();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(parsed)}`);
  return parsed;
}

/**
 * Runs the `edgelog` CLI (bin/edgelog.mjs, as test/cli/ does) against this server under the admin token. A run still
 * going after 30 s is killed and the test fails naming it: every run here ends on its own.
 */
function edgelog(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, EDGELOG_URL: server.base, EDGELOG_TOKEN: ADMIN }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`edgelog ${args.join(" ")} still running after 30 s (stdout: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify(stderr)})`));
    }, 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function go(hash: string): Promise<void> {
  // Runs in the page (a browser global the Node-side types do not declare).
  await page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), hash);
}

/** `mask` covers what must not be published (a token's secret, even a throwaway test server's). */
async function shot(name: string, mask: string[] = []): Promise<void> {
  if (SCREENSHOTS) await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true, mask: mask.map((selector) => page.locator(selector)) });
}

/**
 * Without a browser these tests cannot run. In CI (CI=true: .ci/run installs Chromium first) that fails the run; on a
 * developer's machine the file is skipped with this warning, so `npm test` on a fresh clone does not need a browser
 * installed, and says loudly what it did not test.
 */
const HAVE_BROWSER = existsSync(CHROMIUM);
const MISSING_BROWSER =
  `the console's browser test needs Chromium at ${CHROMIUM} and it is not there: install it (sudo apt-get install -y chromium), ` +
  "or set CHROMIUM_PATH.";
if (!HAVE_BROWSER && process.env.CI !== "true") console.warn(`SKIPPED: ${MISSING_BROWSER} Without it the web console is untested here (CI runs it).`);

beforeAll(async () => {
  if (!HAVE_BROWSER) {
    if (process.env.CI === "true") throw new Error(`${MISSING_BROWSER} This test does not pass without a browser.`);
    return; // skipped, with the warning above
  }
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  server = await startServer({ EDGELOG_AUTH: "on", EDGELOG_TOKENS: JSON.stringify(TOKENS) });
  // Root in a container needs --no-sandbox; nothing else differs from a person's Chromium.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: "en-US", timezoneId: "UTC" });
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() !== "error" && message.type() !== "warning") return;
    // The API's error answers (401 before the token, 403 for the reader, 409 and 416 asked for on purpose) are logged by
    // Chromium as failed loads; the test checks each one is shown on the page.
    if (/^Failed to load resource: the server responded with a status of (401|403|404|409|416)/.test(message.text())) return;
    problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on("requestfailed", (request) => {
    // Live-tail streams are aborted on purpose when the tail is paused or the page left.
    if (request.failure()?.errorText === "net::ERR_ABORTED" && request.url().includes("/records")) return;
    problems.push(`request failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 500) problems.push(`server error: ${response.status()} ${response.url()}`);
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe.skipIf(!HAVE_BROWSER && process.env.CI !== "true")("the console in Chromium", () => {
  it("asks for a token on 401, shows a bad token's error with its code, and loads with a good one", async () => {
    await page.goto(`${server.base}/console`);
    const panel = page.locator("#token-panel");
    await expect.poll(() => panel.isVisible()).toBe(true);
    await expect.poll(() => page.locator("#token-reason").textContent()).toContain("SASL_AUTHENTICATION_FAILED (code 58, HTTP 401)");
    await expect.poll(() => page.locator(".error").first().textContent()).toContain("SASL_AUTHENTICATION_FAILED (code 58, HTTP 401)");
    await page.getByLabel("Bearer token", { exact: true }).fill("edl_not_a_token");
    await page.getByRole("button", { name: "Use token" }).click();
    await expect.poll(() => page.locator(".error").first().textContent()).toContain("the token is not valid");
    await expect.poll(() => panel.isVisible()).toBe(true);
    await page.getByLabel("Bearer token", { exact: true }).fill(ADMIN);
    await page.getByRole("button", { name: "Use token" }).click();
    await expect.poll(() => page.locator("[data-stat=topics]").count()).toBe(1);
    expect(await panel.isVisible()).toBe(false);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem("edgelog.token"))).toBe(ADMIN);
    expect(await page.locator("#env").textContent()).toBe(`edgelog ${VERSION} · env: test`);
    // The overview names the version and environment too (from /healthz).
    await expect.poll(() => page.locator("[data-version]").getAttribute("data-version")).toBe(VERSION);
    expect(await page.locator("[data-version]").textContent()).toBe(`edgelog ${VERSION} · environment test`);
  });

  it("overview: topics, partitions and records match the API", async () => {
    const a = uniqueName("ov");
    await api("POST", "/v1/topics", { name: a, partitions: 3 });
    await api("POST", `/v1/topics/${a}/records`, { records: [{ key: "k1", value: "one" }, { key: "k2", value: "two" }, { key: "k3", value: "three" }] });
    await go("#/");
    const { topics } = await api("GET", "/v1/topics");
    const described = await Promise.all(topics.map((t: { name: string }) => api("GET", `/v1/topics/${t.name}`)));
    const partitions = described.reduce((s, d) => s + d.partitions.length, 0);
    const hw = described.reduce((s, d) => s + d.partitions.reduce((x: number, p: { highWatermark: number }) => x + p.highWatermark, 0), 0);
    const stat = (name: string) => page.locator(`[data-stat=${name}]`).getAttribute("data-value");
    await expect.poll(() => stat("topics")).toBe(String(topics.length));
    expect(await stat("partitions")).toBe(String(partitions));
    expect(await stat("highWatermarks")).toBe(String(hw));
    expect(await stat("offline")).toBe("0");
    // Records/s in: two samples 5 s apart with 10 records produced between them.
    await api("POST", `/v1/topics/${a}/records`, { records: Array.from({ length: 10 }, (_, i) => ({ value: `r${i}` })) });
    await expect.poll(() => stat("rateIn"), { timeout: 15_000 }).toMatch(/^\d/);
    expect(Number(await stat("rateIn"))).toBeGreaterThan(0);
    await shot("overview");
  });

  let topic: string;
  it("creates a topic from the form, and it is in the sortable, filterable list", async () => {
    topic = uniqueName("made-in-console");
    await go("#/topics");
    await page.getByText("Create a topic").click();
    await page.getByLabel("Name", { exact: true }).fill(topic);
    await page.getByLabel("Partitions", { exact: true }).fill("2");
    await page.getByRole("button", { name: "Create topic" }).click();
    await expect.poll(() => page.locator(".ok").textContent()).toContain(`Created ${topic}`);
    const described = await api("GET", `/v1/topics/${topic}`);
    expect(described.partitionCount).toBe(2);
    await expect.poll(() => page.locator(`tr[data-topic="${topic}"]`).count()).toBe(1);
    await page.getByLabel("Filter topics", { exact: true }).fill("made-in-console");
    expect(await page.locator("tbody tr").count()).toBe(1);
    await page.getByLabel("Filter topics", { exact: true }).fill("");
    await shot("topics");
  });

  it("sorts the topic list by a column, ascending then descending, and by name again", async () => {
    // Topics with 1, 3 and 2 partitions, filtered down to them, so the order is known.
    const prefix = uniqueName("sorted");
    for (const [suffix, partitions] of [["a", 1], ["b", 3], ["c", 2]] as const) await api("POST", "/v1/topics", { name: `${prefix}-${suffix}`, partitions });
    // The list is already open (the test before): through a page that loads once, so it loads again with these.
    await go(`#/topics/${prefix}-a`);
    await expect.poll(() => page.locator("#main").textContent()).toContain("1 partitions");
    await go("#/topics");
    await page.getByLabel("Filter topics", { exact: true }).fill(prefix);
    const names = () => page.locator("tbody tr").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-topic")));
    const header = (label: string) => page.locator("th", { has: page.getByRole("button", { name: new RegExp(`^${label}`) }) });
    // The list describes every topic first (one request each): give it time on a loaded machine.
    await expect.poll(names, { timeout: 15_000 }).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
    expect(await header("Name").getAttribute("aria-sort")).toBe("ascending");
    await page.getByRole("button", { name: /^Partitions/ }).click();
    expect(await names()).toEqual([`${prefix}-a`, `${prefix}-c`, `${prefix}-b`]);
    expect(await header("Partitions").getAttribute("aria-sort")).toBe("ascending");
    expect(await header("Name").getAttribute("aria-sort")).toBeNull();
    await page.getByRole("button", { name: /^Partitions/ }).click();
    expect(await names()).toEqual([`${prefix}-b`, `${prefix}-c`, `${prefix}-a`]);
    expect(await header("Partitions").getAttribute("aria-sort")).toBe("descending");
    await page.getByRole("button", { name: /^Name/ }).click();
    expect(await names()).toEqual([`${prefix}-a`, `${prefix}-b`, `${prefix}-c`]);
  });

  it("adds partitions and alters a config from the topic's page", async () => {
    const t = uniqueName("grown");
    await api("POST", "/v1/topics", { name: t, partitions: 1 });
    await go(`#/topics/${t}`);
    await page.getByText("Alter config, add partitions").click();
    await page.getByLabel("New partition count (total)", { exact: true }).fill("3");
    await page.getByRole("button", { name: "Add partitions" }).click();
    await expect.poll(() => page.locator("form[aria-label='Add partitions'] + div .ok").textContent()).toContain("now has 3 partitions");
    const described = await api("GET", `/v1/topics/${t}`);
    expect(described.partitionCount).toBe(3);
    expect(described.partitions).toHaveLength(3);
    await page.getByLabel("Config", { exact: true }).selectOption("retention.ms");
    await page.getByLabel("New value", { exact: true }).fill("3600000");
    await page.getByRole("button", { name: "Set config" }).click();
    await expect.poll(() => page.locator("form[aria-label='Alter config'] + div .ok").textContent()).toContain("Set retention.ms");
    expect((await api("GET", `/v1/topics/${t}`)).config["retention.ms"]).toBe("3600000");
    // The page, reloaded, shows the new partitions and the value as set.
    // (Through the topic list, once it has loaded: leaving a page aborts its requests, which counts as a failure.)
    await go("#/topics");
    await expect.poll(() => page.locator(`tr[data-topic="${t}"]`).count(), { timeout: 15_000 }).toBe(1);
    await go(`#/topics/${t}`);
    await expect.poll(() => page.locator('tr[data-config="retention.ms"]').getAttribute("data-default")).toBe("false");
    expect(await page.locator("#main").textContent()).toContain("3 partitions");
  });

  let produced: { partition: number; offset: number; beforeMs: number };
  it("produces from the form and shows the partition and offset the record got", async () => {
    await go(`#/topics/${topic}`);
    await page.getByLabel("Key", { exact: true }).fill("user-42");
    await page.getByLabel("Value", { exact: true }).fill('{"total":9.5,"items":["a","b"]}');
    await page.getByLabel("Headers", { exact: true }).fill("trace: a1");
    await page.getByLabel("Partition", { exact: true }).selectOption("1");
    const beforeMs = Date.now();
    await page.getByRole("button", { name: "Produce" }).click();
    const at = await page.locator("[data-produced]").getAttribute("data-produced");
    const [partition, offset] = at!.split(":").map(Number) as [number, number];
    expect(partition).toBe(1);
    const fetched = await api("GET", `/v1/topics/${topic}/partitions/1/records?offset=${offset}`);
    expect(fetched.records[0]).toMatchObject({ key: "user-42", value: '{"total":9.5,"items":["a","b"]}', headers: [{ key: "trace", value: "a1" }] });
    produced = { partition, offset, beforeMs };
    await shot("topic");
  });

  it("finds the record in the message browser by offset and by time, JSON pretty-printed, and pages", async () => {
    // A binary record and a few more, to page over.
    await api("POST", `/v1/topics/${topic}/partitions/1/records`, { encoding: "base64", records: [{ key: null, value: "AAH/" }] });
    await api("POST", `/v1/topics/${topic}/partitions/1/records`, { records: Array.from({ length: 5 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await go(`#/topics/${topic}/messages`);
    await page.getByLabel("Partition", { exact: true }).selectOption("1");
    await page.getByLabel("Start at", { exact: true }).selectOption("offset");
    await page.getByLabel("Offset", { exact: true }).fill(String(produced.offset));
    await page.getByLabel("Records per partition", { exact: true }).fill("2");
    await page.getByRole("button", { name: "Show" }).click();
    const row = page.locator(`tr[data-partition="1"][data-offset="${produced.offset}"]`);
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator("td.key").textContent()).toBe("user-42");
    await row.locator("td.value summary").click();
    expect(await row.locator("td.value pre").textContent()).toBe('{\n  "total": 9.5,\n  "items": [\n    "a",\n    "b"\n  ]\n}');
    expect(await row.textContent()).toContain("trace: a1");
    // The binary value is shown as hex.
    expect(await page.locator(`tr[data-offset="${produced.offset + 1}"] td.value`).textContent()).toContain("binary, 3 bytes");
    // Next page, then back.
    await page.getByRole("button", { name: "Next page" }).click();
    await expect.poll(() => page.locator(`tr[data-offset="${produced.offset + 2}"]`).count()).toBe(1);
    await page.getByRole("button", { name: "Previous page" }).click();
    await expect.poll(() => row.count()).toBe(1);
    // The key filter.
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByLabel("Filter by key", { exact: true }).fill("k1");
    await expect.poll(() => page.locator("tbody tr").count()).toBe(1);
    await page.getByLabel("Filter by key", { exact: true }).fill("");
    // By time (the page's zone is UTC): the first record at or after a second before the produce.
    await page.getByLabel("Start at", { exact: true }).selectOption("time");
    await page.getByLabel("Time (your zone)", { exact: true }).fill(new Date(produced.beforeMs - 1000).toISOString().slice(0, 19));
    await page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => page.locator("tbody tr").first().getAttribute("data-offset")).toBe(String(produced.offset));
    // An offset past the end: the API's 416, with its code.
    await page.getByLabel("Start at", { exact: true }).selectOption("offset");
    await page.getByLabel("Offset", { exact: true }).fill("999");
    await page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => page.locator(".error").textContent()).toContain("OFFSET_OUT_OF_RANGE (code 1, HTTP 416)");
    await page.getByLabel("Start at", { exact: true }).selectOption("newest");
    await page.getByLabel("Partition", { exact: true }).selectOption("all");
    await page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBeGreaterThan(1);
    await shot("messages");
  });

  it("live tail shows a record produced after it started, pauses and resumes without losing any", async () => {
    await go(`#/tail/${topic}`);
    await page.getByLabel("Partition", { exact: true }).selectOption("all");
    await page.getByRole("button", { name: "Start" }).click();
    await expect.poll(() => page.locator("[role=status]").first().textContent()).toContain("Following");
    // The streams open after the first read; give them a moment to be parked, then produce.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await api("POST", `/v1/topics/${topic}/partitions/0/records`, { records: [{ key: "live", value: "tail me" }] });
    await expect.poll(() => page.locator("tbody tr td.value").first().textContent(), { timeout: 15_000 }).toBe("tail me");
    await page.getByRole("button", { name: "Pause" }).click();
    await api("POST", `/v1/topics/${topic}/partitions/1/records`, { records: [{ key: "while-paused", value: "kept" }] });
    await page.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => page.locator("tbody tr td.value").first().textContent(), { timeout: 15_000 }).toBe("kept");
    await shot("tail");
    await page.getByRole("button", { name: "Stop" }).click();
  });

  it("shows a group's lag falling as the CLI consumes as that group, and resets its offsets from the page", async () => {
    const group = uniqueName("g");
    const t = uniqueName("lagged");
    await api("POST", "/v1/topics", { name: t, partitions: 1 });
    await api("POST", `/v1/topics/${t}/records`, { records: Array.from({ length: 4 }, (_, i) => ({ value: `v${i}` })) });
    // The CLI reads one record as the group, commits it, leaves (the group is empty again) and exits.
    const first = await edgelog(["consume", t, "--group", group, "--from-beginning", "--max", "1"]);
    expect(first, first.stderr).toMatchObject({ code: 0, stdout: "v0\n" });
    await go("#/groups");
    await expect.poll(() => page.locator(`tr[data-group="${group}"]`).textContent()).toContain("EMPTY");
    await shot("groups");
    await page.locator(`tr[data-group="${group}"] a`).click();
    const totalLag = () => page.locator("[data-total-lag]").getAttribute("data-total-lag");
    await expect.poll(() => totalLag()).toBe("3");
    expect(await page.locator(`[data-lag-row="${t}:0"]`).getAttribute("data-lag")).toBe("3");
    // The CLI catches up as the group (it stops once caught up, committing what it printed): the page's next
    // sample shows the lag gone.
    const rest = await edgelog(["consume", t, "--group", group]);
    expect(rest, rest.stderr).toMatchObject({ code: 0, stdout: "v1\nv2\nv3\n" });
    await expect.poll(() => totalLag(), { timeout: 10_000 }).toBe("0");
    expect(await page.locator("svg.chart polyline").count()).toBe(1);
    await shot("group");
    // Reset to earliest from the page: the lag is back.
    await page.getByLabel("To", { exact: true }).selectOption("earliest");
    await page.getByRole("button", { name: "Reset offsets" }).click();
    await expect.poll(() => page.locator(".ok").textContent()).toContain("p0 → 0");
    await expect.poll(() => totalLag(), { timeout: 10_000 }).toBe("4");
    expect((await api("GET", `/v1/groups/${group}/offsets`)).totalLag).toBe(4);
    // Delete it, behind its typed name.
    const del = page.getByRole("button", { name: "Delete group" });
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel(`Type ${group} to confirm`, { exact: true }).fill(group);
    await del.click();
    await expect.poll(() => page.locator(".danger-zone .ok").textContent()).toContain(`Deleted ${group}`);
    expect((await api("GET", "/v1/groups")).groups.map((g: { groupId: string }) => g.groupId)).not.toContain(group);
  });

  it("subscriptions: the list, a subscription's partitions with status, attempt, next attempt and last error, pause, resume, and delete behind its typed name", async () => {
    const t = uniqueName("subscribed");
    const name = uniqueName("sub");
    await api("POST", "/v1/topics", { name: t, partitions: 2 });
    await api("POST", `/v1/topics/${t}/partitions/0/records`, { records: [{ value: "a" }, { value: "b" }] });
    // Nothing listens on port 9 (EDGELOG_ENV=test allows http): partition 0's first batch fails and waits a minute.
    await api("POST", "/v1/subscriptions", { name, topics: [t], target: { type: "webhook", url: "http://127.0.0.1:9/hook" }, startAt: "earliest", maxBatchWaitMs: 0, retryDelayMs: 60_000 });
    await go("#/subscriptions");
    const row = page.locator(`tr[data-subscription="${name}"]`);
    await expect.poll(() => row.getAttribute("data-state")).toBe("running");
    expect(await row.textContent()).toContain("webhook");
    expect(await row.textContent()).toContain(t);
    await row.locator("a").click();
    const p0 = page.locator(`[data-sub-partition="${t}:0"]`);
    await expect.poll(() => p0.getAttribute("data-status"), { timeout: 15_000 }).toBe("retrying");
    const described = await api("GET", `/v1/subscriptions/${name}`);
    const api0 = described.partitions.find((p: { partition: number }) => p.partition === 0);
    expect(api0.lastError).toBeTruthy();
    await expect.poll(() => p0.locator(".last-error").textContent()).toBe(api0.lastError);
    expect(await p0.getAttribute("data-attempt")).toBe(String(api0.inFlight.attempt));
    expect(await p0.locator("time").count()).toBe(1); // the next attempt
    // Committed 0, high watermark 2, lag 2: the third to fifth cells.
    expect(await p0.locator("td").nth(4).textContent()).toBe(String(api0.lag));
    expect(await page.locator(`[data-sub-partition="${t}:1"]`).getAttribute("data-status")).toBe("waiting");
    await expect.poll(() => page.locator("[data-total-lag]").getAttribute("data-total-lag")).toBe("2");
    expect(await page.locator("#main").textContent()).toContain("webhook http://127.0.0.1:9/hook");
    await shot("subscription");
    // Its group's page says whose it is and sends pause, reset and delete back here.
    await page.getByRole("link", { name: "its consumer group" }).click();
    await expect.poll(() => page.getByRole("link", { name: "subscription page" }).count()).toBe(1);
    expect(await page.getByRole("button", { name: "Delete group" }).count()).toBe(0);
    await page.getByRole("link", { name: "subscription page" }).click();
    // Pause, then resume, from the page.
    await page.getByRole("button", { name: "Pause" }).click();
    await expect.poll(() => page.locator("p[data-state]").getAttribute("data-state")).toBe("paused");
    expect((await api("GET", `/v1/subscriptions/${name}`)).state).toBe("paused");
    await page.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => page.locator("p[data-state]").getAttribute("data-state")).toBe("running");
    expect((await api("GET", `/v1/subscriptions/${name}`)).state).toBe("running");
    // Delete, only once the name is typed.
    const del = page.getByRole("button", { name: "Delete subscription" });
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel(`Type ${name} to confirm`, { exact: true }).fill(name.slice(1));
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel(`Type ${name} to confirm`, { exact: true }).fill(name);
    await del.click();
    await expect.poll(() => page.locator(".danger-zone .ok").textContent()).toContain(`Deleted ${name}`);
    expect((await api("GET", "/v1/subscriptions")).subscriptions.map((s: { name: string }) => s.name)).not.toContain(name);
  });

  it("transactions: the list and one transactional id's state, producer and partitions, as the transaction commits", async () => {
    const t = uniqueName("txn-topic");
    const id = uniqueName("txn");
    await api("POST", "/v1/topics", { name: t, partitions: 1 });
    const { producerId, producerEpoch } = await api("POST", `/v1/transactions/${id}/init`, {});
    await api("POST", `/v1/topics/${t}/partitions/0/records`, { records: [{ value: "inside" }], transaction: { transactionalId: id, producerId, producerEpoch, baseSequence: 0 } });
    await go("#/transactions");
    const row = page.locator(`tr[data-transaction="${id}"]`);
    await expect.poll(() => row.getAttribute("data-state")).toBe("Ongoing");
    await row.locator("a").click();
    const fact = (name: string) => page.locator(`[data-fact=${name}]`).textContent();
    await expect.poll(() => fact("state")).toBe("Ongoing");
    expect(await fact("producerId")).toBe(producerId.toLocaleString("en-US"));
    expect(await fact("producerEpoch")).toBe(String(producerEpoch));
    expect(await page.locator(`[data-txn-partition="${t}:0"]`).count()).toBe(1);
    await shot("transaction");
    await api("POST", `/v1/transactions/${id}/commit`, { producerId, producerEpoch });
    await expect.poll(() => fact("state"), { timeout: 10_000 }).toBe("CompleteCommit");
    expect(await fact("pendingMarkers")).toBe("0");
  });

  it("share groups: the list, a group's share-partitions with records acquired and available, reset refused while leased then done, and delete behind its typed name", async () => {
    const t = uniqueName("queue");
    const group = uniqueName("workers");
    await api("POST", "/v1/topics", { name: t, partitions: 2 });
    await api("POST", `/v1/topics/${t}/partitions/0/records`, { records: Array.from({ length: 5 }, (_, i) => ({ value: `job${i}` })) });
    await api("POST", `/v1/topics/${t}/partitions/1/records`, { records: [{ value: "job5" }] });
    await api("PUT", `/v1/share-groups/${group}`, { autoOffsetReset: "earliest" });
    // Two of the six leased and one accepted: four left to do, two of them held, three in flight nobody holds.
    const polled = await api("POST", `/v1/share-groups/${group}/poll`, { topics: [t], maxRecords: 3 });
    expect(polled.records).toHaveLength(3);
    await api("POST", `/v1/share-groups/${group}/acknowledgements`, { acknowledgements: [{ leaseId: polled.records[0].leaseId, type: "accept" }] });
    const described = await api("GET", `/v1/share-groups/${group}`);
    const acquired = described.partitions.reduce((s: number, p: { inFlight: { acquired: number } }) => s + p.inFlight.acquired, 0);
    expect(acquired).toBe(2);
    await go("#/share-groups");
    const row = page.locator(`tr[data-share-group="${group}"]`);
    await expect.poll(() => row.getAttribute("data-acquired")).toBe("2");
    expect(await row.getAttribute("data-total-lag")).toBe(String(described.totalLag));
    expect(await row.textContent()).toContain(t);
    await shot("share-groups");
    await row.locator("a").click();
    await expect.poll(() => page.locator("[data-share-partition]").count()).toBe(described.partitions.length);
    for (const p of described.partitions as { topic: string; partition: number; startOffset: number; lag: number; inFlight: { acquired: number; available: number } }[]) {
      const r = page.locator(`[data-share-partition="${t}:${p.partition}"]`);
      expect(await r.getAttribute("data-start-offset"), `p${p.partition}`).toBe(String(p.startOffset));
      expect(await r.getAttribute("data-acquired"), `p${p.partition}`).toBe(String(p.inFlight.acquired));
      expect(await r.getAttribute("data-available"), `p${p.partition}`).toBe(String(p.inFlight.available));
      expect(await r.getAttribute("data-lag"), `p${p.partition}`).toBe(String(p.lag));
    }
    expect(await page.locator("[data-total-lag]").getAttribute("data-total-lag")).toBe(String(described.totalLag));
    expect(await page.locator('tr[data-config="autoOffsetReset"]').textContent()).toContain("earliest");
    await shot("share-group");
    // A reset while records are leased: the API's 409, shown with its code.
    await page.getByLabel("To", { exact: true }).selectOption("earliest");
    await page.getByRole("button", { name: "Reset offsets" }).click();
    await expect.poll(() => page.locator("form[aria-label='Reset offsets'] .error").textContent()).toContain("NON_EMPTY_GROUP");
    // Once the leases are given back, the reset replays the topic from its start.
    await api("POST", `/v1/share-groups/${group}/acknowledgements`, { acknowledgements: polled.records.slice(1).map((r: { leaseId: string }) => ({ leaseId: r.leaseId, type: "release" })) });
    await page.getByRole("button", { name: "Reset offsets" }).click();
    await expect.poll(() => page.locator("form[aria-label='Reset offsets'] .ok").textContent()).toContain("p0 → 0");
    await expect.poll(() => page.locator(`[data-share-partition="${t}:0"]`).getAttribute("data-lag"), { timeout: 10_000 }).toBe("5");
    // Delete, only once the name is typed.
    const del = page.getByRole("button", { name: "Delete share group" });
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel(`Type ${group} to confirm`, { exact: true }).fill(group.slice(1));
    expect(await del.isDisabled()).toBe(true);
    await page.getByLabel(`Type ${group} to confirm`, { exact: true }).fill(group);
    await del.click();
    await expect.poll(() => page.locator(".danger-zone .ok").textContent()).toContain(`Deleted ${group}`);
    expect((await api("GET", "/v1/share-groups")).shareGroups).not.toContain(group);
    shareGroup = uniqueName("idle-workers");
    await api("PUT", `/v1/share-groups/${shareGroup}`, {});
  });

  it("deletes a topic only after its name is typed", async () => {
    const victim = uniqueName("victim");
    await api("POST", "/v1/topics", { name: victim, partitions: 1 });
    await go(`#/topics/${victim}`);
    const button = page.getByRole("button", { name: "Delete topic" });
    await expect.poll(() => button.isDisabled()).toBe(true);
    await page.getByLabel(`Type ${victim} to confirm`, { exact: true }).fill(victim.slice(0, -1));
    expect(await button.isDisabled()).toBe(true);
    await page.getByLabel(`Type ${victim} to confirm`, { exact: true }).fill(victim);
    expect(await button.isDisabled()).toBe(false);
    await button.click();
    await expect.poll(() => page.locator(".ok").textContent()).toContain(`Deleted ${victim}`);
    const { topics } = await api("GET", "/v1/topics");
    expect(topics.map((t: { name: string }) => t.name)).not.toContain(victim);
  });

  it("topic detail marks which config values are defaults and which were set (describe's configDefaults)", async () => {
    const t = uniqueName("configured");
    await api("POST", "/v1/topics", { name: t, partitions: 1, config: { "retention.ms": 1000 } });
    const described = await api("GET", `/v1/topics/${t}`);
    expect(described.configDefaults["retention.ms"]).not.toBe("1000");
    expect(Object.keys(described.configDefaults).sort()).toEqual(Object.keys(described.config).sort());
    await go(`#/topics/${t}`);
    const row = (k: string) => page.locator(`tr[data-config="${k}"]`);
    await expect.poll(() => row("retention.ms").getAttribute("data-default")).toBe("false");
    expect(await row("retention.ms").textContent()).toContain(`set (default ${described.configDefaults["retention.ms"]})`);
    expect(await row("cleanup.policy").getAttribute("data-default")).toBe("true");
    expect(await page.locator('tr[data-config][data-default="false"]').count()).toBe(1);
  });

  it("creates a token (shown once) and revokes it", async () => {
    const name = uniqueName("ci-token");
    await go("#/tokens");
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByRole("button", { name: "Create token" }).click();
    const secret = await page.locator("[data-new-token]").textContent();
    expect(secret).toMatch(/^edl_/);
    expect((await fetch(`${server.base}/v1/topics`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    await expect.poll(() => page.locator(`tr[data-token="${name}"]`).count()).toBe(1);
    await shot("tokens", ["[data-new-token]"]);
    page.once("dialog", (dialog) => void dialog.accept());
    await page.getByRole("button", { name: `Revoke token ${name}` }).click();
    await expect.poll(() => page.locator(`tr[data-token="${name}"]`).count()).toBe(0);
    await waitFor(async () => (await fetch(`${server.base}/v1/topics`, { headers: { authorization: `Bearer ${secret}` } })).status === 401, "the revoked token refused");
  });

  it("a read-only token sees 403s with their codes, and the pages still work", async () => {
    await page.locator("#token-button").click();
    await page.getByLabel("Bearer token", { exact: true }).fill(READER);
    await page.getByRole("button", { name: "Use token" }).click();
    await go("#/tokens");
    await expect.poll(() => page.locator(".error").first().textContent()).toContain("CLUSTER_AUTHORIZATION_FAILED (code 31, HTTP 403)");
    await go(`#/topics/${topic}`);
    await page.getByLabel("Value", { exact: true }).fill("not allowed");
    await page.getByRole("button", { name: "Produce" }).click();
    await expect.poll(() => page.locator(".error").first().textContent()).toContain("TOPIC_AUTHORIZATION_FAILED (code 29, HTTP 403)");
    await page.getByLabel(`Type ${topic} to confirm`, { exact: true }).fill(topic);
    await page.getByRole("button", { name: "Delete topic" }).click();
    await expect.poll(() => page.locator(".danger-zone .error").textContent()).toContain("TOPIC_AUTHORIZATION_FAILED (code 29, HTTP 403)");
    expect((await api("GET", `/v1/topics/${topic}`)).name).toBe(topic);
    // Reading still works for it.
    await go("#/");
    await expect.poll(() => page.locator("[data-stat=topics]").count()).toBe(1);
    await go(`#/topics/${topic}/messages`);
    await page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => page.locator("tbody tr").count()).toBeGreaterThan(0);
  });

  it("fits a phone's width: no page scrolls sideways (wide tables scroll inside their own box)", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = () => page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    for (const hash of ["#/", "#/topics", `#/topics/${topic}`, `#/topics/${topic}/messages`, "#/groups", "#/share-groups", `#/share-groups/${shareGroup}`, "#/subscriptions", "#/transactions", "#/tail"]) {
      await go(hash);
      await expect.poll(() => page.getByText("Loading…").count()).toBe(0);
      expect(await overflow(), hash).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it("had no uncaught errors, CSP violations, unexpected console errors or failed requests", () => {
    expect(problems).toEqual([]);
  });
});
