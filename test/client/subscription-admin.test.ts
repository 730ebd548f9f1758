// Admin's subscription calls over the RPC transport: each reaches the EdgelogRpc method of the same name with the
// same inputs, a Result's value comes back as is, an error Result is an EdgelogError with the server's type and code,
// and reads (not create or delete) are retried on a retriable error. The binding is a recording object standing in
// for the service binding (the calls over HTTP are in test/cli/subscriptions.node.test.ts).
import { describe, expect, it } from "vitest";
import { Admin } from "../../src/client/admin";
import { EdgelogError } from "../../src/client/edgelog-error";
import { RpcTransport, type EdgelogBinding } from "../../src/client/rpc-transport";
import { errorBody, type Result } from "../../src/errors";

type Call = [method: string, ...args: unknown[]];

/** A binding whose every method records its call and answers what `answer` says. */
function binding(answer: (call: Call) => Result<unknown>): { binding: EdgelogBinding; calls: Call[] } {
  const calls: Call[] = [];
  const proxy = new Proxy({}, {
    get: (_target, method: string) => async (...args: unknown[]) => {
      const call: Call = [method, ...args];
      calls.push(call);
      return answer(call);
    },
  });
  return { binding: proxy as EdgelogBinding, calls };
}

describe("Admin's subscription calls over RPC", () => {
  it("call the method of the same name with the same inputs and return its value", async () => {
    const { binding: rpc, calls } = binding(([method]) => ({ ok: true, value: { answered: method } }));
    const admin = new Admin(new RpcTransport(rpc));
    const create = { name: "audit", topics: ["orders"], target: { type: "service" as const, binding: "EXAMPLE_CONSUMER" }, startAt: "earliest" as const };
    const answers = [
      await admin.createSubscription(create),
      await admin.listSubscriptions(),
      await admin.describeSubscription("audit"),
      await admin.alterSubscription("audit", { maxRetries: 5, deadLetterTopic: null }),
      await admin.pauseSubscription("audit"),
      await admin.resetSubscriptionOffsets("audit", { topic: "orders", to: { offset: 3 }, partitions: [1] }),
      await admin.resumeSubscription("audit"),
      await admin.deleteSubscription("audit"),
    ];
    expect(calls).toEqual([
      ["createSubscription", create],
      ["listSubscriptions"],
      ["describeSubscription", "audit"],
      ["alterSubscription", "audit", { maxRetries: 5, deadLetterTopic: null }],
      ["pauseSubscription", "audit"],
      ["resetSubscriptionOffsets", "audit", { topic: "orders", to: { offset: 3 }, partitions: [1] }],
      ["resumeSubscription", "audit"],
      ["deleteSubscription", "audit"],
    ]);
    expect(answers).toEqual(calls.map(([method]) => ({ answered: method })));
  });

  it("an error Result is an EdgelogError with edgelog's type, code and message", async () => {
    const { binding: rpc } = binding(() => ({ ok: false, error: errorBody("GROUP_ID_NOT_FOUND", "subscription 'nope' does not exist") }));
    const admin = new Admin(new RpcTransport(rpc));
    const failed = await admin.describeSubscription("nope").catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(EdgelogError);
    expect(failed).toMatchObject({ type: "GROUP_ID_NOT_FOUND", code: 69, status: 404, retriable: false, message: "subscription 'nope' does not exist" });
  });

  it("reads are retried on a retriable error; create and delete are not", async () => {
    let failures = 1;
    const { binding: rpc, calls } = binding(() => (failures-- > 0 ? { ok: false, error: errorBody("COORDINATOR_NOT_AVAILABLE", "loading") } : { ok: true, value: [] }));
    const admin = new Admin(new RpcTransport(rpc), { retries: 2 });
    expect(await admin.listSubscriptions()).toEqual([]);
    expect(calls.map(([method]) => method)).toEqual(["listSubscriptions", "listSubscriptions"]);

    for (const attempt of [() => admin.createSubscription({ name: "a", topics: ["t"], target: { type: "r2", prefix: "p/" } }), () => admin.deleteSubscription("a")]) {
      calls.length = 0;
      failures = 1;
      await expect(attempt()).rejects.toMatchObject({ type: "COORDINATOR_NOT_AVAILABLE", retriable: true });
      expect(calls).toHaveLength(1);
    }
  });
});
