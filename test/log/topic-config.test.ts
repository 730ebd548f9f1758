import { describe, expect, it } from "vitest";
import { defaultTopicConfig, isCompacted, normalizeConfigValue, parseConfigChanges, TOPIC_CONFIGS } from "../../src/log/topic-config";
import { collisionKey, topicNameError } from "../../src/log/topic-name";
import { MAX_RECORD_BYTES } from "../../src/limits";

describe("topic configs", () => {
  it("defaults are Kafka's", () => {
    const d = defaultTopicConfig();
    expect(d["retention.ms"]).toBe("604800000");
    expect(d["retention.bytes"]).toBe("-1");
    expect(d["cleanup.policy"]).toBe("delete");
    expect(d["segment.bytes"]).toBe("1073741824");
    expect(d["delete.retention.ms"]).toBe("86400000");
    expect(d["min.cleanable.dirty.ratio"]).toBe("0.5");
    expect(d["min.insync.replicas"]).toBe("1");
    expect(d["message.timestamp.type"]).toBe("CreateTime");
    expect(d["max.message.bytes"]).toBe(String(MAX_RECORD_BYTES));
    for (const [name, spec] of Object.entries(TOPIC_CONFIGS)) expect(normalizeConfigValue(name, spec.default)).toEqual({ value: spec.default });
  });

  it.each([
    ["retention.ms", 1000, "1000"],
    ["retention.ms", "-1", "-1"],
    ["retention.bytes", " 42 ", "42"],
    ["cleanup.policy", "compact", "compact"],
    ["cleanup.policy", "delete,compact", "compact,delete"],
    ["cleanup.policy", "compact, delete", "compact,delete"],
    ["min.cleanable.dirty.ratio", 0.25, "0.25"],
    ["unclean.leader.election.enable", true, "true"],
    ["message.timestamp.type", "LogAppendTime", "LogAppendTime"],
    ["max.message.bytes", MAX_RECORD_BYTES, String(MAX_RECORD_BYTES)],
  ])("accepts %s = %j", (name, raw, normalized) => {
    expect(normalizeConfigValue(name, raw)).toEqual({ value: normalized });
  });

  it.each([
    ["retention.ms", -2],
    ["retention.ms", 1.5],
    ["retention.ms", "abc"],
    ["retention.ms", null],
    ["retention.ms", {}],
    ["segment.bytes", 13],
    ["segment.bytes", 2 ** 31],
    ["cleanup.policy", "compacted"],
    ["cleanup.policy", "delete,delete"],
    ["cleanup.policy", ""],
    ["min.cleanable.dirty.ratio", 1.5],
    ["min.cleanable.dirty.ratio", "NaN"],
    ["unclean.leader.election.enable", "yes"],
    ["message.timestamp.type", "createtime"],
    ["max.message.bytes", MAX_RECORD_BYTES + 1],
    ["min.insync.replicas", 0],
    ["no.such.config", "1"],
  ])("refuses %s = %j", (name, raw) => {
    expect(normalizeConfigValue(name, raw)).toHaveProperty("error");
  });

  it("collects every error and allows null resets only when altering", () => {
    const bad = parseConfigChanges({ "retention.ms": "x", "nope": 1 }, false);
    expect("errors" in bad && bad.errors).toHaveLength(2);
    expect(parseConfigChanges({ "retention.ms": null }, false)).toHaveProperty("errors");
    expect(parseConfigChanges({ "retention.ms": null }, true)).toEqual({ change: { set: {}, reset: ["retention.ms"] } });
    expect(parseConfigChanges([], true)).toHaveProperty("errors");
  });

  it("knows compacted policies", () => {
    expect(isCompacted({ "cleanup.policy": "compact" })).toBe(true);
    expect(isCompacted({ "cleanup.policy": "compact,delete" })).toBe(true);
    expect(isCompacted({ "cleanup.policy": "delete" })).toBe(false);
  });
});

describe("topic names (Kafka's Topic.validate)", () => {
  it.each(["a", "orders", "A.b_c-9", "x".repeat(249)])("accepts %s", (name) => expect(topicNameError(name)).toBeUndefined());
  it.each(["", ".", "..", "x".repeat(250), "a b", "a/b", "é", "a\u0000", "a?b", "a%2Fb"])("refuses %j", (name) => expect(topicNameError(name)).toBeTypeOf("string"));
  it("refuses non-strings", () => expect(topicNameError(42)).toBeTypeOf("string"));
  it("names what it checks in its messages (group ids follow the same rules)", () => {
    expect(topicNameError("a b")).toBe("topic name 'a b' is illegal: it may contain only ASCII letters, digits, '.', '_' and '-'");
    expect(topicNameError("", "group id")).toBe("group id must not be empty");
    expect(topicNameError("x".repeat(250), "group id")).toBe("group id is 250 characters, the maximum is 249");
  });
  it("treats '.' and '_' as the same for collisions", () => expect(collisionKey("a.b")).toBe(collisionKey("a_b")));
});
