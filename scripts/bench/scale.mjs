// bench:scale (issue 23): how many requests each Durable Object receives as a deployment grows. Simulated router
// isolates (each with its own topic-metadata cache, token cache and producer-id block), group coordinators (each with
// its members' heartbeats and its own metadata refresh) and admin topic changes run on an accelerated clock against a
// real edgelog in workerd (Miniflare): every request the model sends to the Controller is a real RPC to the real
// Controller object (its own usage() meter cross-checks the count); requests to partitions and coordinators, whose
// rate the model fixes by construction (traffic, heartbeats), are counted per object without being sent.
// Two models of the callers' policy, both against the same objects:
//   before: the policy as of 5fdb617 (metadata re-read every 30 s per isolate and topic, every token re-read every
//           5 s per isolate, a coordinator re-reads its topics every 30 s, one Controller request per producer id);
//   after:  the policy of the current src/ (limits read from src/limits.ts): metadata refreshed when a partition says
//           the version moved (its STALE_METADATA carries the new metadata: no Controller read), coordinators told of
//           their topics' changes, producer ids from leased blocks, and each presented token's hash looked up in its
//           token shard (src/token-shard/, real calls) behind an answer per isolate and one per location
//           (--isolates-per-location isolates share it; --tokens-per-isolate store tokens presented to one isolate).
// Two per-key hot spots run beside them (hotSpotPolicy, counted, not sent): one share group polled from every isolate
// (its coordinator: a config read per isolate per SHARE_GROUP_CONFIG_CACHE_MS, 5 s before; after, only the safety net
// and cold isolates) and one subscription of --subscription-partitions partitions each appended to
// --subscription-appends-per-s times a second (its coordinator: a commit per caught-up delivery before; after, the
// delivery objects keep their offsets and the coordinator collects them once per --describe-interval).
// Scales: fractions of the target of docs/scale.md (10,000 isolates, 10,000 topics, 100,000 partitions, 10,000 groups
// of 10 members, 1,000,000 producer ids a day, 1,000,000 records/s). Where a fraction has more isolates or groups than
// --max-actors, a random sample of them is simulated and every count is divided by the sample's share (actors are
// independent and alike, so the expected counts are exact; the table says which scales were sampled).
// Schema validation (validatedProduces): every isolate also produces --validated-per-isolate requests/s to one topic
// validated against the registry (json mode), the "validated topic in use everywhere" of docs/scale.md. before: the
// 1 s SCHEMA_CACHE_TTL_MS of 289f381^; after: the registry is asked when the topic's schemaGeneration moved past what
// the isolate cached and its location's copy has. --schema-change-at S registers a new version (for real) at simulated second S: its burst. The
// topic has --validated-partitions (100), so its partitions stay under the budget with every isolate producing to it.
//   npm run bench:scale [-- --scales 0.01,0.1,1 --models before,after --seconds 100 --warmup 40 --max-actors 100]
//   (--smoke: a few seconds at 0.1 %; checks the cross-count, does not judge the targets)
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startEdgelog } from "./edgelog-server.mjs";

const { values } = parseArgs({
  options: {
    scales: { type: "string", default: "0.01,0.1,1" },
    models: { type: "string", default: "before,after" },
    seconds: { type: "string", default: "100" },
    warmup: { type: "string", default: "40" },
    "max-actors": { type: "string", default: "100" },
    "working-set": { type: "string", default: "10" },
    "isolate-lifetime": { type: "string", default: "900" },
    "batch-records": { type: "string", default: "100" },
    "topic-changes-per-minute": { type: "string", default: "2" },
    "stored-tokens": { type: "string", default: "200" },
    "tokens-per-isolate": { type: "string", default: "1" },
    "isolates-per-location": { type: "string", default: "33" },
    "subscription-partitions": { type: "string", default: "1024" },
    "subscription-appends-per-s": { type: "string", default: "1" },
    "describe-interval": { type: "string", default: "60" },
    seed: { type: "string", default: "23" },
    "validated-per-isolate": { type: "string", default: "1" },
    "validated-partitions": { type: "string", default: "100" },
    "schema-change-at": { type: "string", default: "-1" },
    smoke: { type: "boolean", default: false },
  },
});

