// The token store's copies in the token shards (issue 23; src/token-shard/): routers look a presented token's hash up
// in its shard, never in the controller. Every create and revoke takes the next version and is on record
// (pending_token_copies) until its shard took it; the controller sends it before answering, and its alarm retries
// what failed. A delivery sends the hash's state as it is when sent, with the version of the change that made it so
// (read together, in one turn): the shard keeps the newest version, so a copy overtaken by a revocation on the way
// never brings the token back, and a retry never sends anything older than what is on record.
import type { HashedStoredToken } from "../auth/stored-token";
import { tokenShardIndex } from "../auth/token-shard-index";
import { mapBounded } from "../concurrency";
import type { Env } from "../env";
import { PARTITION_FANOUT_CONCURRENCY } from "../limits";
import { tokenShardClient } from "../names";
import type { TokenCopyChange } from "../token-shard/TokenShard";

/** Changes one call to a shard carries: a controller upgraded with a full store sends it in pieces this size. */
const COPIES_PER_CALL = 500;

export class TokenCopies {
  constructor(
    private readonly sql: SqlStorage,
    private readonly env: Env,
    private readonly record: (sha256: string) => HashedStoredToken | undefined,
  ) {
    this.sql.exec("INSERT OR IGNORE INTO token_version_next (id, next) VALUES (0, 1)");
  }

  /** Puts a change to this hash on record (in the caller's turn, with the change itself). */
  changed(sha256: string): void {
    const version = this.sql.exec<{ next: number }>("UPDATE token_version_next SET next = next + 1 WHERE id = 0 RETURNING next - 1 AS next").one().next;
    this.sql.exec("INSERT INTO pending_token_copies (sha256, version) VALUES (?, ?) ON CONFLICT (sha256) DO UPDATE SET version = excluded.version", sha256, version);
  }

  /** Sends these hashes' changes to their shards; answers whether every one arrived (the rest stay on record). */
  async deliver(hashes: readonly string[]): Promise<boolean> {
    const byShard = new Map<number, TokenCopyChange[]>();
    for (const sha256 of hashes) {
      const pending = this.sql.exec<{ version: number }>("SELECT version FROM pending_token_copies WHERE sha256 = ?", sha256).toArray()[0];
      if (pending === undefined) continue;
      const shard = tokenShardIndex(sha256);
      const changes = byShard.get(shard) ?? [];
      changes.push({ sha256, version: pending.version, record: this.record(sha256) ?? null });
      byShard.set(shard, changes);
    }
    const calls = [...byShard].flatMap(([shard, changes]) => chunks(changes).map((part) => ({ shard, part })));
    let failed = 0;
    await mapBounded(calls.length, PARTITION_FANOUT_CONCURRENCY, async (i) => {
      const { shard, part } = calls[i]!;
      try {
        await tokenShardClient(this.env, shard).apply(part);
        for (const change of part) this.sql.exec("DELETE FROM pending_token_copies WHERE sha256 = ? AND version <= ?", change.sha256, change.version);
      } catch (error) {
        failed++;
        console.error(`copying ${part.length} token change(s) to token shard ${shard} failed (retried): ${String(error)}`);
      }
    });
    return failed === 0;
  }

  /** The alarm: sends every change still on record; answers how many are left. */
  async retry(): Promise<number> {
    const hashes = this.sql.exec<{ sha256: string }>("SELECT sha256 FROM pending_token_copies").toArray().map((r) => r.sha256);
    if (hashes.length > 0) await this.deliver(hashes);
    return this.pending();
  }

  pending(): number {
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM pending_token_copies").one().n;
  }
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += COPIES_PER_CALL) out.push(items.slice(i, i + COPIES_PER_CALL));
  return out;
}
