// The console's pure parts: formatting, how record bytes are shown, errors, rates, the SSE parser and paging.
import { describe, expect, it } from "vitest";
import {
  bounded,
  decodeBytes,
  errorFrom,
  errorLabel,
  filterByKey,
  formatBytes,
  formatInt,
  formatRate,
  formatTime,
  newestStart,
  nextStart,
  parseHeaderLines,
  shareTotals,
  preview,
  previousStart,
  ratePerSecond,
  recordJson,
} from "../../console/src/format";
import { SseParser } from "../../console/src/sse";

const b64 = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text)));

describe("formatting", () => {
  it.each([
    [0, "0"],
    [1234567, "1,234,567"],
    [12.6, "13"],
    [null, "—"],
    [Number.NaN, "—"],
  ])("formatInt(%s) = %s", (n, text) => expect(formatInt(n, "en-US")).toBe(text));

  it.each([
    [0, "0 B"],
    [1023, "1,023 B"],
    [1536, "1.5 KiB"],
    [5 * 1024 * 1024, "5 MiB"],
    [-1, "—"],
  ])("formatBytes(%s) = %s", (n, text) => expect(formatBytes(n, "en-US")).toBe(text));

  it("rates: one decimal below 10/s, none above, — before two samples", () => {
    expect(formatRate(2.345, "en-US")).toBe("2.3");
    expect(formatRate(12345.6, "en-US")).toBe("12,346");
    expect(formatRate(null)).toBe("—");
    expect(ratePerSecond(undefined, { atMs: 1000, total: 5 })).toBeNull();
    expect(ratePerSecond({ atMs: 1000, total: 5 }, { atMs: 3000, total: 25 })).toBe(10);
    expect(ratePerSecond({ atMs: 1000, total: 25 }, { atMs: 3000, total: 5 })).toBeNull(); // a topic deleted
    expect(ratePerSecond({ atMs: 1000, total: 5 }, { atMs: 1000, total: 6 })).toBeNull();
  });

  it("times: in the given zone with ISO for the title; −1 is no time", () => {
    expect(formatTime(0, "en-US", "UTC")).toEqual({ text: "1/1/1970, 12:00:00 AM", iso: "1970-01-01T00:00:00.000Z" });
    expect(formatTime(-1)).toEqual({ text: "—", iso: "" });
  });
});

describe("showing record bytes", () => {
  it("text, JSON pretty-printed, null, binary as hex", () => {
    expect(decodeBytes(b64("hello"))).toEqual({ kind: "text", text: "hello" });
    expect(decodeBytes(b64('{"a":1,"b":[2]}'))).toEqual({ kind: "json", text: '{"a":1,"b":[2]}', pretty: '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}' });
    expect(decodeBytes(b64("{not json"))).toEqual({ kind: "text", text: "{not json" });
    expect(decodeBytes(null)).toEqual({ kind: "null" });
    expect(decodeBytes("/w==")).toEqual({ kind: "binary", base64: "/w==", hex: "ff", bytes: 1 });
    // Valid UTF-8 with control characters is not shown as text (it could hide or fake content).
    expect(decodeBytes(b64("a\u0000b")).kind).toBe("binary");
    expect(decodeBytes(b64("tab\tand\nnewline")).kind).toBe("text");
    expect(decodeBytes("!!!")).toMatchObject({ kind: "binary", bytes: 0 });
  });

  it("previews on one line, cut with an ellipsis", () => {
    expect(preview(decodeBytes(b64("a\n  b")))).toBe("a b");
    expect(preview(decodeBytes(b64("x".repeat(200))), 10)).toBe(`${"x".repeat(9)}…`);
    expect(preview(decodeBytes("AAEC"))).toBe("binary, 3 bytes: 00 01 02");
  });

  it("copies a record as JSON: text when everything is text, else base64 as fetched", () => {
    const text = { offset: 7, timestamp: 5, key: b64("k"), value: b64("v"), headers: [{ key: "h", value: b64("x") }] };
    expect(recordJson("t", 1, text)).toEqual({ topic: "t", partition: 1, offset: 7, timestamp: 5, encoding: "text", key: "k", value: "v", headers: [{ key: "h", value: "x" }] });
    const binary = { ...text, value: "/w==" };
    expect(recordJson("t", 1, binary)).toMatchObject({ encoding: "base64", key: b64("k"), value: "/w==", headers: [{ key: "h", value: b64("x") }] });
    expect(recordJson("t", 0, { ...text, key: null, value: null })).toMatchObject({ key: null, value: null });
  });

  it("filters by key substring, never matching binary or null keys", () => {
    const rows = [{ key: b64("user-42") }, { key: b64("user-7") }, { key: null }, { key: "/w==" }];
    expect(filterByKey(rows, "42")).toEqual([rows[0]]);
    expect(filterByKey(rows, "")).toEqual(rows);
  });
});

