// `edgelog produce TOPIC`: one record per line of stdin, like kafka-console-producer. With --key-separator each
// line is KEY<sep>VALUE; --header adds headers to every record; --partition and --acks as named. Records are
// batched by the client producer; the command ends when every line read is acknowledged, or at the first failure.
import { createInterface } from "node:readline";
import { Command } from "commander";
import type { ProducerRecord } from "../client/producer-record";
import type { Acks } from "../client/wire";
import { CliContext, type Io } from "./context";
import { acks, integer, keyValue } from "./options";
import { Progress } from "./progress";

interface ProduceOptions {
  keySeparator?: string;
  header: [string, string][];
  partition?: number;
  acks: Acks;
  lingerMs: number;
}

export function produceCommand(io: Io): Command {
  return new Command("produce")
    .description("produce one record per line of stdin")
    .argument("<topic>")
    .option("-k, --key-separator <sep>", "each line is KEY<sep>VALUE (a line without <sep> is an error)")
    .option("-H, --header <key=value>", "a header on every record; repeat for more", keyValue, [])
    .option("-p, --partition <n>", "send every record to this partition", integer(0))
    .option("--acks <acks>", "0, 1 or all", acks, "all" as Acks)
    .option("--linger-ms <ms>", "how long a batch waits for more lines", integer(0, 60_000), 5)
    .action(async (topic: string, options: ProduceOptions, command: Command) => {
      const ctx = CliContext.of(command, io);
      const producer = ctx.client.producer({ acks: options.acks, lingerMs: options.lingerMs });
      const progress = new Progress("produced", io.stderr);
      const headers = options.header.map(([key, value]) => ({ key, value }));
      const startMs = Date.now();
      let failure: unknown;
      let lineNumber = 0;
      const lines = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      try {
        for await (const line of lines) {
          lineNumber++;
          if (failure !== undefined) break;
          const record = parseLine(line, lineNumber, options, headers);
          producer.send(topic, record).then(
            () => progress.add(1),
            (error: unknown) => void (failure ??= error),
          );
          // Backpressure: wait while the producer holds its buffer's worth of unacknowledged records.
          await producer.ready();
        }
      } catch (error) {
        failure ??= error;
      } finally {
        lines.close();
        await producer.close();
        progress.done();
      }
      if (failure !== undefined) {
        ctx.note(`edgelog: ${progress.records} of ${lineNumber} lines were produced to '${topic}' before the failure below`);
        throw failure;
      }
      const elapsedMs = Date.now() - startMs;
      const summary = { topic, records: progress.records, elapsedMs };
      if (ctx.json) ctx.say(summary, "");
      else if (io.stderr.isTTY) ctx.note(`produced ${progress.records.toLocaleString("en-US")} records to ${topic} in ${(elapsedMs / 1000).toFixed(1)} s`);
    });
}

function parseLine(line: string, lineNumber: number, options: ProduceOptions, headers: ProducerRecord["headers"] & unknown[]): ProducerRecord {
  const record: ProducerRecord = { value: line };
  if (options.keySeparator !== undefined) {
    const at = line.indexOf(options.keySeparator);
    if (at < 0) throw new Error(`line ${lineNumber} has no key separator '${options.keySeparator}'`);
    record.key = line.slice(0, at);
    record.value = line.slice(at + options.keySeparator.length);
  }
  if (headers.length > 0) record.headers = headers;
  if (options.partition !== undefined) record.partition = options.partition;
  return record;
}
