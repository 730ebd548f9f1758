// What a producer accepts (text or bytes for keys, values and header values) and how one record becomes its wire
// form: encoded as text, or as base64 when it carries bytes, sized by the server's rule (key + value + header keys
// + header values), and checked against the server's limits first so one bad record fails its own send() instead
// of the batch it would have joined.
import { base64ByteLength, bytesToBase64, textToBase64, utf8ByteLength } from "../log/base64";
import { MAX_HEADER_KEY_BYTES, MAX_HEADERS_PER_RECORD, MAX_KEY_BYTES, MAX_TIMESTAMP_MS } from "../limits";
import { EdgelogError } from "./edgelog-error";
import type { Encoding, Header } from "../log/record";
import type { WireRecord } from "./wire";

export type Bytes = Uint8Array;

export interface ProducerRecord {
  /** A keyed record goes to murmur2(key) % partitions, exactly where Kafka's Java client puts it. */
  key?: string | Bytes | null;
  /** null is a tombstone. */
  value: string | Bytes | null;
  /** An array keeps order and repeated keys; an object is a shorthand. */
  headers?: { key: string; value: string | Bytes | null }[] | Record<string, string | Bytes | null>;
  /** CreateTime in ms; the server's clock when absent. */
  timestamp?: number;
  /** Overrides the partitioner. */
  partition?: number;
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0. */
  offset: number;
  timestamp: number;
}

export interface PreparedRecord {
  wire: WireRecord;
  encoding: Encoding;
  /** The serialized key for the partitioner, null for keyless records. */
  keyBytes: Uint8Array | null;
  /**
   * key + value + header keys + header values, in bytes (the size max.message.bytes bounds), or a bound above it: text
   * values are not scanned here but counted at 3 bytes per UTF-16 unit, their most in UTF-8, since for nearly every
   * record even that is far under any limit. Only a record whose bound crosses a limit is counted exactly
   * (exactSizeBytes).
   */
  sizeBytes: number;
  /**
   * What the record adds to a request body, roughly (for batchBytes and the buffer bound): text counts one byte per
   * UTF-16 unit (its exact UTF-8 size for ASCII). A unit is at most 6 bytes of JSON (a \u escape), so a batch's JSON
   * stays within 6 times its batchBytes.
   */
  batchBytes: number;
}

/** JSON punctuation and the offset/timestamp fields around each record. */
const RECORD_OVERHEAD_BYTES = 64;
const HEADER_OVERHEAD_BYTES = 24;
const utf8 = new TextEncoder();

