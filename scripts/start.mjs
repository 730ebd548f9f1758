// `npm start`: runs a local edgelog and the example consumer Worker (examples/consumer) in one `wrangler dev`
// (workerd via Miniflare; data kept under .wrangler/state unless --persist-to says otherwise), edgelog's service
// binding EXAMPLE_CONSUMER reaching the consumer, after a banner saying where it listens, where data lives and
// whether auth is on (from the variables actually in force: scripts/dev-config.mjs). Extra flags pass through:
//   npm start -- --port 8799 --persist-to .data/dev
//   npm start -- --env-file auth.env
import { spawn } from "node:child_process";
import { unwatchFile, watchFile, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { banner, consumerName, CONSUMER_CONFIG, DEFAULT_PERSIST_TO, DEV_CONFIG, devConfigText, flagValues, hasFlag, varsInForce } from "./dev-config.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
if (hasFlag(args, ["-c", "--config"])) {
  console.error(`npm start chooses the configs itself (${DEV_CONFIG} and ${CONSUMER_CONFIG}); for others, run \`npx wrangler dev -c …\` directly.`);
  process.exit(2);
}
const ip = flagValues(args, ["--ip"])[0] ?? "127.0.0.1";
const port = flagValues(args, ["--port"])[0] ?? "8787";
const url = `http://${ip}:${port}`;

const writeDevConfig = () => writeFileSync(join(root, DEV_CONFIG), devConfigText(root));
writeDevConfig();
// wrangler reloads when its config changes; it watches the written config, so follow wrangler.toml into it.
watchFile(join(root, "wrangler.toml"), { interval: 1_000 }, writeDevConfig);

const { vars, from } = varsInForce(root, args);
const persistTo = flagValues(args, ["--persist-to"])[0] ?? DEFAULT_PERSIST_TO;
console.log(banner({ url, persistTo, vars, from, consumer: consumerName(root) }));

const child = spawn(
  "npx",
  [
    "wrangler",
    "dev",
    // The first config is the one that listens (edgelog); the consumer has no port of its own.
    "-c",
    DEV_CONFIG,
    "-c",
    CONSUMER_CONFIG,
    ...(hasFlag(args, ["--ip"]) ? [] : ["--ip", ip]),
    ...(hasFlag(args, ["--port"]) ? [] : ["--port", port]),
    ...args,
  ],
  {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", X_LOCAL_OBSERVABILITY: "false" },
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => {
  unwatchFile(join(root, "wrangler.toml"));
  process.exit(code ?? 0);
});
