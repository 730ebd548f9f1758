// `edgelog offsets TOPIC [PARTITION] --at earliest|latest|<ms>`: Kafka's ListOffsets (GetOffsetShell), for one
// partition or, without PARTITION, for each.
import { Command } from "commander";
import { CliContext, type Io } from "./context";
import { integer, offsetSpec } from "./options";
import type { OffsetSpec } from "../client/wire";

export function offsetsCommand(io: Io): Command {
  return new Command("offsets")
    .description("offsets of a partition (or every partition): earliest, latest, or the first at or after a time")
    .argument("<topic>")
    .argument("[partition]", "partition number (default: every partition)", integer(0))
    .option("-a, --at <when>", "earliest, latest, or a timestamp in ms", offsetSpec, "latest" as OffsetSpec)
    .action(async (topic: string, partition: number | undefined, options: { at: OffsetSpec }, command: Command) => {
      const ctx = CliContext.of(command, io);
      const admin = ctx.admin;
      const rows =
        partition === undefined
          ? await admin.topicOffsets(topic, options.at)
          : [{ partition, ...(await admin.listOffsets(topic, partition, options.at)) }];
      const value = rows.map((r) => ({ topic, ...r }));
      ctx.print(partition === undefined ? value : value[0], ["TOPIC", "PARTITION", "OFFSET", "TIMESTAMP"], rows.map((r) => [topic, r.partition, r.offset, r.timestamp < 0 ? null : r.timestamp]));
    });
}
