// The service target against a real consumer Worker: test/fixtures/target-echo-worker.mjs, bound as TARGET_ECHO
// (vitest.config.ts), called over Workers RPC inside workerd.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { checkServiceBinding, checkServiceMethod, serviceBindings, serviceTarget } from "../../../src/subscription/targets/service-target";
import { targetFor } from "../../../src/subscription/targets/target-for";
import type { DeliveredRecord, DeliveryBatch, ServiceTarget } from "../../../src/subscription-protocol";
import { MAX_SERVICE_METHOD_LENGTH, MAX_SERVICE_TIMEOUT_MS } from "../../../src/limits";

interface EchoTarget {
  received(): Promise<DeliveryBatch[]>;
}
const bindings = env as unknown as Record<string, unknown> & { TARGET_ECHO: EchoTarget };

let batches = 0;
/** A batch whose records carry `values`, at offsets 100, 101, ...; each batch names a fresh subscription. */
function batchOf(...values: (string | null)[]): DeliveryBatch {
  batches++;
  const records: DeliveredRecord[] = values.map((value, i) => ({
    offset: 100 + i,
    timestamp: 1_700_000_000_000 + i,
    key: i % 2 === 0 ? `k${i}` : null,
    value,
    headers: [{ key: "h", value: `${i}` }],
  }));
  return { subscription: `svc-${batches}`, topic: "orders", partition: 2, attempt: 1, records };
}

const target = (overrides: Partial<ServiceTarget> = {}): ServiceTarget => ({ type: "service", binding: "TARGET_ECHO", method: "deliver", timeoutMs: 5_000, ...overrides });

async function receivedBy(subscription: string): Promise<DeliveryBatch[]> {
  return (await bindings.TARGET_ECHO.received()).filter((b) => b.subscription === subscription);
}

describe("service target: delivering over a service binding", () => {
  it("acknowledges a batch the consumer answers nothing to, and the consumer gets the batch intact", async () => {
    const batch = batchOf("a", null, "c");
    expect(await serviceTarget(env, target()).deliver(batch)).toEqual({ kind: "acked" });
    expect(await receivedBy(batch.subscription)).toEqual([batch]);
  });

  it("calls the target's method, and 'deliver' when it names none", async () => {
    const named = batchOf("x");
    expect(await serviceTarget(env, target({ method: "handleBatch" })).deliver(named)).toEqual({ kind: "acked" });
    expect(await receivedBy(named.subscription)).toHaveLength(1);
    const unnamed = batchOf("y");
    expect(await serviceTarget(env, target({ method: "" })).deliver(unnamed)).toEqual({ kind: "acked" });
    expect(await receivedBy(unnamed.subscription)).toHaveLength(1);
  });

  it.each<[string, string, unknown]>([
    ["retry of some records", 'answer:{"retry":[{"offset":101,"delayMs":250},{"offset":999}]}', { kind: "partial", retry: [{ offset: 101, delayMs: 250 }] }],
    ["ackUpTo", 'answer:{"ackUpTo":100}', { kind: "partial", retry: [{ offset: 101 }, { offset: 102 }] }],
    ["retryAll with a delay", 'answer:{"retryAll":{"delayMs":1500}}', { kind: "failed", error: "the consumer asked for the whole batch again (retryAll)", delayMs: 1500 }],
    ["ackAll", 'answer:{"ackAll":true}', { kind: "acked" }],
    ["something unrecognised", 'answer:{"status":"done"}', { kind: "acked" }],
  ])("reads the consumer's answer: %s", async (_name, value, expected) => {
    expect(await serviceTarget(env, target()).deliver(batchOf("a", value, "c"))).toEqual(expected);
  });

  it("a consumer's invalid answer acknowledges nothing and says why", async () => {
    const outcome = await serviceTarget(env, target()).deliver(batchOf('answer:{"retry":[{"offset":-1}]}'));
    expect(outcome).toEqual({ kind: "failed", error: "invalid delivery response: retry[0].offset must be a non-negative integer (got -1)" });
  });

  it("a throwing consumer is a failed delivery that keeps the message, not the stack", async () => {
    const outcome = await serviceTarget(env, target()).deliver(batchOf("a", "throw"));
    expect(outcome.kind).toBe("failed");
    if (outcome.kind !== "failed") return;
    expect(outcome.error).toBe("TARGET_ECHO.deliver threw: echo target refuses offset 101");
    expect(outcome.error).not.toContain("target-echo-worker.mjs");
    expect(outcome).not.toHaveProperty("delayMs");
  });

  it("a consumer that does not answer within timeoutMs is a failed delivery", async () => {
    // The consumer answers after a minute; the target gives up after 50 ms (no sleep here: the call itself waits).
    const outcome = await serviceTarget(env, target({ timeoutMs: 50 })).deliver(batchOf("hang"));
    expect(outcome).toEqual({ kind: "failed", error: "TARGET_ECHO.deliver timed out after 50 ms" });
  });

  it("a timeout over MAX_SERVICE_TIMEOUT_MS is held to it (the answer comes first here)", async () => {
    expect(await serviceTarget(env, target({ timeoutMs: MAX_SERVICE_TIMEOUT_MS + 1 })).deliver(batchOf("a"))).toEqual({ kind: "acked" });
  });

  it("a method the consumer does not implement is a failed delivery naming it", async () => {
    const outcome = await serviceTarget(env, target({ method: "nosuchMethod" })).deliver(batchOf("a"));
    expect(outcome.kind === "failed" && outcome.error).toContain('does not implement the method "nosuchMethod"');
  });

  it("a binding that is gone, or is no service, is a failed delivery", async () => {
    expect(await serviceTarget(env, target({ binding: "NO_SUCH_BINDING" })).deliver(batchOf("a"))).toEqual({
      kind: "failed",
      error: "NO_SUCH_BINDING is not a service binding of edgelog (was it removed from wrangler.toml?)",
    });
    expect((await serviceTarget(env, target({ binding: "PARTITION_LOG" })).deliver(batchOf("a"))).kind).toBe("failed");
    expect((await serviceTarget(env, target({ binding: "SEGMENTS" })).deliver(batchOf("a"))).kind).toBe("failed");
  });

  it("targetFor builds the service target", async () => {
    const batch = batchOf("via targetFor");
    expect(await targetFor(env, target()).deliver(batch)).toEqual({ kind: "acked" });
    expect(await receivedBy(batch.subscription)).toHaveLength(1);
  });
});

