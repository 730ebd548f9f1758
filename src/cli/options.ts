// Parsers for option and argument values: each turns a string into what the command needs or throws commander's
// InvalidArgumentError, which commander reports as a usage error naming the option.
import { InvalidArgumentError } from "commander";
import { baseUrl } from "../client/http-transport";
import type { StartAt } from "../client/subscription-wire";
import type { Acks, OffsetSpec, ResetTo } from "../client/wire";

/** --url / EDGELOG_URL: a missing scheme is a usage error here, not "cannot reach edgelog" at the first request. */
export function url(value: string): string {
  try {
    return baseUrl(value);
  } catch {
    const example = value.includes("://") || value === "" ? "http://127.0.0.1:8787" : `http://${value}`;
    throw new InvalidArgumentError(`It needs http:// or https:// in front (e.g. ${example}).`);
  }
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`expected an integer, got '${value}'.`);
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer from ${min} to ${max}, got ${value}.`);
    return n;
  };
}

/** Repeatable `k=v`: collects into an array of [key, value]. */
export function keyValue(value: string, previous: [string, string][] = []): [string, string][] {
  const at = value.indexOf("=");
  if (at <= 0) throw new InvalidArgumentError(`expected key=value, got '${value}'.`);
  return [...previous, [value.slice(0, at), value.slice(at + 1)]];
}

/** Repeatable plain values. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function acks(value: string): Acks {
  if (value === "all" || value === "-1") return "all";
  if (value === "0" || value === "1") return Number(value) as 0 | 1;
  throw new InvalidArgumentError(`expected 0, 1, all or -1, got '${value}'.`);
}

export function offsetSpec(value: string): OffsetSpec {
  if (value === "earliest" || value === "latest") return value;
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return Number(value);
  throw new InvalidArgumentError(`expected earliest, latest or a timestamp in ms, got '${value}'.`);
}

/** earliest | latest | <timestamp ms> | offset:N */
export function resetTo(value: string): ResetTo {
  if (value === "earliest" || value === "latest") return value;
  const offset = /^offset:(\d+)$/.exec(value);
  if (offset && Number.isSafeInteger(Number(offset[1]))) return { offset: Number(offset[1]) };
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return { timestamp: Number(value) };
  throw new InvalidArgumentError(`expected earliest, latest, a timestamp in ms or offset:N, got '${value}'.`);
}

/** A subscription's start: earliest | latest | <timestamp ms> */
export function startAt(value: string): StartAt {
  if (value === "earliest" || value === "latest") return value;
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return { timestamp: Number(value) };
  throw new InvalidArgumentError(`expected earliest, latest or a timestamp in ms, got '${value}'.`);
}

/** A comma-separated list of partition numbers: 0,2,5 */
export function partitionList(value: string): number[] {
  const parse = integer(0);
  return value.split(",").map((part) => parse(part.trim()));
}
