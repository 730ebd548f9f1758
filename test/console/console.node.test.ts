// The web console in a real browser (test/console/harness.node.ts: Chromium against edgelog with auth on), the flows a
// person goes through: the token prompt (a bad token's error shown with its code), the overview's numbers against the
// API, create a topic, sort the list, add partitions and alter a config, produce from the form and find the record by
// offset and by time, the live tail, delete behind a typed confirmation, tokens, a read-only token's 403s, and every
// page at a phone's width. Groups, share groups, subscriptions and transactions: console-consumers.node.test.ts.
import { describe, expect, it } from "vitest";
import { uniqueName, waitFor } from "../client/server.node";
import { ADMIN, READER, RUN_BROWSER_TESTS, VERSION, api, go, page, problems, server, setUpConsole, shot } from "./harness.node";

setUpConsole();

describe.skipIf(!RUN_BROWSER_TESTS)("the console in Chromium", () => {
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
    // A WebSocket tail from the browser: its token went as a subprotocol (auth is on here), and Chromium accepted the
    // handshake only because the 101 selected edgelog.tail.
    expect(await page.locator("[role=status]").first().textContent()).toContain("over WebSocket");
    await page.getByRole("button", { name: "Pause" }).click();
    await api("POST", `/v1/topics/${topic}/partitions/1/records`, { records: [{ key: "while-paused", value: "kept" }] });
    await page.getByRole("button", { name: "Resume" }).click();
    await expect.poll(() => page.locator("tbody tr td.value").first().textContent(), { timeout: 15_000 }).toBe("kept");
    await shot("tail");
    await page.getByRole("button", { name: "Stop" }).click();
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
    const shareGroup = uniqueName("idle-workers");
    await api("PUT", `/v1/share-groups/${shareGroup}`, {});
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
