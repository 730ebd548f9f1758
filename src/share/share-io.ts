// What a share-partition does outside itself: reads its topic partition through the router's own service functions
// (metadata cache, leader failover, read_committed below the LSO, as any consumer's fetch), asks its group's
// coordinator whether the group still exists, and writes dead letters with its own idempotent producer.
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import type { Encoding } from "../log/record";
import { textToBase64 } from "../log/base64";
import { DEFAULT_FETCH_MAX_BYTES, MAX_FETCH_MAX_BYTES, MAX_FETCH_MAX_RECORDS } from "../limits";
import { controllerStub, groupCoordinatorStub } from "../names";
import type { IsolationLevel } from "../protocol";
import type { ShareGroupConfig, StoredShareGroup } from "../share-protocol";
import { listOffsets, readNow } from "../service/fetch";
import { topicMetadata } from "../service/metadata";
import { produce } from "../service/produce";

export interface LogRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: { key: string; value: string }[];
}

export interface LogPage {
  records: LogRecord[];
  /** Where the read stopped: offsets before it and not in records are gaps (control records, aborted, compacted). */
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

const decoder = new TextDecoder();

export class ShareIo {
  constructor(
    private readonly env: Env,
    private readonly where: { group: string; topic: string; topicId: string; partition: number },
  ) {}

  /** Is the group there, in this generation? Records this share-partition in the group's list. */
  async attach(generation: number): Promise<Result<StoredShareGroup>> {
    const w = this.where;
    return (await groupCoordinatorStub(this.env, w.group).share(w.group, { op: "attach", topic: w.topic, topicId: w.topicId, partition: w.partition, generation })) as Result<StoredShareGroup>;
  }

  /** Where a new share-partition starts (share.auto.offset.reset). */
  async startOffset(config: ShareGroupConfig): Promise<number> {
    const { topic, partition } = this.where;
    const at = config.autoOffsetReset;
    if (at === "earliest" || at === "latest") return (await listOffsets(this.env, topic, partition, at, config.isolation)).offset;
    const found = await listOffsets(this.env, topic, partition, at, config.isolation);
    return found.offset >= 0 ? found.offset : (await listOffsets(this.env, topic, partition, "latest", config.isolation)).offset;
  }

  async highWatermark(isolation: IsolationLevel): Promise<number> {
    return (await listOffsets(this.env, this.where.topic, this.where.partition, "latest", isolation)).offset;
  }

  /** Up to maxRecords records from `offset`; an offset below the log start answers no records and the log start. */
  async read(offset: number, maxRecords: number, encoding: Encoding, isolation: IsolationLevel, maxBytes = DEFAULT_FETCH_MAX_BYTES): Promise<LogPage> {
    const request = { offset, maxRecords: Math.min(Math.max(1, maxRecords), MAX_FETCH_MAX_RECORDS), maxBytes, maxWaitMs: 0, encoding, isolation };
    try {
      const result = await readNow(this.env, this.where.topic, this.where.partition, request);
      const body = JSON.parse(decoder.decode(result.body)) as { records: LogRecord[] };
      return { records: body.records, nextOffset: result.nextOffset, highWatermark: result.highWatermark, logStartOffset: result.logStartOffset };
    } catch (error) {
      if (!(error instanceof KafkaError) || error.body.type !== "OFFSET_OUT_OF_RANGE") throw error;
      const d = error.body.details as { logStartOffset: number; highWatermark: number };
      return { records: [], nextOffset: offset, highWatermark: d.highWatermark, logStartOffset: d.logStartOffset };
    }
  }

  /** The records at `offsets` (sorted) that the log still has, its log start, and how far the reads reached: an
   *  offset below `coveredUpTo` and not returned is gone (a gap); one past it was not read (a leader that just took
   *  over may not have it committed yet), so it is not gone. */
  async readOffsets(offsets: readonly number[], encoding: Encoding, isolation: IsolationLevel): Promise<{ records: LogRecord[]; logStartOffset: number; coveredUpTo: number }> {
    const wanted = new Set(offsets);
    const out: LogRecord[] = [];
    let logStartOffset = 0;
    if (offsets.length === 0) return { records: out, logStartOffset, coveredUpTo: 0 };
    const last = offsets[offsets.length - 1]!;
    let offset = offsets[0]!;
    while (offset <= last) {
      const page = await this.read(offset, last - offset + 1, encoding, isolation, MAX_FETCH_MAX_BYTES);
      logStartOffset = page.logStartOffset;
      if (page.records.length === 0 && offset < page.logStartOffset) {
        offset = page.logStartOffset;
        continue;
      }
      for (const record of page.records) if (wanted.has(record.offset)) out.push(record);
      if (page.nextOffset <= offset) break;
      offset = page.nextOffset;
    }
    return { records: out, logStartOffset, coveredUpTo: offset };
  }

  /** A new producer id for this share-partition's dead letters. */
  async newProducer(): Promise<{ producerId: number; producerEpoch: number }> {
    return unwrap((await controllerStub(this.env).initProducer(null)) as Result<{ producerId: number; producerEpoch: number }>);
  }

  /** The dead-letter topic's partition for this share-partition (KIP-1191: source partition % partition count). */
  async deadLetterPartition(topic: string): Promise<number> {
    return this.where.partition % (await topicMetadata(this.env, topic)).partitionCount;
  }

  /**
   * Writes one dead letter per entry to `topic`/`partition` as one idempotent batch starting at `baseSequence`. Each
   * carries KIP-1191's __dlq.errors.* headers (after the record's own when `copy` is set, with its key and value).
   * Throws when the write fails: the batch is then sent again, with the same sequence, until it succeeds.
   */
  async writeDeadLetters(
    topic: string,
    partition: number,
    producer: { producerId: number; producerEpoch: number; baseSequence: number },
    letters: { offset: number; deliveryCount: number; reason: string; record: LogRecord | undefined }[],
    copy: boolean,
  ): Promise<void> {
    const w = this.where;
    const b64 = (text: string) => textToBase64(text);
    const records = letters.map((l) => ({
      key: copy ? (l.record?.key ?? null) : null,
      value: copy ? (l.record?.value ?? null) : null,
      headers: [
        ...(copy ? (l.record?.headers ?? []) : []),
        { key: "__dlq.errors.topic", value: b64(w.topic) },
        { key: "__dlq.errors.partition", value: b64(String(w.partition)) },
        { key: "__dlq.errors.offset", value: b64(String(l.offset)) },
        { key: "__dlq.errors.group", value: b64(w.group) },
        { key: "__dlq.errors.delivery.count", value: b64(String(l.deliveryCount)) },
        { key: "__dlq.errors.message", value: b64(l.reason) },
      ],
    }));
    const produced = await produce(this.env, topic, { records, acks: "all", encoding: "base64", producer }, () => {}, partition);
    if (!produced.ok) throw KafkaError.from(produced.error);
    const failed = produced.value.results.find((x) => "error" in x);
    if (failed !== undefined && "error" in failed) throw KafkaError.from(failed.error);
  }
}