const TARGET = { isolates: 10_000, topics: 10_000, partitions: 100_000, groups: 10_000, members: 100_000, producerIdsPerDay: 1_000_000, recordsPerSecond: 1_000_000 };
const BUDGET = 250;
const scales = values.smoke ? [0.001] : values.scales.split(",").map(Number);
const models = values.models.split(",");
const seconds = values.smoke ? 20 : Number(values.seconds);
const warmup = values.smoke ? 10 : Number(values.warmup);
const maxActors = Number(values["max-actors"]);
const W = Number(values["working-set"]);
const lifetimeS = Number(values["isolate-lifetime"]);
const batchRecords = Number(values["batch-records"]);
const changesPerMinute = Number(values["topic-changes-per-minute"]);
const storedTokens = values.smoke ? 20 : Number(values["stored-tokens"]);
// The store tokens one isolate's clients present (a Worker calling edgelog usually holds one).
const tokensPerIsolate = Number(values["tokens-per-isolate"]);
// Cloudflare runs ~300 locations: 10,000 isolates are ~33 a location. Simulated isolates fill whole locations, so the
// location tier's sharing is what a full location sees (sampling takes locations, not isolates).
const isolatesPerLocation = Number(values["isolates-per-location"]);
const subscriptionPartitions = Number(values["subscription-partitions"]);
const subscriptionAppendsPerS = Number(values["subscription-appends-per-s"]);
const describeIntervalS = Number(values["describe-interval"]);

/** A constant of src/limits.ts, read from the source (so the after model follows the code). */
function limit(name) {
  const text = readFileSync(new URL("../../src/limits.ts", import.meta.url), "utf8");
  const m = new RegExp(`export const ${name} = ([^;]+);`).exec(text);
  if (!m) return undefined;
  return Function(`"use strict"; return (${m[1].replaceAll("_", "")});`)();
}

const POLICY = {
  before: { metadataMaxAgeMs: 30_000, versioned: false, tokenMaxAgeMs: 5_000, tokenLocationTier: false, tokenShards: false, groupRefreshMs: 30_000, groupPushed: false, producerBlock: 0 },
  after: {
    metadataMaxAgeMs: limit("METADATA_MAX_AGE_MS"),
    versioned: true,
    tokenMaxAgeMs: limit("TOKEN_CACHE_MS"),
    tokenLocationTier: true,
    tokenShards: true,
    groupRefreshMs: limit("GROUP_METADATA_REFRESH_MS"),
    groupPushed: true,
    producerBlock: limit("PRODUCER_ID_BLOCK_SIZE") ?? 0,
  },
};
const HEARTBEAT_MS = limit("DEFAULT_HEARTBEAT_INTERVAL_MS");

/** The hot spots' policy (issue 23's per-key rows): before, the constants of 26ab04d; after, today's src/limits.ts. */
function hotSpotPolicy(modelName) {
  if (modelName === "before") return { shareConfigMs: 5_000, staleCarriesMetadata: false, subscriptionLocalOffsets: false };
  return { shareConfigMs: limit("SHARE_GROUP_CONFIG_CACHE_MS"), staleCarriesMetadata: true, subscriptionLocalOffsets: true };
}

/** A router polling the share group: its coordinator is read when the isolate's copy of the config is older than the
 *  cache period (a change reaches it through the share-partitions' answers after issue 23: no coordinator read). */
function pollShareGroup(hot, iso, now, weight, count) {
  if (now - iso.shareConfigMs < hot.shareConfigMs) return;
  iso.shareConfigMs = now;
  count("share group coordinator", weight);
}

const hotSpotKeys = ["share group coordinator", "subscription coordinator"];

/** One second of the subscription: each partition's appends wake its delivery object, which delivers and catches up.
 *  Before, every catch-up committed to the coordinator; after, it commits in its own storage, and the coordinator
 *  asks every delivery object once per describe (GET /metrics, a dashboard). */
function subscriptionSecond(hot, sub, endMs, count) {
  for (let p = 0; p < sub.nextAppendMs.length; p++) {
    while (sub.nextAppendMs[p] < endMs) {
      sub.nextAppendMs[p] += exp(sub.random, subscriptionAppendsPerS);
      count(`subscription delivery object ${p}`, 1);
      if (!hot.subscriptionLocalOffsets) count("subscription coordinator", 1);
    }
  }
  while (sub.nextDescribeMs < endMs) {
    sub.nextDescribeMs += describeIntervalS * 1000;
    count("subscription coordinator", 1);
    if (hot.subscriptionLocalOffsets) for (let p = 0; p < sub.nextAppendMs.length; p++) count(`subscription delivery object ${p}`, 1);
  }
}

