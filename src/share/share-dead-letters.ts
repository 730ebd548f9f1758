// A share-partition's dead-letter writer (KIP-1191): writes the records in ARCHIVING to the dead-letter topic, a batch
// at a time, with the share-partition's own idempotent producer. The batch and its sequence are persisted before the
// write: an eviction between the two sends the same batch again, which the dead-letter partition drops as a duplicate
// of the first (exactly once). The SPSO waits for them (they stay kept until done).
import { SHARE_DEAD_LETTER_BATCH } from "../limits";
import type { ShareIo } from "./share-io";
import type { ShareMeta } from "./share-store";
import { archivingOffsets, completeArchiving, type Done, type ShareState } from "./share-state";

/** What the writer changes in its share-partition (SharePartition keeps them). */
export interface DeadLetterHost {
  meta(): ShareMeta;
  setMeta(meta: ShareMeta): void;
  state: ShareState;
  io: ShareIo;
  /** Persists the meta and state (and counts what `done` moved to a done state). */
  save(done: Done): void;
}

/** Writes what waits; true when a batch was written and nothing failed, false when a write failed, undefined when
 *  there was nothing to write. */
export async function writeDeadLetters(host: DeadLetterHost): Promise<boolean | undefined> {
  const meta = host.meta();
  const s = host.state;
  const topic = meta.config.deadLetterTopic;
  if (topic === null && meta.deadLetter?.pending == null) {
    // The dead-letter topic was removed from the config: what waited for it is archived.
    const done = zero();
    completeArchiving(s, archivingOffsets(s, Number.MAX_SAFE_INTEGER), done);
    host.save(done);
    return undefined;
  }
  const io = host.io;
  let written: boolean | undefined;
  try {
    for (;;) {
      let dl = host.meta().deadLetter;
      if (dl === null) {
        dl = { ...(await io.newProducer()), nextSequence: 0, pending: null };
        host.setMeta({ ...host.meta(), deadLetter: dl });
        host.save(zero());
      }
      if (dl.pending === null) {
        const offsets = archivingOffsets(s, SHARE_DEAD_LETTER_BATCH);
        if (offsets.length === 0 || topic === null) return written;
        dl = { ...dl, pending: { topic, partition: await io.deadLetterPartition(topic), baseSequence: dl.nextSequence, offsets } };
        host.setMeta({ ...host.meta(), deadLetter: dl });
        host.save(zero());
      }
      const pending = dl.pending!;
      const copy = host.meta().config.deadLetterCopyRecord;
      const found = copy ? await io.readOffsets(pending.offsets, "base64", "read_uncommitted") : { records: [] };
      const byOffset = new Map(found.records.map((r) => [r.offset, r]));
      const letters = pending.offsets.map((offset) => {
        const r = s.records.get(offset);
        return { offset, deliveryCount: r?.deliveryCount ?? 0, reason: r?.reason ?? "archived", record: byOffset.get(offset) };
      });
      await io.writeDeadLetters(pending.topic, pending.partition, { producerId: dl.producerId, producerEpoch: dl.producerEpoch, baseSequence: pending.baseSequence }, letters, copy);
      const done = zero();
      completeArchiving(s, pending.offsets, done);
      const now = host.meta();
      host.setMeta({ ...now, deadLettered: now.deadLettered + pending.offsets.length, deadLetter: { ...dl, nextSequence: pending.baseSequence + pending.offsets.length, pending: null } });
      host.save(done);
      written = true;
    }
  } catch (error) {
    console.error(`share group ${meta.group} ${meta.topic}/${meta.partition}: dead-letter write failed: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

function zero(): Done {
  return { acknowledged: 0, archived: 0 };
}
