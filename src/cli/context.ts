// What every command gets: the client built from --url/--token (or EDGELOG_URL/EDGELOG_TOKEN), the output streams,
// and --json. Tables go to a terminal and JSON with --json; diagnostics always go to stderr.
import type { Command } from "commander";
import type { Admin } from "../client/admin";
import { Edgelog } from "../client/edgelog";
import { formatTable, type Cell } from "./table";

export const DEFAULT_URL = "http://127.0.0.1:8787";
/** A person is waiting: two quick retries of a read, not the client's patient five. */
export const CLI_RETRIES = 2;

export interface Io {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

export interface GlobalOptions {
  url: string;
  token?: string;
  json?: boolean;
}

export class CliContext {
  readonly client: Edgelog;
  readonly admin: Admin;
  readonly json: boolean;
  readonly url: string;

  constructor(
    options: GlobalOptions,
    readonly io: Io,
  ) {
    this.url = options.url;
    this.json = options.json === true;
    this.client = new Edgelog({ url: options.url, ...(options.token ? { token: options.token } : {}) });
    this.admin = this.client.admin({ retries: CLI_RETRIES });
  }

  static of(command: Command, io: Io): CliContext {
    return new CliContext(command.optsWithGlobals<GlobalOptions>(), io);
  }

  /** --json: the value as JSON; else a table. */
  print(value: unknown, headers: string[], rows: Cell[][]): void {
    this.io.stdout.write(this.json ? JSON.stringify(value) + "\n" : formatTable(headers, rows));
  }

  /** --json: the value as JSON; else a line of text. */
  say(value: unknown, text: string): void {
    this.io.stdout.write(this.json ? JSON.stringify(value) + "\n" : text + "\n");
  }

  note(text: string): void {
    this.io.stderr.write(text + "\n");
  }
}
