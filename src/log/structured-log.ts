// Structured logs: one JSON object per line, with a `level` and an `event` name, written through console.log (debug,
// info), console.warn (warn) or console.error (error) so `wrangler tail --format json` and Workers Logs index the
// fields and filter by level. EDGELOG_LOG_LEVEL sets the lowest level written (default info). Only the fields a caller
// names are written, and a field whose name looks like a credential is dropped, so no token or Authorization header
// can reach a log line. Pure: no `cloudflare:*`, no env; the callers pass the level string in.

export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export const DEFAULT_LOG_LEVEL: LogLevel = "info";

/** Field names never written, whatever a caller passes (compared lower-cased, without - and _). */
const SECRET_FIELDS = new Set(["authorization", "token", "bearer", "secret", "password", "apikey", "cookie"]);

export type LogFields = Record<string, string | number | boolean | null | undefined | readonly (string | number)[]>;

/** EDGELOG_LOG_LEVEL's value: one of the four levels (any case); anything else (unset, a typo) is the default. */
export function logLevelOf(value: string | undefined): LogLevel {
  const v = value?.trim().toLowerCase();
  return v !== undefined && v in RANK ? (v as LogLevel) : DEFAULT_LOG_LEVEL;
}

export function enabled(level: LogLevel, threshold: LogLevel): boolean {
  return RANK[level] >= RANK[threshold];
}

/** The object written for one line: level and event first, then the fields that have a value, secrets dropped. */
export function logRecord(level: LogLevel, event: string, fields: LogFields): Record<string, unknown> {
  const out: Record<string, unknown> = { level, event };
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || SECRET_FIELDS.has(key.toLowerCase().replace(/[-_]/g, ""))) continue;
    out[key] = value;
  }
  return out;
}

export interface LogSink {
  log(line: unknown): void;
  warn(line: unknown): void;
  error(line: unknown): void;
}

/** Writes lines at or above its threshold to the sink (console by default). */
export class Logger {
  readonly threshold: LogLevel;

  constructor(level: string | undefined, private readonly sink: LogSink = console) {
    this.threshold = logLevelOf(level);
  }

  write(level: LogLevel, event: string, fields: LogFields = {}): void {
    if (!enabled(level, this.threshold)) return;
    const line = logRecord(level, event, fields);
    if (level === "error") this.sink.error(line);
    else if (level === "warn") this.sink.warn(line);
    else this.sink.log(line);
  }

  debug(event: string, fields?: LogFields): void {
    this.write("debug", event, fields);
  }

  info(event: string, fields?: LogFields): void {
    this.write("info", event, fields);
  }

  warn(event: string, fields?: LogFields): void {
    this.write("warn", event, fields);
  }

  error(event: string, fields?: LogFields): void {
    this.write("error", event, fields);
  }
}

/** One Logger per level string (an isolate sees one env; objects and the router share it). */
const loggers = new Map<string, Logger>();

export function loggerFor(level: string | undefined): Logger {
  const key = level ?? "";
  let logger = loggers.get(key);
  if (logger === undefined) loggers.set(key, (logger = new Logger(level)));
  return logger;
}
