// edgelog's version: package.json's "version", inlined when the Worker is bundled (esbuild, as wrangler and
// scripts/bench/edgelog-server.mjs run it, and Vite in the tests import a JSON file's fields as named exports and keep
// only the one used). Shown by GET /healthz and the console's overview.
import { version } from "../package.json";

export const VERSION: string = version;
