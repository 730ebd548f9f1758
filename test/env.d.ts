// Types the bindings the tests see through `env` from cloudflare:workers.
declare namespace Cloudflare {
  interface Env extends import("../src/env").Env {}
}
