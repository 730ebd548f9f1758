// A cold isolate's first request (issue 23): authentication must read the presented token's answer (its location's,
// or its token shard's), and the request needs its topic's metadata from the controller. The router starts the
// metadata read while authentication waits on the token's answer, so the two overlap: one round trip in a row, not
// two. Shown here by what the reads leave behind: a request refused by authentication has still read its topic (the
// read began before the refusal was known), a request with a secret token (no answer to read) reads its topic once,
// and refused requests whose unknown answer is young read nothing (an unauthenticated flood drives no metadata reads
// beyond the token answers it reads anyway).
import { describe, expect, it } from "vitest";
import { authOnEnv, callAs } from "../auth-env";
import type { Env } from "../../src/env";
import { forget, metadataReads } from "../../src/service/metadata";
import { forgetIsolateTokens, tokenClock, tokenShardReads } from "../../src/service/token-cache";
import { TOKEN_CACHE_MS } from "../../src/limits";

const ADMIN = "edl_admin_token_for_the_cold_isolate_test";

const authEnv = (): Promise<Env> => authOnEnv("cold-admin", ADMIN, [{ resource: "cluster", name: "cluster", operations: ["admin"] }, { resource: "topic", name: "*", operations: ["admin"] }]);

const call = callAs;

describe("a cold isolate's first request", () => {
  it("reads its topic while authenticating: one round trip in a row", async () => {
    const e = await authEnv();
    const topic = `cold-${crypto.randomUUID().slice(0, 8)}`;
    expect((await call(e, ADMIN, "POST", "/v1/topics", { name: topic, partitions: 1 })).status).toBe(201);
    const produce = (token: string) => call(e, token, "POST", `/v1/topics/${topic}/partitions/0/records`, { records: [{ value: "v" }] });

    // Cold: no token answers, no metadata. Refused by authentication, yet its topic was read meanwhile.
    forgetIsolateTokens();
    forget(topic);
    tokenClock.advance(TOKEN_CACHE_MS); // this location's answers are too old too
    let reads = metadataReads();
    const tokenReads = tokenShardReads();
    expect((await produce("edl_not_a_token_anyone_has")).status).toBe(401);
    expect(metadataReads(), "metadata reads, cold").toBe(reads + 1);
    expect(tokenShardReads(), "lookups, cold").toBe(tokenReads + 1);

    // Cold again, with a secret token: nothing to wait on, the request reads its topic once and succeeds.
    forgetIsolateTokens();
    forget(topic);
    tokenClock.advance(TOKEN_CACHE_MS);
    reads = metadataReads();
    expect((await produce(ADMIN)).status).toBe(200);
    expect(metadataReads()).toBe(reads + 1);

    // A refused token again while its unknown answer is young: refused requests for a topic not cached read nothing.
    expect((await produce("edl_not_a_token_anyone_has")).status).toBe(401); // its answer is young again
    forget(topic);
    reads = metadataReads();
    const shardReads = tokenShardReads();
    for (let i = 0; i < 3; i++) expect((await produce("edl_not_a_token_anyone_has")).status).toBe(401);
    expect(metadataReads(), "metadata reads, refused again").toBe(reads);
    expect(tokenShardReads(), "lookups, refused again").toBe(shardReads);

    // A flood of different made-up tokens: a lookup each, and one metadata read between them (then cached).
    for (let i = 0; i < 3; i++) expect((await produce(`edl_flood_${i}_not_a_token`)).status).toBe(401);
    expect(tokenShardReads(), "lookups of the flood").toBe(shardReads + 3);
    expect(metadataReads(), "metadata reads of the flood").toBe(reads + 1);
  });
});
