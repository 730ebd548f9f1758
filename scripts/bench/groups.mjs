// Consumer-group convergence: N members join one group on a topic of P partitions (default 100 and 64), then every
// member heartbeats in rounds, reporting exactly the partitions it was last told, until a full round changes
// nothing and the group is STABLE. Prints heartbeats and wall time to stability, and checks the result: every
// partition owned exactly once and counts balanced (differ by at most one).
//   npm run bench:groups [-- --members 100 --partitions 64 --concurrency 8]
import { parseArgs } from "node:util";
import { EdgelogClient } from "./client.mjs";
import { startEdgelog } from "./edgelog-server.mjs";

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "100" },
    partitions: { type: "string", default: "64" },
    concurrency: { type: "string", default: "8" },
    smoke: { type: "boolean", default: false },
  },
});
const members = values.smoke ? 10 : Number(values.members);
const partitions = values.smoke ? 8 : Number(values.partitions);
const concurrency = Number(values.concurrency);

const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench" } });
const client = new EdgelogClient(server.url, { connections: concurrency });
const post = async (path, body) => JSON.parse((await client.request("POST", path, { body: JSON.stringify(body), expect: [200, 201] })).text);
const get = async (path) => JSON.parse((await client.request("GET", path)).text);

/** Runs fn over items with at most `concurrency` in flight. */
async function pool(items, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

try {
  const topic = `groups-${Date.now()}`;
  const group = `g-${Date.now()}`;
  await post("/v1/topics", { name: topic, partitions });
  let heartbeats = 0;
  const started = performance.now();
  const told = new Map();
  await pool(Array.from({ length: members }, (_, i) => i), async () => {
    const r = await post(`/v1/groups/${group}/heartbeat`, { memberEpoch: 0, subscribedTopics: [topic], sessionTimeoutMs: 120_000 });
    heartbeats++;
    told.set(r.memberId, r);
  });
  const joinedMs = performance.now() - started;
  let rounds = 0;
  for (;;) {
    rounds++;
    let changed = false;
    await pool([...told.keys()], async (id) => {
      const last = told.get(id);
      const r = await post(`/v1/groups/${group}/heartbeat`, { memberId: id, memberEpoch: last.memberEpoch, ownedPartitions: last.assignment });
      heartbeats++;
      if (r.memberEpoch !== last.memberEpoch || JSON.stringify(r.assignment) !== JSON.stringify(last.assignment)) changed = true;
      told.set(id, r);
    });
    const state = (await get(`/v1/groups/${group}`)).state;
    if (!changed && state === "STABLE") break;
    if (rounds > 50) throw new Error(`not stable after ${rounds} rounds (state ${state})`);
  }
  const stableMs = performance.now() - started;
  const owners = new Map();
  for (const [id, r] of told) for (const a of r.assignment) for (const p of a.partitions) {
    if (owners.has(p)) throw new Error(`partition ${p} owned by two members`);
    owners.set(p, id);
  }
  const sizes = [...told.values()].map((r) => r.assignment.reduce((n, a) => n + a.partitions.length, 0));
  if (owners.size !== partitions) throw new Error(`${owners.size} of ${partitions} partitions assigned`);
  if (Math.max(...sizes) - Math.min(...sizes) > 1) throw new Error(`unbalanced: ${Math.min(...sizes)}..${Math.max(...sizes)}`);
  const result = {
    members, partitions, concurrency, heartbeats, rounds,
    joinMs: Math.round(joinedMs), stableMs: Math.round(stableMs),
    heartbeatsPerSecond: Math.round(heartbeats / (stableMs / 1000)),
    perMember: `${Math.min(...sizes)}..${Math.max(...sizes)} partitions`,
  };
  console.log(`${members} members on ${partitions} partitions: stable after ${heartbeats} heartbeats (${members} joins + ${rounds} rounds), ` +
    `${result.stableMs} ms wall (joins ${result.joinMs} ms), ${result.heartbeatsPerSecond} heartbeats/s, ${result.perMember} each`);
  console.log(JSON.stringify(result));
} finally {
  await client.close();
  await server.stop();
}
