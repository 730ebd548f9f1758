// Starts the peers of `npm run bench:compare` as child processes: a Redis 7 server (AOF on, fsync every second) and
// a NATS server with JetStream on file storage, each on a free 127.0.0.1 port with its own temporary data directory.
// `stop()` kills the process it started (by its pid) and removes the directory; an exit hook does both if the bench
// dies first. A missing binary is not an error: start*() returns { missing: "how to install it" }.

import { spawn, spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Where a binary is, or null. */
export function which(binary) {
  const r = spawnSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Redis with appendonly yes / appendfsync everysec and no RDB snapshots. */
export async function startRedis() {
  const binary = which("redis-server");
  if (!binary) return { missing: "redis-server is not installed (Debian: sudo apt-get install -y redis-server)" };
  const port = await freePort();
  return startProcess("redis", binary, (dir) => [
    "--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "everysec",
    "--save", "", "--daemonize", "no", "--protected-mode", "no", "--loglevel", "warning",
  ], port, versionOf(binary, ["--version"], /v=([\d.]+)/));
}

/** nats-server with JetStream, file storage in its own directory. */
export async function startNats() {
  const binary = which("nats-server");
  if (!binary) return { missing: "nats-server is not installed (Debian: sudo apt-get install -y nats-server)" };
  const port = await freePort();
  return startProcess("nats", binary, (dir) => ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir], port, versionOf(binary, ["--version"], /v([\d.]+)/));
}

function versionOf(binary, args, pattern) {
  const out = spawnSync(binary, args, { encoding: "utf8" });
  return pattern.exec(`${out.stdout}${out.stderr}`)?.[1] ?? null;
}

async function startProcess(name, binary, argsFor, port, version) {
  const dir = await mkdtemp(join(tmpdir(), `edgelog-compare-${name}-`));
  const child = spawn(binary, argsFor(dir), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk).slice(-4000)));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const onExit = () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", onExit);
  let stopped;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      process.off("exit", onExit);
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    await waitForPort(port, () => child.exitCode !== null, 10_000);
  } catch (err) {
    await stop();
    throw new Error(`${name} did not start: ${err.message}\n${stderr}`);
  }
  return { name, url: `127.0.0.1:${port}`, host: "127.0.0.1", port, dir, pid: child.pid, version, stop };
}

async function waitForPort(port, died, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (died()) throw new Error("the process exited");
    const ok = await new Promise((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), resolve(true)));
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not open after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
