// The list of body-taking routes that parse.node.test.ts cuts short must be the router's own: a route added with a
// body and left out of BODY_ROUTES fails here, so it cannot skip the early-end test.
import { describe, expect, it } from "vitest";
import { router } from "../../src/http/router";
import { BODY_ROUTES } from "./body-routes";

describe("body routes", () => {
  it("lists every POST, PATCH and PUT route of the router", () => {
    // itty-router keeps [method, regex, handlers, path] per route.
    const routed = router.routes.filter(([method]) => method === "POST" || method === "PATCH" || method === "PUT").map(([method, , , path]) => `${method} ${path}`);
    expect(routed.length).toBeGreaterThan(0);
    expect(routed.sort()).toEqual(BODY_ROUTES.map(([method, path]) => `${method} ${path}`).sort());
  });
});
