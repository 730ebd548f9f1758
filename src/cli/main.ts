// The `edgelog` command: Kafka's shell tools over edgelog's HTTP API, built on commander. main() parses, runs one
// command and returns the exit code: 0 done, 1 edgelog refused or the command failed, 2 a usage error, 3 edgelog
// could not be reached. Messages go to stderr and name what went wrong and, where it helps, what to do.
import { Command, CommanderError, Option } from "commander";
import { EdgelogError } from "../client/edgelog-error";
import packageJson from "../../package.json";
import { consumeCommand } from "./consume";
import { DEFAULT_URL, type Io } from "./context";
import { groupsCommand } from "./groups";
import { url } from "./options";
import { offsetsCommand } from "./offsets";
import { produceCommand } from "./produce";
import { shareGroupsCommand } from "./share-groups";
import { subscriptionsCommand } from "./subscriptions";
import { topicsCommand } from "./topics";
import { transactionsCommand } from "./transactions";

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3 } as const;

export function program(io: Io): Command {
  const root = new Command("edgelog")
    .description("Kafka's shell tools for edgelog: topics, produce, consume, consumer groups, offsets, subscriptions, share groups, transactions")
    .version(packageJson.version, "-V, --version")
    .addOption(new Option("--url <url>", "edgelog's base URL").env("EDGELOG_URL").default(DEFAULT_URL).argParser(url))
    .addOption(new Option("--token <token>", "sent as Authorization: Bearer <token>").env("EDGELOG_TOKEN"))
    .option("--json", "print JSON instead of tables")
    .showHelpAfterError("(add --help for usage)")
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .exitOverride();
  for (const command of [topicsCommand(io), produceCommand(io), consumeCommand(io), groupsCommand(io), offsetsCommand(io), subscriptionsCommand(io), shareGroupsCommand(io), transactionsCommand(io)]) {
    root.addCommand(command);
  }
  // Every subcommand reports through the same exits, and accepts the global options after its own name too.
  for (const command of allCommands(root)) {
    command.exitOverride().configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) });
    command.showHelpAfterError("(add --help for usage)");
  }
  return root;
}

export async function main(argv: string[], io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const root = program(io);
  // The command that ran, for hints that depend on it (a subscription's group is not one `groups list` shows).
  let ran: Command | undefined;
  root.hook("preAction", (_root, action) => {
    ran = action;
  });
  try {
    await root.parseAsync(argv, { from: "user" });
    return EXIT.OK;
  } catch (error) {
    return report(error, io, argv, ran?.parent?.name());
  }
}

function report(error: unknown, io: Io, argv: string[], family: string | undefined): number {
  if (error instanceof CommanderError) {
    // Help and version are "errors" to commander; it has printed them already.
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT.OK;
    if (error.exitCode === 0) return EXIT.OK;
    return EXIT.USAGE;
  }
  if (error instanceof EdgelogError) {
    if (error.type === "NETWORK_EXCEPTION" || error.type === "REQUEST_TIMED_OUT") {
      io.stderr.write(`edgelog: cannot reach edgelog: ${error.message}\n`);
      io.stderr.write(`  Is it running? Start one with \`npm start\`, or point --url / EDGELOG_URL at it.\n`);
      return EXIT.UNREACHABLE;
    }
    io.stderr.write(`edgelog: ${error.type} (${error.code}): ${error.message}\n`);
    const hint = (family === "subscriptions" ? SUBSCRIPTION_HINTS[error.type] : family === "share-groups" ? SHARE_GROUP_HINTS[error.type] : undefined) ?? HINTS[error.type];
    if (hint) io.stderr.write(`  ${hint}\n`);
    return EXIT.FAILED;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`edgelog: ${message}\n`);
  if (process.env.EDGELOG_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
  else if (!(error instanceof Error) || error.name !== "Error") io.stderr.write(`  (command: edgelog ${argv.join(" ")}; set EDGELOG_DEBUG=1 for the stack)\n`);
  return EXIT.FAILED;
}

const HINTS: Partial<Record<string, string>> = {
  UNKNOWN_TOPIC_OR_PARTITION: "List topics with `edgelog topics list`; create one with `edgelog topics create NAME --partitions N`.",
  GROUP_ID_NOT_FOUND: "List groups with `edgelog groups list`.",
  TRANSACTIONAL_ID_NOT_FOUND: "List transactional ids with `edgelog transactions list`.",
  NON_EMPTY_GROUP: "Stop the group's consumers first (`edgelog groups describe GROUP` shows them).",
  INCONSISTENT_GROUP_PROTOCOL: "That group is a subscription's: `edgelog subscriptions describe NAME` shows it, and `edgelog subscriptions` changes it.",
  SASL_AUTHENTICATION_FAILED: "Pass a valid token with --token or EDGELOG_TOKEN.",
  TOPIC_AUTHORIZATION_FAILED: "The token is not allowed to do this to that topic.",
  GROUP_AUTHORIZATION_FAILED: "The token is not allowed to use that group.",
  CLUSTER_AUTHORIZATION_FAILED: "The token is not allowed to do this.",
};

/** A subscription is a consumer group edgelog is the only member of: its errors speak of groups. */
const SUBSCRIPTION_HINTS: Partial<Record<string, string>> = {
  GROUP_ID_NOT_FOUND: "List subscriptions with `edgelog subscriptions list`.",
  NON_EMPTY_GROUP: "Pause the subscription first: `edgelog subscriptions pause NAME` (and `resume` after).",
  SUBSCRIPTION_ALREADY_EXISTS: "`edgelog subscriptions describe NAME` shows it; pick another name, or delete it first.",
  INCONSISTENT_GROUP_PROTOCOL: "A consumer group has that name (`edgelog groups list`): a subscription needs a name of its own.",
};

/** A share group's errors: its own list, and reset needs nothing in flight rather than no members. */
const SHARE_GROUP_HINTS: Partial<Record<string, string>> = {
  GROUP_ID_NOT_FOUND: "List share groups with `edgelog share-groups list`; create one with `edgelog share-groups create GROUP`.",
  NON_EMPTY_GROUP: "Stop the group's consumers and let their leases end (`edgelog share-groups describe GROUP` shows what is ACQUIRED).",
  INCONSISTENT_GROUP_PROTOCOL: "A consumer group or a subscription has that name: a share group needs a name of its own.",
};

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((c) => [c, ...allCommands(c)]);
}
