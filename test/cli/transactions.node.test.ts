// The CLI and transactions, end to end (bin/edgelog.mjs against a real local edgelog): consume --isolation, with and
// without --group, ends at the last stable offset and hides an open transaction; transactions list and describe.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Edgelog, type Transaction } from "../../src/client/edgelog";
import { startServer, uniqueName, type TestServer } from "../client/server.node";

const BIN = fileURLToPath(new URL("../../bin/edgelog.mjs", import.meta.url));

let server: TestServer;
let client: Edgelog;
beforeAll(async () => {
  server = await startServer();
  client = new Edgelog({ url: server.base });
});
afterAll(async () => {
  await server?.stop();
});

/** Runs the CLI; a run still going after `timeoutMs` is killed and fails the test naming the command. */
function edgelog(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, EDGELOG_URL: server.base }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`edgelog ${args.join(" ")} still running after ${timeoutMs} ms (stdout: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify(stderr)})`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("consume --isolation and transactions list | describe", () => {
  let topic: string;
  let transactionalId: string;
  let open: Transaction;
  beforeAll(async () => {
    topic = uniqueName("cli-txn");
    transactionalId = uniqueName("cli-txn-id");
    await client.admin().createTopic({ name: topic, partitions: 1 });
    const plain = client.producer({ lingerMs: 0 });
    await plain.send(topic, { value: "plain" });
    await plain.close();
    const producer = client.producer({ transactionalId });
    const aborted = await producer.transaction();
    await aborted.send({ topic, messages: [{ value: "aborted" }] });
    await aborted.abort();
    const committed = await producer.transaction();
    await committed.send({ topic, messages: [{ value: "committed" }] });
    await committed.commit();
    open = await producer.transaction();
    await open.send({ topic, messages: [{ value: "open" }] });
  });
  afterAll(async () => {
    await open?.abort();
  });

  it("read_committed prints committed records only and ends at the last stable offset; read_uncommitted prints all", async () => {
    expect((await edgelog(["consume", topic, "--from-beginning", "--isolation", "read_committed"])).stdout).toBe("plain\ncommitted\n");
    expect((await edgelog(["consume", topic, "--from-beginning"])).stdout).toBe("plain\naborted\ncommitted\nopen\n");
    const group = uniqueName("cli-txn-group");
    const inGroup = await edgelog(["consume", topic, "--group", group, "--from-beginning", "--isolation", "read_committed"]);
    expect(inGroup.stdout).toBe("plain\ncommitted\n");
    expect(inGroup.code).toBe(0);
    const bad = await edgelog(["consume", topic, "--isolation", "serializable"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/read_committed/);
  });

  it("transactions list and describe show the open transaction; an unknown id is TRANSACTIONAL_ID_NOT_FOUND", async () => {
    const list = await edgelog(["transactions", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${transactionalId}\\s+\\d+\\s+\\d+\\s+Ongoing\\s+1`));
    const described = await edgelog(["transactions", "describe", transactionalId]);
    expect(described.stdout).toMatch(/State: Ongoing/);
    expect(described.stdout).toContain(`Partitions: ${topic}:0`);
    const json = JSON.parse((await edgelog(["--json", "transactions", "describe", transactionalId])).stdout) as { state: string };
    expect(json.state).toBe("Ongoing");
    const unknown = await edgelog(["transactions", "describe", uniqueName("nobody")]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/TRANSACTIONAL_ID_NOT_FOUND/);
  });
});
