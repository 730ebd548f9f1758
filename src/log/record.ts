// Validates produce records (JSON from HTTP or RPC) and turns each into the stored form's "tail": the JSON text
// of the record after its offset and timestamp, exactly as a fetch will serve it. Serializing here, in the
// stateless router, keeps the per-partition object's work to stamping offsets (DESIGN §2: same format end to end).
import { base64ByteLength, base64ToBytes, isBase64, utf8ByteLength } from "./base64";
import { isPlainObject } from "./plain-object";
import type { ScannedRecord } from "./scan-produce-body";
import { MAX_STAMP_BYTES } from "./stamp";
import { MAX_HEADER_KEY_BYTES, MAX_HEADERS_PER_RECORD, MAX_KEY_BYTES, MAX_STORED_RECORD_BYTES, MAX_TIMESTAMP_MS } from "../limits";

export type Encoding = "text" | "base64";

export interface Header {
  key: string;
  value: string | null;
}

/** A record as clients send it and fetches return it (keys, values and header values in the request's encoding). */
export interface ProducedRecord {
  key?: string | null;
  value: string | null;
  headers?: Header[];
  timestamp?: number;
  partition?: number;
}

export interface ParsedRecord {
  /** The partition the record named, if any. */
  partition: number | undefined;
  /** The key, in the request's encoding, or null. */
  key: string | null;
  /** CreateTime in ms: the producer's timestamp, else the time the request was parsed. */
  timestamp: number;
  /** `"key":…,"value":…,"headers":[…]}`: the stored JSON after `{"offset":N,"timestamp":T,`. */
  tail: string;
}

export interface RecordProblem {
  type: "INVALID_REQUEST" | "INVALID_RECORD" | "MESSAGE_TOO_LARGE" | "INVALID_TIMESTAMP";
  message: string;
  details: Record<string, unknown>;
}

const RECORD_FIELDS = new Set(["key", "value", "headers", "timestamp", "partition"]);
const utf8 = new TextEncoder();

/** Byte size of a key/value/header value in the request's encoding, counted without encoding it: a keyed record's
 *  key is encoded once, by keyBytes, and only when the partitioner hashes it. */
function byteSize(text: string, encoding: Encoding): number {
  return encoding === "base64" ? base64ByteLength(text) : utf8ByteLength(text);
}

export class RecordParser {
  constructor(
    private readonly encoding: Encoding,
    private readonly maxRecordBytes: number,
    private readonly nowMs: number,
  ) {}

  /** Returns the parsed record or the first problem with it; index is for the error's details. */
  parse(input: unknown, index: number): ParsedRecord | RecordProblem {
    if (!isPlainObject(input)) return this.problem("INVALID_REQUEST", `records[${index}] must be an object`, index);
    for (const field in input) {
      if (!RECORD_FIELDS.has(field)) return this.problem("INVALID_REQUEST", `records[${index}] has unknown field '${field}'`, index);
    }
    const { key = null, value, headers, timestamp, partition } = input;
    if (!("value" in input)) return this.problem("INVALID_REQUEST", `records[${index}].value is required (a string, or null for a tombstone)`, index);
    return this.check(index, key, undefined, value, undefined, headers, timestamp, partition);
  }

  /**
   * parse, for a record of a body read by scanProduceBody: a simple one skips the object graph and takes its key and
   * value JSON from the request text; any other is JSON.parse'd alone and read by parse, as the whole body would be.
   */
  parseScanned(record: ScannedRecord, text: string, index: number): ParsedRecord | RecordProblem {
    if (!record.simple) return this.parse(JSON.parse(text.slice(record.start, record.end)), index);
    if (record.value === undefined) return this.problem("INVALID_REQUEST", `records[${index}].value is required (a string, or null for a tombstone)`, index);
    return this.check(index, record.key, record.keyJson, record.value, record.valueJson, undefined, record.timestamp, record.partition);
  }

