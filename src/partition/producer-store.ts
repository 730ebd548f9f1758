// Two small tables the log keeps beside its batches: idempotent producers' state (the last batches of each producer
// id, log/producer-state.ts), and Kafka's leader-epoch cache (the first offset each leader epoch wrote, KIP-101),
// which replicas compare to find where a follower's log diverges. Both are written in the same turn as the batches
// they describe, so they commit together.
import { truncatedEpochs, withEpoch, type EpochEntry } from "../log/leader-epochs";
import type { ProducerEntry } from "../log/producer-state";
import type { PartitionTables } from "./log-state";

export class ProducerStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly tables: PartitionTables,
  ) {}

  get(producerId: number): ProducerEntry | undefined {
    if (!this.tables.exist) return undefined;
    const row = this.sql.exec<{ data: string }>("SELECT data FROM producer_state WHERE producer_id = ?", producerId).toArray()[0];
    return row ? (JSON.parse(row.data) as ProducerEntry) : undefined;
  }

  save(producerId: number, entry: ProducerEntry): void {
    this.sql.exec("INSERT OR REPLACE INTO producer_state (producer_id, data) VALUES (?, ?)", producerId, JSON.stringify(entry));
  }

  /** Forgets producer batches at or after `offset` (truncated away): a retry of them is then accepted anew. */
  truncate(offset: number): void {
    for (const row of this.sql.exec<{ producer_id: number; data: string }>("SELECT producer_id, data FROM producer_state").toArray()) {
      const entry = JSON.parse(row.data) as ProducerEntry;
      const kept = entry.batches.filter((b) => b.lastOffset < offset);
      if (kept.length !== entry.batches.length) this.save(row.producer_id, { ...entry, batches: kept });
    }
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM producer_state");
  }
}

export class EpochCache {
  /** Read once: a replicated append consults it. */
  private cache: EpochEntry[] | undefined;

  constructor(
    private readonly sql: SqlStorage,
    private readonly tables: PartitionTables,
  ) {}

  /** Oldest first. A log written before replication existed is all epoch 0. */
  entries(): readonly EpochEntry[] {
    if (!this.tables.exist) return [];
    this.cache ??= this.sql
      .exec<{ epoch: number; start_offset: number }>("SELECT epoch, start_offset FROM leader_epochs ORDER BY epoch")
      .toArray()
      .map((r) => ({ epoch: r.epoch, startOffset: r.start_offset }));
    return this.cache;
  }

  /** Records that `epoch` starts at `offset` (a new leader at its log end; a follower as its leader's batches arrive). */
  add(epoch: number, offset: number): void {
    const cache = this.entries();
    const next = withEpoch(cache, epoch, offset);
    if (next.length === cache.length) return;
    this.tables.ensure();
    this.sql.exec("INSERT OR REPLACE INTO leader_epochs (epoch, start_offset) VALUES (?, ?)", epoch, offset);
    this.cache = next;
  }

  truncate(offset: number): void {
    this.sql.exec("DELETE FROM leader_epochs WHERE start_offset >= ?", offset);
    this.cache = truncatedEpochs(this.entries(), offset);
  }

  deleteAll(): void {
    this.sql.exec("DELETE FROM leader_epochs");
    this.cache = [];
  }
}