// A seeded generator, so runs of the two models see the same actors and events.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const exp = (random, ratePerS) => (ratePerS <= 0 ? Infinity : (-Math.log(1 - random()) / ratePerS) * 1000);

// ---- schema validation (issue 23): the registry's load from router isolates validating one topic everywhere ----------

const SCHEMA_POLICY = { before: { registryMaxAgeMs: 1_000, versioned: false }, after: { registryMaxAgeMs: Infinity, versioned: true } };

/** Creates the validated topic and its subject for real; answers the state validatedProduces keeps. */
async function validatedTopic(run, partitions) {
  const name = `${run}-validated`;
  const subject = `${name}-value`;
  dispose(await registry.setCompatibility(subject, "NONE"));
  dispose(await registry.register(subject, { schemaType: "JSON", schema: JSON.stringify({ type: "object" }), references: [] }));
  dispose(await controller.createTopic({ name, partitions, replicationFactor: 1, placement: [], config: { "value.schema.validation": "json" } }));
  return { name, subject, partitions, version: 1, generation: 0, isolates: new WeakMap(), locations: new Map() };
}

/**
 * One isolate's produces to the validated topic up to endMs: its metadata as for any topic (a cold read, or the
 * partition's STALE_METADATA after a change), and the registry read whenever the policy says its copy is too old.
 */
function validatedProduces(v, sim, iso, location, nowMs, endMs) {
  const policy = SCHEMA_POLICY[sim.model];
  let state = v.isolates.get(iso);
  if (!state) v.isolates.set(iso, (state = { nextMs: nowMs + exp(sim.random, sim.ratePerS), schemaMs: -Infinity, generation: -1 }));
  while (state.nextMs < endMs) {
    const now = state.nextMs;
    state.nextMs += exp(sim.random, sim.ratePerS);
    const key = `partition ${v.name}/${Math.floor(sim.random() * v.partitions)}`;
    const cached = iso.metadata.get("validated");
    if (cached === undefined || (policy.versioned && cached.version < v.version)) {
      if (cached !== undefined) sim.count(key, sim.weight, undefined, 2); // STALE_METADATA, and the producer's retry
      iso.metadata.set("validated", { version: v.version, fetchedMs: now });
      sim.callController(sim.weight, "getTopic", () => controller.getTopic(v.name));
    }
    const stale = policy.versioned ? state.generation < v.generation : now - state.schemaMs >= policy.registryMaxAgeMs;
    if (stale) {
      state.schemaMs = now;
      state.generation = v.generation;
      // after: the location's copy for this generation, if an isolate there read it (service/schema-validation.ts).
      if (!policy.versioned || !(v.locations.get(location) >= v.generation)) {
        v.locations.set(location, v.generation);
        sim.count("schema registry", sim.weight);
        sim.pending.push(registry.validationSchema(v.subject, -1).then(dispose));
      }
    }
    sim.count(key, sim.weight);
  }
}

/** A new version of the validated subject, registered for real (the registry tells the Controller: one request). */
function schemaChange(v, sim) {
  v.version++;
  v.generation++;
  sim.count("controller", 1, "schemaChanged");
  sim.pending.push(registry.register(v.subject, { schemaType: "JSON", schema: JSON.stringify({ type: "object", description: `v${v.version}` }), references: [] }).then(dispose));
}

const server = await startEdgelog({ bindings: { EDGELOG_ENV: "bench", EDGELOG_AUTH: "off", EDGELOG_LOG_LEVEL: "error" } });
const controllers = await server.mf.getDurableObjectNamespace("CONTROLLER");
const controller = controllers.get(controllers.idFromName("controller"));
const registries = await server.mf.getDurableObjectNamespace("SCHEMA_REGISTRY");
const registry = registries.get(registries.idFromName("schema-registry"));
let runNo = 0;
/** Answers through Miniflare's proxy are plain data; disposing them tells the proxy so (it warns otherwise). */
const dispose = (answer) => answer?.[Symbol.dispose]?.();
/** The Controller's own request meter (its usage() is not counted as a request). */
async function controllerMeter() {
  const usage = await controller.usage();
  const requests = usage.requests;
  dispose(usage);
  return requests;
}

