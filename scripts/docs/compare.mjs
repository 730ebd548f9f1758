// Comparing a document's shown output with a real one (docs/doctest.md, "What may differ between runs"): the
// placeholders that stand for values differing on every run, the pattern a shown output makes, and the pairing of
// shown and real values that lets later commands and docs:update keep what the document shows.
// What differs on every run, in shown and real output alike. Each is captured, so a value shown once can stand for the
// real one in later commands.
export const PLACEHOLDERS = [
  ["a UUID", "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"],
  ["a time in ms", "(?<![\\d.])1[6-9]\\d{11}(?![\\d.])"],
  ["a webhook secret", "whsec_[A-Za-z0-9+/=]{8,}"],
  ["a token", "edl_[A-Za-z0-9_-]{20,}"],
];
const TOKENIZER = new RegExp(`([ \\t]*…[ \\t]*)|(\\n[ \\t]+)|${PLACEHOLDERS.map(([, re]) => `(${re})`).join("|")}`, "g");

/** The shown output as a regular expression over the real one, and the placeholder values it shows, in order. */
export function pattern(expected) {
  let source = "";
  const shown = [];
  let at = 0;
  for (const match of expected.matchAll(TOKENIZER)) {
    source += escape(expected.slice(at, match.index));
    at = match.index + match[0].length;
    if (match[1]) source += "[\\s\\S]*?";
    else if (match[2]) source += "\\s*";
    else {
      const kind = match.slice(3).findIndex((group) => group !== undefined);
      source += `(${PLACEHOLDERS[kind][1]})`;
      shown.push(match[0]);
    }
  }
  source += escape(expected.slice(at));
  return { regex: new RegExp(`^${source}$`), shown };
}

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Trailing spaces and trailing blank lines do not count. */
export const tidy = (text) => text.replace(/\r\n/g, "\n").replace(/[ \t]+$/gm, "").replace(/\n+$/, "").replace(/^\n+/, "");

/** Whether `actual` is what `expected` shows; on a match, the real value of each placeholder value shown. */
export function compare(expected, actual) {
  const { regex, shown } = pattern(tidy(expected));
  const match = regex.exec(tidy(actual));
  if (!match) return { ok: false };
  const values = new Map();
  shown.forEach((value, i) => {
    if (!values.has(value)) values.set(value, match[i + 1]);
  });
  return { ok: true, values };
}

/**
 * Real placeholder value → the value shown in the same place: the k-th UUID of the real output for the k-th UUID of
 * the shown one, and so for each kind of placeholder (a real value already paired keeps its first pairing).
 */
export function alignPlaceholders(expected, actual) {
  const pairs = new Map();
  for (const [, re] of PLACEHOLDERS) {
    const shown = [...expected.matchAll(new RegExp(re, "g"))].map((m) => m[0]);
    const real = [...actual.matchAll(new RegExp(re, "g"))].map((m) => m[0]);
    real.forEach((value, i) => {
      if (shown[i] !== undefined && !pairs.has(value)) pairs.set(value, shown[i]);
    });
  }
  return pairs;
}

/** For failure messages: both sides with every placeholder value replaced by a name. */
export function normalise(text) {
  let out = tidy(text);
  for (const [name, re] of PLACEHOLDERS) out = out.replace(new RegExp(re, "g"), `<${name.replace(/^an? /, "")}>`);
  return out;
}