/** Validates one record (index `index` of its send) against the limits that do not depend on the topic. */
export function prepareRecord(record: ProducerRecord, index: number): PreparedRecord {
  if (record === null || typeof record !== "object") throw invalid(index, "must be an object");
  const { key = null, value, timestamp, partition } = record;
  if (value === undefined) throw invalid(index, "has no value (use null for a tombstone)");
  checkData(key, index, "key");
  checkData(value, index, "value");
  const headers = headerList(record.headers, index);
  const binary = key instanceof Uint8Array || value instanceof Uint8Array || headers.some((h) => h.value instanceof Uint8Array);
  const encoding: Encoding = binary ? "base64" : "text";

  if (timestamp !== undefined && !(Number.isInteger(timestamp) && timestamp >= 0)) throw invalid(index, `timestamp must be an integer >= 0, got ${String(timestamp)}`);
  if (timestamp !== undefined && timestamp > MAX_TIMESTAMP_MS) throw new EdgelogError("INVALID_TIMESTAMP", `records[${index}] timestamp ${timestamp} is past ${MAX_TIMESTAMP_MS}`, { details: { index } });
  if (partition !== undefined && !(Number.isInteger(partition) && partition >= 0)) throw invalid(index, `partition must be an integer >= 0, got ${String(partition)}`);

  const keyBytes = key === null ? null : key instanceof Uint8Array ? key : utf8.encode(key);
  if (keyBytes !== null && keyBytes.length > MAX_KEY_BYTES) {
    throw new EdgelogError("MESSAGE_TOO_LARGE", `records[${index}] key is ${keyBytes.length} bytes, the maximum is ${MAX_KEY_BYTES}`, { details: { index } });
  }
  // Bytes counted exactly (the key, header keys, bytes, text that base64 encodes anyway) and the UTF-16 units of text
  // sent as is, which are only bounded.
  let exactBytes = keyBytes?.length ?? 0;
  let textUnits = 0;
  if (typeof value === "string" && encoding === "text") textUnits += value.length;
  else exactBytes += dataBytes(value);
  let batchBytes = RECORD_OVERHEAD_BYTES;
  const wireHeaders: Header[] = [];
  for (const h of headers) {
    exactBytes += utf8ByteLength(h.key);
    if (typeof h.value === "string" && encoding === "text") textUnits += h.value.length;
    else exactBytes += dataBytes(h.value);
    batchBytes += HEADER_OVERHEAD_BYTES;
    wireHeaders.push({ key: h.key, value: encode(h.value, encoding) });
  }
  const wire: WireRecord = { key: encode(key, encoding), value: encode(value, encoding) };
  if (wireHeaders.length > 0) wire.headers = wireHeaders;
  if (timestamp !== undefined) wire.timestamp = timestamp;
  if (partition !== undefined) wire.partition = partition;
  const sizeBytes = exactBytes + 3 * textUnits;
  // base64 is 4/3 of the bytes on the wire.
  batchBytes += encoding === "base64" ? Math.ceil((exactBytes * 4) / 3) : exactBytes + textUnits;
  return { wire, encoding, keyBytes, sizeBytes, batchBytes };
}

/**
 * The record's exact size in bytes (key + value + header keys + header values), from its wire form: text as UTF-8,
 * base64 as the bytes it decodes to. Equal to sizeBytes when that counted nothing as a bound.
 */
export function exactSizeBytes(record: PreparedRecord): number {
  const { wire, encoding } = record;
  const length = encoding === "base64" ? base64ByteLength : utf8ByteLength;
  let bytes = record.keyBytes?.length ?? 0;
  if (wire.value !== null) bytes += length(wire.value);
  for (const h of wire.headers ?? []) bytes += utf8ByteLength(h.key) + (h.value === null ? 0 : length(h.value));
  return bytes;
}

function headerList(headers: ProducerRecord["headers"], index: number): { key: string; value: string | Bytes | null }[] {
  if (headers === undefined) return [];
  const list = Array.isArray(headers) ? headers : Object.entries(headers).map(([key, value]) => ({ key, value }));
  if (list.length > MAX_HEADERS_PER_RECORD) {
    throw new EdgelogError("INVALID_RECORD", `records[${index}] has ${list.length} headers, the maximum is ${MAX_HEADERS_PER_RECORD}`, { details: { index } });
  }
  for (const h of list) {
    if (typeof h?.key !== "string") throw invalid(index, "has a header without a string key");
    const bytes = utf8ByteLength(h.key);
    if (bytes === 0 || bytes > MAX_HEADER_KEY_BYTES) {
      throw new EdgelogError("INVALID_RECORD", `records[${index}] header key must be 1 to ${MAX_HEADER_KEY_BYTES} bytes, got ${bytes}`, { details: { index } });
    }
    checkData(h.value, index, `header '${h.key}'`);
  }
  return list;
}

function checkData(data: unknown, index: number, what: string): void {
  if (data !== null && typeof data !== "string" && !(data instanceof Uint8Array)) throw invalid(index, `${what} must be a string, a Uint8Array or null`);
}

function dataBytes(data: string | Bytes | null): number {
  if (data === null) return 0;
  return typeof data === "string" ? utf8ByteLength(data) : data.length;
}

function encode(data: string | Bytes | null, encoding: Encoding): string | null {
  if (data === null) return null;
  if (data instanceof Uint8Array) return bytesToBase64(data);
  return encoding === "base64" ? textToBase64(data) : data;
}

function invalid(index: number, message: string): EdgelogError {
  return new EdgelogError("INVALID_REQUEST", `records[${index}] ${message}`, { details: { index } });
}
