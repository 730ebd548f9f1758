// Every route that reads a request body, as itty patterns. test/http/parse.node.test.ts sends each a body cut short;
// test/http/body-routes.test.ts checks the router has no body-taking route missing from this list.
export const BODY_ROUTES: readonly (readonly ["POST" | "PATCH" | "PUT", string])[] = [
  ["POST", "/v1/topics"],
  ["PATCH", "/v1/topics/:topic"],
  ["POST", "/v1/topics/:topic/partitions"],
  ["POST", "/v1/topics/:topic/records"],
  ["POST", "/v1/topics/:topic/partitions/:partition/records"],
  ["POST", "/v1/topics/:topic/partitions/:partition/delete-records"],
  ["POST", "/v1/topics/:topic/partitions/:partition/elect"],
  ["POST", "/v1/faults"],
  ["POST", "/v1/producers"],
  ["POST", "/v1/groups/:group/heartbeat"],
  ["POST", "/v1/groups/:group/offsets"],
  ["POST", "/v1/groups/:group/offsets/reset"],
  ["POST", "/v1/tokens"],
  ["POST", "/v1/transactions/:transactionalId/init"],
  ["POST", "/v1/transactions/:transactionalId/begin"],
  ["POST", "/v1/transactions/:transactionalId/offsets"],
  ["POST", "/v1/transactions/:transactionalId/commit"],
  ["POST", "/v1/transactions/:transactionalId/abort"],
];
