// The R2 archive target against the local R2 bucket bound as ARCHIVE (wrangler.toml).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { archiveBody, archiveBuckets, archiveKey, archiveTarget, checkArchiveBinding, checkArchivePrefix } from "../../../src/subscription/targets/archive-target";
import { targetFor } from "../../../src/subscription/targets/target-for";
import type { ArchiveTarget, DeliveredRecord, DeliveryBatch } from "../../../src/subscription-protocol";
import { DEFAULT_ARCHIVE_MAX_OBJECT_AGE_MS, DEFAULT_ARCHIVE_MAX_OBJECT_BYTES, MAX_ARCHIVE_PREFIX_BYTES, MAX_PARTITIONS_PER_TOPIC, MAX_TOPIC_NAME_LENGTH } from "../../../src/limits";

const bucket = env.ARCHIVE!;

let prefixes = 0;
/** A prefix of its own per test: R2 storage is shared by the tests of a file. */
const uniquePrefix = () => `test-${++prefixes}-${crypto.randomUUID().slice(0, 8)}/`;

const record = (offset: number, value: string | null = `v${offset}`): DeliveredRecord => ({
  offset,
  timestamp: 1_700_000_000_000 + offset,
  key: offset % 2 === 0 ? `k${offset}` : null,
  value,
  headers: offset % 3 === 0 ? [{ key: "trace", value: `t${offset}` }] : [],
});

const batchOf = (offsets: number[], attempt = 1, topic = "orders", partition = 4): DeliveryBatch => ({
  subscription: "archiver",
  topic,
  partition,
  attempt,
  records: offsets.map((offset) => record(offset)),
});

const target = (prefix: string, overrides: Partial<ArchiveTarget> = {}): ArchiveTarget => ({
  type: "r2",
  binding: "ARCHIVE",
  prefix,
  format: "ndjson",
  maxObjectBytes: DEFAULT_ARCHIVE_MAX_OBJECT_BYTES,
  maxObjectAgeMs: DEFAULT_ARCHIVE_MAX_OBJECT_AGE_MS,
  ...overrides,
});

async function keysUnder(prefix: string): Promise<string[]> {
  return (await bucket.list({ prefix })).objects.map((o) => o.key);
}

describe("archiveKey and archiveBody", () => {
  it("names an object by topic, partition and offset range, offsets 20 digits so keys sort by offset", () => {
    expect(archiveKey("archive/", "orders", 3, 5, 12)).toBe("archive/orders/3/00000000000000000005-00000000000000000012.ndjson");
    expect(archiveKey("", "t", 0, 0, Number.MAX_SAFE_INTEGER)).toBe("t/0/00000000000000000000-00009007199254740991.ndjson");
    const keys = [archiveKey("", "t", 0, 100, 199), archiveKey("", "t", 0, 9, 99), archiveKey("", "t", 0, 1_000, 1_999)];
    expect([...keys].sort()).toEqual([keys[1], keys[0], keys[2]]);
  });

  it("writes one JSON line per record, in offset order, each ending in a newline", () => {
    const batch = batchOf([7, 5, 6]);
    const lines = archiveBody(batch).split("\n");
    expect(lines.pop()).toBe("");
    expect(lines.map((line) => JSON.parse(line))).toEqual([5, 6, 7].map((offset) => ({ topic: "orders", partition: 4, ...record(offset) })));
    // The fields in the documented order.
    expect(lines[1]).toBe('{"topic":"orders","partition":4,"offset":6,"timestamp":1700000000006,"key":"k6","value":"v6","headers":[{"key":"trace","value":"t6"}]}');
  });
});

