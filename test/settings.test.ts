// Deployment-variable parsing (src/settings.ts): one rule for every tuning variable. Absent or empty takes the default;
// otherwise a non-negative integer in decimal digits, and anything else refuses to run, naming the variable.
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import { ACKS_ALL_TIMEOUT_MS, REPLICA_LAG_TIME_MAX_MS } from "../src/limits";
import { numberSetting, settings } from "../src/settings";

describe("numberSetting", () => {
  it("absent or empty (blank included) takes the default", () => {
    expect(numberSetting(undefined, "X", 42)).toBe(42);
    expect(numberSetting("", "X", 42)).toBe(42);
    expect(numberSetting("   ", "X", 42)).toBe(42);
  });

  it("a non-negative integer is taken as given, zero included, surrounding blanks ignored", () => {
    expect(numberSetting("7", "X", 42)).toBe(7);
    expect(numberSetting("0", "X", 42)).toBe(0);
    expect(numberSetting(" 1500 ", "X", 42)).toBe(1500);
    expect(numberSetting("9999999999999999", "X", 42)).toBe(9_999_999_999_999_999); // 16 digits: the longest taken
  });

  it("negative, fractional, non-numeric and over-long values are refused with the variable's name", () => {
    for (const bad of ["-1", "1.5", "1e3", "0x10", "abc", "10ms", "+5", "12345678901234567"]) {
      expect(() => numberSetting(bad, "ACKS_ALL_TIMEOUT_MS", 42), bad).toThrow(`deployment variable ACKS_ALL_TIMEOUT_MS must be a non-negative integer, got '${bad}'`);
    }
  });

  it("a maximum, when given: at it taken, over it refused with the bound", () => {
    expect(numberSetting("100", "X", 1, 100)).toBe(100);
    expect(() => numberSetting("101", "X", 1, 100)).toThrow("deployment variable X must be at most 100, got 101");
  });

  it("quotes at most 40 characters of a refused value", () => {
    const long = "x".repeat(100);
    expect(() => numberSetting(long, "X", 1)).toThrow(`got '${"x".repeat(40)}'`);
  });
});

describe("settings", () => {
  it("reads each variable by the rule, defaults the rest, and refuses a bad one", () => {
    const s = settings({ ACKS_ALL_TIMEOUT_MS: "250" } as unknown as Env);
    expect(s.acksAllTimeoutMs).toBe(250);
    expect(s.replicaLagTimeMaxMs).toBe(REPLICA_LAG_TIME_MAX_MS);
    expect(settings({} as unknown as Env).acksAllTimeoutMs).toBe(ACKS_ALL_TIMEOUT_MS);
    expect(() => settings({ REPLICA_LAG_TIME_MAX_MS: "-5" } as unknown as Env)).toThrow("REPLICA_LAG_TIME_MAX_MS");
  });
});
