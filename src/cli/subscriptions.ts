// `edgelog subscriptions create | list | describe | pause | resume | reset-offsets | delete`: subscriptions, edgelog
// delivering a topic's records to a Worker (service binding), a webhook or an R2 archive. describe shows, per
// partition, where delivery is (committed offset, lag), what it is doing, and why it is retrying or stopped.
import { Command, Option } from "commander";
import { CliContext, type Io } from "./context";
import { collect, integer, partitionList, resetTo, startAt } from "./options";
import type { CreateSubscriptionRequest, StartAt, SubscriptionDescription, SubscriptionSummary, SubscriptionTarget, SubscriptionTargetRequest } from "../client/subscription-wire";
import type { ResetTo } from "../client/wire";

interface CreateOptions {
  topic: string[];
  service?: string;
  method?: string;
  webhook?: string;
  secret?: string;
  r2Prefix?: string;
  r2Binding?: string;
  startAt?: StartAt;
  maxBatchSize?: number;
  maxBatchBytes?: number;
  maxBatchWaitMs?: number;
  maxRetries?: number;
  retryDelayMs?: number;
  deadLetterTopic?: string;
  maxInFlight?: number;
  encoding?: "text" | "base64";
  shareGroup?: string;
  maxConcurrency?: number;
}

/** A long last error is cut in the table (--json has all of it). */
const LAST_ERROR_CHARS = 60;

export function subscriptionsCommand(io: Io): Command {
  const subscriptions = new Command("subscriptions").description("create, list, describe, pause, resume, reset and delete subscriptions (edgelog delivers)");

  subscriptions
    .command("create")
    .description("deliver every record of the topics to a Worker (--service), a webhook (--webhook) or R2 (--r2-prefix)")
    .argument("<name>", "the subscription's name (also its consumer group's)")
    .requiredOption("-t, --topic <topic>", "a topic to deliver; repeat for more", collect)
    .addOption(new Option("--service <binding>", "target: the Worker bound to edgelog as this service binding").conflicts(["webhook", "r2Prefix"]))
    .option("--method <method>", "with --service: the RPC method called (default deliver)")
    .addOption(new Option("--webhook <url>", "target: POST each batch to this URL, signed (Standard Webhooks)").conflicts(["r2Prefix"]))
    .option("--secret <secret>", "with --webhook: the signing secret, whsec_<base64> (default: generated, shown once)")
    .option("--r2-prefix <prefix>", "target: write batches as objects under this key prefix in R2")
    .option("--r2-binding <binding>", "with --r2-prefix: the R2 bucket binding (default ARCHIVE)")
    .option("--start-at <where>", "where partitions without a committed offset start: earliest, latest (default) or a timestamp in ms", startAt)
    .option("--max-batch-size <n>", "records per delivery (default 100)", integer(1))
    .option("--max-batch-bytes <n>", "bytes of records per delivery", integer(1))
    .option("--max-batch-wait-ms <ms>", "how long a partial batch waits for more (default 1000)", integer(0))
    .option("--max-retries <n>", "deliveries of a failing batch after the first (default 3)", integer(0))
    .option("--retry-delay-ms <ms>", "the first retry's delay, doubling after (default 1000)", integer(0))
    .option("--dead-letter-topic <topic>", "where records go once their retries are spent (default: none, the partition stops)")
    .option("--max-in-flight <n>", "batches of one partition delivered at once (default 1: in order)", integer(1))
    .addOption(new Option("--encoding <encoding>", "keys, values and header values as UTF-8 text or base64").choices(["text", "base64"]))
    .option("--share-group <group>", "shared mode: lease records from this share group, unordered, each acknowledged on its own")
    .option("--max-concurrency <n>", "with --share-group: batches of a topic in flight at once (default 10)", integer(1))
    .action(async (name: string, options: CreateOptions, command: Command) => {
      const ctx = CliContext.of(command, io);
      const target = targetOf(options, command);
      sharedOptionsOf(options, command);
      const request: CreateSubscriptionRequest = {
        name,
        topics: options.topic,
        target,
        ...defined({
          startAt: options.startAt,
          maxBatchSize: options.maxBatchSize,
          maxBatchBytes: options.maxBatchBytes,
          maxBatchWaitMs: options.maxBatchWaitMs,
          maxRetries: options.maxRetries,
          retryDelayMs: options.retryDelayMs,
          deadLetterTopic: options.deadLetterTopic,
          maxInFlightPerPartition: options.maxInFlight,
          encoding: options.encoding,
          ...(options.shareGroup === undefined ? {} : { mode: "shared" as const, shareGroup: options.shareGroup }),
          maxConcurrency: options.maxConcurrency,
        }),
      };
      const created = await ctx.admin.createSubscription(request);
      const s = created.subscription;
      ctx.say(created, `created subscription ${s.name}: ${s.config.topics.join(", ")} → ${targetText(s.config.target)}, starting at ${startAtText(s.config.startAt)}`);
      if (created.secret !== undefined) {
        if (!ctx.json) io.stdout.write(`webhook secret: ${created.secret}\n`);
        ctx.note("The webhook secret is shown only now: store it where the webhook verifies signatures. It is not shown again.");
      }
    });

  subscriptions
    .command("list")
    .description("every subscription, its state, topics, target and lag")
    .action(async (_options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const list = await ctx.admin.listSubscriptions();
      ctx.print(list, ["NAME", "STATE", "TOPICS", "TARGET", "LAG"], list.map((s: SubscriptionSummary) => [s.name, s.state, s.topics.join(","), s.target.type, s.totalLag]));
    });

  subscriptions
    .command("describe")
    .description("config, and per partition: committed offset, lag, status, attempt, next attempt and last error")
    .argument("<name>")
    .action(async (name: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const described = await ctx.admin.describeSubscription(name);
      if (ctx.json) return ctx.say(described, "");
      printDescription(ctx, described);
    });

  subscriptions
    .command("pause")
    .description("stop deliveries (within one batch); offsets stay where they are")
    .argument("<name>")
    .action(async (name: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const described = await ctx.admin.pauseSubscription(name);
      ctx.say(described, `paused subscription ${described.name}`);
    });

  subscriptions
    .command("resume")
    .description("deliver again, from the committed offsets")
    .argument("<name>")
    .action(async (name: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const described = await ctx.admin.resumeSubscription(name);
      ctx.say(described, `resumed subscription ${described.name}`);
    });

  subscriptions
    .command("reset-offsets")
    .description("set a topic's committed offsets for replay (the subscription must be paused)")
    .argument("<name>")
    .requiredOption("-t, --topic <topic>", "the topic to reset")
    .requiredOption("--to <where>", "earliest, latest, a timestamp in ms, or offset:N", resetTo)
    .option("--partitions <list>", "only these partitions, e.g. 0,2 (default: all)", partitionList)
    .action(async (name: string, options: { topic: string; to: ResetTo; partitions?: number[] }, command: Command) => {
      const ctx = CliContext.of(command, io);
      const reset = await ctx.admin.resetSubscriptionOffsets(name, { topic: options.topic, to: options.to, ...(options.partitions ? { partitions: options.partitions } : {}) });
      ctx.print(reset, ["SUBSCRIPTION", "TOPIC", "PARTITION", "NEW-OFFSET"], reset.partitions.map((p) => [name, reset.topic, p.partition, p.offset]));
    });

  subscriptions
    .command("delete")
    .description("delete a subscription (its records stay in their topics)")
    .argument("<name>")
    .action(async (name: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const deleted = await ctx.admin.deleteSubscription(name);
      ctx.say(deleted, `deleted subscription ${deleted.name}`);
    });

  return subscriptions;
}