describe("serviceBindings and checkServiceBinding", () => {
  it("lists the service bindings of edgelog's env, not its objects, buckets, vars or the test pool's own", () => {
    const names = serviceBindings(env);
    expect(names).toContain("TARGET_ECHO");
    for (const other of ["PARTITION_LOG", "CONTROLLER", "GROUP_COORDINATOR", "SEGMENTS", "EDGELOG_ENV"]) expect(names).not.toContain(other);
    expect(names.filter((name) => name.startsWith("__"))).toEqual([]);
    expect(names).toEqual([...names].sort());
  });

  it("tells a Fetcher from every other kind of binding", () => {
    const mixed = {
      Z_SERVICE: bindings.TARGET_ECHO,
      A_SERVICE: bindings.TARGET_ECHO,
      NAMESPACE: bindings.PARTITION_LOG,
      BUCKET: bindings.SEGMENTS,
      VAR: "text",
      NUMBER: 5,
      NOTHING: null,
      FETCH_ONLY: { fetch: () => undefined },
      __INTERNAL: bindings.TARGET_ECHO,
    };
    expect(serviceBindings(mixed)).toEqual(["A_SERVICE", "Z_SERVICE"]);
  });

  it("refuses an unknown binding with the list of bound services", () => {
    expect(checkServiceBinding("TARGET_ECHO", env)).toBeUndefined();
    const unknown = checkServiceBinding("BILLING", env);
    expect(unknown).toContain('binding "BILLING" is not a service binding of edgelog; bound services: ');
    expect(unknown).toContain("TARGET_ECHO");
    expect(checkServiceBinding("SEGMENTS", env)).toContain("is not a service binding");
    expect(checkServiceBinding(42, env)).toContain("binding 42 is not a service binding");
    expect(checkServiceBinding("BILLING", { EDGELOG_ENV: "test" })).toBe(
      'binding "BILLING" is not a service binding of edgelog; none is bound (add [[services]] to edgelog\'s wrangler.toml)',
    );
  });
});

describe("checkServiceMethod", () => {
  it.each(["deliver", "handleBatch", "_private", "$x", "a".repeat(MAX_SERVICE_METHOD_LENGTH)])("accepts %s", (method) => {
    expect(checkServiceMethod(method)).toBeUndefined();
  });

  it.each<[unknown, string]>([
    ["a".repeat(MAX_SERVICE_METHOD_LENGTH + 1), `method is ${MAX_SERVICE_METHOD_LENGTH + 1} characters; at most ${MAX_SERVICE_METHOD_LENGTH}`],
    ["", "must be a JavaScript identifier"],
    ["1deliver", "must be a JavaScript identifier"],
    ["de-liver", "must be a JavaScript identifier"],
    ["a.b", "must be a JavaScript identifier"],
    [42, "must be a JavaScript identifier"],
    ["fetch", "method fetch is reserved"],
    ["connect", "method connect is reserved"],
    ["then", "method then is reserved"],
    ["constructor", "method constructor is reserved"],
    ["queue", "method queue is reserved"],
    ["__proto__", "method __proto__ is reserved"],
  ])("refuses %j", (method, error) => {
    expect(checkServiceMethod(method)).toContain(error);
  });
});
