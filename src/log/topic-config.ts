// Topic configs with Kafka's names, defaults and validity rules. Values are stored and shown as strings, as
// Kafka's admin API does; requests may also send JSON numbers and booleans. Pure: used by controller and router.
import { MAX_RECORD_BYTES } from "../limits";
import { isPlainObject } from "./plain-object";

type Kind = "long" | "int" | "double" | "boolean" | "enum" | "list";
interface ConfigSpec {
  kind: Kind;
  default: string;
  min?: number;
  max?: number;
  values?: readonly string[];
  doc: string;
}

const LONG_MAX = Number.MAX_SAFE_INTEGER; // Kafka's Long.MAX_VALUE, as far as JS numbers reach exactly

export const TOPIC_CONFIGS: Readonly<Record<string, ConfigSpec>> = {
  "cleanup.policy": { kind: "list", default: "delete", values: ["delete", "compact"], doc: "delete, compact, or compact,delete" },
  "retention.ms": { kind: "long", default: "604800000", min: -1, doc: "delete segments whose newest record is older (-1: forever)" },
  "retention.bytes": { kind: "long", default: "-1", min: -1, doc: "per-partition size bound (-1: none)" },
  "segment.bytes": { kind: "int", default: "1073741824", min: 14, doc: "roll a segment at this size" },
  "segment.ms": { kind: "long", default: "604800000", min: 1, doc: "roll a segment after this age" },
  "local.retention.ms": { kind: "long", default: "-2", min: -2, doc: "tier sealed segments older than this to R2 (-2: use retention.ms)" },
  "local.retention.bytes": { kind: "long", default: "-2", min: -2, doc: "tier sealed segments beyond this local size (-2: use retention.bytes)" },
  "delete.retention.ms": { kind: "long", default: "86400000", min: 0, doc: "how long tombstones survive compaction" },
  "min.compaction.lag.ms": { kind: "long", default: "0", min: 0, doc: "records younger than this are not compacted" },
  "max.compaction.lag.ms": { kind: "long", default: String(LONG_MAX), min: 1, doc: "compact dirty records at least this soon" },
  "min.cleanable.dirty.ratio": { kind: "double", default: "0.5", min: 0, max: 1, doc: "compact when this share of the log is dirty" },
  "max.message.bytes": { kind: "int", default: String(MAX_RECORD_BYTES), min: 0, max: MAX_RECORD_BYTES, doc: "largest record accepted (key + value + headers)" },
  "message.timestamp.type": { kind: "enum", default: "CreateTime", values: ["CreateTime", "LogAppendTime"], doc: "keep the producer's timestamp or stamp the append time" },
  "min.insync.replicas": { kind: "int", default: "1", min: 1, doc: "in-sync replicas needed for acks=all" },
  "unclean.leader.election.enable": { kind: "boolean", default: "false", doc: "may a replica outside the ISR become leader" },
  // Produce-time schema validation (docs/schemas.md): none, registry (Confluent's wire format, an id registered under
  // the subject) or json (JSON text valid against the subject's JSON Schema); version -1 is the latest.
  "key.schema.validation": { kind: "enum", default: "none", values: ["none", "registry", "json"], doc: "validate keys on produce against the schema registry" },
  "value.schema.validation": { kind: "enum", default: "none", values: ["none", "registry", "json"], doc: "validate values on produce against the schema registry" },
  "key.schema.version": { kind: "int", default: "-1", min: -1, doc: "json validation: the key subject's version to use (-1: latest)" },
  "value.schema.version": { kind: "int", default: "-1", min: -1, doc: "json validation: the value subject's version to use (-1: latest)" },
  "key.subject.name.strategy": { kind: "enum", default: "TopicNameStrategy", values: ["TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy"], doc: "registry validation: the subject a key's schema id must be registered under" },
  "value.subject.name.strategy": { kind: "enum", default: "TopicNameStrategy", values: ["TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy"], doc: "registry validation: the subject a value's schema id must be registered under" },
  // KIP-1191: a share group may dead-letter into this topic only if the topic opts in, so a group cannot write onto an
  // arbitrary business topic.
  "errors.deadletterqueue.group.enable": { kind: "boolean", default: "false", doc: "share groups may write their dead letters here" },
};

export type TopicConfig = Record<string, string>;

export function defaultTopicConfig(): TopicConfig {
  return Object.fromEntries(Object.entries(TOPIC_CONFIGS).map(([name, spec]) => [name, spec.default]));
}

/** Normalizes one value to Kafka's string form, or returns an error message. */
export function normalizeConfigValue(name: string, raw: unknown): { value: string } | { error: string } {
  const spec = TOPIC_CONFIGS[name];
  if (spec === undefined) return { error: `unknown config '${name}'` };
  const text = typeof raw === "string" ? raw.trim() : typeof raw === "number" || typeof raw === "boolean" ? String(raw) : undefined;
  if (text === undefined) return { error: `config '${name}' must be a string, number or boolean` };
  switch (spec.kind) {
    case "long":
    case "int": {
      if (!/^-?\d+$/.test(text)) return { error: `config '${name}' must be an integer, got '${text}'` };
      const n = Number(text);
      const max = spec.max ?? (spec.kind === "int" ? 2_147_483_647 : LONG_MAX);
      if (!Number.isSafeInteger(n) || n < (spec.min ?? -Infinity) || n > max) {
        return { error: `config '${name}' must be in [${spec.min}, ${max}], got ${text}` };
      }
      return { value: String(n) };
    }
    case "double": {
      const n = Number(text);
      if (text === "" || !Number.isFinite(n) || n < (spec.min ?? -Infinity) || n > (spec.max ?? Infinity)) {
        return { error: `config '${name}' must be a number in [${spec.min}, ${spec.max}], got '${text}'` };
      }
      return { value: String(n) };
    }
    case "boolean":
      if (text !== "true" && text !== "false") return { error: `config '${name}' must be true or false, got '${text}'` };
      return { value: text };
    case "enum":
      if (!spec.values!.includes(text)) return { error: `config '${name}' must be one of ${spec.values!.join(", ")}, got '${text}'` };
      return { value: text };
    case "list": {
      const items = text.split(",").map((s) => s.trim());
      if (items.length === 0 || items.some((item) => !spec.values!.includes(item)) || new Set(items).size !== items.length) {
        return { error: `config '${name}' must be a comma-separated list of ${spec.values!.join(", ")}, got '${text}'` };
      }
      // Kafka keeps the order given; we sort so "delete,compact" and "compact,delete" read the same.
      return { value: items.sort().join(",") };
    }
  }
}

export interface ConfigChange {
  set: TopicConfig;
  reset: string[];
}

/** Validates a {name: value|null} document; null resets a config to its default. Errors name every bad entry. */
export function parseConfigChanges(input: unknown, allowReset: boolean): { change: ConfigChange } | { errors: string[] } {
  if (input === undefined) return { change: { set: {}, reset: [] } };
  if (!isPlainObject(input)) return { errors: ["config must be an object of name to value"] };
  const set: TopicConfig = {};
  const reset: string[] = [];
  const errors: string[] = [];
  for (const [name, raw] of Object.entries(input)) {
    if (raw === null && allowReset && TOPIC_CONFIGS[name] !== undefined) {
      reset.push(name);
      continue;
    }
    const result = normalizeConfigValue(name, raw);
    if ("error" in result) errors.push(result.error);
    else set[name] = result.value;
  }
  return errors.length > 0 ? { errors } : { change: { set, reset } };
}

export function isCompacted(config: TopicConfig): boolean {
  return (config["cleanup.policy"] ?? "delete").split(",").includes("compact");
}
