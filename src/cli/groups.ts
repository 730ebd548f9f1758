// `edgelog groups list | describe G | reset-offsets G --topic T --to earliest|latest|<ms>|offset:N | delete G`:
// Kafka's kafka-consumer-groups. describe shows the members, what each owns, and the lag table per partition.
import { Command } from "commander";
import { CliContext, type Io } from "./context";
import { partitionList, resetTo } from "./options";
import type { GroupDescription, ResetTo, TopicPartitions } from "../client/wire";

export function groupsCommand(io: Io): Command {
  const groups = new Command("groups").description("list, describe, reset and delete consumer groups");

  groups
    .command("list")
    .description("every group, its state and member count")
    .action(async (_options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const list = await ctx.admin.listGroups();
      ctx.print(list, ["GROUP", "TYPE", "STATE", "MEMBERS"], list.map((g) => [g.groupId, g.type, g.state, g.members]));
    });

  groups
    .command("describe")
    .description("members, their assignment, and lag per partition (high watermark - committed offset) with its Burrow-style status")
    .argument("<group>")
    .action(async (group: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const described = await ctx.admin.describeGroup(group);
      if (ctx.json) return ctx.say(described, "");
      printDescription(ctx, described);
    });

  groups
    .command("reset-offsets")
    .description("set a topic's committed offsets for replay (the group must have no members)")
    .argument("<group>")
    .requiredOption("-t, --topic <topic>", "the topic to reset")
    .requiredOption("--to <where>", "earliest, latest, a timestamp in ms, or offset:N", resetTo)
    .option("--partitions <list>", "only these partitions, e.g. 0,2 (default: all)", partitionList)
    .action(async (group: string, options: { topic: string; to: ResetTo; partitions?: number[] }, command: Command) => {
      const ctx = CliContext.of(command, io);
      const reset = await ctx.admin.resetOffsets(group, { topic: options.topic, to: options.to, ...(options.partitions ? { partitions: options.partitions } : {}) });
      ctx.print(reset, ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], reset.partitions.map((p) => [group, reset.topic, p.partition, p.offset]));
    });

  groups
    .command("delete")
    .description("delete an empty group and its committed offsets")
    .argument("<group>")
    .action(async (group: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const deleted = await ctx.admin.deleteGroup(group);
      ctx.say(deleted, `deleted group ${deleted.groupId}`);
    });

  return groups;
}

function printDescription(ctx: CliContext, g: GroupDescription): void {
  const out = ctx.io.stdout;
  out.write(`Group: ${g.groupId}  State: ${g.state}  Epoch: ${g.groupEpoch}  Assignor: ${g.assignor}  Members: ${g.members.length}\n\n`);
  if (g.members.length > 0) {
    ctx.print(
      g,
      ["MEMBER", "EPOCH", "STATE", "ASSIGNMENT", "REVOKING"],
      g.members.map((m) => [m.memberId, m.memberEpoch, m.state, partitionsText(m.assignment), m.pendingRevocation.length > 0 ? partitionsText(m.pendingRevocation) : null]),
    );
    out.write("\n");
  }
  const owner = new Map<string, string>();
  for (const m of g.members) for (const tp of m.assignment) for (const p of tp.partitions) owner.set(`${tp.topic}\u0000${p}`, m.memberId);
  const rows = g.lag.topics.flatMap((t) => t.partitions.map((p) => [t.topic, p.partition, p.committedOffset, p.highWatermark, p.lag, p.status, owner.get(`${t.topic}\u0000${p.partition}`) ?? null]));
  if (rows.length === 0) out.write("no committed offsets and no subscribed topics\n");
  else {
    ctx.print(g, ["TOPIC", "PARTITION", "COMMITTED", "HIGH-WATERMARK", "LAG", "STATUS", "MEMBER"], rows);
    out.write(`\nTotal lag: ${g.lag.totalLag}\nLag status: ${g.lag.status}\n`);
  }
}

function partitionsText(assignment: TopicPartitions[]): string {
  return assignment.map((tp) => `${tp.topic}:${tp.partitions.join(",")}`).join(" ") || "(none)";
}
