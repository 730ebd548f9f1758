// The tokens one router isolate knows: the operator's EDGELOG_TOKENS secret (parsed once per value), and answers about
// the token store's tokens, one presented hash at a time, from the hash's token shard (issue 23: src/token-shard/; the
// controller copies each create and revoke there before it answers). A known token's answer is used for at most
// TOKEN_CACHE_MS (the revocation bound), an unknown one's for STORE_MISS_REFRESH_MS (a flood of made-up tokens costs a
// lookup per token per second, and a token whose copy reached its shard late by the controller's retry works within a
// second of it; a new token works at once, as nobody held an answer about its hash).
// Between the isolates and the shards sits one answer per hash per location, in the Cache API: an isolate without a
// young enough answer takes its location's if that is young enough, and only otherwise asks the shard (and leaves the
// answer for the location's other isolates). An answer keeps the time its shard gave it, however it travelled, so the
// bounds hold through the tier. It holds a token's hash (SHA-256 of 256 random bits: no use for signing in) and grants,
// never a token. Where the Cache API stores nothing (a workers.dev route), every isolate asks the shard.
import { parseTokenSecret, type TokenRecord } from "../auth/tokens";
import { tokenRecord, type HashedStoredToken } from "../auth/stored-token";
import { TokenAnswers, type TokenAnswer } from "../auth/token-answers";
import { Clock } from "../clock";
import type { Env } from "../env";
import { TOKEN_ANSWER_CACHE_ENTRIES, TOKEN_CACHE_MS } from "../limits";
import { tokenShardOf } from "../names";

/** An unknown hash is asked again at most this often: a token whose shard took its copy late works within a second of it. */
export const STORE_MISS_REFRESH_MS = 1_000;

/** The location answers' cache name and key prefix (names of our own: no route serves them). */
const LOCATION_CACHE = "edgelog-token-answers";
const LOCATION_KEY = "https://edgelog.internal/token/";

/** The token caches' clock: tests move it forward (an answer's age) instead of sleeping. */
export const tokenClock = new Clock();

let secretCache: { text: string | undefined; records: TokenRecord[] } | undefined;
const answers = new TokenAnswers(TOKEN_ANSWER_CACHE_ENTRIES);

/** Shard lookups this isolate made (tests: a location's answer spares them). */
let shardReads = 0;
export function tokenShardReads(): number {
  return shardReads;
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

function young(answer: TokenAnswer, nowMs: number): boolean {
  return nowMs - answer.answeredMs < (answer.record === null ? STORE_MISS_REFRESH_MS : TOKEN_CACHE_MS);
}

/**
 * The store's token with this hash, if any. `whileWaiting` runs when the answer is not in this isolate (a location or
 * shard read follows), so the caller can start its own read meanwhile. An unreachable shard leaves this isolate's last
 * answer, however old (or none): the controller could not have removed the token from it either.
 */
export async function storeToken(env: Env, sha256: string, whileWaiting?: () => void): Promise<TokenRecord | undefined> {
  const now = tokenClock.now();
  const known = answers.get(sha256);
  if (known !== undefined && young(known, now)) return known.record ?? undefined;
  whileWaiting?.();
  const located = await locationAnswer(sha256);
  if (located !== undefined && young(located, now) && (known === undefined || located.answeredMs > known.answeredMs)) {
    answers.set(sha256, located);
    return located.record ?? undefined;
  }
  try {
    shardReads++;
    const hashed = (await tokenShardOf(env, sha256).lookup(sha256)) as HashedStoredToken | null;
    const answer: TokenAnswer = { record: hashed === null ? null : tokenRecord(hashed), answeredMs: now };
    answers.set(sha256, answer);
    await leaveLocationAnswer(sha256, answer);
    return answer.record ?? undefined;
  } catch (error) {
    console.error(`token shard unavailable: ${String(error)}`);
    return known?.record ?? undefined;
  }
}

/** Forgets what this isolate and its location know of a hash (this isolate revoked its token). */
export async function forgetTokenAnswer(sha256: string): Promise<void> {
  answers.delete(sha256);
  try {
    await (await caches.open(LOCATION_CACHE)).delete(LOCATION_KEY + sha256);
  } catch (error) {
    console.error(`token answers: the location's answer could not be dropped (it expires within TOKEN_CACHE_MS): ${String(error)}`);
  }
}

/** Forgets this isolate's answers only, as a new isolate starts (tests: another isolate at the same location). */
export function forgetIsolateTokens(): void {
  answers.clear();
}

async function locationAnswer(sha256: string): Promise<TokenAnswer | undefined> {
  try {
    const hit = await (await caches.open(LOCATION_CACHE)).match(LOCATION_KEY + sha256);
    return hit === undefined ? undefined : ((await hit.json()) as TokenAnswer);
  } catch (error) {
    console.error(`token answers: the location's answer could not be read: ${String(error)}`);
    return undefined;
  }
}

async function leaveLocationAnswer(sha256: string, answer: TokenAnswer): Promise<void> {
  try {
    const maxAgeS = Math.ceil((answer.record === null ? STORE_MISS_REFRESH_MS : TOKEN_CACHE_MS) / 1000);
    const body = new Response(JSON.stringify(answer), { headers: { "content-type": "application/json", "cache-control": `max-age=${maxAgeS}` } });
    await (await caches.open(LOCATION_CACHE)).put(LOCATION_KEY + sha256, body);
  } catch (error) {
    console.error(`token answers: the location's answer could not be written: ${String(error)}`);
  }
}
