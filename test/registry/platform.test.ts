// The libraries the Worker relies on run in workerd: @cfworker/json-schema interprets schemas (no code generation).
// (avsc, the usual Avro library, compiles record types with new Function, which deployed Workers refuse; vitest's
// workerd allows it for its own use, so that cannot be shown here: docs/schemas.md says why the registry parses Avro
// itself, src/registry/avro-schema.ts.)
import { describe, expect, it } from "vitest";
import { Validator } from "@cfworker/json-schema";

describe("in workerd", () => {
  it("@cfworker/json-schema validates", () => {
    const v = new Validator({ type: "object", properties: { a: { type: "integer", minimum: 1 }, s: { type: "string", pattern: "^x" } }, required: ["a"] }, "7", false);
    expect(v.validate({ a: 1, s: "xy" }).valid).toBe(true);
    expect(v.validate({ a: 0 }).errors.at(-1)?.instanceLocation).toBe("#/a");
    expect(v.validate({ a: 1, s: "y" }).valid).toBe(false);
  });

});
