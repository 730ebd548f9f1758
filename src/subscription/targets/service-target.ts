// A Worker target: edgelog calls `env[binding][method](batch)` over a service binding (Workers RPC), and the consumer's
// answer (a DeliveryResponse, or nothing) says which records to deliver again. No cloudflare:* import: the binding is
// whatever edgelog's env holds under that name.
import type { DeliveryBatch, ServiceTarget } from "../../subscription-protocol";
import { DEFAULT_SERVICE_TIMEOUT_MS, MAX_SERVICE_METHOD_LENGTH, MAX_SERVICE_TIMEOUT_MS } from "../../limits";
import { type DeliveryOutcome, type DeliveryTarget, errorMessage, failed, outcomeOf } from "./delivery-target";

/** The method a ServiceTarget calls when it names none. */
export const DEFAULT_SERVICE_METHOD = "deliver";

/**
 * Names a consumer Worker may not use for its delivery method: a Fetcher's own methods (called with a batch they would
 * misread), promise and object plumbing an RPC stub must not be asked for, and WorkerEntrypoint's event handlers.
 */
const RESERVED_METHODS = new Set([
  "fetch", "connect", "then", "constructor", "dup", "toString", "valueOf", "toJSON",
  "tail", "trace", "scheduled", "queue", "email", "alarm", "test", "tailStream",
]);

export function serviceTarget(env: object, target: ServiceTarget): DeliveryTarget {
  return { deliver: (batch) => deliverToService(env, target, batch) };
}

/**
 * The env bindings that are service bindings (Fetchers), sorted: what a ServiceTarget's `binding` may name. A service
 * binding has fetch and connect; Durable Object namespaces, R2 buckets, KV namespaces, queues, D1 and plain vars have
 * not. (A Fetcher with RPC answers every property name with a method stub, idFromName included, so the test is what it
 * has, never what it lacks.) Names starting with "__" are the runtime's or the test pool's own, never a consumer.
 */
export function serviceBindings(env: object): string[] {
  return Object.keys(env)
    .filter((name) => !name.startsWith("__") && isServiceBinding((env as Record<string, unknown>)[name]))
    .sort();
}

/** Why `binding` cannot be a ServiceTarget's binding in `env`, naming the bound services; undefined if it can. */
export function checkServiceBinding(binding: unknown, env: object): string | undefined {
  const bound = serviceBindings(env);
  if (typeof binding === "string" && bound.includes(binding)) return undefined;
  const list = bound.length === 0 ? "none is bound (add [[services]] to edgelog's wrangler.toml)" : `bound services: ${bound.join(", ")}`;
  return `binding ${JSON.stringify(binding)} is not a service binding of edgelog; ${list}`;
}

/** Why `method` cannot be a ServiceTarget's method, or undefined if it can. */
export function checkServiceMethod(method: unknown): string | undefined {
  if (typeof method !== "string" || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(method)) return "method must be a JavaScript identifier (the consumer's RPC method, e.g. deliver)";
  if (method.length > MAX_SERVICE_METHOD_LENGTH) return `method is ${method.length} characters; at most ${MAX_SERVICE_METHOD_LENGTH}`;
  if (RESERVED_METHODS.has(method) || method.startsWith("__")) return `method ${method} is reserved (a Fetcher's, a promise's or an event handler's); name the consumer's delivery method, e.g. deliver`;
  return undefined;
}

function isServiceBinding(value: unknown): boolean {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  try {
    const candidate = value as { fetch?: unknown; connect?: unknown };
    return typeof candidate.fetch === "function" && typeof candidate.connect === "function";
  } catch {
    return false;
  }
}

const TIMED_OUT = Symbol("timed out");

async function deliverToService(env: object, target: ServiceTarget, batch: DeliveryBatch): Promise<DeliveryOutcome> {
  const service = (env as Record<string, unknown>)[target.binding];
  if (!isServiceBinding(service)) return failed(`${target.binding} is not a service binding of edgelog (was it removed from wrangler.toml?)`);
  const method = target.method || DEFAULT_SERVICE_METHOD;
  const timeoutMs = Math.min(target.timeoutMs || DEFAULT_SERVICE_TIMEOUT_MS, MAX_SERVICE_TIMEOUT_MS);
  let call: Promise<unknown>;
  try {
    const stub = service as Record<string, (batch: DeliveryBatch) => unknown>;
    if (typeof stub[method] !== "function") return failed(`${target.binding} has no method ${method}`);
    // Called as stub[method](...), never through fn.call: an RPC method stub answers "call" as a remote method too.
    call = Promise.resolve(stub[method](batch));
  } catch (error) {
    return failed(`${target.binding}.${method} threw: ${errorMessage(error)}`);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), timeoutMs);
  });
  try {
    const answer = await Promise.race([call, timeout]);
    if (answer === TIMED_OUT) {
      // An RPC cannot be cancelled: its late answer is dropped (the batch is delivered again, at least once).
      call.then(dispose, () => {});
      return failed(`${target.binding}.${method} timed out after ${timeoutMs} ms`);
    }
    try {
      return outcomeOf(answer, batch);
    } finally {
      dispose(answer);
    }
  } catch (error) {
    return failed(`${target.binding}.${method} threw: ${errorMessage(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** An RPC result holding stubs keeps them alive until disposed; a plain answer has nothing to release. */
function dispose(result: unknown): void {
  if (result === null || typeof result !== "object" || typeof Symbol.dispose !== "symbol") return;
  try {
    const disposer = (result as { [Symbol.dispose]?: unknown })[Symbol.dispose];
    if (typeof disposer === "function") disposer.call(result);
  } catch {
    // Releasing is best effort; the outcome is already decided.
  }
}
