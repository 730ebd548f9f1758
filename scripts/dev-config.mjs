// What `npm start` runs and what its banner says, as functions of the repository's files and the flags given (so a
// test can check them without starting anything). edgelog and the example consumer Worker (examples/consumer) run
// in one `wrangler dev` from two configs; edgelog's is wrangler.toml plus the service binding to the consumer, written
// to DEV_CONFIG beside wrangler.toml (a deployment must not bind a service that may not exist, so wrangler.toml does
// not carry it). Beside wrangler.toml, because wrangler reads every path of a config relative to the config's own
// folder: `main`, .dev.vars, .env files, --env-file paths, the default .wrangler/state.
import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve, sep } from "node:path";

export const DEV_CONFIG = ".wrangler.dev.toml";
export const CONSUMER_CONFIG = "examples/consumer/wrangler.toml";
export const CONSUMER_BINDING = "EXAMPLE_CONSUMER";
export const CONSUMER_ENTRYPOINT = "Consumer";
export const DEFAULT_PERSIST_TO = ".wrangler/state";

/** Where EDGELOG_AUTH=off is honoured: src/http/auth.ts's OPEN_ENVIRONMENTS (authIsOff). */
const OPEN_ENVIRONMENTS = new Set(["development", "test", "bench"]);

/**
 * The values of a `wrangler dev` flag in `args` (`flags`: its spellings, e.g. ["--env", "-e"]): `--name v`,
 * `--name=v`, repeated; for wrangler's array flags (--env-file, --var) also `--name v1 v2` (yargs takes values up to
 * the next flag).
 */
export function flagValues(args, flags, { array = false } = {}) {
  const values = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const inline = flags.find((flag) => arg.startsWith(`${flag}=`));
    if (inline) values.push(arg.slice(inline.length + 1));
    else if (flags.includes(arg)) {
      while (i + 1 < args.length && !args[i + 1].startsWith("-")) {
        values.push(args[++i]);
        if (!array) break;
      }
    }
  }
  return values;
}

export function hasFlag(args, flags) {
  return args.some((arg) => flags.some((flag) => arg === flag || arg.startsWith(`${flag}=`)));
}

/** The consumer Worker's name (its wrangler.toml's), which the service binding names. */
export function consumerName(root) {
  const name = /^name\s*=\s*"([^"]+)"/m.exec(readFileSync(join(root, CONSUMER_CONFIG), "utf8"))?.[1];
  if (!name) throw new Error(`${CONSUMER_CONFIG} has no name = "…"`);
  return name;
}

/** edgelog's development config: wrangler.toml as it is, and the service binding to the example consumer. */
export function devConfigText(root) {
  return [
    `# Written by scripts/start.mjs from wrangler.toml for \`npm start\`, again whenever wrangler.toml changes: edit that.`,
    `# The service binding below exists only here: the example consumer runs only under \`npm start\`.`,
    readFileSync(join(root, "wrangler.toml"), "utf8").trimEnd(),
    "",
    "[[services]]",
    `binding = "${CONSUMER_BINDING}"`,
    `service = "${consumerName(root)}"`,
    `entrypoint = "${CONSUMER_ENTRYPOINT}"`,
    "",
  ].join("\n");
}

/** The `KEY = "value"` entries of one table of a TOML file (enough for [vars], which holds strings). */
function tomlTable(text, header) {
  const out = {};
  let inside = false;
  for (const line of text.split("\n")) {
    const table = /^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(line);
    if (table) {
      inside = table[1].trim() === header;
      continue;
    }
    const entry = inside && /^\s*([A-Za-z_][\w-]*)\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(line);
    if (entry) out[entry[1]] = entry[2] ?? entry[3];
  }
  return out;
}

