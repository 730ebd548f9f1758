// The tokens one router isolate knows: the operator's EDGELOG_TOKENS secret (parsed once per value) and the
// controller's token store, cached for TOKEN_CACHE_MS so the controller is not on every request's path. A miss may
// re-read the store sooner (a token just created through another isolate), at most every STORE_MISS_REFRESH_MS.
import { parseTokenSecret, type TokenRecord } from "../auth/tokens";
import { tokenRecord, type HashedStoredToken } from "../auth/stored-token";
import type { Env } from "../env";
import { TOKEN_CACHE_MS } from "../limits";
import { controllerStub } from "../names";

/** A miss re-reads the store at most this often, so a token created on another isolate works within a second. */
export const STORE_MISS_REFRESH_MS = 1_000;

let secretCache: { text: string | undefined; records: TokenRecord[] } | undefined;
let storeCache: { records: TokenRecord[]; fetchedMs: number } | undefined;

/** The secret's tokens; a broken secret gives none (fail closed) and says why in the log, never echoing its content. */
export function secretTokens(env: Env): TokenRecord[] {
  if (secretCache !== undefined && secretCache.text === env.EDGELOG_TOKENS) return secretCache.records;
  const parsed = parseTokenSecret(env.EDGELOG_TOKENS);
  if (typeof parsed === "string") {
    console.error(`EDGELOG_TOKENS ignored: ${parsed}`);
    secretCache = { text: env.EDGELOG_TOKENS, records: [] };
  } else secretCache = { text: env.EDGELOG_TOKENS, records: parsed };
  return secretCache.records;
}

/** The store's tokens, as fresh as `maxAgeMs`; an unreachable controller leaves the last known store (or none). */
export async function storeTokens(env: Env, maxAgeMs = TOKEN_CACHE_MS): Promise<TokenRecord[]> {
  if (storeCache && Date.now() - storeCache.fetchedMs < maxAgeMs) return storeCache.records;
  try {
    const rows = (await controllerStub(env).tokenRecords()) as HashedStoredToken[];
    storeCache = { records: rows.map(tokenRecord), fetchedMs: Date.now() };
  } catch (error) {
    // Secret tokens keep working either way.
    console.error(`token store unavailable: ${String(error)}`);
    if (!storeCache) return [];
  }
  return storeCache!.records;
}

/** Forget the cached token store (after this isolate created or revoked a token). */
export function forgetStoreTokens(): void {
  storeCache = undefined;
}