describe("archive target: one object per batch in R2", () => {
  it("writes the batch as NDJSON under its range's key, with its content type and metadata", async () => {
    const prefix = uniquePrefix();
    const batch = batchOf([10, 11, 12, 13]);
    batch.records[1]!.value = null;
    batch.records[2]!.value = 'quotes " and\nnewlines ✓';
    expect(await archiveTarget(env, target(prefix)).deliver(batch)).toEqual({ kind: "acked" });
    const key = `${prefix}orders/4/00000000000000000010-00000000000000000013.ndjson`;
    expect(await keysUnder(prefix)).toEqual([key]);
    const object = await bucket.get(key);
    expect(object).not.toBeNull();
    const text = await object!.text();
    expect(text).toBe(archiveBody(batch));
    expect(text.trimEnd().split("\n").map((line) => JSON.parse(line).value)).toEqual(["v10", null, 'quotes " and\nnewlines ✓', "v13"]);
    expect(object!.httpMetadata?.contentType).toBe("application/x-ndjson");
    expect(object!.customMetadata).toEqual({ subscription: "archiver", records: "4", firstOffset: "10", lastOffset: "13" });
  });

  it("a retried upload of the same range overwrites the same object: each record archived once", async () => {
    const prefix = uniquePrefix();
    const archive = archiveTarget(env, target(prefix));
    expect(await archive.deliver(batchOf([20, 21, 22], 1))).toEqual({ kind: "acked" });
    expect(await archive.deliver(batchOf([20, 21, 22], 2))).toEqual({ kind: "acked" });
    expect(await archive.deliver(batchOf([23, 24], 1))).toEqual({ kind: "acked" });
    const keys = await keysUnder(prefix);
    expect(keys).toEqual([
      `${prefix}orders/4/00000000000000000020-00000000000000000022.ndjson`,
      `${prefix}orders/4/00000000000000000023-00000000000000000024.ndjson`,
    ]);
    const offsets: number[] = [];
    for (const key of keys) {
      for (const line of (await (await bucket.get(key))!.text()).trimEnd().split("\n")) offsets.push(JSON.parse(line).offset);
    }
    expect(offsets).toEqual([20, 21, 22, 23, 24]);
  });

  it("a failed upload is a failed delivery; the retry archives the records once, in order", async () => {
    const prefix = uniquePrefix();
    const batch = batchOf([30, 31, 32]);
    // A real R2 failure: R2 refuses keys over 1024 bytes, and this prefix (past MAX_ARCHIVE_PREFIX_BYTES, which
    // checkArchivePrefix would have refused) makes one.
    const tooLong = `${prefix}${"p".repeat(1_000)}/`;
    const outcome = await archiveTarget(env, target(tooLong)).deliver(batch);
    expect(outcome.kind).toBe("failed");
    expect(outcome.kind === "failed" && outcome.error).toMatch(/^R2 put failed: .*object name is not valid.*; key test-/);
    expect(await keysUnder(prefix)).toEqual([]);
    expect(await archiveTarget(env, target(prefix)).deliver({ ...batch, attempt: 2 })).toEqual({ kind: "acked" });
    const keys = await keysUnder(prefix);
    expect(keys).toHaveLength(1);
    expect((await (await bucket.get(keys[0]!))!.text()).trimEnd().split("\n").map((line) => JSON.parse(line).offset)).toEqual([30, 31, 32]);
  });

  it("the longest prefix with the longest topic, partition and offsets still makes a key R2 takes", async () => {
    const prefix = `${uniquePrefix()}é`.padEnd(MAX_ARCHIVE_PREFIX_BYTES - 1, "x");
    expect(new TextEncoder().encode(prefix).length).toBe(MAX_ARCHIVE_PREFIX_BYTES);
    expect(checkArchivePrefix(prefix)).toBeUndefined();
    const topic = "t".repeat(MAX_TOPIC_NAME_LENGTH);
    const batch = { ...batchOf([0]), topic, partition: MAX_PARTITIONS_PER_TOPIC - 1, records: [record(Number.MAX_SAFE_INTEGER - 1), record(Number.MAX_SAFE_INTEGER)] };
    expect(await archiveTarget(env, target(prefix)).deliver(batch)).toEqual({ kind: "acked" });
    expect(await keysUnder(prefix)).toEqual([archiveKey(prefix, topic, MAX_PARTITIONS_PER_TOPIC - 1, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER)]);
  });

  it("uses the ARCHIVE binding when the target names none, and writes nothing for an empty batch", async () => {
    const prefix = uniquePrefix();
    expect(await archiveTarget(env, target(prefix, { binding: "" })).deliver(batchOf([40]))).toEqual({ kind: "acked" });
    expect(await archiveTarget(env, target(prefix)).deliver(batchOf([]))).toEqual({ kind: "acked" });
    expect(await keysUnder(prefix)).toEqual([`${prefix}orders/4/00000000000000000040-00000000000000000040.ndjson`]);
  });

  it("a bucket binding that is gone, or is no bucket, is a failed delivery", async () => {
    expect(await archiveTarget(env, target(uniquePrefix(), { binding: "NO_SUCH_BUCKET" })).deliver(batchOf([1]))).toEqual({
      kind: "failed",
      error: "NO_SUCH_BUCKET is not an R2 bucket binding of edgelog (was it removed from wrangler.toml?)",
    });
    expect((await archiveTarget(env, target(uniquePrefix(), { binding: "PARTITION_LOG" })).deliver(batchOf([1]))).kind).toBe("failed");
  });

  it("targetFor builds the archive target", async () => {
    const prefix = uniquePrefix();
    expect(await targetFor(env, target(prefix)).deliver(batchOf([50, 51]))).toEqual({ kind: "acked" });
    expect(await keysUnder(prefix)).toHaveLength(1);
  });
});

