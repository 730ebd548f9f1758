// `edgelog consume TOPIC`: prints records, one per line (the value, or --format json: one object per line with
// topic, partition, offset, timestamp, key, value, headers). Without --group it reads the partitions directly
// (from the end, or --from-beginning) and commits nothing; with --group it is a member of that group and commits
// what it printed. Without --follow it stops once it has caught up; --max stops after N records. --isolation
// read_committed prints only committed transactions' records, and catching up then ends at the last stable offset.
// With --share-group it takes records from that share group (queue mode): each printed record is leased to this
// command alone and then acknowledged (--ack, default accept); without --follow it stops at the first empty poll.
import { Command, Option } from "commander";
import type { ConsumedRecord } from "../client/consumed-record";
import type { Edgelog } from "../client/edgelog";
import type { AcknowledgeType, IsolationLevel, ShareAcknowledgement } from "../client/wire";
import { CLI_RETRIES, CliContext, type Io } from "./context";
import { integer } from "./options";
import { Progress } from "./progress";

interface ConsumeOptions {
  fromBeginning?: boolean;
  group?: string;
  follow?: boolean;
  max?: number;
  format: "value" | "json";
  partition?: number;
  isolation: IsolationLevel;
  shareGroup?: string;
  ack: Exclude<AcknowledgeType, "renew">;
}

/** Long-poll while following; a short one when only catching up (the answer says whether we are at the end). */
const FOLLOW_WAIT_MS = 5_000;
const CATCH_UP_WAIT_MS = 100;
const PAGE_RECORDS = 2_000;

export function consumeCommand(io: Io): Command {
  return new Command("consume")
    .description("print records of a topic, directly or as a member of a consumer group")
    .argument("<topic>")
    .option("-b, --from-beginning", "start at the earliest offset (default: only records produced from now on)")
    .option("-g, --group <group>", "consume as a member of this group: start at its committed offsets and commit")
    .option("-f, --follow", "keep waiting for new records (stop with Ctrl-C)")
    .option("-n, --max <n>", "stop after n records", integer(1))
    .addOption(new Option("--format <format>", "value, or json (one object per line)").choices(["value", "json"]).default("value"))
    .option("-p, --partition <n>", "only this partition (without --group)", integer(0))
    .option("-s, --share-group <group>", "take records from this share group (queue mode): each printed record is acknowledged")
    .addOption(new Option("--ack <type>", "with --share-group: what each printed record is acknowledged with").choices(["accept", "release", "reject"]).default("accept"))
    .addOption(
      new Option("--isolation <level>", "read_committed: only committed transactions' records; read_uncommitted: everything written")
        .choices(["read_uncommitted", "read_committed"])
        .default("read_uncommitted"),
    )
    .action(async (topic: string, options: ConsumeOptions, command: Command) => {
      const ctx = CliContext.of(command, io);
      if (options.group !== undefined && options.partition !== undefined) {
        command.error("error: --partition and --group do not go together: the group decides the partitions", { exitCode: 2, code: "edgelog.usage" });
      }
      if (options.shareGroup !== undefined) {
        const clash = options.group !== undefined ? "--group" : options.partition !== undefined ? "--partition" : options.fromBeginning ? "--from-beginning" : options.isolation !== "read_uncommitted" ? "--isolation" : undefined;
        if (clash) command.error(`error: ${clash} does not go with --share-group: the share group's config decides where it starts and what it reads (edgelog share-groups alter / reset-offsets)`, { exitCode: 2, code: "edgelog.usage" });
      } else if (command.getOptionValueSource("ack") === "cli") {
        command.error("error: --ack goes with --share-group only", { exitCode: 2, code: "edgelog.usage" });
      }
      const progress = new Progress("consumed", io.stderr);
      const out = new LineWriter(io.stdout, options.format);
      const stop = new AbortController();
      const onSignal = () => (stop.signal.aborted ? process.exit(130) : stop.abort());
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      try {
        const print = (records: ConsumedRecord[]) => {
          out.write(records);
          progress.add(records.length);
        };
        if (options.shareGroup !== undefined) await consumeShared(ctx.client, topic, options.shareGroup, options, print, stop.signal);
        else if (options.group === undefined) await consumeDirect(ctx.client, topic, options, print, stop.signal);
        else await consumeInGroup(ctx.client, topic, options.group, options, print, stop.signal);
      } finally {
        process.off("SIGINT", onSignal);
        process.off("SIGTERM", onSignal);
        progress.done();
      }
      if (io.stderr.isTTY) ctx.note(`consumed ${progress.records.toLocaleString("en-US")} records`);
    });
}

type Print = (records: ConsumedRecord[]) => void;

