// Small validators for request fields that arrive as JSON values or query strings. Each throws
// INVALID_REQUEST naming the field, so every bad input gets the same clear error shape.
import { KafkaError } from "../errors";
import { isPlainObject } from "../log/plain-object";

/** An integer in [min, max] from a JSON number or a decimal string; `fallback` when absent. */
export function integerField(value: unknown, name: string, min: number, max: number, fallback?: number): number {
  if (value === undefined || value === null || value === "") {
    if (fallback !== undefined) return fallback;
    throw new KafkaError("INVALID_REQUEST", `${name} is required`, { field: name });
  }
  let n: number;
  if (typeof value === "number") n = value;
  else if (typeof value === "string" && /^-?\d{1,16}$/.test(value)) n = Number(value);
  else throw new KafkaError("INVALID_REQUEST", `${name} must be an integer, got ${JSON.stringify(value)}`, { field: name });
  if (!Number.isSafeInteger(n)) throw new KafkaError("INVALID_REQUEST", `${name} must be an integer, got ${JSON.stringify(value)}`, { field: name });
  if (n < min || n > max) throw new KafkaError("INVALID_REQUEST", `${name} must be in [${min}, ${max}], got ${n}`, { field: name, min, max });
  return n;
}

/** Rejects fields a request does not define: a typo should fail loudly, not be ignored. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const field of Object.keys(body)) {
    if (!allowed.includes(field)) throw new KafkaError("INVALID_REQUEST", `${where} has unknown field '${field}' (allowed: ${allowed.join(", ")})`, { field });
  }
}

/** A JSON object, else INVALID_REQUEST; with `allowed`, also refuses any other field (onlyFields). */
export function requireObject(body: unknown, where: string, allowed?: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(body)) throw new KafkaError("INVALID_REQUEST", `${where} must be a JSON object`);
  if (allowed !== undefined) onlyFields(body, allowed, where);
  return body;
}
