// The partition's transaction state (Kafka's ProducerStateManager transaction part): each producer's open transaction
// (its (producerId, epoch), its first offset, and the offset ranges of its appends), the last epoch each producer ended
// here (a later write of that epoch or older is a delayed write of an ended transaction, KIP-890), and the ranges of
// aborted transactions' appends, which read_committed fetches skip. The last stable offset is the first offset of the
// oldest open transaction, else the high watermark. Written in the same turn as the batches they describe (no await
// between), so they commit together. Open transactions are few and kept in memory.
import type { LogState } from "./log-state";
import type { PartitionTables } from "./log-state";

export interface OpenTxn {
  producerId: number;
  producerEpoch: number;
  firstOffset: number;
  /** [first, last] of each append of the transaction, in offset order. */
  ranges: [number, number][];
}

export class PartitionTxns {
  private openByProducer: Map<number, OpenTxn> | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly tables: PartitionTables,
  ) {}

  private all(): Map<number, OpenTxn> {
    if (this.openByProducer === undefined) {
      this.openByProducer = new Map();
      if (this.tables.exist) {
        for (const r of this.sql.exec<{ producer_id: number; producer_epoch: number; first_offset: number; ranges: string }>("SELECT * FROM open_txns")) {
          this.openByProducer.set(r.producer_id, { producerId: r.producer_id, producerEpoch: r.producer_epoch, firstOffset: r.first_offset, ranges: JSON.parse(r.ranges) as [number, number][] });
        }
      }
    }
    return this.openByProducer;
  }

  open(producerId: number): OpenTxn | undefined {
    return this.all().get(producerId);
  }

  get openCount(): number {
    return this.all().size;
  }

  /** The last epoch this producer ended here (-1: none). */
  endedEpoch(producerId: number): number {
    if (!this.tables.exist) return -1;
    return this.sql.exec<{ producer_epoch: number }>("SELECT producer_epoch FROM ended_txns WHERE producer_id = ?", producerId).toArray()[0]?.producer_epoch ?? -1;
  }

  /** min(first offset of the oldest open transaction, high watermark). */
  lastStableOffset(state: LogState): number {
    let lso = state.highWatermark;
    for (const t of this.all().values()) if (t.firstOffset < lso) lso = t.firstOffset;
    return lso;
  }

  /** A transactional append [first, last] of (producerId, epoch): opens its transaction here, or extends it. */
  recordAppend(producerId: number, producerEpoch: number, first: number, last: number): void {
    this.tables.ensure();
    const open = this.open(producerId);
    const txn: OpenTxn =
      open !== undefined && open.producerEpoch === producerEpoch
        ? { ...open, ranges: [...open.ranges, [first, last]] }
        : { producerId, producerEpoch, firstOffset: first, ranges: [[first, last]] };
    this.sql.exec("INSERT OR REPLACE INTO open_txns (producer_id, producer_epoch, first_offset, ranges) VALUES (?, ?, ?, ?)", producerId, producerEpoch, txn.firstOffset, JSON.stringify(txn.ranges));
    this.all().set(producerId, txn);
  }

  /** The marker of (producerId, epoch): its open transaction ends here (an abort's ranges are kept for readers). */
  end(producerId: number, producerEpoch: number, commit: boolean, nowMs: number): void {
    this.tables.ensure();
    const open = this.open(producerId);
    if (open !== undefined && open.producerEpoch === producerEpoch) {
      if (!commit) for (const [first, last] of open.ranges) this.sql.exec("INSERT OR REPLACE INTO aborted_ranges (first_offset, last_offset) VALUES (?, ?)", first, last);
      this.sql.exec("DELETE FROM open_txns WHERE producer_id = ?", producerId);
      this.all().delete(producerId);
    }
    if (producerEpoch > this.endedEpoch(producerId)) {
      this.sql.exec("INSERT OR REPLACE INTO ended_txns (producer_id, producer_epoch, ended_ms) VALUES (?, ?, ?)", producerId, producerEpoch, nowMs);
    }
  }

  /** Aborted ranges that overlap [from, to), in offset order (a read_committed fetch skips them). */
  abortedBetween(from: number, to: number): [number, number][] {
    if (!this.tables.exist || to <= from) return [];
    return this.sql
      .exec<{ first_offset: number; last_offset: number }>("SELECT first_offset, last_offset FROM aborted_ranges WHERE last_offset >= ? AND first_offset < ? ORDER BY first_offset", from, to)
      .toArray()
      .map((r) => [r.first_offset, r.last_offset]);
  }

  /** A follower's divergent suffix from `offset` on is gone: so are the transactions' appends there. */
  truncate(offset: number): void {
    if (!this.tables.exist) return;
    this.sql.exec("DELETE FROM aborted_ranges WHERE first_offset >= ?", offset);
    for (const t of [...this.all().values()]) {
      const ranges = t.ranges.filter(([first]) => first < offset);
      if (ranges.length === t.ranges.length) continue;
      if (ranges.length === 0) {
        this.sql.exec("DELETE FROM open_txns WHERE producer_id = ?", t.producerId);
        this.all().delete(t.producerId);
      } else {
        this.sql.exec("UPDATE open_txns SET ranges = ? WHERE producer_id = ?", JSON.stringify(ranges), t.producerId);
        this.all().set(t.producerId, { ...t, ranges });
      }
    }
  }

  /** Ranges wholly below the log start are gone with their batches. */
  deleteBelow(offset: number): void {
    if (this.tables.exist) this.sql.exec("DELETE FROM aborted_ranges WHERE last_offset < ?", offset);
  }

  /** Storage was emptied (dropped, or reset by a follower): forget what memory held. */
  forget(): void {
    this.openByProducer = undefined;
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM open_txns");
    this.sql.exec("DELETE FROM ended_txns");
    this.sql.exec("DELETE FROM aborted_ranges");
    this.openByProducer = new Map();
  }
}
