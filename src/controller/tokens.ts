// The controller's token store: each token's hash (never the token), name, ACLs and quotas, in the controller's
// database (table `tokens`, controller/schema.ts). Names are unique; the store holds at most MAX_STORED_TOKENS.
// Routers read every hash to check presented tokens (service/token-cache.ts caches them); the admin API never sees one.
import type { Acl, Quotas } from "../auth/acl";
import type { HashedStoredToken, StoredToken } from "../auth/stored-token";
import { fail, ok, type Result } from "../errors";
import { MAX_STORED_TOKENS } from "../limits";

interface TokenRow extends Record<string, SqlStorageValue> {
  id: string;
  name: string;
  sha256: string;
  acls: string;
  quotas: string;
  created_ms: number;
}

export class TokenStore {
  constructor(private readonly sql: SqlStorage) {}

  /** Stores a token's hash with its ACLs and quotas. */
  create(name: string, sha256: string, acls: Acl[], quotas: Quotas, nowMs: number): Result<StoredToken> {
    if (this.sql.exec("SELECT 1 FROM tokens WHERE name = ?", name).toArray().length > 0) {
      return fail("INVALID_REQUEST", `a token named '${name}' exists; revoke it first or pick another name`, { name });
    }
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM tokens").one().n;
    if (count >= MAX_STORED_TOKENS) return fail("POLICY_VIOLATION", `the token store holds ${count} tokens, the maximum is ${MAX_STORED_TOKENS}`);
    const token: StoredToken = { id: crypto.randomUUID(), name, acls, quotas, createdMs: nowMs };
    this.sql.exec("INSERT INTO tokens (id, name, sha256, acls, quotas, created_ms) VALUES (?, ?, ?, ?, ?, ?)", token.id, name, sha256, JSON.stringify(acls), JSON.stringify(quotas), token.createdMs);
    return ok(token);
  }

  /** Tokens without their hashes, by name. */
  list(): StoredToken[] {
    return this.hashed().map(({ sha256: _hash, ...token }) => token);
  }

  revoke(id: string): Result<StoredToken> {
    const token = this.list().find((t) => t.id === id);
    if (!token) return fail("NOT_FOUND", `no token has id ${id}`, { id });
    this.sql.exec("DELETE FROM tokens WHERE id = ?", id);
    return ok(token);
  }

  /** Every token with its hash, by name. */
  hashed(): HashedStoredToken[] {
    return this.sql
      .exec<TokenRow>("SELECT * FROM tokens ORDER BY name")
      .toArray()
      .map((r) => ({ id: r.id, name: r.name, sha256: r.sha256, acls: JSON.parse(r.acls) as Acl[], quotas: JSON.parse(r.quotas) as Quotas, createdMs: r.created_ms }));
  }
}
