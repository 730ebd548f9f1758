// A request body that ends early is the client's error. Over a raw socket against a real edgelog, every route that reads
// a body (BODY_ROUTES) gets a body cut short two ways: a Content-Length of 1000 with 27 bytes sent, and a chunked body
// whose last chunk never comes; each time the client half-closes its side. The server must answer 400 INVALID_REQUEST,
// count a 400 (never a 5xx) for the route in /metrics, log no stack and no "unexpected error", and change nothing.
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, uniqueName, type TestServer } from "../client/server.node";
import { BODY_ROUTES } from "./body-routes";

let server: TestServer;
const logs: { level: string; message: string }[] = [];
const topic = uniqueName("cut");
const group = uniqueName("cut-g");

interface RawResponse {
  status: number;
  body: any;
}

/** Writes `head` and `body` to a fresh connection, half-closes it, and parses the one response that comes back. */
function raw(head: string, body: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(server.url.port), server.url.hostname, () => {
      socket.write(head + body);
      socket.end();
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no response within 10 s to ${head.split("\r\n")[0]}`));
    }, 10_000);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
      if (!status) return reject(new Error(`not an HTTP response: ${JSON.stringify(text.slice(0, 200))}`));
      const payload = text.slice(text.indexOf("\r\n\r\n") + 4);
      let parsed: unknown = payload;
      try {
        parsed = JSON.parse(payload);
      } catch {
        // not JSON: the assertion shows the text
      }
      resolve({ status: Number(status[1]), body: parsed });
    });
  });
}

const headOf = (method: string, path: string, framing: string) =>
  `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${framing}\r\n`;

/** Content-Length promises `declared` bytes; only `body` comes. */
const declaredLength = (method: string, path: string, body: string, declared = Buffer.byteLength(body)) =>
  raw(headOf(method, path, `Content-Length: ${declared}\r\n`), body);

/** One chunk of `body`, then the terminating zero-length chunk only if `complete`. */
const chunked = (method: string, path: string, body: string, complete: boolean) =>
  raw(headOf(method, path, "Transfer-Encoding: chunked\r\n"), `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n${complete ? "0\r\n\r\n" : ""}`);

const pathOf = (route: string) => route.replace(":topic", topic).replace(":partition", "0").replace(":group", group).replace(":name", group);

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(new URL(path, server.url), {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
}

beforeAll(async () => {
  server = await startServer({}, (log) => logs.push(log));
  await api("POST", "/v1/topics", { name: topic, partitions: 1 });
  await api("POST", `/v1/topics/${topic}/records`, { records: [{ key: "k", value: "before" }] });
});
afterAll(async () => {
  await server?.stop();
});

// 27 bytes of a JSON document that never finishes.
const CUT = '{"records":[{"value":"cut-s';

describe("a request body that ends early", () => {
  it("is sent whole by these helpers when it does not end early (control)", async () => {
    const record = JSON.stringify({ records: [{ value: "whole" }] });
    expect((await declaredLength("POST", `/v1/topics/${topic}/records`, record)).status).toBe(200);
    expect((await chunked("POST", `/v1/topics/${topic}/records`, record, true)).status).toBe(200);
  });

  it("answers 400 INVALID_REQUEST on every body route, with a declared length or chunked, counted and logged as the client's", async () => {
    expect(CUT.length).toBe(27);
    for (const [method, route] of BODY_ROUTES) {
      for (const [how, send] of [
        ["Content-Length: 1000", () => declaredLength(method, pathOf(route), CUT, 1000)],
        ["chunked, no last chunk", () => chunked(method, pathOf(route), CUT, false)],
      ] as const) {
        const response = await send();
        expect([response.status, response.body?.error?.type], `${method} ${route}, ${how}: ${JSON.stringify(response.body)}`).toEqual([400, "INVALID_REQUEST"]);
        expect(response.body.error.message).toContain("request body ended early");
        expect(response.body.error.retriable).toBe(false);
      }
    }

    // Counted as the client's error: a 400 per route in /metrics, never a 5xx.
    const metrics = (await api("GET", "/metrics")) as string;
    for (const [, route] of BODY_ROUTES) {
      const line = metrics.split("\n").find((l) => l.startsWith(`edgelog_http_requests_total{route="${route}",status="400"}`));
      expect(line, `${route} in\n${metrics}`).toBeDefined();
      // Two cut requests per method; a path may take a body on two methods (PUT and PATCH of a share group).
      expect(Number(line!.split(" ").pop()), route).toBe(2 * BODY_ROUTES.filter(([, r]) => r === route).length);
    }
    expect(metrics).not.toMatch(/status="5\d\d"/);

    // And not logged as a server error: no stack, no "unexpected error".
    const text = logs.map((l) => `${l.level}: ${l.message}`).join("\n");
    expect(text).not.toContain("unexpected error");
    expect(text).not.toContain("Network connection lost");
    expect(text).not.toMatch(/\n\s+at /);
  });

  // Runs after the sweep above (tests in a file run in order).
  it("changes nothing: the cut-short produce, alter, add-partitions, delete-records and commit did not happen", async () => {
    const described = await api("GET", `/v1/topics/${topic}`);
    expect(described.partitionCount).toBe(1);
    expect(described.config["retention.ms"]).toBe("604800000");
    // The record written before, and the two whole control records; the cut-short produces added none.
    const fetched = await api("GET", `/v1/topics/${topic}/partitions/0/records?offset=0`);
    expect(fetched.records.map((r: { value: string }) => r.value)).toEqual(["before", "whole", "whole"]);
    expect(fetched.logStartOffset).toBe(0);
    const groups = await api("GET", "/v1/groups");
    expect(groups.groups.map((g: { groupId: string }) => g.groupId)).not.toContain(group);
    expect((await api("GET", "/v1/tokens")).tokens).toEqual([]);
  });
});
