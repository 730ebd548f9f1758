// Which token shard holds a token's hash record (issue 23): its SHA-256's first 32 bits modulo TOKEN_SHARDS. The hash
// is of 256 random bits, so the shards fill evenly. A leaf: the controller (which copies records) and the router (which
// looks them up) must agree, and names.ts builds the shard's name from the index.
import { TOKEN_SHARDS } from "../limits";

export function tokenShardIndex(sha256: string): number {
  return Number.parseInt(sha256.slice(0, 8), 16) % TOKEN_SHARDS;
}
