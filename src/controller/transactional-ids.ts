// The registry of transactional ids: their coordinators register on first init so `GET /v1/transactions` (kafka-
// transactions list) can list them, and unregister when the id expires. At most MAX_TRANSACTIONAL_IDS.
import { fail, ok, type Result } from "../errors";
import { MAX_TRANSACTIONAL_IDS } from "../limits";

export class TransactionalIds {
  constructor(private readonly sql: SqlStorage) {}

  /** Idempotent. */
  register(transactionalId: string, nowMs: number): Result<void> {
    const known = this.sql.exec("SELECT 1 FROM transactional_ids WHERE transactional_id = ?", transactionalId).toArray().length > 0;
    if (known) return ok(undefined);
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM transactional_ids").one().n;
    if (count >= MAX_TRANSACTIONAL_IDS) return fail("POLICY_VIOLATION", `this deployment already has ${count} transactional ids, the maximum is ${MAX_TRANSACTIONAL_IDS}`, { max: MAX_TRANSACTIONAL_IDS });
    this.sql.exec("INSERT INTO transactional_ids (transactional_id, created_ms) VALUES (?, ?)", transactionalId, nowMs);
    return ok(undefined);
  }

  unregister(transactionalId: string): void {
    this.sql.exec("DELETE FROM transactional_ids WHERE transactional_id = ?", transactionalId);
  }

  list(): string[] {
    return this.sql.exec<{ transactional_id: string }>("SELECT transactional_id FROM transactional_ids ORDER BY transactional_id").toArray().map((r) => r.transactional_id);
  }
}