/** Reads partitions straight from the log, each from its start offset, to the high watermark seen at the start (or on). */
async function consumeDirect(client: Edgelog, topic: string, options: ConsumeOptions, print: Print, signal: AbortSignal): Promise<void> {
  const described = await client.admin({ retries: 2 }).describeTopic(topic);
  const partitions = options.partition === undefined ? described.partitions : described.partitions.filter((p) => p.partition === options.partition);
  if (partitions.length === 0) throw new Error(`topic '${topic}' has no partition ${options.partition} (it has ${described.partitionCount})`);
  let remaining = options.max ?? Number.POSITIVE_INFINITY;
  const committed = options.isolation === "read_committed";
  const isolation = committed ? { isolation: "read_committed" as const } : {};
  const read = async (partition: number, from: number, until: number) => {
    let offset = from;
    while (!signal.aborted && remaining > 0 && (options.follow || offset < until)) {
      const params = { offset, maxRecords: Math.min(PAGE_RECORDS, remaining), maxBytes: 8 * 1024 * 1024, maxWaitMs: options.follow ? FOLLOW_WAIT_MS : 0, ...isolation };
      const page = await client.transport.fetchRecords(topic, partition, params, { signal }).catch((error: unknown) => {
        if (signal.aborted) return undefined;
        throw error;
      });
      if (page === undefined) return;
      const records = page.records.filter((r) => options.follow || r.offset < until).slice(0, remaining);
      remaining -= records.length;
      // Named fields, not a spread: a binary fetch's records read their fields through getters (log/record-frame.ts).
      print(records.map((r) => ({ offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers, topic, partition })));
      offset = page.nextOffset;
    }
  };
  // read_committed ends at the last stable offset: records of a transaction still open are not readable yet.
  const starts = partitions.map((p) => {
    const end = committed ? (p.lastStableOffset ?? p.highWatermark) : p.highWatermark;
    return { partition: p.partition, from: options.fromBeginning ? p.logStartOffset : end, until: end };
  });
  // Following: all partitions at once, as records come. Catching up: one partition after another, in offset order.
  if (options.follow) await Promise.all(starts.map((s) => read(s.partition, s.from, s.until)));
  else for (const s of starts) await read(s.partition, s.from, s.until);
}

async function consumeInGroup(client: Edgelog, topic: string, groupId: string, options: ConsumeOptions, print: Print, signal: AbortSignal): Promise<void> {
  const consumer = client.consumer({
    groupId,
    autoOffsetReset: options.fromBeginning ? "earliest" : "latest",
    maxWaitMs: options.follow ? FOLLOW_WAIT_MS : CATCH_UP_WAIT_MS,
    maxRecords: PAGE_RECORDS,
    isolationLevel: options.isolation,
    // As fast to fail as the other commands: edgelog unreachable after two retries, a misspelt topic at once.
    retries: CLI_RETRIES,
    unknownTopicTimeoutMs: 0,
  });
  consumer.subscribe({ topics: [topic] });
  let printed = 0;
  const running = consumer.run({
    eachRecord: (record) => {
      print([record]);
      if (++printed === options.max) {
        // Pausing stops the rest of this page from being processed (or committed); stop() then commits up to here.
        consumer.pause([{ topic }]);
        void consumer.stop();
      }
    },
  });
  signal.addEventListener("abort", () => void consumer.stop(), { once: true });
  if (!options.follow) {
    // Caught up: every assigned partition has been read up to the high watermark (read_committed: the last stable
    // offset) its last fetch reported.
    const timer = setInterval(() => {
      const assigned = consumer.assignment();
      const end = (p: (typeof assigned)[number]) => (options.isolation === "read_committed" ? (p.lastStableOffset ?? p.highWatermark) : p.highWatermark);
      if (assigned.length > 0 && assigned.every((p) => p.position !== undefined && end(p) !== undefined && p.position >= end(p)!)) void consumer.stop();
    }, 50);
    running.finally(() => clearInterval(timer)).catch(() => undefined);
  }
  await running;
}

/**
 * Polls the share group (acknowledgements riding on each next poll, as Kafka's ShareFetch), prints what it leased,
 * and acknowledges it; the last acknowledgements go on their own. --max asks for no more than what is left (a poll's
 * maxRecords is strict), so nothing is leased that will not be printed.
 */
async function consumeShared(client: Edgelog, topic: string, groupId: string, options: ConsumeOptions, print: Print, signal: AbortSignal): Promise<void> {
  let remaining = options.max ?? Number.POSITIVE_INFINITY;
  let acks: ShareAcknowledgement[] = [];
  try {
    while (!signal.aborted && remaining > 0) {
      const request = { topics: [topic], maxRecords: Math.min(PAGE_RECORDS, remaining), maxWaitMs: options.follow ? FOLLOW_WAIT_MS : CATCH_UP_WAIT_MS, ...(acks.length > 0 ? { acknowledgements: acks } : {}) };
      const answer = await client.transport.pollShareGroup(groupId, request);
      acks = [];
      // A poll that ends with Ctrl-C still prints and acknowledges what it leased (it is not given up half way).
      print(answer.records);
      remaining -= answer.records.length;
      acks = answer.records.map((r) => ({ leaseId: r.leaseId, type: options.ack }));
      if (answer.records.length === 0 && !options.follow) break;
    }
  } finally {
    if (acks.length > 0) await client.transport.acknowledgeShareGroup(groupId, acks);
  }
}

/** Writes records a page at a time (one write per page, not per line); a closed pipe (`| head`) ends quietly. */
class LineWriter {
  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly format: "value" | "json",
  ) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EPIPE") process.exit(0);
      throw error;
    });
  }

  write(records: ConsumedRecord[]): void {
    if (records.length === 0) return;
    let text = "";
    for (const r of records) {
      text +=
        this.format === "json"
          ? JSON.stringify({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: r.headers }) + "\n"
          : (r.value ?? "") + "\n";
    }
    this.stream.write(text);
  }
}
