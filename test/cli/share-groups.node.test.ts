// `edgelog share-groups …` and `edgelog consume --share-group` end to end: the real launcher (bin/edgelog.mjs) in a
// child process against a real local edgelog. create, describe (the table a user reads), alter, list, consume with
// each printed record accepted (or rejected into the dead-letter topic), --max leasing no more than it prints,
// reset-offsets for a replay, delete; usage errors and edgelog's errors with the share-group hints.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
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

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function edgelog(args: string[], timeoutMs = 30_000): Promise<Run> {
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

async function topicWith(values: string[], partitions = 1): Promise<string> {
  const topic = uniqueName("jobs");
  await client.admin().createTopic({ name: topic, partitions });
  await client.producer().send(topic, values.map((value, i) => ({ value, partition: i % partitions })));
  return topic;
}

describe("edgelog share-groups", () => {
  it("creates, alters, lists, describes, consumes (each record accepted once), resets for a replay and deletes", async () => {
    const topic = await topicWith(["a", "b", "c", "d", "e"]);
    const group = uniqueName("workers");
    const created = await edgelog(["share-groups", "create", group, "--auto-offset-reset", "earliest", "--lock-duration-ms", "60000"]);
    expect(created).toMatchObject({ code: 0, stderr: "" });
    expect(created.stdout).toBe(`created share group ${group}: lock 60000 ms, delivery limit 5, 2000 record locks, auto offset reset earliest, read_uncommitted, dead letters -\n`);
    const altered = await edgelog(["share-groups", "alter", group, "--delivery-count-limit", "3"]);
    expect(altered.stdout).toContain("delivery limit 3");
    expect((await edgelog(["share-groups", "list"])).stdout).toContain(group);
    expect((await edgelog(["share-groups", "describe", group])).stdout).toContain("no share-partitions yet");

    // --max 2 leases two records only; the rest are there for the next consumer.
    expect(await edgelog(["consume", topic, "--share-group", group, "--max", "2"])).toMatchObject({ code: 0, stdout: "a\nb\n" });
    const rest = await edgelog(["consume", topic, "--share-group", group, "--format", "json"]);
    expect(rest.code).toBe(0);
    const lines = rest.stdout.trim().split("\n").map((l) => JSON.parse(l) as { offset: number; value: string });
    expect(lines.map((l) => [l.offset, l.value])).toEqual([
      [2, "c"],
      [3, "d"],
      [4, "e"],
    ]);
    expect((await edgelog(["consume", topic, "--share-group", group])).stdout).toBe("");

    const described = await edgelog(["share-groups", "describe", group]);
    expect(described.code).toBe(0);
    const table = described.stdout.split("\n");
    expect(table[0]).toBe(`Share group: ${group}  Created: ${table[0]!.split("Created: ")[1]}`);
    expect(table[1]).toContain("lock 60000 ms, delivery limit 3");
    expect(table[3]!.split(/\s+/)).toEqual(["TOPIC", "PARTITION", "START-OFFSET", "END-OFFSET", "HIGH-WATERMARK", "LAG", "AVAILABLE", "ACQUIRED", "ARCHIVING", "ACKNOWLEDGED", "ARCHIVED", "DEAD-LETTERED"]);
    expect(table[4]!.split(/\s+/)).toEqual([topic, "0", "5", "5", "5", "0", "0", "0", "0", "5", "0", "0"]);
    expect(table.at(-2)).toBe("Total lag: 0");
    const json = JSON.parse((await edgelog(["--json", "share-groups", "describe", group])).stdout) as { partitions: { acknowledged: number }[] };
    expect(json.partitions[0]!.acknowledged).toBe(5);

    const reset = await edgelog(["share-groups", "reset-offsets", group, "--topic", topic, "--to", "offset:3"]);
    expect(reset.stdout.split("\n")[1]!.split(/\s+/)).toEqual([group, topic, "0", "3"]);
    expect((await edgelog(["consume", topic, "--share-group", group])).stdout).toBe("d\ne\n");

    expect((await edgelog(["share-groups", "delete", group])).stdout).toBe(`deleted share group ${group}\n`);
    const gone = await edgelog(["share-groups", "describe", group]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("GROUP_ID_NOT_FOUND");
    expect(gone.stderr).toContain("edgelog share-groups list");
  });

  it("--ack reject sends what it prints to the dead-letter topic; --ack release puts it back with one more delivery", async () => {
    const topic = await topicWith(["x", "y"]);
    const dlq = uniqueName("dlq");
    await client.admin().createTopic({ name: dlq, config: { "errors.deadletterqueue.group.enable": true } });
    const group = uniqueName("rejecters");
    expect((await edgelog(["share-groups", "create", group, "--auto-offset-reset", "earliest", "--dead-letter-topic", dlq])).code).toBe(0);
    expect((await edgelog(["consume", topic, "--share-group", group, "--max", "1", "--ack", "release"])).stdout).toBe("x\n");
    expect((await edgelog(["consume", topic, "--share-group", group, "--ack", "reject"])).stdout).toBe("x\ny\n");
    const deadline = Date.now() + 10_000;
    let letters: string[] = [];
    while (letters.length < 2 && Date.now() < deadline) {
      letters = (await client.transport.fetchRecords(dlq, 0, { offset: 0 })).records.map((r) => `${r.headers.find((h) => h.key === "__dlq.errors.offset")?.value}:${r.headers.find((h) => h.key === "__dlq.errors.delivery.count")?.value}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(letters.sort()).toEqual(["0:2", "1:1"]);
  });

  it("usage errors exit 2; a reset while records are leased is refused with the share-group hint", async () => {
    const topic = await topicWith(["p"]);
    const group = uniqueName("busy");
    expect((await edgelog(["consume", topic, "--share-group", group, "--from-beginning"])).code).toBe(2);
    expect((await edgelog(["consume", topic, "--ack", "reject"])).stderr).toContain("--ack goes with --share-group only");
    expect((await edgelog(["share-groups", "alter", group])).code).toBe(2);
    expect((await edgelog(["share-groups", "create", group, "--auto-offset-reset", "soon"])).code).toBe(2);
    expect((await edgelog(["share-groups", "create", group, "--auto-offset-reset", "earliest", "--delivery-count-limit", "11"])).stderr).toContain("deliveryCountLimit");
    expect((await edgelog(["share-groups", "create", group, "--auto-offset-reset", "earliest"])).code).toBe(0);
    await client.transport.pollShareGroup(group, { topics: [topic] });
    const refused = await edgelog(["share-groups", "reset-offsets", group, "--topic", topic, "--to", "earliest"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("NON_EMPTY_GROUP");
    expect(refused.stderr).toContain("edgelog share-groups describe GROUP");
  });
});
