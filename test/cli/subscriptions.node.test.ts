// `edgelog subscriptions …`: the real launcher (bin/edgelog.mjs) in a child process. What it sends (method, path,
// body: the HTTP contract of the subscription routes), what it prints (tables, --json, the webhook secret once),
// its usage errors and their exit codes, and edgelog's errors with the subscription hints. edgelog here is a
// stand-in HTTP server answering the subscription routes with descriptions the test chooses (the states a real run
// reaches only after failures: retrying, stopped); the end-to-end run against a real edgelog is in cli.node.test.ts.
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SubscriptionDescription, SubscriptionPartitionStatus } from "../../src/client/subscription-wire";

const BIN = fileURLToPath(new URL("../../bin/edgelog.mjs", import.meta.url));

interface Seen {
  method: string;
  path: string;
  body: unknown;
}

/** The answer for a request: [status, body]. */
type Answer = (request: Seen) => [number, unknown];

let server: Server;
let base: string;
let seen: Seen[] = [];
let answer: Answer;

beforeAll(async () => {
  server = createServer(async (request: IncomingMessage, response) => {
    let text = "";
    for await (const chunk of request) text += chunk;
    const entry = { method: request.method!, path: request.url!, body: text === "" ? undefined : JSON.parse(text) };
    seen.push(entry);
    const [status, body] = answer(entry);
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
});
beforeEach(() => {
  seen = [];
  answer = () => [500, { error: { type: "UNKNOWN_SERVER_ERROR", code: -1, message: "no answer set", retriable: false } }];
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function edgelog(args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, EDGELOG_URL: base }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

function partition(overrides: Partial<SubscriptionPartitionStatus>): SubscriptionPartitionStatus {
  return {
    topic: "orders",
    partition: 0,
    committedOffset: 40,
    highWatermark: 40,
    lag: 0,
    status: "waiting",
    inFlight: null,
    nextAttemptMs: null,
    lastError: null,
    deliveredRecords: 40,
    lastDeliveryMs: null,
    deadLetteredRecords: 0,
    ...overrides,
  };
}

function description(overrides: Partial<SubscriptionDescription> = {}): SubscriptionDescription {
  return {
    name: "audit",
    state: "running",
    mode: "ordered",
    config: {
      name: "audit",
      topics: ["orders"],
      target: { type: "service", binding: "EXAMPLE_CONSUMER", method: "deliver", timeoutMs: 30_000 },
      startAt: "latest",
      maxBatchSize: 100,
      maxBatchBytes: 1_048_576,
      maxBatchWaitMs: 1_000,
      maxRetries: 3,
      retryDelayMs: 1_000,
      deadLetterTopic: null,
      maxInFlightPerPartition: 1,
      encoding: "text",
    },
    createdMs: 1_796_456_000_000,
    partitions: [partition({})],
    totalLag: 0,
    ...overrides,
  };
}

const notFound = (name: string): [number, unknown] => [404, { error: { type: "GROUP_ID_NOT_FOUND", code: 69, message: `subscription '${name}' does not exist`, retriable: false } }];

describe("subscriptions create", () => {
  it("sends the target and only the settings given, and prints what was created", async () => {
    const created = description({ name: "audit", config: { ...description().config, topics: ["orders", "clicks"], startAt: "earliest" } });
    answer = () => [201, { subscription: created }];
    const args = ["subscriptions", "create", "audit", "--topic", "orders", "--topic", "clicks", "--service", "EXAMPLE_CONSUMER", "--method", "handle"];
    const run = await edgelog([...args, "--start-at", "earliest", "--max-batch-size", "500", "--max-batch-wait-ms", "0", "--max-retries", "5", "--retry-delay-ms", "250", "--dead-letter-topic", "orders-dlq", "--max-in-flight", "2", "--max-batch-bytes", "65536", "--encoding", "base64"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(seen).toEqual([
      {
        method: "POST",
        path: "/v1/subscriptions",
        body: {
          name: "audit",
          topics: ["orders", "clicks"],
          target: { type: "service", binding: "EXAMPLE_CONSUMER", method: "handle" },
          startAt: "earliest",
          maxBatchSize: 500,
          maxBatchBytes: 65_536,
          maxBatchWaitMs: 0,
          maxRetries: 5,
          retryDelayMs: 250,
          deadLetterTopic: "orders-dlq",
          maxInFlightPerPartition: 2,
          encoding: "base64",
        },
      },
    ]);
    expect(run.stdout).toBe("created subscription audit: orders, clicks → service EXAMPLE_CONSUMER.deliver, starting at earliest\n");

    seen = [];
    expect((await edgelog(["subscriptions", "create", "s2", "-t", "orders", "--r2-prefix", "archive/", "--r2-binding", "COLD", "--start-at", "1796456000000"])).code).toBe(0);
    expect(seen[0]!.body).toEqual({ name: "s2", topics: ["orders"], target: { type: "r2", prefix: "archive/", binding: "COLD" }, startAt: { timestamp: 1_796_456_000_000 } });
  });

  it("shared mode: --share-group sends mode shared with the share group, --max-concurrency beside it", async () => {
    answer = () => [201, { subscription: description({ name: "thumbs" }) }];
    const run = await edgelog(["subscriptions", "create", "thumbs", "-t", "uploads", "--service", "THUMBNAILER", "--share-group", "thumbnailers", "--max-concurrency", "20", "--max-batch-size", "10"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(seen[0]!.body).toEqual({
      name: "thumbs",
      topics: ["uploads"],
      target: { type: "service", binding: "THUMBNAILER" },
      maxBatchSize: 10,
      mode: "shared",
      shareGroup: "thumbnailers",
      maxConcurrency: 20,
    });
  });

  it("a webhook's secret: printed once, with the note that it is not shown again; --json carries it", async () => {
    const target = { type: "webhook" as const, url: "https://hooks.example.com/edgelog", timeoutMs: 10_000 };
    answer = () => [201, { subscription: description({ name: "hook", config: { ...description().config, name: "hook", target } }), secret: "whsec_c2VjcmV0" }];
    const run = await edgelog(["subscriptions", "create", "hook", "--topic", "orders", "--webhook", target.url]);
    expect(seen[0]!.body).toEqual({ name: "hook", topics: ["orders"], target: { type: "webhook", url: target.url } });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("created subscription hook: orders → webhook https://hooks.example.com/edgelog, starting at latest\nwebhook secret: whsec_c2VjcmV0\n");
    expect(run.stderr).toMatch(/shown only now.*not shown again/);
    const json = await edgelog(["subscriptions", "create", "hook", "--topic", "orders", "--webhook", target.url, "--secret", "whsec_bXlvd24=", "--json"]);
    expect(seen[1]!.body).toMatchObject({ target: { type: "webhook", url: target.url, secret: "whsec_bXlvd24=" } });
    expect(JSON.parse(json.stdout)).toMatchObject({ subscription: { name: "hook" }, secret: "whsec_c2VjcmV0" });
  });

  it("a name taken: exit 1, edgelog's error and what to do", async () => {
    answer = () => [409, { error: { type: "SUBSCRIPTION_ALREADY_EXISTS", code: 10_007, message: "subscription 'audit' already exists", retriable: false } }];
    const run = await edgelog(["subscriptions", "create", "audit", "--topic", "orders", "--service", "A"]);
    expect(run).toMatchObject({ code: 1, stdout: "" });
    expect(run.stderr).toBe("edgelog: SUBSCRIPTION_ALREADY_EXISTS (10007): subscription 'audit' already exists\n  `edgelog subscriptions describe NAME` shows it; pick another name, or delete it first.\n");
  });

  it.each<[string, string[], RegExp]>([
    ["no target", ["--topic", "orders"], /say where to deliver: --service BINDING, --webhook URL or --r2-prefix PREFIX/],
    ["two targets", ["--topic", "orders", "--service", "A", "--webhook", "https://x.test/"], /option '--service <binding>' cannot be used with option '--webhook <url>'/],
    ["webhook and r2", ["--topic", "orders", "--webhook", "https://x.test/", "--r2-prefix", "p/"], /option '--webhook <url>' cannot be used with option '--r2-prefix <prefix>'/],
    ["--method without --service", ["--topic", "orders", "--webhook", "https://x.test/", "--method", "m"], /--method goes with --service only/],
    ["--secret without --webhook", ["--topic", "orders", "--service", "A", "--secret", "s"], /--secret goes with --webhook only/],
    ["--r2-binding without --r2-prefix", ["--topic", "orders", "--service", "A", "--r2-binding", "B"], /--r2-binding goes with --r2-prefix only/],
    ["no topic", ["--service", "A"], /required option '-t, --topic <topic>' not specified/],
    ["a bad start", ["--topic", "orders", "--service", "A", "--start-at", "yesterday"], /'--start-at <where>' argument 'yesterday' is invalid. expected earliest, latest or a timestamp in ms/],
    ["a batch of 0", ["--topic", "orders", "--service", "A", "--max-batch-size", "0"], /'--max-batch-size <n>' argument '0' is invalid/],
    ["a negative wait", ["--topic", "orders", "--service", "A", "--max-batch-wait-ms", "-1"], /'--max-batch-wait-ms <ms>' argument '-1' is invalid/],
    ["an unknown encoding", ["--topic", "orders", "--service", "A", "--encoding", "utf16"], /Allowed choices are text, base64/],
    ["--max-concurrency without --share-group", ["--topic", "orders", "--service", "A", "--max-concurrency", "5"], /--max-concurrency goes with --share-group only/],
    ["a concurrency of 0", ["--topic", "orders", "--service", "A", "--share-group", "g", "--max-concurrency", "0"], /'--max-concurrency <n>' argument '0' is invalid/],
    ["--start-at with --share-group", ["--topic", "orders", "--service", "A", "--share-group", "g", "--start-at", "earliest"], /--start-at does not go with --share-group: the share group's config decides it/],
    ["--max-in-flight with --share-group", ["--topic", "orders", "--service", "A", "--share-group", "g", "--max-in-flight", "2"], /--max-in-flight does not go with --share-group/],
    ["an R2 target with --share-group", ["--topic", "orders", "--r2-prefix", "p/", "--share-group", "g"], /--r2-prefix does not go with --share-group/],
  ])("usage error, exit 2, nothing sent: %s", async (_name, args, message) => {
    const run = await edgelog(["subscriptions", "create", "audit", ...args]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(seen).toEqual([]);
  });
});

describe("subscriptions list and describe", () => {
  it("list: a table of name, state, topics, target type and lag; --json the list", async () => {
    const subscriptions = [
      { name: "audit", state: "running", topics: ["orders", "clicks"], target: { type: "service" }, totalLag: 0 },
      { name: "archive", state: "paused", topics: ["orders"], target: { type: "r2" }, totalLag: 12_345 },
    ];
    answer = () => [200, { subscriptions }];
    const run = await edgelog(["subscriptions", "list"]);
    expect(seen).toEqual([{ method: "GET", path: "/v1/subscriptions", body: undefined }]);
    expect(run.stdout).toBe(["NAME     STATE    TOPICS         TARGET     LAG", "audit    running  orders,clicks  service      0", "archive  paused   orders         r2       12345", ""].join("\n"));
    expect(JSON.parse((await edgelog(["subscriptions", "list", "--json"])).stdout)).toEqual(subscriptions);
  });

  it("describe: a header, then one row per partition with its status, attempt, next attempt and last error", async () => {
    const longError = `service binding EXAMPLE_CONSUMER threw: Error: database unavailable\n    at handle (index.ts:12) ${"x".repeat(80)}`;
    const described = description({
      config: { ...description().config, topics: ["orders"], deadLetterTopic: "orders-dlq" },
      partitions: [
        partition({ partition: 0, committedOffset: 1_200, highWatermark: 1_300, lag: 100, status: "delivering", inFlight: { fromOffset: 1_200, toOffset: 1_299, attempt: 1 } }),
        partition({ partition: 1, committedOffset: 17, highWatermark: 90, lag: 73, status: "retrying", inFlight: { fromOffset: 17, toOffset: 40, attempt: 3 }, nextAttemptMs: Date.UTC(2026, 11, 5, 9, 30, 15, 250), lastError: longError }),
        partition({ partition: 2, committedOffset: null, highWatermark: 0, lag: null, status: "waiting" }),
      ],
      totalLag: 173,
    });
    answer = (request) => (request.path === "/v1/subscriptions/audit" ? [200, described] : notFound("?"));
    const run = await edgelog(["subscriptions", "describe", "audit"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("Subscription: audit  State: running  Topics: orders  Target: service EXAMPLE_CONSUMER.deliver  Dead letters: orders-dlq");
    expect(lines[1]).toBe("Batch: 100 records, 1048576 bytes, wait 1000 ms  Retries: 3, from 1000 ms  In flight: 1  Encoding: text  Start: latest");
    expect(lines[3]).toMatch(/^TOPIC\s+PARTITION\s+COMMITTED\s+HIGH-WATERMARK\s+LAG\s+STATUS\s+ATTEMPT\s+NEXT-ATTEMPT\s+LAST-ERROR$/);
    expect(lines[4]).toMatch(/^orders\s+0\s+1200\s+1300\s+100\s+delivering\s+1\s+-\s+-$/);
    // The error on one line, cut to 60 characters.
    expect(lines[5]).toMatch(/^orders\s+1\s+17\s+90\s+73\s+retrying\s+3\s+2026-12-05T09:30:15\.250Z\s+service binding EXAMPLE_CONSUMER threw: Error: database una…$/);
    expect(lines[6]).toMatch(/^orders\s+2\s+-\s+0\s+-\s+waiting\s+-\s+-\s+-$/);
    expect(lines.slice(7)).toEqual(["", "Total lag: 173", ""]);
    expect(JSON.parse((await edgelog(["subscriptions", "describe", "audit", "--json"])).stdout)).toEqual(described);
  });

  it("describe a shared subscription: its delivery object per topic, then the share group's share-partitions", async () => {
    const base = description();
    const described = description({
      mode: "shared",
      config: { ...base.config, mode: "shared", shareGroup: "thumbnailers", maxConcurrency: 20 },
      partitions: [],
      topics: [{ topic: "orders", status: "delivering", inFlightBatches: 3, deliveredRecords: 900, releasedRecords: 2, lastDeliveryMs: null, lastError: null }],
      shareGroup: { groupId: "thumbnailers", partitions: [{ topic: "orders", partition: 0, startOffset: 900, endOffset: 960, lag: 100, inFlight: { available: 0, acquired: 60, archiving: 0 }, deadLettered: 1 }], totalLag: 100 },
      totalLag: 100,
    });
    answer = (request) => (request.path === "/v1/subscriptions/audit" ? [200, described] : notFound("?"));
    const run = await edgelog(["subscriptions", "describe", "audit"]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    const lines = run.stdout.split("\n");
    expect(lines[0]).toBe("Subscription: audit  State: running  Mode: shared  Share group: thumbnailers  Topics: orders  Target: service EXAMPLE_CONSUMER.deliver");
    expect(lines[1]).toBe("Batch: 100 records  Concurrency: 20  Retry delay: from 1000 ms  Encoding: text");
    expect(lines[3]).toMatch(/^TOPIC\s+STATUS\s+IN-FLIGHT\s+DELIVERED\s+RELEASED\s+LAST-ERROR$/);
    expect(lines[4]).toMatch(/^orders\s+delivering\s+3\s+900\s+2\s+-$/);
    expect(lines[6]).toMatch(/^TOPIC\s+PARTITION\s+START\s+END\s+LAG\s+ACQUIRED\s+AVAILABLE\s+DEAD-LETTERED$/);
    expect(lines[7]).toMatch(/^orders\s+0\s+900\s+960\s+100\s+60\s+0\s+1$/);
    expect(lines.slice(8)).toEqual(["", "Total lag: 100", ""]);
  });

  it("an unknown subscription: exit 1, edgelog's error, and where to look", async () => {
    answer = () => notFound("nope");
    const run = await edgelog(["subscriptions", "describe", "nope"]);
    expect(run).toMatchObject({ code: 1, stdout: "" });
    expect(run.stderr).toBe("edgelog: GROUP_ID_NOT_FOUND (69): subscription 'nope' does not exist\n  List subscriptions with `edgelog subscriptions list`.\n");
    // The same error from `groups` keeps its own hint.
    expect((await edgelog(["groups", "describe", "nope"])).stderr).toMatch(/List groups with `edgelog groups list`/);
  });
});

describe("subscriptions pause, resume, reset-offsets, delete", () => {
  it("sends each to its route and says what it did", async () => {
    answer = (request) => {
      if (request.path === "/v1/subscriptions/audit/pause") return [200, description({ state: "paused" })];
      if (request.path === "/v1/subscriptions/audit/resume") return [200, description()];
      if (request.path === "/v1/subscriptions/audit/offsets/reset") return [200, { topic: "orders", partitions: [{ partition: 0, offset: 0 }, { partition: 2, offset: 0 }] }];
      if (request.path === "/v1/subscriptions/audit" && request.method === "DELETE") return [200, { name: "audit" }];
      return notFound("audit");
    };
    expect((await edgelog(["subscriptions", "pause", "audit"])).stdout).toBe("paused subscription audit\n");
    expect(JSON.parse((await edgelog(["subscriptions", "pause", "audit", "--json"])).stdout)).toMatchObject({ name: "audit", state: "paused" });
    const reset = await edgelog(["subscriptions", "reset-offsets", "audit", "--topic", "orders", "--to", "earliest", "--partitions", "0,2"]);
    expect(reset.stdout).toBe(["SUBSCRIPTION  TOPIC   PARTITION  NEW-OFFSET", "audit         orders          0           0", "audit         orders          2           0", ""].join("\n"));
    await edgelog(["subscriptions", "reset-offsets", "audit", "-t", "orders", "--to", "offset:45"]);
    await edgelog(["subscriptions", "reset-offsets", "audit", "-t", "orders", "--to", "1796456000000"]);
    expect((await edgelog(["subscriptions", "resume", "audit"])).stdout).toBe("resumed subscription audit\n");
    expect((await edgelog(["subscriptions", "delete", "audit"])).stdout).toBe("deleted subscription audit\n");
    expect(seen).toEqual([
      { method: "POST", path: "/v1/subscriptions/audit/pause", body: undefined },
      { method: "POST", path: "/v1/subscriptions/audit/pause", body: undefined },
      { method: "POST", path: "/v1/subscriptions/audit/offsets/reset", body: { topic: "orders", to: "earliest", partitions: [0, 2] } },
      { method: "POST", path: "/v1/subscriptions/audit/offsets/reset", body: { topic: "orders", to: { offset: 45 } } },
      { method: "POST", path: "/v1/subscriptions/audit/offsets/reset", body: { topic: "orders", to: { timestamp: 1_796_456_000_000 } } },
      { method: "POST", path: "/v1/subscriptions/audit/resume", body: undefined },
      { method: "DELETE", path: "/v1/subscriptions/audit", body: undefined },
    ]);
  });

  it("reset while running: exit 1, and the hint to pause first; names are sent escaped", async () => {
    answer = () => [409, { error: { type: "NON_EMPTY_GROUP", code: 68, message: "subscription 'a/b' is running: pause it to reset its offsets", retriable: false } }];
    const run = await edgelog(["subscriptions", "reset-offsets", "a/b", "--topic", "orders", "--to", "latest"]);
    expect(seen[0]!.path).toBe("/v1/subscriptions/a%2Fb/offsets/reset");
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^edgelog: NON_EMPTY_GROUP \(68\): .*\n  Pause the subscription first: `edgelog subscriptions pause NAME`/);
    const usage = await edgelog(["subscriptions", "reset-offsets", "audit", "--topic", "orders", "--to", "yesterday"]);
    expect(usage.code).toBe(2);
    expect(seen).toHaveLength(1);
  });
});
