// Producer ids (InitProducerId), allocated in blocks as Kafka's KIP-730 does: the controller keeps only the next id
// never handed out (table producer_id_next), and a caller that needs many ids (a router isolate serving POST
// /v1/producers) leases a block of up to PRODUCER_ID_BLOCK_SIZE and hands them out itself. Allocation advances the
// counter in one statement that commits before the answer leaves the object, so no id is ever issued twice: a restarted
// controller continues after the last block, and a block whose holder is evicted is simply never used again (ids are
// plentiful: 2^53). A new id costs no row; a row (producers) exists only for an id whose epoch was bumped (KIP-360), so
// storage grows with re-initialised producers, not with every producer ever seen.
import { fail, ok, type Result } from "../errors";
import { MAX_PRODUCER_EPOCH, PRODUCER_ID_BLOCK_SIZE } from "../limits";

export interface ProducerIdBlock {
  /** The first id of the block; the block holds firstProducerId .. firstProducerId + count - 1. */
  firstProducerId: number;
  count: number;
}

export class ProducerIds {
  constructor(private readonly sql: SqlStorage) {
    // Ids issued before blocks (one AUTOINCREMENT row each, never deleted) stay below the first block.
    const started = sql.exec("SELECT 1 FROM producer_id_next").toArray().length > 0;
    if (!started) sql.exec("INSERT INTO producer_id_next (id, next) SELECT 0, coalesce(max(producer_id), 0) + 1 FROM producers");
  }

  /** Leases `count` ids never issued before (1 <= count <= PRODUCER_ID_BLOCK_SIZE). */
  allocate(count: number): Result<ProducerIdBlock> {
    if (!Number.isInteger(count) || count < 1 || count > PRODUCER_ID_BLOCK_SIZE) {
      return fail("INVALID_REQUEST", `a producer id block holds 1 to ${PRODUCER_ID_BLOCK_SIZE} ids, got ${count}`, { max: PRODUCER_ID_BLOCK_SIZE });
    }
    const next = this.sql.exec<{ next: number }>("UPDATE producer_id_next SET next = next + ? RETURNING next", count).one().next;
    return ok({ firstProducerId: next - count, count });
  }

  /** InitProducerId: a new id at epoch 0, or, for an issued id, the next epoch (a new id once the epoch is exhausted). */
  init(producerId: number | null, nowMs: number): Result<{ producerId: number; producerEpoch: number }> {
    if (producerId === null) {
      const block = this.allocate(1);
      return block.ok ? ok({ producerId: block.value.firstProducerId, producerEpoch: 0 }) : block;
    }
    const next = this.sql.exec<{ next: number }>("SELECT next FROM producer_id_next").one().next;
    if (producerId < 1 || producerId >= next) return fail("UNKNOWN_PRODUCER_ID", `producer id ${producerId} was never issued by this deployment`, { producerId });
    // An issued id without a row is at epoch 0 (new ids are written nowhere).
    const epoch = this.sql.exec<{ producer_epoch: number }>("SELECT producer_epoch FROM producers WHERE producer_id = ?", producerId).toArray()[0]?.producer_epoch ?? 0;
    if (epoch >= MAX_PRODUCER_EPOCH) return this.init(null, nowMs); // exhausted: like Kafka, a new id instead
    this.sql.exec("INSERT OR REPLACE INTO producers (producer_id, producer_epoch, updated_ms) VALUES (?, ?, ?)", producerId, epoch + 1, nowMs);
    return ok({ producerId, producerEpoch: epoch + 1 });
  }
}
