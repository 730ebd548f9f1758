// What every JSON request parser asks first: is this value a JSON object (not null, not an array)? A leaf.

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}