describe("checkArchivePrefix", () => {
  it.each(["", "archive/", "a/b/c-", "2026/orders.", "..foo/", "foo../bar", "./x/", "ünïcode/"])("accepts %j", (prefix) => {
    expect(checkArchivePrefix(prefix)).toBeUndefined();
  });

  it("accepts MAX_ARCHIVE_PREFIX_BYTES bytes and refuses one byte more (bytes, not characters)", () => {
    expect(checkArchivePrefix("a".repeat(MAX_ARCHIVE_PREFIX_BYTES))).toBeUndefined();
    expect(checkArchivePrefix("a".repeat(MAX_ARCHIVE_PREFIX_BYTES + 1))).toBe(`prefix is ${MAX_ARCHIVE_PREFIX_BYTES + 1} bytes; at most ${MAX_ARCHIVE_PREFIX_BYTES}`);
    expect(checkArchivePrefix("é".repeat(MAX_ARCHIVE_PREFIX_BYTES / 2))).toBeUndefined();
    expect(checkArchivePrefix(`a${"é".repeat(MAX_ARCHIVE_PREFIX_BYTES / 2)}`)).toContain("bytes; at most");
  });

  it.each<[unknown, string]>([
    ["/archive/", "prefix must not start with /"],
    ["..", "prefix must not have a .. segment"],
    ["../archive/", "prefix must not have a .. segment"],
    ["a/../b/", "prefix must not have a .. segment"],
    ["a/..", "prefix must not have a .. segment"],
    ["a\u0000b/", "prefix must not hold control characters"],
    ["a\nb/", "prefix must not hold control characters"],
    [null, 'prefix must be a string ("" for none)'],
    [7, 'prefix must be a string ("" for none)'],
  ])("refuses %j", (prefix, error) => {
    expect(checkArchivePrefix(prefix)).toBe(error);
  });
});

describe("archiveBuckets and checkArchiveBinding", () => {
  it("lists R2 bucket bindings but not edgelog's tiered storage, objects, services or vars", () => {
    expect(archiveBuckets(env)).toContain("ARCHIVE");
    for (const other of ["SEGMENTS", "PARTITION_LOG", "EDGELOG_ENV"]) expect(archiveBuckets(env)).not.toContain(other);
    const mixed = { B: env.ARCHIVE, A: env.SEGMENTS, SEGMENTS: env.SEGMENTS, NS: env.PARTITION_LOG, V: "x", S: (env as unknown as Record<string, unknown>).TARGET_ECHO };
    expect(archiveBuckets(mixed)).toEqual(["A", "B"]);
  });

  it("refuses an unknown binding with the list of buckets, and the tiered-storage bucket by name", () => {
    expect(checkArchiveBinding("ARCHIVE", env)).toBeUndefined();
    const unknown = checkArchiveBinding("LOGS", env);
    expect(unknown).toContain('binding "LOGS" is not an R2 bucket binding of edgelog; bound buckets: ');
    expect(unknown).toContain("ARCHIVE");
    expect(checkArchiveBinding("SEGMENTS", env)).toBe("binding SEGMENTS is edgelog's tiered storage; archive into another bucket");
    expect(checkArchiveBinding("ARCHIVE", { EDGELOG_ENV: "test" })).toBe(
      'binding "ARCHIVE" is not an R2 bucket binding of edgelog; none is bound (add [[r2_buckets]] to edgelog\'s wrangler.toml)',
    );
  });
});