// The token store once (the controller copies each token to its shard, src/token-shard/). Before token shards every
// isolate re-read the whole store from the Controller (a modelled call: it no longer exists); after, an isolate looks
// up the hash it was shown in that hash's shard (real calls), behind its own and its location's answer.
const tokenShards = await server.mf.getDurableObjectNamespace("TOKEN_SHARD");
const shardCount = limit("TOKEN_SHARDS");
const tokenHashes = [];
for (let i = 0; i < storedTokens; i++) {
  const hash = Array.from({ length: 56 }, () => "0123456789abcdef"[Math.floor(Math.random() * 16)]).join("") + String(i).padStart(8, "0");
  tokenHashes.push(hash);
  dispose(await controller.createToken(`scale-${i}-${hash.slice(0, 8)}`, hash, [{ resource: "topic", name: "*", patternType: "literal", operations: ["read"] }], {}));
}
const shardOf = (hash) => Number.parseInt(hash.slice(0, 8), 16) % shardCount;
// One stub per shard for the whole run (disposed at the end: a stub per lookup would be one more to dispose each).
const shardStubs = Array.from({ length: shardCount }, (_, i) => tokenShards.get(tokenShards.idFromName(`token-shard/${i}`)));
const shardStub = (index) => shardStubs[index];
const oneAnswer = await shardStub(shardOf(tokenHashes[0])).lookup(tokenHashes[0]);
if (oneAnswer === null) throw new Error("the token's shard does not hold its copy");
const tokenAnswerBytes = JSON.stringify(oneAnswer).length * storedTokens;
dispose(oneAnswer);