/** Exactly one target; its own options only beside it. */
function targetOf(options: CreateOptions, command: Command): SubscriptionTargetRequest {
  const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: 2, code: "edgelog.usage" });
  const strays = (allowed: string, flags: [string, unknown][]) => {
    const stray = flags.find(([, value]) => value !== undefined);
    if (stray) usage(`${stray[0]} goes with ${allowed} only`);
  };
  if (options.service !== undefined) {
    strays("--webhook", [["--secret", options.secret]]);
    strays("--r2-prefix", [["--r2-binding", options.r2Binding]]);
    return { type: "service", binding: options.service, ...defined({ method: options.method }) };
  }
  if (options.webhook !== undefined) {
    strays("--service", [["--method", options.method]]);
    strays("--r2-prefix", [["--r2-binding", options.r2Binding]]);
    return { type: "webhook", url: options.webhook, ...defined({ secret: options.secret }) };
  }
  if (options.r2Prefix !== undefined) {
    strays("--service", [["--method", options.method]]);
    strays("--webhook", [["--secret", options.secret]]);
    return { type: "r2", prefix: options.r2Prefix, ...defined({ binding: options.r2Binding }) };
  }
  return usage("say where to deliver: --service BINDING, --webhook URL or --r2-prefix PREFIX");
}

/**
 * Shared mode's settings only with --share-group, and none of the ordered mode's that leases replace: caught here,
 * before anything is sent, rather than as edgelog's 400 afterwards.
 */
