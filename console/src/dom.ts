// A tiny element builder: text always goes in as text (never as HTML), so data from the log cannot inject markup.
import { errorLabel, formatTime, type ShownError } from "./format";

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | null | undefined | ((event: any) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs | null = null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === "function") el.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) el.setAttribute(name, "");
    else if (value !== false && value !== null && value !== undefined) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** An error as the API gave it: type, code and status, then the message. */
export function errorBox(e: ShownError): HTMLElement {
  return h("div", { class: "error", role: "alert", "data-error-type": e.type }, h("strong", null, errorLabel(e)), " ", e.message);
}

export function timeCell(ms: number): HTMLElement {
  const t = formatTime(ms);
  return h("time", { datetime: t.iso, title: t.iso }, t.text);
}

/** A labelled form control: label then the control, wired by id. */
let controls = 0;
export function field(labelText: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement): HTMLElement {
  control.id ||= `f${++controls}`;
  return h("div", { class: "field" }, h("label", { for: control.id }, labelText), control);
}

export function select(name: string, options: [string, string][], value?: string): HTMLSelectElement {
  const s = h("select", { name }, options.map(([v, text]) => h("option", { value: v }, text)));
  if (value !== undefined) s.value = value;
  return s;
}

/** "Loading…", an empty message, or content: each view shows one of these states. */
export const loading = () => h("p", { class: "muted", role: "status" }, "Loading…");
export const empty = (text: string) => h("p", { class: "empty" }, text);
