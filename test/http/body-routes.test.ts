// The list of body-taking routes that parse.node.test.ts cuts short must be the router's own: a route added with a
// body and left out of BODY_ROUTES fails here, so it cannot skip the early-end test.
import { describe, expect, it } from "vitest";
import { ROUTES } from "../../src/http/router";
import { DS_ROUTES } from "../../src/streams/routes";
import { BODY_ROUTES } from "./body-routes";

describe("body routes", () => {
  it("lists every POST, PATCH and PUT route of the router (Durable Streams' included)", () => {
    const routed = [...ROUTES, ...DS_ROUTES].filter((r) => r.method === "POST" || r.method === "PATCH" || r.method === "PUT").map((r) => `${r.method} ${r.path}`);
    expect(routed.length).toBeGreaterThan(0);
    expect(routed.sort()).toEqual(BODY_ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });
});
