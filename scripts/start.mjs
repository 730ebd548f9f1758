// `npm start`: runs a local edgelog with `wrangler dev` (workerd via Miniflare; data kept under .wrangler/state
// unless --persist-to says otherwise), after printing the URL and a curl line to try. Extra flags pass through:
//   npm start -- --port 8799 --persist-to .data/dev
import { spawn } from "node:child_process";

const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return fallback;
  return args[i].includes("=") ? args[i].split("=")[1] : args[i + 1];
};
const port = flag("port", "8787");
const ip = flag("ip", "127.0.0.1");
const url = `http://${ip}:${port}`;
const hasIp = args.some((a) => a === "--ip" || a.startsWith("--ip="));
const hasPort = args.some((a) => a === "--port" || a.startsWith("--port="));

console.log(`
edgelog (local, development): ${url}
  data: ${flag("persist-to", ".wrangler/state")}
  auth: OFF (EDGELOG_AUTH=off in .dev.vars): every request is allowed. Deployments need tokens: docs/security.md
  try:  curl -s -X POST ${url}/v1/topics -H 'content-type: application/json' -d '{"name":"orders","partitions":3}'
        curl -s -X POST ${url}/v1/topics/orders/records -H 'content-type: application/json' -d '{"records":[{"key":"k1","value":"hello"}]}'
        curl -s '${url}/v1/topics/orders/partitions/0/records?offset=0'
`);

const child = spawn(
  "npx",
  ["wrangler", "dev", ...(hasIp ? [] : ["--ip", ip]), ...(hasPort ? [] : ["--port", port]), ...args],
  {
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", X_LOCAL_OBSERVABILITY: "false" },
  },
);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
