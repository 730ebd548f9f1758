// A browser's WebSocket cannot send Authorization, so a WebSocket tail may carry its token as a subprotocol
// (src/tail.ts): `Sec-WebSocket-Protocol: edgelog.tail, edgelog.bearer.<base64url(token)>`. Checked exactly like the
// header (401 / 403 before any upgrade), honoured only on upgrades, and the 101 selects the tail's subprotocol.
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index";
import { sha256Hex } from "../../src/auth/tokens";
import type { Env } from "../../src/env";
import { offeredTailProtocols, TAIL_SUBPROTOCOL, tailProtocols } from "../../src/log/tail-subprotocol";
import { TestTail } from "../http/ws-tail-helpers";

const uid = crypto.randomUUID().slice(0, 8);
const T = `tail-auth-${uid}`;
const TOKENS = { admin: "edl_tail_admin_token_for_tests", reader: "edl_tail_reader_token_for_tests", nothing: "edl_tail_nothing_token_for_tests" } as const;
let authEnv: Env;

function send(path: string, headers: Record<string, string>, method = "GET", body?: unknown): Promise<Response> {
  const request = new Request(`http://edgelog.test${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return worker.fetch(request as Request<unknown, IncomingRequestCfProperties>, authEnv, createExecutionContext());
}

const tailPath = `/v1/topics/${T}/partitions/0/records?offset=0`;
const upgradeWith = (protocols: string) => send(tailPath, { upgrade: "websocket", "sec-websocket-protocol": protocols });

beforeAll(async () => {
  const entry = async (name: keyof typeof TOKENS, acls: unknown[]) => ({ name, sha256: await sha256Hex(TOKENS[name]), acls });
  const tokens = [
    await entry("admin", [{ resource: "topic", name: "*", operations: ["admin"] }]),
    await entry("reader", [{ resource: "topic", name: T, operations: ["read"] }]),
    await entry("nothing", []),
  ];
  authEnv = { ...(env as unknown as Env), EDGELOG_ENV: "production", EDGELOG_AUTH: undefined, EDGELOG_TOKENS: JSON.stringify(tokens) };
  const admin = { authorization: `Bearer ${TOKENS.admin}` };
  expect((await send("/v1/topics", admin, "POST", { name: T, partitions: 1 })).status).toBe(201);
  expect((await send(`/v1/topics/${T}/records`, admin, "POST", { records: [{ key: "k", value: "first" }] })).status).toBe(200);
});

describe("the subprotocol's encoding (a leaf)", () => {
  it("round-trips every token character, and offers the tail's subprotocol first", () => {
    const token = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join("");
    const protocols = tailProtocols(token);
    expect(protocols[0]).toBe(TAIL_SUBPROTOCOL);
    // A subprotocol must be an HTTP token: base64url, no padding.
    expect(protocols[1]).toMatch(/^edgelog\.bearer\.[A-Za-z0-9_-]+$/);
    expect(offeredTailProtocols(protocols.join(", "))).toEqual({ tail: true, token });
    expect(offeredTailProtocols("edgelog.tail")).toEqual({ tail: true, token: undefined });
    expect(offeredTailProtocols(null)).toEqual({ tail: false, token: undefined });
    expect(offeredTailProtocols("edgelog.bearer.***")).toEqual({ tail: false, token: undefined });
  });
});

describe("a WebSocket tail authenticated by subprotocol", () => {
  it("opens for a token with read on the topic, selects edgelog.tail, and delivers records", async () => {
    const r = await upgradeWith(tailProtocols(TOKENS.reader).join(", "));
    expect(r.status).toBe(101);
    expect(r.headers.get("sec-websocket-protocol")).toBe(TAIL_SUBPROTOCOL);
    const t = new TestTail(r.webSocket!);
    expect(await t.values(1)).toEqual(["first"]);
    expect((await send(`/v1/topics/${T}/records`, { authorization: `Bearer ${TOKENS.admin}` }, "POST", { records: [{ key: "k", value: "live" }] })).status).toBe(200);
    expect(await t.values(1)).toEqual(["live"]);
    t.ws.close(1000);
  });

  it("refuses before the upgrade: no token 401, an unknown or undecodable one 401, one without read 403", async () => {
    const none = await upgradeWith(TAIL_SUBPROTOCOL);
    expect(none.status).toBe(401);
    expect(((await none.json()) as any).error.type).toBe("SASL_AUTHENTICATION_FAILED");
    const unknown = await upgradeWith(tailProtocols("edl_not_a_token").join(", "));
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as any).error.message).toContain("not valid");
    const garbled = await upgradeWith(`${TAIL_SUBPROTOCOL}, edgelog.bearer.!!!`);
    expect(garbled.status).toBe(401);
    const forbidden = await upgradeWith(tailProtocols(TOKENS.nothing).join(", "));
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as any).error.type).toBe("TOPIC_AUTHORIZATION_FAILED");
  });

  it("is honoured only on an upgrade: a plain fetch carrying the subprotocol header is 401", async () => {
    const r = await send(tailPath, { "sec-websocket-protocol": tailProtocols(TOKENS.reader).join(", ") });
    expect(r.status).toBe(401);
  });

  it("lets Authorization win when both are sent, and selects no subprotocol a client did not offer", async () => {
    const both = await send(tailPath, { upgrade: "websocket", authorization: `Bearer ${TOKENS.nothing}`, "sec-websocket-protocol": tailProtocols(TOKENS.reader).join(", ") });
    expect(both.status).toBe(403);
    const headerOnly = await send(tailPath, { upgrade: "websocket", authorization: `Bearer ${TOKENS.reader}` });
    expect(headerOnly.status).toBe(101);
    expect(headerOnly.headers.get("sec-websocket-protocol")).toBeNull();
    const t = new TestTail(headerOnly.webSocket!);
    expect((await t.next()).records.length).toBeGreaterThan(0);
    t.ws.close(1000);
  });
});