  /** The checks and the tail of one record; keyJson/valueJson, when given, are JSON.stringify of key/value. */
  private check(index: number, key: unknown, keyJson: string | undefined, value: unknown, valueJson: string | undefined, headers: unknown, timestamp: unknown, partition: unknown): ParsedRecord | RecordProblem {
    let size = 0;
    if (key !== null) {
      if (typeof key !== "string") return this.problem("INVALID_REQUEST", `records[${index}].key must be a string or null`, index);
      const problem = this.checkEncoded(key, `records[${index}].key`, index);
      if (problem) return problem;
      const keyBytes = byteSize(key, this.encoding);
      if (keyBytes > MAX_KEY_BYTES) {
        return this.problem("MESSAGE_TOO_LARGE", `records[${index}].key is ${keyBytes} bytes, the maximum is ${MAX_KEY_BYTES}`, index, { keyBytes, maxKeyBytes: MAX_KEY_BYTES });
      }
      size += keyBytes;
    }
    if (value !== null) {
      if (typeof value !== "string") return this.problem("INVALID_REQUEST", `records[${index}].value must be a string or null`, index);
      const problem = this.checkEncoded(value, `records[${index}].value`, index);
      if (problem) return problem;
      size += this.encoding === "base64" ? base64ByteLength(value) : value.length; // text: exact size below, only if needed
    }

    let headersJson = "[]";
    if (headers !== undefined) {
      if (!Array.isArray(headers)) return this.problem("INVALID_REQUEST", `records[${index}].headers must be an array of {key, value}`, index);
      if (headers.length > MAX_HEADERS_PER_RECORD) {
        return this.problem("INVALID_RECORD", `records[${index}] has ${headers.length} headers, the maximum is ${MAX_HEADERS_PER_RECORD}`, index, { headers: headers.length, maxHeaders: MAX_HEADERS_PER_RECORD });
      }
      const clean: Header[] = [];
      for (let h = 0; h < headers.length; h++) {
        const header: unknown = headers[h];
        const where = `records[${index}].headers[${h}]`;
        if (!isPlainObject(header) || typeof header.key !== "string" || (header.value !== null && typeof header.value !== "string")) {
          return this.problem("INVALID_REQUEST", `${where} must be {key: string, value: string|null}`, index);
        }
        for (const field in header) {
          if (field !== "key" && field !== "value") return this.problem("INVALID_REQUEST", `${where} has unknown field '${field}'`, index);
        }
        const keyBytes = utf8ByteLength(header.key);
        if (keyBytes === 0 || keyBytes > MAX_HEADER_KEY_BYTES) {
          return this.problem("INVALID_RECORD", `${where}.key must be 1 to ${MAX_HEADER_KEY_BYTES} bytes, got ${keyBytes}`, index, { headerKeyBytes: keyBytes, maxHeaderKeyBytes: MAX_HEADER_KEY_BYTES });
        }
        size += keyBytes;
        const headerValue = header.value ?? null;
        if (headerValue !== null) {
          const problem = this.checkEncoded(headerValue, `${where}.value`, index);
          if (problem) return problem;
          size += byteSize(headerValue, this.encoding);
        }
        clean.push({ key: header.key, value: headerValue });
      }
      if (clean.length > 0) headersJson = JSON.stringify(clean); // `headers: []` is common; stringify is not free
    }

    let ts = this.nowMs;
    if (timestamp !== undefined && timestamp !== null) {
      // A malformed value is INVALID_REQUEST (DESIGN §3); a well-formed one out of range is Kafka's INVALID_TIMESTAMP.
      if (typeof timestamp !== "number" || !Number.isInteger(timestamp) || timestamp < 0) {
        return this.problem("INVALID_REQUEST", `records[${index}].timestamp must be a non-negative integer of milliseconds`, index);
      }
      if (timestamp > MAX_TIMESTAMP_MS) {
        return this.problem("INVALID_TIMESTAMP", `records[${index}].timestamp ${timestamp} is past the largest timestamp, ${MAX_TIMESTAMP_MS}`, index, { maxTimestampMs: MAX_TIMESTAMP_MS });
      }
      ts = timestamp;
    }

    let part: number | undefined;
    if (partition !== undefined && partition !== null) {
      if (typeof partition !== "number" || !Number.isSafeInteger(partition) || partition < 0) {
        return this.problem("INVALID_REQUEST", `records[${index}].partition must be a non-negative integer`, index);
      }
      part = partition;
    }

    // Text values counted one byte per UTF-16 unit above: a lower bound. Count exactly only when it matters.
    if (this.encoding === "text" && typeof value === "string" && size + value.length * 2 > this.maxRecordBytes) {
      size += byteSize(value, "text") - value.length;
    }
    if (size > this.maxRecordBytes) {
      return this.problem("MESSAGE_TOO_LARGE", `records[${index}] is ${size} bytes (key + value + headers), max.message.bytes is ${this.maxRecordBytes}`, index, { recordBytes: size, maxMessageBytes: this.maxRecordBytes });
    }
    const tail = `"key":${keyJson ?? (key === null ? "null" : JSON.stringify(key))},"value":${valueJson ?? (value === null ? "null" : JSON.stringify(value))},"headers":${headersJson}}`;
    // Escaping can grow text up to 6x (\u0001): the stored JSON must still fit one SQLite row (2 MB).
    if (tail.length * 3 > MAX_STORED_RECORD_BYTES) {
      const storedBytes = utf8ByteLength(tail) + MAX_STAMP_BYTES;
      if (storedBytes > MAX_STORED_RECORD_BYTES) {
        return this.problem("MESSAGE_TOO_LARGE", `records[${index}] takes ${storedBytes} bytes as stored JSON (escapes included), the maximum is ${MAX_STORED_RECORD_BYTES}; send it with encoding=base64`, index, {
          storedBytes,
          maxStoredRecordBytes: MAX_STORED_RECORD_BYTES,
        });
      }
    }
    return { partition: part, key: key as string | null, timestamp: ts, tail };
  }

  /** The bytes Kafka's partitioner hashes: UTF-8 of a text key, the decoded bytes of a base64 key. */
  keyBytes(key: string): Uint8Array {
    return this.encoding === "base64" ? base64ToBytes(key) : utf8.encode(key);
  }

  private checkEncoded(text: string, where: string, index: number): RecordProblem | undefined {
    if (this.encoding === "base64" && !isBase64(text)) return this.problem("INVALID_REQUEST", `${where} is not valid base64`, index);
    return undefined;
  }

  private problem(type: RecordProblem["type"], message: string, index: number, extra: Record<string, unknown> = {}): RecordProblem {
    return { type, message, details: { index, ...extra } };
  }
}

export function isProblem(x: ParsedRecord | RecordProblem): x is RecordProblem {
  return "type" in x;
}
