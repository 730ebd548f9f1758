// The `edgelog` command end to end: the real launcher (bin/edgelog.mjs) in a child process against a real local
// edgelog. 10,000 lines through produce and back in order through consume; groups describe shows the lag a user
// expects; topics and offsets; exit codes and messages when something is wrong.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Edgelog } from "../../src/client/edgelog";
import { startServer, uniqueName, waitFor, type TestServer } from "../client/server.node";

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

/**
 * Runs the CLI. With `timeoutMs`, a run still going after it is killed and the promise rejects naming the
 * command: a command that should end on its own fails the test with a message instead of hanging it.
 */
function edgelog(args: string[], options: { stdin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> & { child: ReturnType<typeof spawn> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, EDGELOG_URL: server.base, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdin.end(options.stdin ?? "");
  const done = new Promise<Run>((resolve, reject) => {
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`edgelog ${args.join(" ")} still running after ${options.timeoutMs} ms (stdout: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify(stderr)})`));
    }, options.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  }) as Promise<Run> & { child: typeof child };
  done.child = child;
  return done;
}

describe("produce and consume", () => {
  it("pipes 10,000 lines through produce and reads them back in order", async () => {
    const topic = uniqueName("lines");
    expect((await edgelog(["topics", "create", topic, "--partitions", "1"])).code).toBe(0);
    const lines = Array.from({ length: 10_000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}`);
    const produced = await edgelog(["produce", topic], { stdin: lines.join("\n") + "\n" });
    expect(produced).toMatchObject({ code: 0, stderr: "" });
    const consumed = await edgelog(["consume", topic, "--from-beginning"]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout).toBe(lines.join("\n") + "\n");
    expect((await edgelog(["consume", topic, "--from-beginning", "--max", "3"])).stdout).toBe(lines.slice(0, 3).join("\n") + "\n");
    // Without --from-beginning: only what comes next, so nothing when not following.
    expect((await edgelog(["consume", topic])).stdout).toBe("");
  });

  it("keys, headers and --format json: one object per line", async () => {
    const topic = uniqueName("json");
    await client.admin().createTopic({ name: topic, partitions: 3 });
    const run = await edgelog(["produce", topic, "--key-separator", ":", "--header", "source=cli", "--header", "v=2"], { stdin: "alice:hello\nbob:a:b\nalice:again\n" });
    expect(run.code).toBe(0);
    const out = await edgelog(["consume", topic, "--from-beginning", "--format", "json"]);
    const records = out.stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(records).toHaveLength(3);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(["topic", "partition", "offset", "timestamp", "key", "value", "headers"]);
      expect(r.headers).toEqual([{ key: "source", value: "cli" }, { key: "v", value: "2" }]);
    }
    const alice = records.filter((r) => r.key === "alice");
    expect(alice.map((r) => r.value)).toEqual(["hello", "again"]);
    expect(new Set(alice.map((r) => r.partition)).size).toBe(1);
    expect(records.find((r) => r.key === "bob").value).toBe("a:b");
  });

  it("--partition and --acks 0", async () => {
    const topic = uniqueName("part");
    await client.admin().createTopic({ name: topic, partitions: 4 });
    expect((await edgelog(["produce", topic, "--partition", "2", "--acks", "0"], { stdin: "a\nb\n" })).code).toBe(0);
    await waitFor(async () => (await client.admin().describeTopic(topic)).partitions[2]!.highWatermark === 2, "the acks=0 writes");
    expect((await edgelog(["consume", topic, "--from-beginning", "--partition", "2"])).stdout).toBe("a\nb\n");
  });

  it("refuses a line without the key separator, saying which", async () => {
    const topic = uniqueName("sep");
    await client.admin().createTopic({ name: topic });
    const run = await edgelog(["produce", topic, "--key-separator", "|"], { stdin: "k|v\nno separator here\n" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/line 2 has no key separator '\|'/);
  });
});

describe("groups", () => {
  it("describe shows the members, what each owns, and the lag a user expects", async () => {
    const topic = uniqueName("orders");
    const group = uniqueName("billing");
    await client.admin().createTopic({ name: topic, partitions: 2 });
    const producer = client.producer();
    await producer.send(topic, Array.from({ length: 100 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })));
    await producer.close();

    // Read 30 of the 100 as the group: it commits exactly what it printed.
    const first = await edgelog(["consume", topic, "--group", group, "--from-beginning", "--max", "30"]);
    expect(first.code).toBe(0);
    expect(first.stdout.trim().split("\n")).toHaveLength(30);

    const described = JSON.parse((await edgelog(["groups", "describe", group, "--json"])).stdout);
    expect(described.lag.totalLag).toBe(70);
    const table = (await edgelog(["groups", "describe", group])).stdout;
    expect(table).toMatch(/State: EMPTY/);
    expect(table).toMatch(/TOPIC\s+PARTITION\s+COMMITTED\s+HIGH-WATERMARK\s+LAG\s+STATUS\s+MEMBER/);
    expect(table).toMatch(/Total lag: 70/);
    expect(table).toMatch(/Lag status: OK/);
    const committed = described.lag.topics[0].partitions.map((p: { committedOffset: number; lag: number }) => [p.committedOffset, p.lag]);
    expect(committed.reduce((sum: number, [c]: number[]) => sum + c!, 0)).toBe(30);

    // A live member: describe lists it with its partitions; Ctrl-C stops it cleanly, committing what it printed.
    const follower = edgelog(["consume", topic, "--group", group, "--follow"]);
    await waitFor(async () => (await client.admin().describeGroup(group)).state === "STABLE" && (await client.admin().lag(group)).totalLag === 0, "the follower to catch up");
    const live = (await edgelog(["groups", "describe", group])).stdout;
    expect(live).toMatch(/Members: 1/);
    expect(live).toMatch(new RegExp(`${topic}:0,1`));
    expect(live).toMatch(/Total lag: 0/);
    follower.child.kill("SIGINT");
    const stopped = await follower;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout.trim().split("\n")).toHaveLength(70);
    expect((await edgelog(["groups", "list"])).stdout).toMatch(new RegExp(`${group}\\s+consumer\\s+EMPTY\\s+0`));

    // Replay: reset to earliest, then to an offset; the lag follows.
    expect((await edgelog(["groups", "reset-offsets", group, "--topic", topic, "--to", "earliest"])).code).toBe(0);
    expect((await client.admin().lag(group)).totalLag).toBe(100);
    const reset = await edgelog(["groups", "reset-offsets", group, "--topic", topic, "--to", "offset:45", "--partitions", "1"]);
    expect(reset.stdout).toMatch(new RegExp(`${group}\\s+${topic}\\s+1\\s+45`));
    expect((await client.admin().lag(group)).totalLag).toBe(55);
    expect((await edgelog(["groups", "delete", group])).stdout).toBe(`deleted group ${group}\n`);
    const gone = await edgelog(["groups", "describe", group]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/GROUP_ID_NOT_FOUND/);
  });
});

describe("topics and offsets", () => {
  it("list, describe, alter, add partitions, delete", async () => {
    const topic = uniqueName("admin");
    const created = await edgelog(["topics", "create", topic, "--partitions", "2", "--config", "retention.ms=3600000", "--json"]);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: topic, partitionCount: 2, config: { "retention.ms": "3600000" } });
    expect((await edgelog(["topics", "list"])).stdout).toMatch(new RegExp(`${topic}\\s+2\\s+1\\s+delete\\s+3600000`));
    const alter = await edgelog(["topics", "alter", topic, "--config", "max.message.bytes=1000", "--delete-config", "retention.ms", "--partitions", "3"]);
    expect(alter).toMatchObject({ code: 0 });
    expect(alter.stdout).toMatch(/max.message.bytes=1000/);
    const described = JSON.parse((await edgelog(["topics", "describe", topic, "--json"])).stdout);
    expect(described).toMatchObject({ partitionCount: 3, config: { "max.message.bytes": "1000", "retention.ms": "604800000" } });
    expect((await edgelog(["topics", "describe", topic])).stdout).toMatch(/PartitionCount: 3/);
    expect((await edgelog(["topics", "delete", topic])).stdout).toBe(`deleted topic ${topic}\n`);
  });

  it("offsets: earliest, latest and by time, for one partition or all", async () => {
    const topic = uniqueName("offsets");
    await client.admin().createTopic({ name: topic, partitions: 2 });
    const producer = client.producer();
    await producer.send(topic, [
      { value: "old", partition: 1, timestamp: 1_000 },
      { value: "new", partition: 1, timestamp: 2_000 },
    ]);
    await producer.close();
    expect(JSON.parse((await edgelog(["offsets", topic, "1", "--at", "latest", "--json"])).stdout)).toEqual({ topic, partition: 1, offset: 2, timestamp: -1 });
    expect(JSON.parse((await edgelog(["offsets", topic, "1", "--at", "1500", "--json"])).stdout)).toEqual({ topic, partition: 1, offset: 1, timestamp: 2_000 });
    expect((await edgelog(["offsets", topic, "--at", "earliest"])).stdout).toMatch(new RegExp(`${topic}\\s+0\\s+0\\s+-\\n${topic}\\s+1\\s+0\\s+-`));
  });
});

describe("exit codes and messages", () => {
  it("1 when edgelog refuses, with its error and a hint", async () => {
    const run = await edgelog(["topics", "describe", "no-such-topic"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/UNKNOWN_TOPIC_OR_PARTITION \(3\): topic 'no-such-topic' does not exist/);
    expect(run.stderr).toMatch(/edgelog topics list/);
  });

  it("2 for a usage error, naming the option", async () => {
    const run = await edgelog(["topics", "create", "x", "--partitions", "many"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--partitions <n>' argument 'many' is invalid/);
    const format = await edgelog(["consume", "x", "--format", "xml"]);
    expect(format.code).toBe(2);
    expect(format.stderr).toMatch(/'--format <format>' argument 'xml' is invalid. Allowed choices are value, json/);
    expect((await edgelog(["groups", "reset-offsets", "g", "--topic", "t", "--to", "yesterday"])).code).toBe(2);
    expect((await edgelog(["nonsense"])).code).toBe(2);
  });

  it("2 for a URL without http:// or https://, from --url or EDGELOG_URL, before anything is sent", async () => {
    const flag = await edgelog(["topics", "list", "--url", "127.0.0.1:8787"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/option '--url <url>' argument '127\.0\.0\.1:8787' is invalid\. It needs http:\/\/ or https:\/\/ in front \(e\.g\. http:\/\/127\.0\.0\.1:8787\)/);
    expect(flag.stderr).not.toMatch(/cannot reach/);
    const env = await edgelog(["consume", "orders", "--group", "g"], { env: { EDGELOG_URL: "localhost:8787" } });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/value 'localhost:8787' from env 'EDGELOG_URL' is invalid\. It needs http:\/\/ or https:\/\/ in front \(e\.g\. http:\/\/localhost:8787\)/);
    expect((await edgelog(["topics", "list", "--url", "ftp://127.0.0.1:8787"])).code).toBe(2);
  });

  it("3 when edgelog cannot be reached, saying where it looked", async () => {
    const run = await edgelog(["topics", "list", "--url", "http://127.0.0.1:9"]);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/cannot reach edgelog: .*http:\/\/127\.0\.0\.1:9/);
  });

  it("consume, with or without --group, ends as fast as the others when edgelog cannot be reached: 3", async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    for (const args of [["consume", "orders", "--group", "billing"], ["consume", "orders", "--group", "billing", "--follow"], ["consume", "orders"]]) {
      const run = await edgelog([...args, "--url", url], { timeoutMs: 15_000 });
      expect(run, args.join(" ")).toMatchObject({ code: 3, stdout: "" });
      expect(run.stderr).toMatch(new RegExp(`^edgelog: cannot reach edgelog: .*cannot reach ${url.replace(/\./g, "\\.")}: .*ECONNREFUSED.*\n  Is it running\?`));
    }
  });

  it("consume --group of a topic that does not exist: 1 at once, naming it, and no group is made", async () => {
    const topic = uniqueName("nosuchtopic");
    const group = uniqueName("gx");
    for (const args of [["consume", topic, "--group", group], ["consume", topic, "--group", group, "--follow"], ["consume", topic]]) {
      const run = await edgelog(args, { timeoutMs: 15_000 });
      expect(run, args.join(" ")).toMatchObject({ code: 1, stdout: "" });
      expect(run.stderr).toBe(
        `edgelog: UNKNOWN_TOPIC_OR_PARTITION (3): topic '${topic}' does not exist\n` +
          "  List topics with `edgelog topics list`; create one with `edgelog topics create NAME --partitions N`.\n",
      );
    }
    await expect(client.admin().describeGroup(group)).rejects.toMatchObject({ type: "GROUP_ID_NOT_FOUND" });
  });

  it("--help and --version exit 0", async () => {
    const help = await edgelog(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--url <url>.*EDGELOG_URL/s);
    expect((await edgelog(["--version"])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

/** A local port nothing listens on (it was free a moment ago): connecting to it is refused at once. */
async function closedPort(): Promise<number> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as { port: number };
  await new Promise((resolve) => listener.close(resolve));
  return port;
}
