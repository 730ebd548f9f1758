// `edgelog topics list | create NAME --partitions N [--config k=v] | describe NAME | alter NAME --config k=v | delete NAME`
import { Command } from "commander";
import { CliContext, type Io } from "./context";
import { collect, integer, keyValue } from "./options";

export function topicsCommand(io: Io): Command {
  const topics = new Command("topics").description("list, create, describe, alter and delete topics");

  topics
    .command("list")
    .description("every topic, with its partition count")
    .action(async (_options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const list = await ctx.admin.listTopics();
      ctx.print(list, ["TOPIC", "PARTITIONS", "REPLICATION", "CLEANUP", "RETENTION.MS"], list.map((t) => [t.name, t.partitionCount, t.replicationFactor, t.config["cleanup.policy"], t.config["retention.ms"]]));
    });

  topics
    .command("create")
    .description("create a topic")
    .argument("<name>", "topic name: 1 to 249 of [a-zA-Z0-9._-]")
    .option("-p, --partitions <n>", "partition count (1 to 1024)", integer(1, 1024), 1)
    .option("-r, --replication-factor <n>", "replicas per partition (1 to 5; docs/replication.md)", integer(1))
    .option("-c, --config <key=value>", "a topic config; repeat for more", keyValue, [])
    .action(async (name: string, options: { partitions: number; replicationFactor?: number; config: [string, string][] }, command: Command) => {
      const ctx = CliContext.of(command, io);
      const created = await ctx.admin.createTopic({
        name,
        partitions: options.partitions,
        ...(options.replicationFactor === undefined ? {} : { replicationFactor: options.replicationFactor }),
        ...(options.config.length > 0 ? { config: Object.fromEntries(options.config) } : {}),
      });
      ctx.say(created, `created topic ${created.name} with ${created.partitionCount} partition${created.partitionCount === 1 ? "" : "s"} (id ${created.topicId})`);
    });

  topics
    .command("describe")
    .description("a topic's configs and partitions")
    .argument("<name>")
    .action(async (name: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const topic = await ctx.admin.describeTopic(name);
      if (ctx.json) return ctx.say(topic, "");
      const out = io.stdout;
      out.write(`Topic: ${topic.name}  TopicId: ${topic.topicId}  PartitionCount: ${topic.partitionCount}  ReplicationFactor: ${topic.replicationFactor}\n\n`);
      ctx.print(
        topic,
        ["PARTITION", "LOG-START", "HIGH-WATERMARK", "RECORDS", "BYTES", "BATCHES", "LEADER", "REPLICAS", "ISR"],
        topic.partitions.map((p) => [p.partition, p.logStartOffset, p.highWatermark, p.highWatermark - p.logStartOffset, p.bytes, p.batches, p.leader, p.replicas.join(","), p.isr.join(",")]),
      );
      out.write("\n");
      ctx.print(topic, ["CONFIG", "VALUE"], Object.entries(topic.config).sort(([a], [b]) => (a < b ? -1 : 1)));
    });

  topics
    .command("alter")
    .description("change configs (--config k=v, --delete-config k) or add partitions (--partitions N, the new total)")
    .argument("<name>")
    .option("-c, --config <key=value>", "set a config; repeat for more", keyValue, [])
    .option("-d, --delete-config <key>", "reset a config to its default; repeat for more", collect, [])
    .option("-p, --partitions <n>", "the new partition count (only grows)", integer(1, 1024))
    .action(async (name: string, options: { config: [string, string][]; deleteConfig: string[]; partitions?: number }, command: Command) => {
      const ctx = CliContext.of(command, io);
      if (options.config.length === 0 && options.deleteConfig.length === 0 && options.partitions === undefined) {
        command.error("error: nothing to alter: give --config, --delete-config or --partitions", { exitCode: 2, code: "edgelog.usage" });
      }
      const admin = ctx.admin;
      let topic;
      if (options.config.length > 0 || options.deleteConfig.length > 0) {
        topic = await admin.alterTopicConfig(name, { ...Object.fromEntries(options.deleteConfig.map((k) => [k, null])), ...Object.fromEntries(options.config) });
      }
      if (options.partitions !== undefined) topic = await admin.addPartitions(name, options.partitions);
      const changed = [...options.config.map(([k, v]) => `${k}=${v}`), ...options.deleteConfig.map((k) => `${k} (default ${topic!.config[k]})`)];
      const parts = [changed.length > 0 ? `configs ${changed.join(", ")}` : "", options.partitions !== undefined ? `${topic!.partitionCount} partitions` : ""].filter(Boolean);
      ctx.say(topic, `altered topic ${name}: ${parts.join("; ")}`);
    });

  topics
    .command("delete")
    .description("delete a topic and all its records")
    .argument("<name>")
    .action(async (name: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const deleted = await ctx.admin.deleteTopic(name);
      ctx.say(deleted, `deleted topic ${deleted.name}`);
    });

  return topics;
}
