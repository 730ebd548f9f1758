// docs/schemas.md's API coverage table lists exactly the registry's routes (REGISTRY_ROUTES), each with the permission
// its handler checks, so the page cannot drift from the code.
import { describe, expect, it } from "vitest";
import schemasDoc from "../../docs/schemas.md?raw";
import { REGISTRY_ROUTES } from "../../src/http/schema-registry";
import { REGISTRY_BODY_ROUTES } from "./body-routes";

function coverageTable(doc: string): { route: string; needs: string }[] {
  const section = doc.split("\n## API coverage\n")[1]?.split("\n## ")[0]?.split("\n### ")[0];
  if (section === undefined) throw new Error("docs/schemas.md has no '## API coverage' section");
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const cells = line.split(" | ");
      return { route: /`([A-Z]+ [^`]+)`/.exec(cells[0]!)![1]!, needs: cells.at(-1)!.replace(/ \|$/, "").trim() };
    });
}

describe("docs/schemas.md", () => {
  it("lists every registry route, and no other, with what it needs", () => {
    const doc = coverageTable(schemasDoc).map((r) => `${r.route}: ${r.needs}`);
    const code = REGISTRY_ROUTES.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}: ${r.needs.replace(/ \(.*\)$/, "")}`);
    expect(doc.sort()).toEqual(code.sort());
  });

  it("test/registry/body-routes.ts lists every registry route that reads a body (the cut-short test sends each one)", () => {
    const code = REGISTRY_ROUTES.filter((r) => r.method === "POST" || r.method === "PUT").map((r) => `${r.method} ${r.path}`);
    expect(REGISTRY_BODY_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual(code.sort());
  });
});
