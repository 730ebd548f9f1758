// An R2 archive target (the Kafka Connect S3 sink's job): one NDJSON object per batch, named by topic, partition and
// offset range. The same range always gets the same key, so a retried upload overwrites what an earlier attempt may
// have written: each offset range is archived exactly once. No cloudflare:* import (R2 types are ambient).
import type { ArchiveTarget, DeliveryBatch } from "../../subscription-protocol";
import { MAX_ARCHIVE_PREFIX_BYTES } from "../../limits";
import { type DeliveryOutcome, type DeliveryTarget, ACKED, errorMessage, failed } from "./delivery-target";

/** The bucket binding an ArchiveTarget uses when it names none. */
export const DEFAULT_ARCHIVE_BINDING = "ARCHIVE";

/** edgelog's own tiered-storage bucket: its keys are segments', and an archive there could collide with them. */
const RESERVED_BUCKETS = new Set(["SEGMENTS"]);

/** Offsets are written with this many digits (an int64's 19, plus one), so keys sort in offset order. */
const OFFSET_DIGITS = 20;

export function archiveTarget(env: object, target: ArchiveTarget): DeliveryTarget {
  return { deliver: (batch) => deliverToArchive(env, target, batch) };
}

/** `<prefix><topic>/<partition>/<first offset, 20 digits>-<last offset, 20 digits>.ndjson` */
export function archiveKey(prefix: string, topic: string, partition: number, firstOffset: number, lastOffset: number): string {
  return `${prefix}${topic}/${partition}/${padOffset(firstOffset)}-${padOffset(lastOffset)}.ndjson`;
}

/** One JSON line per record, in offset order, each ending in "\n". */
export function archiveBody(batch: DeliveryBatch): string {
  let body = "";
  for (const record of sortedRecords(batch)) {
    body += `${JSON.stringify({
      topic: batch.topic,
      partition: batch.partition,
      offset: record.offset,
      timestamp: record.timestamp,
      key: record.key,
      value: record.value,
      headers: record.headers,
    })}\n`;
  }
  return body;
}

/** Why `prefix` cannot be an archive's key prefix, or undefined if it can. */
export function checkArchivePrefix(prefix: unknown): string | undefined {
  if (typeof prefix !== "string") return "prefix must be a string (\"\" for none)";
  const bytes = new TextEncoder().encode(prefix).length;
  if (bytes > MAX_ARCHIVE_PREFIX_BYTES) return `prefix is ${bytes} bytes; at most ${MAX_ARCHIVE_PREFIX_BYTES}`;
  if (prefix.startsWith("/")) return "prefix must not start with /";
  if (prefix.split("/").includes("..")) return "prefix must not have a .. segment";
  // A NUL or other control character makes keys no tool lists or types safely.
  if (/[\u0000-\u001f\u007f]/.test(prefix)) return "prefix must not hold control characters";
  return undefined;
}

/** The env bindings an ArchiveTarget may name: R2 buckets, edgelog's tiered storage (SEGMENTS) excepted, sorted. */
export function archiveBuckets(env: object): string[] {
  return Object.keys(env)
    .filter((name) => !name.startsWith("__") && !RESERVED_BUCKETS.has(name) && isR2Bucket((env as Record<string, unknown>)[name]))
    .sort();
}

/** Why `binding` cannot be an ArchiveTarget's bucket in `env`, naming the buckets it may be; undefined if it can. */
export function checkArchiveBinding(binding: unknown, env: object): string | undefined {
  const buckets = archiveBuckets(env);
  if (typeof binding === "string" && buckets.includes(binding)) return undefined;
  if (typeof binding === "string" && RESERVED_BUCKETS.has(binding)) return `binding ${binding} is edgelog's tiered storage; archive into another bucket`;
  const list = buckets.length === 0 ? "none is bound (add [[r2_buckets]] to edgelog's wrangler.toml)" : `bound buckets: ${buckets.join(", ")}`;
  return `binding ${JSON.stringify(binding)} is not an R2 bucket binding of edgelog; ${list}`;
}

/** R2 buckets alone have multipart uploads (KV has get/put/list too; Fetchers answer every name, but have fetch). */
function isR2Bucket(value: unknown): value is R2Bucket {
  if (value === null || typeof value !== "object") return false;
  try {
    const candidate = value as { createMultipartUpload?: unknown; put?: unknown; fetch?: unknown };
    return typeof candidate.createMultipartUpload === "function" && typeof candidate.put === "function" && typeof candidate.fetch !== "function";
  } catch {
    return false;
  }
}

async function deliverToArchive(env: object, target: ArchiveTarget, batch: DeliveryBatch): Promise<DeliveryOutcome> {
  if (batch.records.length === 0) return ACKED;
  const binding = target.binding || DEFAULT_ARCHIVE_BINDING;
  const bucket = (env as Record<string, unknown>)[binding];
  if (!isR2Bucket(bucket)) return failed(`${binding} is not an R2 bucket binding of edgelog (was it removed from wrangler.toml?)`);
  const records = sortedRecords(batch);
  const first = records[0]!.offset;
  const last = records[records.length - 1]!.offset;
  const key = archiveKey(target.prefix, batch.topic, batch.partition, first, last);
  try {
    await bucket.put(key, archiveBody(batch), {
      httpMetadata: { contentType: "application/x-ndjson" },
      customMetadata: {
        subscription: batch.subscription,
        records: String(records.length),
        firstOffset: String(first),
        lastOffset: String(last),
      },
    });
  } catch (error) {
    // The reason first: a long key would push it out of the bounded error.
    return failed(`R2 put failed: ${errorMessage(error)}; key ${key}`);
  }
  return ACKED;
}

function sortedRecords(batch: DeliveryBatch): DeliveryBatch["records"] {
  // Batches arrive in offset order; sorting a sorted array is linear, and makes the key and the body agree regardless.
  return [...batch.records].sort((a, b) => a.offset - b.offset);
}

function padOffset(offset: number): string {
  return String(offset).padStart(OFFSET_DIGITS, "0");
}
