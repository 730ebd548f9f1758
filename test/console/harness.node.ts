// What the console's browser tests share: a real edgelog in workerd with auth on (an admin and a read-only token),
// headless Chromium (Debian's `chromium`, driven by playwright-core) with every page watched for uncaught errors, CSP
// violations, console errors other than the API's expected 4xx answers, failed requests and 5xx answers, and helpers:
// the API under a token, the `edgelog` CLI, navigation and screenshots. Without Chromium the tests fail in CI and are
// skipped with a warning elsewhere: they never pass without having run.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import { startServer, type TestServer } from "../client/server.node";

export const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
const CLI = fileURLToPath(new URL("../../bin/edgelog.mjs", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** EDGELOG_CONSOLE_SCREENSHOTS=1 saves each main page to docs/console/ (for the README). */
const SCREENSHOTS = process.env.EDGELOG_CONSOLE_SCREENSHOTS === "1" ? fileURLToPath(new URL("../../docs/console/", import.meta.url)) : undefined;

export const ADMIN = `edl_console_admin_${crypto.randomUUID()}`;
export const READER = `edl_console_reader_${crypto.randomUUID()}`;
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

export let server: TestServer;
let browser: Browser;
export let page: Page;
/** What went wrong in the browser, beyond the API's expected error answers. */
export const problems: string[] = [];

export async function api(method: string, path: string, body?: unknown, token = ADMIN): Promise<any> {
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
export function edgelog(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
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

export async function go(hash: string): Promise<void> {
  // Runs in the page (a browser global the Node-side types do not declare).
  await page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), hash);
}

/** `mask` covers what must not be published (a token's secret, even a throwaway test server's). */
export async function shot(name: string, mask: string[] = []): Promise<void> {
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
/** Whether the files run their browser tests (describe.skipIf(!RUN_BROWSER_TESTS)). */
export const RUN_BROWSER_TESTS = HAVE_BROWSER || process.env.CI === "true";
if (!RUN_BROWSER_TESTS) console.warn(`SKIPPED: ${MISSING_BROWSER} Without it the web console is untested here (CI runs it).`);

/** Starts edgelog (auth on, the two tokens above) and Chromium for the calling test file, and stops them after it. */
export function setUpConsole(): void {
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
      // The API's error answers (401 before the token, 403 for the reader, 409 and 416 asked for on purpose) are
      // logged by Chromium as failed loads; the tests check each one is shown on the page.
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
}

/** Opens the console and signs in with `token` through its token panel (the first API call answers 401). */
export async function signIn(token: string): Promise<void> {
  await page.goto(`${server.base}/console`);
  await expect.poll(() => page.locator("#token-panel").isVisible()).toBe(true);
  await page.getByLabel("Bearer token", { exact: true }).fill(token);
  await page.getByRole("button", { name: "Use token" }).click();
  await expect.poll(() => page.locator("[data-stat=topics]").count()).toBe(1);
}
