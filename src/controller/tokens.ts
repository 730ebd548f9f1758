// The controller's token store, the registry of tokens: each token's hash (never the token), name, ACLs and quotas, in
// the controller's database (table `tokens`, controller/schema.ts). Names are unique; the store holds at most
// MAX_STORED_TOKENS. Routers never read it whole: each change is copied to the token's shard (token-copies.ts) and
// routers look a presented hash up there. The admin API lists it a page at a time, never with hashes.
import type { Acl, Quotas } from "../auth/acl";
import type { HashedStoredToken, StoredToken } from "../auth/stored-token";
import { fail, ok, type Result } from "../errors";
import { MAX_STORED_TOKENS } from "../limits";
import type { TokenCopies } from "./token-copies";

interface TokenRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  sha256: string;
  acls: string;
  quotas: string;
  created_ms: number;
}

/** One page of the list, by name: `nextAfter` names the last token on it when more follow. */
export interface TokenPage {
  tokens: StoredToken[];
  nextAfter?: string;
}

export class TokenStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly copies: TokenCopies,
  ) {}

  /** Stores a token's hash with its ACLs and quotas, and puts its copy on record for its shard. */
  create(name: string, sha256: string, acls: Acl[], quotas: Quotas, nowMs: number): Result<HashedStoredToken> {
    if (this.sql.exec("SELECT 1 FROM tokens WHERE name = ?", name).toArray().length > 0) {
      return fail("INVALID_REQUEST", `a token named '${name}' exists; revoke it first or pick another name`, { name });
    }
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM tokens").one().n;
    if (count >= MAX_STORED_TOKENS) return fail("POLICY_VIOLATION", `the token store holds ${count} tokens, the maximum is ${MAX_STORED_TOKENS}`, { maxStoredTokens: MAX_STORED_TOKENS });
    const token: HashedStoredToken = { id: crypto.randomUUID(), name, sha256, acls, quotas, createdMs: nowMs };
    this.sql.exec("INSERT INTO tokens (id, name, sha256, acls, quotas, created_ms) VALUES (?, ?, ?, ?, ?, ?)", token.id, name, sha256, JSON.stringify(acls), JSON.stringify(quotas), token.createdMs);
    this.copies.changed(sha256);
    return ok(token);
  }

  /** Up to `limit` tokens without their hashes, by name, after the name `after` (exclusive). */
  list(limit: number, after?: string): TokenPage {
    const rows = this.sql
      .exec<TokenRow>("SELECT * FROM tokens WHERE name > ? ORDER BY name LIMIT ?", after ?? "", limit + 1)
      .toArray();
    const tokens = rows.slice(0, limit).map((r) => {
      const { sha256: _hash, ...token } = fromRow(r);
      return token;
    });
    return rows.length > limit ? { tokens, nextAfter: tokens[tokens.length - 1]!.name } : { tokens };
  }

  /** Removes a token and puts the removal of its copy on record; answers it with its hash (routers drop their answer). */
  revoke(id: string): Result<HashedStoredToken> {
    const row = this.sql.exec<TokenRow>("SELECT * FROM tokens WHERE id = ?", id).toArray()[0];
    if (!row) return fail("NOT_FOUND", `no token has id ${id}`, { id });
    this.sql.exec("DELETE FROM tokens WHERE id = ?", id);
    this.copies.changed(row.sha256);
    return ok(fromRow(row));
  }

  /** The token with this hash, if the store holds it (what its shard's copy should say). */
  record(sha256: string): HashedStoredToken | undefined {
    const row = this.sql.exec<TokenRow>("SELECT * FROM tokens WHERE sha256 = ?", sha256).toArray()[0];
    return row === undefined ? undefined : fromRow(row);
  }
}

function fromRow(r: TokenRow): HashedStoredToken {
  return { id: r.id, name: r.name, sha256: r.sha256, acls: JSON.parse(r.acls) as Acl[], quotas: JSON.parse(r.quotas) as Quotas, createdMs: r.created_ms };
}
