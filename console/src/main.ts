// The console's shell: a hash router over the views, the token panel, and the environment shown from /healthz.
import { api, onUnauthorized, token } from "./api";
import { errorLabel } from "./format";
import { groupView, groupsView } from "./groups";
import { messagesView } from "./messages";
import { overviewView } from "./overview";
import { shareGroupView, shareGroupsView } from "./share-groups";
import { subscriptionView, subscriptionsView } from "./subscriptions";
import { tailView } from "./tail";
import { tokensView } from "./tokens";
import { topicView, topicsView } from "./topics";
import { transactionView, transactionsView } from "./transactions";
import type { View, ViewContext } from "./view";
import { errorBox, h, replace } from "./dom";

const ROUTES: [RegExp, View, string][] = [
  [/^\/?$/, overviewView, "overview"],
  [/^\/topics$/, topicsView, "topics"],
  [/^\/topics\/([^/]+)$/, topicView, "topics"],
  [/^\/topics\/([^/]+)\/messages$/, messagesView, "topics"],
  [/^\/groups$/, groupsView, "groups"],
  [/^\/groups\/([^/]+)$/, groupView, "groups"],
  [/^\/share-groups$/, shareGroupsView, "share-groups"],
  [/^\/share-groups\/([^/]+)$/, shareGroupView, "share-groups"],
  [/^\/subscriptions$/, subscriptionsView, "subscriptions"],
  [/^\/subscriptions\/([^/]+)$/, subscriptionView, "subscriptions"],
  [/^\/transactions$/, transactionsView, "transactions"],
  [/^\/transactions\/([^/]+)$/, transactionView, "transactions"],
  [/^\/tail(?:\/([^/]+))?$/, tailView, "tail"],
  [/^\/tokens$/, tokensView, "tokens"],
];

const main = document.getElementById("main")!;
let current: AbortController | undefined;

function route(): void {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const path = location.hash.replace(/^#/, "") || "/";
  const found = ROUTES.map(([re, view, nav]) => [re.exec(path), view, nav] as const).find(([m]) => m !== null);
  for (const a of document.querySelectorAll("[data-nav]")) {
    if (found && a.getAttribute("data-nav") === found[2]) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const root = h("div", { class: "view" });
  replace(main, root);
  if (!found) {
    replace(root, h("h1", null, "Not found"), h("p", null, "No such page. ", h("a", { href: "#/" }, "Back to the overview")));
    return;
  }
  const ctx: ViewContext = {
    root,
    params: found[0]!.slice(1).filter((p) => p !== undefined).map(decodeURIComponent),
    signal: controller.signal,
    every(ms, fn) {
      const tick = async () => {
        if (controller.signal.aborted) return;
        try {
          await fn();
        } finally {
          if (!controller.signal.aborted) setTimeout(tick, ms);
        }
      };
      void tick();
    },
  };
  Promise.resolve(found[1](ctx)).catch((e) => {
    console.warn("view failed", e);
  });
}

// ---- the token panel -------------------------------------------------------------------------------------------

const panel = document.getElementById("token-panel")!;
const input = document.getElementById("token-input") as HTMLInputElement;
const reason = document.getElementById("token-reason")!;
const tokenButton = document.getElementById("token-button")!;

function showTokenState(): void {
  tokenButton.textContent = token.get() ? "Token: set" : "Token: none";
}

function openPanel(why?: string): void {
  panel.hidden = false;
  if (why) reason.textContent = why;
  input.focus();
}

tokenButton.addEventListener("click", () => (panel.hidden ? openPanel() : (panel.hidden = true)));
document.getElementById("token-close")!.addEventListener("click", () => (panel.hidden = true));
document.getElementById("token-clear")!.addEventListener("click", () => {
  token.clear();
  input.value = "";
  showTokenState();
  route();
});
document.getElementById("token-form")!.addEventListener("submit", (event) => {
  event.preventDefault();
  const value = input.value.trim();
  if (value) token.set(value);
  else token.clear();
  input.value = "";
  panel.hidden = true;
  showTokenState();
  route();
});

onUnauthorized((e) => openPanel(`The API answered ${errorLabel(e)}: ${e.message}. Enter a token; it is kept in this tab's session storage only.`));

// ---- start -----------------------------------------------------------------------------------------------------

showTokenState();
window.addEventListener("hashchange", route);
route();
api<{ env: string; version?: string }>("GET", "/healthz")
  .then((health) => (document.getElementById("env")!.textContent = `edgelog ${health.version ?? "?"} · env: ${health.env}`))
  .catch(() => replace(document.getElementById("env")!, errorBox({ status: 0, type: "UNREACHABLE", code: null, message: "/healthz did not answer" })));
