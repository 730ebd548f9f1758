// TokenShard: one of TOKEN_SHARDS objects holding copies of the token store's hash records (issue 23), so a router
// looks up the one hash it was shown instead of loading the whole store. The controller stays the registry (unique
// names, the list, the count, revocation) and sends each change here before it answers (controller/token-copies.ts),
// retrying from its alarm what did not arrive. Every change carries the registry's version for that hash: a copy or
// a removal older than the one held is ignored, so a late or retried create never brings back a revoked token. A
// removal is kept as a tombstone (no grants) for TOKEN_TOMBSTONE_MS, far longer than any delivery in flight; retries
// always send the registry's newest version, never an older one. Nothing here runs on a timer: an idle shard costs
// nothing.
import { DurableObject } from "cloudflare:workers";
import type { HashedStoredToken } from "../auth/stored-token";
import type { Env } from "../env";
import { upgradeSchema, type VersionedSchema } from "../schema-version";
import { UNAVAILABLE, type Unavailable } from "../unavailable";

/** How long a removal's tombstone outlives it: a copy of an older version still in flight is ignored until then. */
export const TOKEN_TOMBSTONE_MS = 60 * 60_000;

/** One change to a hash's copy: its record, or null once revoked; `version` orders changes to the same hash. */
export interface TokenCopyChange {
  sha256: string;
  version: number;
  record: HashedStoredToken | null;
}

const SCHEMA: VersionedSchema = {
  version: 1,
  ddl: `
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS token_copies (
  sha256 TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  -- the hash record as JSON; NULL: revoked (a tombstone, kept TOKEN_TOMBSTONE_MS)
  record TEXT,
  changed_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS token_copies_by_change ON token_copies (changed_ms) WHERE record IS NULL;
`,
  migrations: {},
};

const APPLY_SQL = `INSERT INTO token_copies (sha256, version, record, changed_ms) VALUES (?, ?, ?, ?)
  ON CONFLICT (sha256) DO UPDATE SET version = excluded.version, record = excluded.record, changed_ms = excluded.changed_ms
  WHERE excluded.version > token_copies.version`;

export class TokenShard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  /** The fault switch (tests): down, every call answers as an unreachable object would. */
  private faulted = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    upgradeSchema(this.sql, SCHEMA);
  }

  /** The record of a token by its hash, or null (unknown or revoked). */
  lookup(sha256: string): HashedStoredToken | null | Unavailable {
    if (this.faulted) return UNAVAILABLE;
    const row = this.sql.exec<{ record: string | null }>("SELECT record FROM token_copies WHERE sha256 = ?", sha256).toArray()[0];
    return row?.record == null ? null : (JSON.parse(row.record) as HashedStoredToken);
  }

  /** Applies the controller's changes (each only if newer than the copy held); answers how many it took. */
  apply(changes: TokenCopyChange[]): number | Unavailable {
    if (this.faulted) return UNAVAILABLE;
    const nowMs = Date.now();
    let taken = 0;
    for (const change of changes) {
      taken += this.sql.exec(APPLY_SQL, change.sha256, change.version, change.record === null ? null : JSON.stringify(change.record), nowMs).rowsWritten > 0 ? 1 : 0;
    }
    // Tombstones past any delivery still in flight go (a revoked hash is of a random token nobody will make again).
    this.sql.exec("DELETE FROM token_copies WHERE record IS NULL AND changed_ms < ?", nowMs - TOKEN_TOMBSTONE_MS);
    return taken;
  }

  /** Copies held (tombstones apart): tests and operators comparing a shard with the registry. */
  count(): number | Unavailable {
    if (this.faulted) return UNAVAILABLE;
    return this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM token_copies WHERE record IS NOT NULL").one().n;
  }

  /** The fault switch (test, development and bench environments only reach it: no HTTP route calls it). */
  setFault(down: boolean): void {
    this.faulted = down;
  }
}
