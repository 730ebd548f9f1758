// What a subscription partition does outside itself: reads its topic partition and waits on it, asks and commits the
// group's offsets at the group's coordinator, and produces dead letters. Reads go through the router's own service
// functions (metadata cache, leader failover), so they behave exactly as any consumer's fetch.
import type { Env } from "../env";
import { KafkaError, unwrap, type Result } from "../errors";
import { groupCoordinatorStub, replicaClient, subscriptionPartitionName } from "../names";
import { listOffsets, readNow } from "../service/fetch";
import { callPartition } from "../service/metadata";
import { produce } from "../service/produce";
import type { DeliveredRecord } from "../subscription-protocol";
import { MAX_FETCH_MAX_BYTES, MAX_FETCH_MAX_RECORDS } from "../limits";
import { deadLetterHeaders } from "./delivery-state";
import type { SubscriptionPartitionRecord } from "./partition-record";

export interface Page {
  /** Where the read started (past the log start when retention removed the asked offset). */
  fromOffset: number;
  records: DeliveredRecord[];
  nextOffset: number;
  highWatermark: number;
}

const decoder = new TextDecoder();

export class PartitionIo {
  constructor(
    private readonly env: Env,
    private readonly r: SubscriptionPartitionRecord,
  ) {}

  /** The group's committed offset for this partition, else where the subscription starts (startAt). */
  async startOffset(): Promise<{ offset: number; committed: boolean }> {
    const r = this.r;
    const committed = unwrap((await groupCoordinatorStub(this.env, r.subscription).subscriptionOffset(r.subscription, r.topic, r.topicId, r.partition)) as Result<number | null>);
    if (committed !== null) return { offset: committed, committed: true };
    const at = r.config.startAt;
    if (at === "earliest" || at === "latest") return { offset: (await listOffsets(this.env, r.topic, r.partition, at)).offset, committed: false };
    const found = await listOffsets(this.env, r.topic, r.partition, at);
    return { offset: found.offset >= 0 ? found.offset : (await listOffsets(this.env, r.topic, r.partition, "latest")).offset, committed: false };
  }

  /** Records from `offset` on; an offset retention removed reads from the log start, one past the end from the end. */
  async read(offset: number, maxRecords: number, maxBytes: number): Promise<Page> {
    const request = { offset, maxRecords: Math.min(maxRecords, MAX_FETCH_MAX_RECORDS), maxBytes: Math.min(maxBytes, MAX_FETCH_MAX_BYTES), maxWaitMs: 0, encoding: this.r.config.encoding, isolation: this.r.config.isolation ?? "read_uncommitted" };
    try {
      const result = await readNow(this.env, this.r.topic, this.r.partition, request);
      const body = JSON.parse(decoder.decode(result.body)) as { records: DeliveredRecord[] };
      return { fromOffset: offset, records: body.records, nextOffset: result.nextOffset, highWatermark: result.highWatermark };
    } catch (error) {
      if (!(error instanceof KafkaError) || error.body.type !== "OFFSET_OUT_OF_RANGE") throw error;
      const d = error.body.details as { logStartOffset: number; highWatermark: number };
      // Kafka's auto.offset.reset: below the log start, go on from it; past the end (a truncated log), from the end.
      return this.read(offset < d.logStartOffset ? d.logStartOffset : d.highWatermark, maxRecords, maxBytes);
    }
  }

  /** The records at `offsets` (sorted), those still in the log. */
  async readOffsets(offsets: readonly number[]): Promise<DeliveredRecord[]> {
    const wanted = new Set(offsets);
    const last = offsets[offsets.length - 1]!;
    const out: DeliveredRecord[] = [];
    let offset = offsets[0]!;
    while (offset <= last) {
      const page = await this.read(offset, last - offset + 1, MAX_FETCH_MAX_BYTES);
      for (const record of page.records) if (wanted.has(record.offset)) out.push(record);
      if (page.records.length === 0 || page.nextOffset <= offset) break;
      offset = page.nextOffset;
    }
    return out;
  }

  /** Asks the partition to wake this object when its high watermark passes `after`. `ready`: it already has;
   *  `replicated`: the wait lives on the current leader only (see SUBSCRIPTION_FAILOVER_RECHECK_MS). */
  async waitFor(after: number): Promise<{ ready: boolean; replicated: boolean }> {
    const r = this.r;
    const name = subscriptionPartitionName(r.subscription, r.topicId, r.partition);
    return callPartition(this.env, r.topic, r.partition, (ref) => replicaClient(this.env, ref).watchFor(ref, name, after));
  }

  /** Commits the group's offset for this partition, fenced by the subscription's generation. */
  async commit(offset: number): Promise<Result<void>> {
    const r = this.r;
    return (await groupCoordinatorStub(this.env, r.subscription).commitSubscription(r.subscription, r.generation, r.topic, r.topicId, r.partition, offset)) as Result<void>;
  }

  /** Produces `records` to the dead-letter topic, each with its own key, value and headers plus where it came from.
   *  Throws when the produce fails (the records are then retried, never skipped). */
  async deadLetter(topic: string, records: readonly DeliveredRecord[], attempts: number, error: string): Promise<void> {
    const r = this.r;
    for (let i = 0; i < records.length; i += MAX_FETCH_MAX_RECORDS) {
      const chunk = records.slice(i, i + MAX_FETCH_MAX_RECORDS).map((x) => ({
        key: x.key,
        value: x.value,
        timestamp: x.timestamp,
        headers: [...x.headers, ...deadLetterHeaders(r.subscription, r.topic, r.partition, x.offset, attempts, error)],
      }));
      const produced = await produce(this.env, topic, { records: chunk, acks: "all", encoding: r.config.encoding }, () => {});
      if (!produced.ok) throw KafkaError.from(produced.error);
      const failed = produced.value.results.find((x) => "error" in x);
      if (failed !== undefined && "error" in failed) throw KafkaError.from(failed.error);
    }
  }
}