async function simulate(scale, modelName) {
  const policy = POLICY[modelName];
  const hot = hotSpotPolicy(modelName);
  const random = rng(Number(values.seed) + Math.round(scale * 1e6));
  const run = `r${++runNo}`;
  const isolates = Math.max(1, Math.round(TARGET.isolates * scale));
  const groups = Math.max(1, Math.round(TARGET.groups * scale));
  const topicsTotal = Math.max(1, Math.round(TARGET.topics * scale));
  const partitionsPerTopic = TARGET.partitions / TARGET.topics;
  const membersPerGroup = TARGET.members / TARGET.groups;
  const simIsolates = isolates <= maxActors ? isolates : Math.max(1, Math.floor(maxActors / isolatesPerLocation)) * isolatesPerLocation;
  const simGroups = Math.min(groups, maxActors);
  const isolateShare = simIsolates / isolates;
  const groupShare = simGroups / groups;
  const requestsPerIsolatePerS = (TARGET.recordsPerSecond * scale) / batchRecords / isolates;
  // New producer ids arrive at the simulated isolates' share of the deployment's rate (each counted 1 / share).
  const producerIdsPerS = ((TARGET.producerIdsPerDay * scale) / 86_400) * isolateShare;

  // Topics exist on paper; the ones a simulated actor uses are created for real (the others cost the Controller nothing).
  const topics = new Map(); // index -> { name, version, partitions, real: Promise }
  const topicAt = (i) => {
    let t = topics.get(i);
    if (!t) {
      const name = `${run}-t${i}`;
      t = { name, version: 1, partitions: partitionsPerTopic, real: controller.createTopic({ name, partitions: partitionsPerTopic, replicationFactor: 1, placement: [], config: {} }) };
      topics.set(i, t);
    }
    return t;
  };
  const pickTopic = () => Math.floor(random() * topicsTotal);

  // Counting: per object key, per simulated second, weighted by 1 / the caller's sample share.
  const counts = new Map();
  const methods = new Map();
  let realControllerCalls = 0;
  let changes = 0;
  let second = 0;
  const count = (key, weight, method, times = 1) => {
    let c = counts.get(key);
    if (!c) counts.set(key, (c = new Float64Array(seconds)));
    c[second] += weight * times;
    if (method) methods.set(method, (methods.get(method) ?? 0) + (second >= warmup ? weight : 0));
  };
  const pending = [];
  const callController = (weight, method, call) => {
    count("controller", weight, method);
    realControllerCalls++;
    pending.push(call().then(dispose));
  };

  const newIsolate = (bornMs) => ({
    bornMs,
    // Isolates alive at the start were born earlier (staggered lifetimes) but start serving at 0, caches empty.
    nextRequestMs: Math.max(bornMs, 0) + exp(random, requestsPerIsolatePerS),
    working: Array.from({ length: W }, pickTopic),
    metadata: new Map(), // topic index -> { version, fetchedMs }
    tokensMs: -Infinity,
    tokens: Array.from({ length: tokensPerIsolate }, () => tokenHashes[Math.floor(random() * tokenHashes.length)]),
    tokenAnswers: new Map(), // hash -> when its shard answered
    shareConfigMs: -Infinity,
    block: { next: 0, end: 0 },
  });
  const routers = Array.from({ length: simIsolates }, () => newIsolate(-random() * lifetimeS * 1000));
  // Each location's copy of the token store, or (after) its answer per hash (service/token-cache.ts): when answered.
  const locationTokensMs = new Map();
  const coordinators = Array.from({ length: simGroups }, (_, g) => ({
    id: `${run}-g${g}`,
    topic: pickTopic(),
    refreshedMs: -Infinity,
    known: undefined, // the topic version it last read
    stale: true,
    beats: Array.from({ length: membersPerGroup }, () => random() * HEARTBEAT_MS),
  }));
  const watchers = new Map(); // topic index -> coordinators that read it (the after model's push)
  const subRandom = rng(Number(values.seed) + 7);
  const subscription = { random: subRandom, nextAppendMs: Array.from({ length: subscriptionPartitions }, () => exp(subRandom, subscriptionAppendsPerS)), nextDescribeMs: subRandom() * describeIntervalS * 1000 };
  let nextProducerMs = exp(random, producerIdsPerS);
  let nextChangeMs = changesPerMinute > 0 ? exp(random, changesPerMinute / 60) : Infinity;
  const validated = await validatedTopic(run, Number(values["validated-partitions"]));
  realControllerCalls++; // registering its subject told the Controller (no topic used it yet)
  const sim = { model: modelName, random, ratePerS: Number(values["validated-per-isolate"]), weight: 1 / isolateShare, count, pending, callController };

  for (second = 0; second < seconds; second++) {
    const endMs = (second + 1) * 1000;
    for (let r = 0; r < routers.length; r++) {
      let iso = routers[r];
      while (iso.nextRequestMs < endMs) {
        const now = iso.nextRequestMs;
        if (now - iso.bornMs >= lifetimeS * 1000) {
          // Recycled: a new isolate with empty caches takes its place.
          iso = routers[r] = newIsolate(iso.bornMs + lifetimeS * 1000);
          continue;
        }
        iso.nextRequestMs = now + exp(random, requestsPerIsolatePerS);
        pollShareGroup(hot, iso, now, 1 / isolateShare, count);
        if (policy.tokenShards) {
          const hash = iso.tokens[Math.floor(random() * iso.tokens.length)];
          if (now - (iso.tokenAnswers.get(hash) ?? -Infinity) >= policy.tokenMaxAgeMs) {
            const key = `${Math.floor(r / isolatesPerLocation)}/${hash}`;
            const answeredMs = locationTokensMs.get(key) ?? -Infinity;
            if (now - answeredMs < policy.tokenMaxAgeMs) iso.tokenAnswers.set(hash, answeredMs); // the answer keeps its age
            else {
              iso.tokenAnswers.set(hash, now);
              locationTokensMs.set(key, now);
              const shard = shardOf(hash);
              count(`token shard ${shard}`, 1 / isolateShare);
              pending.push(shardStub(shard).lookup(hash).then(dispose));
            }
          }
        } else if (now - iso.tokensMs >= policy.tokenMaxAgeMs) {
          const location = Math.floor(r / isolatesPerLocation);
          const copyMs = locationTokensMs.get(location) ?? -Infinity;
          if (policy.tokenLocationTier && now - copyMs < policy.tokenMaxAgeMs) iso.tokensMs = copyMs; // the copy keeps its age
          else {
            iso.tokensMs = now;
            if (policy.tokenLocationTier) locationTokensMs.set(location, now);
            count("controller", 1 / isolateShare, "tokenRecords (modelled: the whole store)");
          }
        }
        const ti = iso.working[Math.floor(random() * W)];
        const topic = topicAt(ti);
        const cached = iso.metadata.get(ti);
        const expired = cached !== undefined && now - cached.fetchedMs >= policy.metadataMaxAgeMs;
        const p = Math.floor(random() * topic.partitions);
        const partitionKey = `partition ${topic.name}/${p}`;
        if (cached === undefined || expired) {
          iso.metadata.set(ti, { version: topic.version, fetchedMs: now });
          callController(1 / isolateShare, "getTopic", () => topic.real.then(() => controller.getTopic(topic.name)));
        } else if (policy.versioned && cached.version < topic.version) {
          // The partition answers STALE_METADATA: refresh (from its answer after issue 23), and the request goes again.
          count(partitionKey, 1 / isolateShare);
          iso.metadata.set(ti, { version: topic.version, fetchedMs: now });
          if (!hot.staleCarriesMetadata) callController(1 / isolateShare, "getTopic", () => controller.getTopic(topic.name));
        }
        count(partitionKey, 1 / isolateShare);
      }
      validatedProduces(validated, sim, routers[r], Math.floor(r / isolatesPerLocation), second * 1000, endMs);
    }
    if (second === Number(values["schema-change-at"])) {
      schemaChange(validated, sim);
      realControllerCalls++;
      changes++;
    }
    // New producer ids: an isolate picked at random serves each.
    while (nextProducerMs < endMs) {
      const iso = routers[Math.floor(random() * routers.length)];
      const share = isolateShare;
      nextProducerMs += exp(random, producerIdsPerS);
      if (policy.producerBlock > 0) {
        if (iso.block.next >= iso.block.end) {
          iso.block = { next: 0, end: policy.producerBlock };
          callController(1 / share, "allocateProducerIds", () => controller.allocateProducerIds(policy.producerBlock));
        }
        iso.block.next++;
      } else callController(1 / share, "initProducer", () => controller.initProducer(null));
    }
    // Coordinators: every member heartbeats; a heartbeat may refresh the group's topic metadata.
    for (const c of coordinators) {
      const topic = topicAt(c.topic);
      for (let m = 0; m < c.beats.length; m++) {
        while (c.beats[m] < endMs) {
          const now = c.beats[m];
          c.beats[m] += HEARTBEAT_MS;
          count(`group ${c.id}`, 1); // its own members: a sampled group is a whole group
          const due = policy.groupPushed ? c.stale || now - c.refreshedMs >= policy.groupRefreshMs : now - c.refreshedMs >= policy.groupRefreshMs;
          if (due) {
            c.refreshedMs = now;
            c.stale = false;
            c.known = topic.version;
            if (policy.groupPushed) {
              let set = watchers.get(c.topic);
              if (!set) watchers.set(c.topic, (set = new Set()));
              set.add(c);
            }
            callController(1 / groupShare, "topicSnapshots", () => topic.real.then(() => controller.topicSnapshots([topic.name], ...(policy.groupPushed ? [c.id] : []))));
          }
        }
      }
    }
    subscriptionSecond(hot, subscription, endMs, count);
    // Admin topic changes: a partition is added to a used topic (every cache must see it: a new count and version).
    while (nextChangeMs < endMs) {
      nextChangeMs += exp(random, changesPerMinute / 60);
      const used = [...topics.keys()];
      if (used.length === 0) continue;
      const ti = used[Math.floor(random() * used.length)];
      const topic = topics.get(ti);
      topic.partitions++;
      changes++;
      topic.version++;
      callController(1, "addPartitions", () => topic.real.then(() => controller.addPartitions(topic.name, topic.partitions)));
      for (const c of watchers.get(ti) ?? []) {
        c.stale = true;
        count(`group ${c.id}`, 1); // the Controller's push
      }
    }
    // The simulated second ends when the real objects have answered.
    const batch = pending.splice(0);
    const results = await Promise.allSettled(batch);
    const failed = results.filter((r) => r.status === "rejected");
    if (failed.length > 0) throw new Error(`${failed.length} real calls failed, first: ${failed[0].reason}`);
  }

  const measured = seconds - warmup;
  const rows = [...counts.entries()].map(([key, perSecond]) => {
    const window = perSecond.slice(warmup);
    const total = window.reduce((a, b) => a + b, 0);
    return { key, mean: total / measured, peak: Math.max(...window) };
  });
  rows.sort((a, b) => b.mean - a.mean);
  const byMethod = Object.fromEntries([...methods.entries()].map(([m, n]) => [m, n / measured]));
  return { scale, model: modelName, isolates, simIsolates, groups, simGroups, rows, byMethod, realControllerCalls, created: topics.size + 1, changes };
}

