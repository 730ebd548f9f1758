// Tokens (cluster admin): list, create (the token is shown once), revoke.
import { api, asShown, enc } from "./api";
import { empty, errorBox, field, h, loading, replace, timeCell } from "./dom";
import { sortableTable } from "./table";
import { act } from "./topics";
import type { ViewContext } from "./view";

interface StoredToken {
  id: string;
  name: string;
  acls: { resource: string; name: string; patternType: string; operations: string[] }[];
  createdMs: number;
}

export async function tokensView({ root, signal }: ViewContext): Promise<void> {
  const list = h("div", null, loading());
  const name = h("input", { name: "name", required: true, autocomplete: "off" });
  const acls = h("textarea", { name: "acls", rows: 4, spellcheck: "false" });
  acls.value = '[{"resource":"topic","name":"*","operations":["read"]}]';
  const out = h("div");
  const button = h("button", { type: "submit" }, "Create token");
  const form = h("form", { class: "card", "aria-label": "Create a token" }, field("Name", name), field("ACLs (JSON array)", acls), button, out);
  const load = async () => {
    try {
      // The list comes a page at a time (GET /v1/tokens?after=<nextAfter>); the console shows all of it.
      const tokens: StoredToken[] = [];
      for (let after: string | undefined; ; ) {
        const page = await api<{ tokens: StoredToken[]; nextAfter?: string }>("GET", `/v1/tokens${after === undefined ? "" : `?after=${enc(after)}`}`, undefined, signal);
        tokens.push(...page.tokens);
        if (page.nextAfter === undefined) break;
        after = page.nextAfter;
      }
      replace(
        list,
        tokens.length === 0
          ? empty("No tokens in the token store (tokens from the EDGELOG_TOKENS secret are not listed).")
          : sortableTable(
              [
                { label: "Name", cell: (t) => t.name, sort: (t) => t.name },
                { label: "ACLs", cell: (t) => t.acls.map((a) => `${a.resource} ${a.name}${a.patternType === "prefixed" ? "*" : ""}: ${a.operations.join("+")}`).join("; ") || "none" },
                { label: "Created", cell: (t) => timeCell(t.createdMs), sort: (t) => t.createdMs },
                {
                  label: "",
                  cell: (t) => {
                    const revokeOut = h("span");
                    const b = h("button", { type: "button", class: "danger small", "aria-label": `Revoke token ${t.name}` }, "Revoke");
                    b.addEventListener("click", () => {
                      if (!window.confirm(`Revoke the token '${t.name}'? Requests with it are refused from now on.`)) return;
                      void act(revokeOut, b, async () => {
                        await api("DELETE", `/v1/tokens/${enc(t.id)}`);
                        void load();
                        return "Revoked.";
                      });
                    });
                    return h("span", null, b, revokeOut);
                  },
                },
              ],
              tokens,
              "Tokens",
              (t) => ({ "data-token": t.name }),
            ),
      );
    } catch (e) {
      if (!signal.aborted) replace(list, errorBox(asShown(e)));
    }
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void act(out, button, async () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(acls.value);
      } catch (e) {
        return errorBox({ status: 0, type: "INVALID_JSON", code: null, message: `the ACLs are not JSON: ${e instanceof Error ? e.message : String(e)}` });
      }
      const created = await api<StoredToken & { token: string }>("POST", "/v1/tokens", { name: name.value, acls: parsed });
      void load();
      return h(
        "div",
        { class: "ok", role: "status" },
        h("p", null, `Created ${created.name}. Copy the token now: it is shown this once.`),
        h("code", { class: "secret", "data-new-token": "" }, created.token),
      );
    });
  });
  replace(root, h("h1", null, "Tokens"), h("p", { class: "muted" }, "Needs a token with admin on the cluster."), form, list);
  await load();
}
