// The tokens one router isolate knows: the operator's EDGELOG_TOKENS secret (parsed once per value) and the
// controller's token store, no older than TOKEN_CACHE_MS (the revocation bound) so the controller is not on every
// request's path. A miss may re-read the store sooner (a token just created through another isolate), at most every
// STORE_MISS_REFRESH_MS.
// Between the isolates and the controller sits one copy per location, in the Cache API (issue 23): an isolate whose
// copy is too old takes its location's copy if that is young enough, and only otherwise asks the controller (and
// leaves the answer for the location's other isolates). A copy keeps the time the controller answered it, however it
// travelled, so the revocation bound holds through the tier: the controller then sees about one read per location per
// TOKEN_CACHE_MS instead of one per isolate, and a cold isolate costs at most one round trip. The copy holds token
// hashes (SHA-256 of 256 random bits: no use for signing in) and grants, never a token. Where the Cache API stores
// nothing (a workers.dev route), every isolate reads the controller, as before.
import { parseTokenSecret, type TokenRecord } from "../auth/tokens";
import { tokenRecord, type HashedStoredToken } from "../auth/stored-token";
import { Clock } from "../clock";
import type { Env } from "../env";
import { TOKEN_CACHE_MS } from "../limits";
import { controllerStub } from "../names";

/** A miss re-reads the store at most this often, so a token created on another isolate works within a second. */
export const STORE_MISS_REFRESH_MS = 1_000;

/** The location copy's name and key (a name of our own: no route serves it). */
const LOCATION_CACHE = "edgelog-token-store";
const LOCATION_KEY = "https://edgelog.internal/token-store";

/** The token caches' clock: tests move it forward (a copy's age) instead of sleeping. */
export const tokenClock = new Clock();

let secretCache: { text: string | undefined; records: TokenRecord[] } | undefined;
let storeCache: { records: TokenRecord[]; fetchedMs: number } | undefined;

/** Controller reads of the store this isolate made (tests: a location's copy spares them). */
let controllerReads = 0;
export function tokenStoreReads(): number {
  return controllerReads;
}

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
  const now = tokenClock.now();
  if (storeCache && now - storeCache.fetchedMs < maxAgeMs) return storeCache.records;
  const located = await locationCopy();
  if (located !== undefined && now - located.fetchedMs < maxAgeMs && (storeCache === undefined || located.fetchedMs > storeCache.fetchedMs)) {
    storeCache = { records: located.rows.map(tokenRecord), fetchedMs: located.fetchedMs };
    return storeCache.records;
  }
  try {
    controllerReads++;
    const rows = (await controllerStub(env).tokenRecords()) as HashedStoredToken[];
    storeCache = { records: rows.map(tokenRecord), fetchedMs: now };
    await leaveLocationCopy({ fetchedMs: now, rows });
  } catch (error) {
    // Secret tokens keep working either way.
    console.error(`token store unavailable: ${String(error)}`);
    if (!storeCache) return [];
  }
  return storeCache!.records;
}

/** Whether authenticating with the store must wait on a read (this isolate's copy is missing or too old). */
export function storeTokensStale(maxAgeMs = TOKEN_CACHE_MS): boolean {
  return storeCache === undefined || tokenClock.now() - storeCache.fetchedMs >= maxAgeMs;
}

/** Forget the cached token store, here and at this location (after this isolate created or revoked a token). */
export async function forgetStoreTokens(): Promise<void> {
  storeCache = undefined;
  try {
    await (await caches.open(LOCATION_CACHE)).delete(LOCATION_KEY);
  } catch (error) {
    console.error(`token store: the location copy could not be dropped (it expires within TOKEN_CACHE_MS): ${String(error)}`);
  }
}

/** Forgets this isolate's copy only, as a new isolate starts (tests: another isolate at the same location). */
export function forgetIsolateTokens(): void {
  storeCache = undefined;
}

interface LocationCopy {
  fetchedMs: number;
  rows: HashedStoredToken[];
}

async function locationCopy(): Promise<LocationCopy | undefined> {
  try {
    const hit = await (await caches.open(LOCATION_CACHE)).match(LOCATION_KEY);
    return hit === undefined ? undefined : ((await hit.json()) as LocationCopy);
  } catch (error) {
    console.error(`token store: the location copy could not be read: ${String(error)}`);
    return undefined;
  }
}

async function leaveLocationCopy(copy: LocationCopy): Promise<void> {
  try {
    const maxAgeS = Math.ceil(TOKEN_CACHE_MS / 1000);
    await (await caches.open(LOCATION_CACHE)).put(LOCATION_KEY, new Response(JSON.stringify(copy), { headers: { "content-type": "application/json", "cache-control": `max-age=${maxAgeS}` } }));
  } catch (error) {
    console.error(`token store: the location copy could not be written: ${String(error)}`);
  }
}