/** The schema registry's requests/s (mean, peak second) per scale and model. */
function printRegistry(results) {
  console.log("\n== schema registry (singleton): requests/s, mean (peak second)");
  console.log(`| scale | ${models.join(" | ")} |`);
  console.log(`|---|${models.map(() => "---").join("|")}|`);
  for (const scale of scales) {
    const cells = models.map((m) => {
      const row = results.find((x) => x.scale === scale && x.model === m).rows.find((x) => x.key === "schema registry");
      return row === undefined ? "0" : `${fmt(row.mean)} (${fmt(row.peak)})`;
    });
    console.log(`| ${scale * 100}% | ${cells.join(" | ")} |`);
  }
}

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
const results = [];
let previousChanges = 0;
for (const scale of scales) {
  for (const model of models) {
    const before = await controllerMeter();
    const started = Date.now();
    const r = await simulate(scale, model);
    // The Controller's own meter: every counted call, plus the topics created for real (setup, not counted per second),
    // plus at most one alarm run per topic change (its notices are on record until delivered: controller/notices.ts),
    // which runs 10 s of real time later: in this run or the next.
    const seen = (await controllerMeter()) - before;
    r.wallS = (Date.now() - started) / 1000;
    results.push(r);
    console.log(
      `\n== ${(scale * 100).toFixed(scale < 0.01 ? 1 : 0)}% of target, model ${model}: ${r.isolates.toLocaleString("en-US")} isolates (${r.simIsolates} simulated), ${r.groups.toLocaleString("en-US")} groups (${r.simGroups} simulated); ${r.realControllerCalls} real Controller calls + ${r.created} topics created (its meter: ${seen}), ${r.wallS.toFixed(1)} s wall`,
    );
    console.log("| object | requests/s (mean) | peak second | over 250/s |");
    console.log("|---|---|---|---|");
    for (const row of r.rows.slice(0, 5)) console.log(`| ${row.key} | ${fmt(row.mean)} | ${fmt(row.peak)} | ${row.mean > BUDGET ? "yes" : "no"} |`);
    console.log(`Controller by method (requests/s): ${Object.entries(r.byMethod).map(([m, n]) => `${m} ${fmt(n)}`).join(", ")}`);
    console.log(`Hot spots (requests/s): ${hotSpotKeys.map((k) => `${k} ${fmt(r.rows.find((x) => x.key === k)?.mean ?? 0)}`).join(", ")}`);
    const shardRows = r.rows.filter((x) => x.key.startsWith("token shard "));
    if (shardRows.length > 0) {
      const busiest = shardRows[0];
      console.log(`Token shards (requests/s): ${shardRows.length} of ${shardCount} asked, all together ${fmt(shardRows.reduce((a, x) => a + x.mean, 0))}, busiest ${busiest.key} ${fmt(busiest.mean)} (peak second ${fmt(busiest.peak)})`);
    }
    const sent = r.realControllerCalls + r.created;
    if (seen < sent || seen > sent + r.changes + previousChanges) throw new Error(`the Controller counted ${seen} requests, the simulation sent ${sent} (and made ${r.changes} topic changes)`);
    previousChanges = r.changes;
  }
}

console.log("\n== summary: the busiest object at each scale (requests/s, mean of the measured window)");
console.log(`| scale | ${models.map((m) => `${m}: busiest object | ${m}: Controller`).join(" | ")} |`);
console.log(`|---|${models.map(() => "---|---").join("|")}|`);
for (const scale of scales) {
  const cells = models.map((m) => {
    const r = results.find((x) => x.scale === scale && x.model === m);
    const top = r.rows[0];
    const c = r.rows.find((x) => x.key === "controller");
    return `${top.key.startsWith("partition") ? "a partition" : top.key.startsWith("group") ? "a group coordinator" : top.key} ${fmt(top.mean)} | ${fmt(c?.mean ?? 0)}`;
  });
  console.log(`| ${scale * 100}% | ${cells.join(" | ")} |`);
}
printRegistry(results);
console.log(`(token store: before, each copy was the whole store, ~${tokenAnswerBytes.toLocaleString("en-US")} bytes for ${storedTokens} tokens; after, a lookup answers one token, ~${Math.round(tokenAnswerBytes / storedTokens)} bytes)`);
for (const stub of shardStubs) dispose(stub);
await server.stop();
