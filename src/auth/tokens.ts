// Bearer tokens: the operator's tokens come hashed (SHA-256 hex) with their ACLs and quotas, from the wrangler
// secret EDGELOG_TOKENS or from the controller's token store. A presented token is hashed and compared with every
// known hash in constant time, so neither a match nor its position leaks through timing. Tokens are never logged.
// A leaf: Web Crypto only, so it runs in Workers and Node alike.
import { bytesToBase64Url } from "../log/base64";
import { parseAcls, parseQuotas, type Acl, type Quotas } from "./acl";

export interface TokenRecord {
  /** Stable id (store tokens) or the name (secret tokens); never the token itself. */
  id: string;
  name: string;
  sha256: string;
  acls: Acl[];
  quotas: Quotas;
}

const encoder = new TextEncoder();

export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  let hex = "";
  for (const b of digest) hex += b.toString(16).padStart(2, "0");
  return hex;
}

/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Checks every record (no early exit), so the time taken does not depend on which one matched. */
export function findToken(records: readonly TokenRecord[], presentedSha256: string): TokenRecord | undefined {
  let found: TokenRecord | undefined;
  for (const record of records) if (constantTimeEqual(record.sha256, presentedSha256)) found = record;
  return found;
}

/** A new random token: "edl_" and 32 random bytes, base64url. */
export function newToken(): string {
  return `edl_${bytesToBase64Url(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * Parses the EDGELOG_TOKENS secret: a JSON array of {name, sha256, acls, quotas?}. Returns the records or an error
 * message that names the entry but never echoes a hash.
 */
export function parseTokenSecret(text: string | undefined): TokenRecord[] | string {
  if (text === undefined || text.trim() === "") return [];
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return "EDGELOG_TOKENS is not valid JSON";
  }
  if (!Array.isArray(input)) return "EDGELOG_TOKENS must be a JSON array of {name, sha256, acls, quotas?}";
  const out: TokenRecord[] = [];
  for (const [i, raw] of input.entries()) {
    const t = raw as Record<string, unknown>;
    if (typeof t !== "object" || t === null || typeof t.name !== "string" || t.name.length === 0) return `EDGELOG_TOKENS[${i}] needs a name`;
    if (typeof t.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(t.sha256)) return `EDGELOG_TOKENS[${i}] (${t.name}) needs sha256: the token's SHA-256 as 64 lowercase hex digits`;
    const acls = parseAcls(t.acls);
    if (typeof acls === "string") return `EDGELOG_TOKENS[${i}] (${t.name}): ${acls}`;
    const quotas = parseQuotas(t.quotas);
    if (typeof quotas === "string") return `EDGELOG_TOKENS[${i}] (${t.name}): ${quotas}`;
    out.push({ id: `secret:${t.name}`, name: t.name, sha256: t.sha256, acls, quotas });
  }
  return out;
}
