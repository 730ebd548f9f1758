// TransactionCoordinator: the Durable Object of one transactional id (names.ts: "txn/<transactionalId>"). It runs the
// state machine of txn-state.ts over one SQLite row, read and written whole in the same turn as each decision, so an
// object evicted at any step resumes from its row. The Prepare state is durable before any marker leaves (the output
// gate holds outgoing calls until the write is confirmed); markers go to every partition of the transaction and to the
// group coordinators of its offsets, and those not acknowledged are sent again by alarm until all are. The alarm also
// aborts a transaction that outlived its timeout and forgets an id silent for transactional.id.expiration.ms. Public
// methods are the RPC surface and return Result<T>.
import { DurableObject } from "cloudflare:workers";
import { Clock } from "../clock";
import type { Env } from "../env";
import { fail, ok, type Result } from "../errors";
import type { OffsetCommit } from "../log/group-description";
import { TRANSACTION_MARKER_RETRY_MS } from "../limits";
import { controllerStub, groupCoordinatorStub, replicaClient } from "../names";
import { callPartition } from "../service/metadata";
import type { TxnMarker } from "../protocol";
import { Usage, type UsageCounts } from "../usage";
import {
  acknowledged,
  addGroup,
  addPartition,
  begin,
  end,
  expired,
  init,
  needsNewProducerId,
  nextDueMs,
  summary,
  timedOut,
  type ProducerIdAndEpoch,
  type TxnOutcome,
  type TxnRecord,
  type TxnStateName,
  type TxnSummary,
} from "./txn-state";

const SCHEMA = "CREATE TABLE IF NOT EXISTS txn (id INTEGER PRIMARY KEY CHECK (id = 0), data TEXT NOT NULL)";

