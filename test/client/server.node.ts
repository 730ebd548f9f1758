// Node-side test helpers: a real edgelog per test file (workerd through Miniflare, scripts/bench/edgelog-server.mjs)
// with fast group heartbeats, unique names, and bounded waits for a condition or a promise.
import { startEdgelog, type EdgelogServer } from "../../scripts/bench/edgelog-server.mjs";
import type { Transport } from "../../src/client/transport";
import type { FetchedRecord } from "../../src/client/wire";

/** Heartbeats every 200 ms and fresh topic metadata on each heartbeat, so rebalances finish in well under a second. */
export const TEST_BINDINGS = { EDGELOG_ENV: "test", GROUP_METADATA_REFRESH_MS: "0", GROUP_HEARTBEAT_INTERVAL_MS: "200", EDGELOG_AUTH: "off" };

export interface TestServer extends EdgelogServer {
  /** Base URL without a trailing slash. */
  base: string;
}

/** `onLog` receives each line the Worker logs (workerd's console), for tests of what the server logs. */
export async function startServer(bindings: Record<string, string> = {}, onLog?: (log: { level: string; message: string }) => void): Promise<TestServer> {
  const server = await startEdgelog({ bindings: { ...TEST_BINDINGS, ...bindings }, ...(onLog ? { onLog } : {}) });
  return Object.assign(server, { base: server.url.origin });
}

let counter = 0;
export function uniqueName(prefix = "t"): string {
  counter++;
  return `${prefix}-${counter}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Settles as `promise` does, or rejects naming `what` once `timeoutMs` passed first: a hang becomes a message. */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Every record of a partition, read straight from the log (no group involved). */
export async function readPartition(transport: Transport, topic: string, partition: number, encoding: "text" | "base64" = "text"): Promise<FetchedRecord[]> {
  const out: FetchedRecord[] = [];
  let offset = 0;
  for (;;) {
    const page = await transport.fetchRecords(topic, partition, { offset, maxRecords: 10_000, maxBytes: 8 * 1024 * 1024, encoding });
    out.push(...page.records);
    if (page.nextOffset >= page.highWatermark) return out;
    offset = page.nextOffset;
  }
}
