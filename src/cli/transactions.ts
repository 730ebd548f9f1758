// `edgelog transactions list | describe ID`: Kafka's kafka-transactions.sh list and describe. list shows each
// transactional id's producer, epoch and state; describe adds its open partitions, groups and pending markers.
import { Command } from "commander";
import { CliContext, type Io } from "./context";
import type { TransactionDescription } from "../client/wire";

export function transactionsCommand(io: Io): Command {
  const transactions = new Command("transactions").description("list and describe transactional ids");

  transactions
    .command("list")
    .description("every transactional id, its producer, epoch and state")
    .action(async (_options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const list = await ctx.admin.listTransactions();
      ctx.print(list, ["TRANSACTIONAL-ID", "PRODUCER-ID", "EPOCH", "STATE", "PARTITIONS"], list.map((t) => [t.transactionalId, t.producerId, t.producerEpoch, t.state, t.partitions.length]));
    });

  transactions
    .command("describe")
    .description("a transactional id's state, timeout, start time, partitions, groups and pending markers")
    .argument("<transactionalId>")
    .action(async (transactionalId: string, _options, command: Command) => {
      const ctx = CliContext.of(command, io);
      const t = await ctx.admin.describeTransaction(transactionalId);
      if (ctx.json) return ctx.say(t, "");
      printDescription(ctx, t);
    });

  return transactions;
}

function printDescription(ctx: CliContext, t: TransactionDescription): void {
  const out = ctx.io.stdout;
  const started = t.state === "Ongoing" || t.state === "PrepareCommit" || t.state === "PrepareAbort" ? `  Started: ${new Date(t.startedMs).toISOString()}` : "";
  out.write(`Transactional id: ${t.transactionalId}  Producer: ${t.producerId}  Epoch: ${t.producerEpoch}  State: ${t.state}  Timeout: ${t.timeoutMs} ms${started}\n`);
  out.write(`Partitions: ${t.partitions.map((p) => `${p.topic}:${p.partition}`).join(" ") || "(none)"}\n`);
  out.write(`Groups: ${t.groups.join(" ") || "(none)"}  Pending markers: ${t.pendingMarkers}\n`);
}
