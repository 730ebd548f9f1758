// The docs' examples runner (scripts/docs/doctest.mjs, docs/doctest.md): every shell block of README.md and docs/*.md
// says whether it runs (so a new example cannot be skipped silently), and the comparison allows exactly the documented
// placeholders. Running the examples themselves is `npm run docs:check`, in .ci/run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alignPlaceholders, commandsOf, compare, documents, markingErrors, parseBlocks, ROOT } from "../../scripts/docs/doctest.mjs";

describe("every shell block and TypeScript snippet in README.md and docs/*.md is marked: doc-run, or doc-skip/doc-compile with a reason", () => {
  for (const doc of documents()) {
    it(doc, () => {
      expect(markingErrors(doc, parseBlocks(readFileSync(join(ROOT, doc), "utf8")))).toEqual([]);
    });
  }

  it("an unmarked block fails, saying how to mark it; a skip needs a reason", () => {
    const errors = markingErrors("x.md", parseBlocks("text\n\n```console\n$ curl -s localhost:8787/healthz\n```\n\n```sh doc-skip:\nnpm start\n```\n"));
    expect(errors).toEqual([
      "x.md:3: a ```console block with no marker: mark it ```console doc-run (its $ commands run and their output is compared) or ```console doc-skip: <why it cannot run here> (docs/doctest.md)",
      "x.md:7: doc-skip needs a reason: ```sh doc-skip: <why>",
    ]);
  });

  it("an unmarked TypeScript snippet fails, saying how to mark it; doc-compile needs a reason", () => {
    const errors = markingErrors("x.md", parseBlocks("```ts\nconsole.log(1);\n```\n\n```ts doc-compile:\nexport {};\n```\n\n```ts doc-run doc-compile: no\n```\n"));
    expect(errors).toEqual([
      "x.md:1: a ```ts snippet with no marker: mark it ```ts doc-run (run in Node against the test edgelog, its output compared with the ```text block after it) or ```ts doc-compile: <why it cannot run in Node> (type-checked only) (docs/doctest.md)",
      "x.md:5: doc-compile needs a reason: ```ts doc-compile: <why>",
      "x.md:9: more than one of doc-run, doc-compile and doc-skip",
    ]);
  });

  it("a ts doc-run snippet's output is the ```text block after it, before any heading", () => {
    const [withOutput, output, , withoutOutput] = parseBlocks(
      "```ts doc-run\nconsole.log(1);\n```\n\nprints\n\n```text\n1\n```\n\n```ts doc-run\nexport {};\n```\n\n## Next\n\n```text\nnot its output\n```\n",
    );
    expect(withOutput!.output).toBe(output);
    expect(withoutOutput!.output).toBeUndefined();
  });
});

describe("parsing", () => {
  it("a command continues while a quote is open or a line ends in a backslash; a doc-setup comment belongs to the next block", () => {
    const text = [
      "<!-- doc-setup: make it",
      "$ echo made",
      "-->",
      "",
      "```console doc-run",
      "$ curl -s -X POST localhost:8787/v1/topics \\",
      "    -d '{\"records\":[",
      "      {\"value\":\"a\"}]}'",
      '{"ok":true}',
      "$ echo 'it''s'",
      "its",
      "```",
    ].join("\n");
    const [block] = parseBlocks(text);
    expect(block!.markers).toEqual({ run: true, skip: false, compile: false, reason: "", node: false });
    expect(block!.setup?.body.map((line) => line.text)).toEqual(["$ echo made"]);
    const commands = commandsOf(block!.body);
    expect(commands.map((c) => [c.command.split("\n").length, c.output.map((o) => o.text)])).toEqual([
      [3, ['{"ok":true}']],
      [1, ["its"]],
    ]);
  });
});

describe("comparison", () => {
  it.each<[string, string, string, boolean]>([
    ["the same", '{"a":1}', '{"a":1}', true],
    ["a different value", '{"a":1}', '{"a":2}', false],
    ["a UUID stands for any", '{"id":"5f038642-4c6f-4a65-9fdc-e4d29ca509db"}', '{"id":"085b0f5c-4cec-441f-8335-8d3c5e1a0084"}', true],
    ["a time in ms stands for any", '{"timestamp":1795322043231}', '{"timestamp":1796474301381}', true],
    ["a short number is not a time", '{"offset":1795}', '{"offset":1796}', false],
    ["secrets and tokens", '"whsec_8NgLymEg0uJmlaPBE9rTnvFITgPv/IEvd1H9glazYgw=" edl_TM8E-e1tHgyA8hKUcb01Xv03JXDWX7GUbDTeTQJ_mD4', '"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" edl_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX', true],
    ["… cuts any text, spaces around it included", '{"config":{"a":"1", …,"z":"9"}}', '{"config":{"a":"1","b":"2","z":"9"}}', true],
    ["… across lines", "HTTP/1.1 200 OK\n…\n{}", "HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\n{}", true],
    ["a wrapped line matches the unwrapped one", '{"a":1,\n "b":2}', '{"a":1,"b":2}', true],
    ["a line break without indentation is a line break", '{"a":1,\n"b":2}', '{"a":1,"b":2}', false],
    ["trailing spaces and blank lines do not count", "x  \n\n", "x\n", true],
    ["nothing shown, something printed", "", "npm warn EBADENGINE", false],
  ])("%s", (_name, shown, real, ok) => {
    expect(compare(shown, real).ok).toBe(ok);
  });

  it("docs:update keeps the ids shown: the k-th real value of each kind pairs with the k-th shown one", () => {
    const shown = '{"topicId":"5f038642-4c6f-4a65-9fdc-e4d29ca509db","t":1795322043231,"partitions":3}';
    const real = '{"topicId":"085b0f5c-4cec-441f-8335-8d3c5e1a0084","t":1796474301381,"partitions":4}';
    expect([...alignPlaceholders(shown, real)]).toEqual([
      ["085b0f5c-4cec-441f-8335-8d3c5e1a0084", "5f038642-4c6f-4a65-9fdc-e4d29ca509db"],
      ["1796474301381", "1795322043231"],
    ]);
  });

  it("a value shown stands for the real one in later commands", () => {
    const result = compare('{"memberId":"93451158-f6ec-4c3d-89a8-43cd9b1b74b2","memberEpoch":2}', '{"memberId":"163373e6-0760-4930-81d9-73a365141202","memberEpoch":2}');
    expect(result.ok && [...result.values]).toEqual([["93451158-f6ec-4c3d-89a8-43cd9b1b74b2", "163373e6-0760-4930-81d9-73a365141202"]]);
  });
});
