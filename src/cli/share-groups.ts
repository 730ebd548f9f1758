// `edgelog share-groups create | list | describe | alter | reset-offsets | delete`: share groups (queue mode, Kafka's
// kafka-share-groups). describe shows, per share-partition, the start offset, the in-flight records by state, the
// lag and the dead letters. `edgelog consume --share-group G` (consume.ts) takes records from one.
import { Command, InvalidArgumentError, Option } from "commander";
import { CliContext, type Io } from "./context";
import { integer, resetTo } from "./options";
import type { ResetTo, ShareGroupConfig, ShareGroupConfigRequest, ShareGroupDescription } from "../client/wire";

interface ConfigOptions {
  lockDurationMs?: number;
  deliveryCountLimit?: number;
  maxRecordLocks?: number;
  autoOffsetReset?: ShareGroupConfig["autoOffsetReset"];
  isolation?: ShareGroupConfig["isolation"];
  deadLetterTopic?: string | null;
  deadLetterCopyRecord?: boolean;
}

/** earliest | latest | <timestamp ms> */
function autoOffsetReset(value: string): ShareGroupConfig["autoOffsetReset"] {
  if (value === "earliest" || value === "latest") return value;
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return { timestamp: Number(value) };
  throw new InvalidArgumentError(`expected earliest, latest or a timestamp in ms, got '${value}'.`);
}

function onOff(value: string): boolean {
  if (value === "true" || value === "false") return value === "true";
  throw new InvalidArgumentError(`expected true or false, got '${value}'.`);
}

/** The config options create and alter share (edgelog checks the bounds and names the field it refuses). */
function configOptions(command: Command, alter: boolean): Command {
  return command
    .option("--lock-duration-ms <ms>", "how long a polled record stays leased unless renewed (default 30000)", integer(0))
    .option("--delivery-count-limit <n>", "deliveries before a record is archived or dead-lettered, 2 to 10 (default 5)", integer(0))
    .option("--max-record-locks <n>", "records in flight per share-partition (default 2000)", integer(0))
    .option("--auto-offset-reset <where>", "where a partition starts when first polled: earliest, latest (default) or a timestamp in ms", autoOffsetReset)
    .addOption(new Option("--isolation <level>", "read_committed: only committed transactions' records (default read_uncommitted)").choices(["read_uncommitted", "read_committed"]))
    .option("--dead-letter-topic <topic>", `where rejected and over-the-limit records go (it needs errors.deadletterqueue.group.enable=true); none: ${alter ? "remove it" : "archive them (default)"}`, (v: string) => (v === "none" ? null : v))
    .option("--dead-letter-copy-record <bool>", "dead letters carry the record's key, value and headers (default false)", onOff);
}

function configOf(options: ConfigOptions): ShareGroupConfigRequest {
  const fields: ShareGroupConfigRequest = {
    lockDurationMs: options.lockDurationMs,
    deliveryCountLimit: options.deliveryCountLimit,
    maxRecordLocks: options.maxRecordLocks,
    autoOffsetReset: options.autoOffsetReset,
    isolation: options.isolation,
    deadLetterTopic: options.deadLetterTopic,
    deadLetterCopyRecord: options.deadLetterCopyRecord,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

export function shareGroupsCommand(io: Io): Command {
  const shareGroups = new Command("share-groups").description("create, list, describe, alter, reset and delete share groups (queue mode)");

  configOptions(
    shareGroups
      .command("create")
      .description("create a share group, or replace an existing one's whole config (options left out take their defaults)")
      .argument("<group>"),
    false,
  ).action(async (group: string, options: ConfigOptions, command: Command) => {
    const ctx = CliContext.of(command, io);
    const put = await ctx.admin.putShareGroup(group, configOf(options));
    ctx.say(put, `${put.created ? "created share group" : "replaced the config of share group"} ${group}: ${configText(put.config)}`);
  });

  shareGroups
    .command("list")
    .description("every share group")
    .action(async (_options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const list = await ctx.admin.listShareGroups();
      ctx.print(list, ["GROUP"], list.map((g) => [g]));
    });

  shareGroups
    .command("describe")
    .description("config, and per share-partition: start offset, in-flight records by state, lag and dead letters")
    .argument("<group>")
    .action(async (group: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const described = await ctx.admin.describeShareGroup(group);
      if (ctx.json) return ctx.say(described, "");
      printDescription(ctx, described);
    });

  configOptions(shareGroups.command("alter").description("change some of a share group's config").argument("<group>"), true).action(
    async (group: string, options: ConfigOptions, command: Command) => {
      const ctx = CliContext.of(command, io);
      const config = configOf(options);
      if (Object.keys(config).length === 0) command.error("error: say what to change, e.g. --lock-duration-ms 60000", { exitCode: 2, code: "edgelog.usage" });
      const altered = await ctx.admin.alterShareGroup(group, config);
      ctx.say(altered, `altered share group ${group}: ${configText(altered.config)}`);
    },
  );

  shareGroups
    .command("reset-offsets")
    .description("move a topic's share-partition start offsets, for replay (nothing of the topic may be leased)")
    .argument("<group>")
    .requiredOption("-t, --topic <topic>", "the topic to reset")
    .requiredOption("--to <where>", "earliest, latest, a timestamp in ms, or offset:N", resetTo)
    .action(async (group: string, options: { topic: string; to: ResetTo }, command: Command) => {
      const ctx = CliContext.of(command, io);
      const reset = await ctx.admin.resetShareGroupOffsets(group, { topic: options.topic, to: options.to });
      ctx.print(reset, ["GROUP", "TOPIC", "PARTITION", "NEW-START-OFFSET"], reset.partitions.map((p) => [group, reset.topic, p.partition, p.offset]));
    });

  shareGroups
    .command("delete")
    .description("delete a share group, its leases and its share-partitions' state (the records stay in their topics)")
    .argument("<group>")
    .action(async (group: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const deleted = await ctx.admin.deleteShareGroup(group);
      ctx.say(deleted, `deleted share group ${deleted.groupId}`);
    });

  return shareGroups;
}

function configText(c: ShareGroupConfig): string {
  const reset = typeof c.autoOffsetReset === "string" ? c.autoOffsetReset : `${c.autoOffsetReset.timestamp}`;
  return `lock ${c.lockDurationMs} ms, delivery limit ${c.deliveryCountLimit}, ${c.maxRecordLocks} record locks, auto offset reset ${reset}, ${c.isolation}, dead letters ${c.deadLetterTopic ?? "-"}${c.deadLetterCopyRecord ? " (with the record)" : ""}`;
}

function printDescription(ctx: CliContext, g: ShareGroupDescription): void {
  const out = ctx.io.stdout;
  out.write(`Share group: ${g.groupId}  Created: ${new Date(g.createdMs).toISOString()}\nConfig: ${configText(g.config)}\n\n`);
  if (g.partitions.length === 0) {
    out.write("no share-partitions yet (a partition appears once polled)\n");
    return;
  }
  ctx.print(
    g,
    ["TOPIC", "PARTITION", "START-OFFSET", "END-OFFSET", "HIGH-WATERMARK", "LAG", "AVAILABLE", "ACQUIRED", "ARCHIVING", "ACKNOWLEDGED", "ARCHIVED", "DEAD-LETTERED"],
    g.partitions.map((p) => [p.topic, p.partition, p.startOffset, p.endOffset, p.highWatermark, p.lag, p.inFlight.available, p.inFlight.acquired, p.inFlight.archiving, p.acknowledged, p.archived, p.deadLettered]),
  );
  out.write(`\nTotal lag: ${g.totalLag}\n`);
}