describe("errors", () => {
  it("reads the API's error body; labels it with type, code and status", () => {
    const e = errorFrom(416, { error: { type: "OFFSET_OUT_OF_RANGE", code: 1, message: "offset 99 is outside", retriable: false, details: { offset: 99 } } });
    expect(e).toEqual({ status: 416, type: "OFFSET_OUT_OF_RANGE", code: 1, message: "offset 99 is outside", details: { offset: 99 } });
    expect(errorLabel(e)).toBe("OFFSET_OUT_OF_RANGE (code 1, HTTP 416)");
    expect(errorFrom(502, "Bad Gateway")).toEqual({ status: 502, type: "HTTP_502", code: null, message: "Bad Gateway" });
    expect(errorLabel({ status: 0, type: "NETWORK_ERROR", code: null, message: "" })).toBe("NETWORK_ERROR");
  });
});

describe("produce headers", () => {
  it("reads 'key: value' and 'key=value' lines, refusing a line without a key", () => {
    expect(parseHeaderLines("trace: a1\n\nsource=web\n")).toEqual([{ key: "trace", value: "a1" }, { key: "source", value: "web" }]);
    expect(() => parseHeaderLines(": x")).toThrow(/key: value/);
  });
});

describe("paging", () => {
  const range = { logStartOffset: 10, highWatermark: 100 };
  it("the newest page, and pages back and forward within the range", () => {
    expect(newestStart(range, 50)).toBe(50);
    expect(newestStart(range, 500)).toBe(10);
    expect(previousStart(range, 50, 30)).toBe(20);
    expect(previousStart(range, 20, 30)).toBe(10);
    expect(previousStart(range, 10, 30)).toBeNull();
    expect(nextStart(range, 80)).toBe(80);
    expect(nextStart(range, 100)).toBeNull();
  });
  it("a tail keeps the newest rows", () => {
    expect(bounded([1, 2, 3, 4], 2)).toEqual([3, 4]);
    expect(bounded([1], 2)).toEqual([1]);
  });
});

describe("SSE parser", () => {
  it("parses events split anywhere, skips comments, keeps the last id", () => {
    const p = new SseParser();
    const stream = 'retry: 1000\n\n: keep-alive\n\nid: 6\nevent: records\ndata: {"a":1}\n\nid: 7\r\nevent: failure\r\ndata: x\r\ndata: y\r\n\r\n';
    const events = [];
    for (let i = 0; i < stream.length; i += 5) events.push(...p.push(stream.slice(i, i + 5)));
    expect(events).toEqual([
      { event: "records", data: '{"a":1}', id: "6" },
      { event: "failure", data: "x\ny", id: "7" },
    ]);
  });
});

describe("shareTotals", () => {
  it("sums a share group's share-partitions and names each topic once, sorted", () => {
    const p = (topic: string, available: number, acquired: number, archiving: number, deadLettersPending: number) => ({ topic, inFlight: { available, acquired, archiving }, deadLettersPending });
    expect(shareTotals([p("jobs", 1, 2, 0, 0), p("alerts", 0, 5, 1, 1), p("jobs", 3, 0, 2, 2)])).toEqual({ available: 4, acquired: 7, archiving: 3, deadLettersPending: 3, topics: ["alerts", "jobs"] });
  });

  it("is all zeros and no topics for a group never polled", () => {
    expect(shareTotals([])).toEqual({ available: 0, acquired: 0, archiving: 0, deadLettersPending: 0, topics: [] });
  });
});
