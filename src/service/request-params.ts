// Request parameters shared by more than one kind of request, parsed in one place so every route and RPC method
// answers the same error for the same bad value: a partition number, a record encoding, Kafka's isolation level.
// A leaf (errors and validators only); each request's own parameters stay with its service (fetch.ts, produce.ts).
import { KafkaError } from "../errors";
import type { Encoding } from "../log/record";
import type { IsolationLevel } from "../protocol";
import { integerField } from "./validate";

/** A partition number from a path segment or an RPC argument. */
export function parsePartition(value: unknown): number {
  return integerField(value, "partition", 0, Number.MAX_SAFE_INTEGER);
}

/** How keys and values travel: text (the default) or base64. */
export function parseEncoding(value: unknown): Encoding {
  if (value === undefined || value === null || value === "text") return "text";
  if (value === "base64") return "base64";
  throw new KafkaError("INVALID_REQUEST", `encoding must be "text" or "base64", got ${JSON.stringify(value)}`, { field: "encoding" });
}

/** Kafka's isolation.level: read_uncommitted (the default) or read_committed. */
export function parseIsolation(value: unknown): IsolationLevel {
  if (value === undefined || value === null || value === "" || value === "read_uncommitted") return "read_uncommitted";
  if (value === "read_committed") return "read_committed";
  throw new KafkaError("INVALID_REQUEST", `isolation must be "read_uncommitted" or "read_committed", got ${JSON.stringify(value)}`, { field: "isolation" });
}