/** KEY=VALUE lines as dotenv reads them (comments, `export `, quotes); enough for the settings the banner reports. */
export function parseDotenv(text) {
  const out = {};
  for (const line of text.split(/\r?\n/)) {
    const entry = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)$/.exec(line);
    if (!entry) continue;
    let value = entry[2].trim();
    const quoted = /^(["'`])(.*?)\1\s*(?:#.*)?$/.exec(value);
    value = quoted ? quoted[2] : value.replace(/\s+#.*$/, "");
    out[entry[1]] = value;
  }
  return out;
}

/**
 * The variables edgelog's Worker gets under `wrangler dev` with these flags, and where each came from, as wrangler
 * 4's getVarsForDev decides: wrangler.toml's [vars] (or [env.NAME.vars] with --env NAME), overridden by the
 * --env-file files in order or, without any, by .dev.vars(.NAME) or, without that, the .env files; then --var.
 */
export function varsInForce(root, args, processEnv = process.env) {
  const vars = {};
  const from = {};
  const set = (values, source) => {
    for (const [key, value] of Object.entries(values)) {
      vars[key] = value;
      from[key] = source;
    }
  };
  const env = flagValues(args, ["--env", "-e"])[0];
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  set(tomlTable(toml, env === undefined ? "vars" : `env.${env}.vars`), env === undefined ? "wrangler.toml [vars]" : `wrangler.toml [env.${env}.vars]`);

  const envFiles = flagValues(args, ["--env-file"], { array: true });
  const fromDotEnv = processEnv.CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV !== "false";
  const load = (files) => {
    for (const file of files) {
      const path = resolve(root, file);
      if (existsSync(path)) set(parseDotenv(readFileSync(path, "utf8")), path.startsWith(root + sep) ? relative(root, path) : path);
    }
    if (processEnv.CLOUDFLARE_INCLUDE_PROCESS_ENV === "true") {
      set(Object.fromEntries(Object.entries(processEnv).filter(([key]) => key.startsWith("EDGELOG_"))), "the environment (CLOUDFLARE_INCLUDE_PROCESS_ENV)");
    }
  };
  if (envFiles.length > 0) {
    if (fromDotEnv) load(envFiles);
  } else {
    const devVars = [env === undefined ? undefined : `.dev.vars.${env}`, ".dev.vars"].find((name) => name !== undefined && existsSync(join(root, name)));
    if (devVars !== undefined) set(parseDotenv(readFileSync(join(root, devVars), "utf8")), devVars);
    else if (fromDotEnv) load([".env", ".env.local", ...(env === undefined ? [] : [`.env.${env}`, `.env.${env}.local`])]);
  }
  for (const entry of flagValues(args, ["--var"], { array: true })) {
    const at = entry.indexOf(":");
    if (at > 0) set({ [entry.slice(0, at)]: entry.slice(at + 1) }, "--var");
  }
  return { vars, from };
}

/** src/http/auth.ts's authIsOff, on these variables. */
export function authIsOff(vars) {
  return vars.EDGELOG_AUTH === "off" && OPEN_ENVIRONMENTS.has(vars.EDGELOG_ENV ?? "production");
}

/** "EDGELOG_AUTH=off and EDGELOG_ENV=development, from .dev.vars", or each with its own source. */
function settings(keys, vars, from) {
  const set = keys.filter((key) => vars[key] !== undefined);
  const sources = new Set(set.map((key) => from[key]));
  const unset = keys.filter((key) => vars[key] === undefined).map((key) => `${key} unset`);
  const given =
    sources.size === 1 ? [`${set.map((key) => `${key}=${vars[key]}`).join(" and ")}, from ${[...sources][0]}`] : set.map((key) => `${key}=${vars[key]} from ${from[key]}`);
  return [...given, ...unset].join("; ");
}

/** What `npm start` prints before wrangler's own output. */
export function banner({ url, persistTo, vars, from, consumer }) {
  const cliUrl = url === "http://127.0.0.1:8787" ? "" : ` --url ${url}`;
  const environment = vars.EDGELOG_ENV ?? "production";
  const both = settings(["EDGELOG_AUTH", "EDGELOG_ENV"], vars, from);
  const auth = authIsOff(vars)
    ? `OFF: every request is allowed (${both}). Deployments need tokens: docs/security.md`
    : vars.EDGELOG_AUTH === "off"
      ? `ON: requests need a token; EDGELOG_AUTH=off is ignored outside development, test and bench (${both}). docs/security.md`
      : `ON: requests need a token, Authorization: Bearer <token> (${both}). docs/security.md`;
  return `
edgelog (local, EDGELOG_ENV=${environment}): ${url}
  data: ${persistTo} (delete it to start empty)
  auth: ${auth}
  consumer: ${consumer} (${CONSUMER_CONFIG.replace(/\/wrangler\.toml$/, "")}) runs here too, bound to edgelog as ${CONSUMER_BINDING}
            (wrangler lists that binding as [not connected]: it looks for other dev processes only)
  try:  curl -s -X POST ${url}/v1/topics -H 'content-type: application/json' -d '{"name":"orders","partitions":3}'
        curl -s -X POST ${url}/v1/topics/orders/records -H 'content-type: application/json' -d '{"records":[{"key":"k1","value":"hello"}]}'
        curl -s '${url}/v1/topics/orders/partitions/0/records?offset=0'
        npx edgelog subscriptions create example --topic orders --service ${CONSUMER_BINDING} --start-at earliest${cliUrl}
`;
}