export class TransactionCoordinator extends DurableObject<Env> {
  /** Tests move it forward (timeouts, expiration) instead of sleeping. */
  readonly clock = new Clock();
  private readonly sql: SqlStorage;
  private readonly meter = new Usage();
  /** Markers being sent now: a second caller waits for these instead of sending them again. */
  private completing: Promise<void> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = this.meter.sql(ctx.storage.sql);
  }

  /** InitProducerId: the identity to use, fencing every earlier incarnation and aborting its open transaction. */
  async init(transactionalId: string, timeoutMs: number): Promise<Result<ProducerIdAndEpoch>> {
    this.meter.request();
    await this.finishMarkers();
    if (this.read() === undefined) {
      const registered = (await controllerStub(this.env).registerTransactionalId(transactionalId)) as Result<void>;
      if (!registered.ok) return registered;
    }
    const freshId = needsNewProducerId(this.read()) ? await this.allocateProducerId() : undefined;
    if (freshId !== undefined && !freshId.ok) return freshId;
    const next = init(this.read(), transactionalId, timeoutMs, this.clock.now(), freshId?.value);
    if (!next.ok) return next;
    await this.write(next.value);
    await this.finishMarkers();
    return ok({ producerId: next.value.producerId, producerEpoch: next.value.producerEpoch });
  }

  /** beginTransaction: optional (the first write or offsets begin one). */
  async begin(transactionalId: string, producerId: number, producerEpoch: number): Promise<Result<TxnSummary>> {
    this.meter.request();
    return this.change(transactionalId, (rec) => begin(rec, producerId, producerEpoch, this.clock.now()));
  }

  /** A partition verifies its first write of a transaction (KIP-890 part 1): the partition joins it. */
  async addPartition(transactionalId: string, producerId: number, producerEpoch: number, topic: string, partition: number): Promise<Result<TxnSummary>> {
    this.meter.request();
    return this.change(transactionalId, (rec) => addPartition(rec, producerId, producerEpoch, { topic, partition }, this.clock.now()));
  }

  /**
   * sendOffsetsToTransaction: the group joins the transaction (durably, so its marker is never forgotten), then its
   * coordinator stages the offsets, fenced by the member's id and epoch (KIP-447); they become visible with the commit.
   */
  async addOffsets(
    transactionalId: string,
    producerId: number,
    producerEpoch: number,
    groupId: string,
    memberId: string | null,
    memberEpoch: number | null,
    offsets: OffsetCommit[],
  ): Promise<Result<{ committed: number }>> {
    this.meter.request();
    const added = await this.change(transactionalId, (rec) => addGroup(rec, producerId, producerEpoch, groupId, this.clock.now()));
    if (!added.ok) return added;
    return (await groupCoordinatorStub(this.env, groupId).stageTxnOffsets(groupId, producerId, producerEpoch, memberId, memberEpoch, offsets)) as Result<{ committed: number }>;
  }

  /**
   * EndTxn: the Prepare state is written (the decision), then the markers; the answer (after the markers, or once they
   * failed and were left to the alarm) is the identity for the next transaction and the state reached.
   */
  async end(transactionalId: string, producerId: number, producerEpoch: number, outcome: TxnOutcome): Promise<Result<ProducerIdAndEpoch & { state: TxnStateName }>> {
    this.meter.request();
    await this.finishMarkers();
    const rec = this.read();
    if (rec === undefined) return notFound(transactionalId);
    const freshId = needsNewProducerId(rec) ? await this.allocateProducerId() : undefined;
    if (freshId !== undefined && !freshId.ok) return freshId;
    const next = end(this.read()!, producerId, producerEpoch, outcome, this.clock.now(), freshId?.value);
    if (!next.ok) return next;
    if (next.value !== rec) await this.write(next.value);
    await this.finishMarkers();
    const now = this.read()!;
    return ok({ producerId: now.producerId, producerEpoch: now.producerEpoch, state: now.state });
  }

  describe(transactionalId: string): Result<TxnSummary> {
    this.meter.request();
    const rec = this.read();
    return rec === undefined ? notFound(transactionalId) : ok(summary(rec));
  }

  /** Sends markers still due, aborts a transaction past its timeout, forgets an expired id; then sets the next alarm. */
  override async alarm(): Promise<void> {
    this.meter.request();
    await this.finishMarkers();
    const rec = this.read();
    if (rec === undefined) return;
    const now = this.clock.now();
    if (expired(rec, now)) {
      await controllerStub(this.env).unregisterTransactionalId(rec.transactionalId);
      await this.ctx.storage.deleteAll();
      return;
    }
    const freshId = rec.state === "Ongoing" && needsNewProducerId(rec) ? await this.allocateProducerId() : undefined;
    const aborted = timedOut(this.read()!, now, freshId?.ok ? freshId.value : undefined);
    if (aborted !== undefined) {
      await this.write(aborted);
      await this.finishMarkers();
    }
    // An alarm may fire early or find nothing due: the next one always follows the row.
    await this.schedule();
  }

  usage(): UsageCounts {
    return this.meter.snapshot();
  }

  /** Reads the row, applies a transition, writes it (no await between: one decision per turn). */
  private async change(transactionalId: string, step: (rec: TxnRecord) => Result<TxnRecord>): Promise<Result<TxnSummary>> {
    const rec = this.read();
    if (rec === undefined) return notFound(transactionalId);
    const next = step(rec);
    if (!next.ok) {
      // A transaction still completing: finish it now, and let the caller retry (CONCURRENT_TRANSACTIONS is retriable).
      if (next.error.type === "CONCURRENT_TRANSACTIONS") await this.finishMarkers();
      return next;
    }
    if (next.value !== rec) await this.write(next.value);
    return ok(summary(next.value));
  }

  /** Sends every marker due, once at a time (a second caller waits for the first); those that fail wait for the alarm. */
  private finishMarkers(): Promise<void> {
    if (this.read()?.ending === undefined) return Promise.resolve();
    this.completing ??= this.sendMarkers().finally(() => (this.completing = undefined));
    return this.completing;
  }

  private async sendMarkers(): Promise<void> {
    const ending = this.read()?.ending;
    if (ending === undefined) return;
    const marker: TxnMarker = { producerId: ending.producerId, producerEpoch: ending.producerEpoch, commit: ending.outcome === "commit" };
    const sends = [
      ...ending.partitions.map(async (tp) => {
        try {
          await callPartition(this.env, tp.topic, tp.partition, (ref) => replicaClient(this.env, ref).writeTxnMarker(ref, marker));
        } catch (error) {
          // A deleted topic has nothing left to mark; anything else is retried.
          if (!isGone(error)) return console.error(`marker to ${tp.topic}/${tp.partition} failed (the alarm retries): ${String(error)}`);
        }
        await this.write(acknowledged(this.read()!, { partition: tp }, this.clock.now()), false);
      }),
      ...ending.groups.map(async (groupId) => {
        try {
          const result = (await groupCoordinatorStub(this.env, groupId).txnMarker(groupId, marker)) as Result<unknown>;
          if (!result.ok) return console.error(`marker to group ${groupId} refused (the alarm retries): ${result.error.message}`);
        } catch (error) {
          return console.error(`marker to group ${groupId} failed (the alarm retries): ${String(error)}`);
        }
        await this.write(acknowledged(this.read()!, { group: groupId }, this.clock.now()), false);
      }),
    ];
    await Promise.all(sends);
    await this.schedule();
  }

  private read(): TxnRecord | undefined {
    const exists = this.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'txn'").toArray().length > 0;
    if (!exists) return undefined;
    const row = this.sql.exec<{ data: string }>("SELECT data FROM txn WHERE id = 0").toArray()[0];
    return row === undefined ? undefined : (JSON.parse(row.data) as TxnRecord);
  }

  private async write(rec: TxnRecord, reschedule = true): Promise<void> {
    this.sql.exec(SCHEMA);
    this.sql.exec("INSERT OR REPLACE INTO txn (id, data) VALUES (0, ?)", JSON.stringify(rec));
    if (reschedule) await this.schedule();
  }

  /** The alarm follows the row: a marker retry, the timeout, or the expiration. */
  private async schedule(): Promise<void> {
    const rec = this.read();
    if (rec === undefined) return;
    const now = this.clock.now();
    await this.ctx.storage.setAlarm(this.clock.toReal(Math.max(now, nextDueMs(rec, TRANSACTION_MARKER_RETRY_MS, now))));
  }

  private async allocateProducerId(): Promise<Result<number>> {
    const allocated = (await controllerStub(this.env).initProducer(null)) as Result<ProducerIdAndEpoch>;
    return allocated.ok ? ok(allocated.value.producerId) : allocated;
  }
}

function notFound<T>(transactionalId: string): Result<T> {
  return fail("TRANSACTIONAL_ID_NOT_FOUND", `transactional id '${transactionalId}' is not known: call init first`, { transactionalId });
}

function isGone(error: unknown): boolean {
  const type = (error as { body?: { type?: string } }).body?.type;
  return type === "UNKNOWN_TOPIC_OR_PARTITION" || type === "UNKNOWN_TOPIC_ID";
}
