// A token of the controller's token store as the admin API shows it: its id, name and grants, never the token itself.
// The controller keeps each with its SHA-256, which only routers get (to check presented tokens against). A leaf: types
// and one conversion, shared by the controller, the admin service and the router's token cache.
import type { Acl, Quotas } from "./acl";
import type { TokenRecord } from "./tokens";

export interface StoredToken {
  id: string;
  name: string;
  acls: Acl[];
  quotas: Quotas;
  createdMs: number;
}

/** A store token with the hash routers compare presented tokens with. */
export interface HashedStoredToken extends StoredToken {
  sha256: string;
}

/** What authentication needs of a store token. */
export function tokenRecord(t: HashedStoredToken): TokenRecord {
  return { id: t.id, name: t.name, sha256: t.sha256, acls: t.acls, quotas: t.quotas };
}