function sharedOptionsOf(options: CreateOptions, command: Command): void {
  const usage = (message: string): never => command.error(`error: ${message}`, { exitCode: 2, code: "edgelog.usage" });
  if (options.shareGroup === undefined) {
    if (options.maxConcurrency !== undefined) usage("--max-concurrency goes with --share-group only");
    return;
  }
  const ordered: [string, unknown][] = [
    ["--start-at", options.startAt],
    ["--max-retries", options.maxRetries],
    ["--dead-letter-topic", options.deadLetterTopic],
    ["--max-in-flight", options.maxInFlight],
    ["--max-batch-wait-ms", options.maxBatchWaitMs],
    ["--max-batch-bytes", options.maxBatchBytes],
    ["--r2-prefix", options.r2Prefix],
  ];
  const stray = ordered.find(([, value]) => value !== undefined);
  if (stray) usage(`${stray[0]} does not go with --share-group: the share group's config decides it (edgelog share-groups create)`);
}

function printDescription(ctx: CliContext, s: SubscriptionDescription): void {
  const out = ctx.io.stdout;
  const c = s.config;
  if (s.mode === "shared") return printShared(ctx, s);
  out.write(`Subscription: ${s.name}  State: ${s.state}  Topics: ${c.topics.join(",")}  Target: ${targetText(c.target)}  Dead letters: ${c.deadLetterTopic ?? "-"}\n`);
  out.write(
    `Batch: ${c.maxBatchSize} records, ${c.maxBatchBytes} bytes, wait ${c.maxBatchWaitMs} ms  Retries: ${c.maxRetries}, from ${c.retryDelayMs} ms  ` +
      `In flight: ${c.maxInFlightPerPartition}  Encoding: ${c.encoding}  Start: ${startAtText(c.startAt)}\n\n`,
  );
  if (s.partitions.length === 0) {
    out.write("no partitions\n");
    return;
  }
  ctx.print(
    s,
    ["TOPIC", "PARTITION", "COMMITTED", "HIGH-WATERMARK", "LAG", "STATUS", "ATTEMPT", "NEXT-ATTEMPT", "LAST-ERROR"],
    s.partitions.map((p) => [
      p.topic,
      p.partition,
      p.committedOffset,
      p.highWatermark,
      p.lag,
      p.status,
      p.inFlight?.attempt ?? null,
      p.nextAttemptMs === null ? null : new Date(p.nextAttemptMs).toISOString(),
      p.lastError === null ? null : cut(p.lastError.replace(/\s+/g, " "), LAST_ERROR_CHARS),
    ]),
  );
  out.write(`\nTotal lag: ${s.totalLag}\n`);
}

/** A shared subscription: its delivery object per topic, then the share group's share-partitions it leases from. */
function printShared(ctx: CliContext, s: SubscriptionDescription): void {
  const out = ctx.io.stdout;
  const c = s.config;
  out.write(`Subscription: ${s.name}  State: ${s.state}  Mode: shared  Share group: ${c.shareGroup}  Topics: ${c.topics.join(",")}  Target: ${targetText(c.target)}\n`);
  out.write(`Batch: ${c.maxBatchSize} records  Concurrency: ${c.maxConcurrency}  Retry delay: from ${c.retryDelayMs} ms  Encoding: ${c.encoding}\n\n`);
  const topics = s.topics ?? [];
  ctx.print(
    s,
    ["TOPIC", "STATUS", "IN-FLIGHT", "DELIVERED", "RELEASED", "LAST-ERROR"],
    topics.map((t) => [t.topic, t.status, t.inFlightBatches, t.deliveredRecords, t.releasedRecords, t.lastError === null ? null : cut(t.lastError.replace(/\s+/g, " "), LAST_ERROR_CHARS)]),
  );
  const group = s.shareGroup as { partitions?: { topic: string; partition: number; startOffset: number; endOffset: number; lag: number; inFlight: { acquired: number; available: number }; deadLettered: number }[] } | undefined;
  const parts = group?.partitions ?? [];
  if (parts.length > 0) {
    out.write("\n");
    ctx.print(
      s,
      ["TOPIC", "PARTITION", "START", "END", "LAG", "ACQUIRED", "AVAILABLE", "DEAD-LETTERED"],
      parts.map((p) => [p.topic, p.partition, p.startOffset, p.endOffset, p.lag, p.inFlight.acquired, p.inFlight.available, p.deadLettered]),
    );
  }
  out.write(`\nTotal lag: ${s.totalLag}\n`);
}

export function targetText(target: SubscriptionTarget): string {
  switch (target.type) {
    case "service":
      return `service ${target.binding}.${target.method}`;
    case "webhook":
      return `webhook ${target.url}`;
    case "r2":
      return `r2 ${target.binding}/${target.prefix}`;
  }
}

function startAtText(at: StartAt): string {
  return typeof at === "string" ? at : `${at.timestamp} (${new Date(at.timestamp).toISOString()})`;
}

function cut(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

/** The entries whose value is given (so edgelog applies its defaults to the rest). */
function defined<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
