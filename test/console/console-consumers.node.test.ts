// The console's pages for whatever consumes a topic, in a real browser (test/console/harness.node.ts): a consumer
// group's lag falling as the `edgelog` CLI consumes as that group and rising again after a reset from the page; a
// subscription's delivery status, pause, resume and delete; a transaction's state as it commits; a share group's
// leases, lag, reset (refused while records are leased) and delete.
import { describe, expect, it } from "vitest";
import { uniqueName } from "../client/server.node";
import { ADMIN, RUN_BROWSER_TESTS, api, edgelog, go, page, problems, setUpConsole, shot, signIn } from "./harness.node";

setUpConsole();

describe.skipIf(!RUN_BROWSER_TESTS)("the console's consumer pages in Chromium", () => {
  it("signs in with the admin token", async () => {
    await signIn(ADMIN);
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
  });

  it("had no uncaught errors, CSP violations, unexpected console errors or failed requests", () => {
    expect(problems).toEqual([]);
  });
});
