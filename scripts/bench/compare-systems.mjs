// The three systems of `npm run bench:compare` behind one interface, so every workload runs the same way on each:
//   produce({ stream, records, batch, clients })  records of VALUE_BYTES in batches, closed loop per client
//   readBack({ stream, records, clients })        what produce wrote, back in batches of READ_BATCH, every record parsed
//   group({ name, records, partitions, consumers }) a producer and a group of consumers, end to end until acknowledged
// Each returns { records, valueBytes, elapsedMs, latenciesMs } (latency per request; per record for group).
//   edgelog: its HTTP API (undici, one socket per client) for produce/read back, its TS client (build/client.mjs) for the group
//   Redis:   XADD pipelined per batch, XRANGE ... COUNT 1000, XREADGROUP + XACK over one stream per partition
//   NATS:    JetStream async publish of a batch then its acks, ordered consumer fetch, a durable pull consumer with explicit acks

import { Redis } from "ioredis";
import { AckPolicy, DeliverPolicy, StorageType, connect as natsConnect } from "nats";
import { EdgelogClient, recordsPath } from "./client.mjs";

export const VALUE_BYTES = 100;
export const READ_BATCH = 1000;
const PADDING = "x".repeat(VALUE_BYTES);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Record i's value: "<i> <send time ms> " padded to VALUE_BYTES ASCII bytes; the group workload reads both back. */
export function valueOf(i, sentAtMs = 0) {
  const prefix = `${i} ${sentAtMs.toFixed(2)} `;
  return prefix + PADDING.slice(prefix.length);
}

function parseValue(value) {
  const a = value.indexOf(" ");
  const b = value.indexOf(" ", a + 1);
  return { i: Number(value.slice(0, a)), sentAtMs: Number(value.slice(a + 1, b)) };
}

/**
 * Runs `clients` closed loops; client c does its contiguous share of request numbers 0..requests-1 in order. `op(r, c)` does
 * request r and returns how many records it moved. The first failure stops everything and is rethrown.
 */
export async function closedLoop({ clients, requests, op }) {
  const latenciesMs = [];
  let records = 0;
  let failure;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      const end = Math.floor(((c + 1) * requests) / clients);
      for (let r = Math.floor((c * requests) / clients); r < end && !failure; r++) {
        const t0 = performance.now();
        try {
          const n = await op(r, c); // not `records += await ...`: that reads `records` before the await
          latenciesMs.push(performance.now() - t0);
          records += n;
        } catch (err) {
          failure ??= err;
        }
      }
    }),
  );
  if (failure) throw failure;
  const elapsedMs = performance.now() - start;
  return { records, valueBytes: records * VALUE_BYTES, elapsedMs, latenciesMs };
}

/** Tracks the group workload's deliveries: each record once, its end-to-end latency, when the last one arrived. */
function deliveries(total) {
  const seen = new Uint8Array(total);
  const latenciesMs = [];
  let consumed = 0;
  let duplicates = 0;
  let allConsumed;
  const done = new Promise((resolve) => (allConsumed = resolve));
  return {
    done,
    get consumed() {
      return consumed;
    },
    get duplicates() {
      return duplicates;
    },
    add(value, now) {
      const { i, sentAtMs } = parseValue(value);
      latenciesMs.push(now - sentAtMs);
      if (seen[i]++) duplicates++;
      else if (++consumed === total) allConsumed();
    },
    result(startMs, endMs) {
      return { records: total, valueBytes: total * VALUE_BYTES, elapsedMs: endMs - startMs, latenciesMs, duplicates, missing: total - consumed };
    },
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------

export class EdgelogSystem {
  name = "edgelog";

  /**
   * @param {{ url: URL, Edgelog: any, readFormat?: "json" | "binary", decodeRecordFrame?: any }} opts  Edgelog: the TS
   * client's class, from build/client.mjs; readFormat "binary": read back asks for the record frame and decodes it with
   * decodeRecordFrame (build/client.mjs too).
   */
  constructor({ url, Edgelog, readFormat = "json", decodeRecordFrame }) {
    this.url = url;
    this.Edgelog = Edgelog;
    this.readFormat = readFormat;
    this.decodeRecordFrame = decodeRecordFrame;
    this.pools = new Map();
  }

  pool(clients) {
    if (!this.pools.has(clients)) this.pools.set(clients, new EdgelogClient(this.url, { connections: clients }));
    return this.pools.get(clients);
  }

  async produce({ stream, records, batch, clients }) {
    const http = this.pool(clients);
    await http.createTopic(stream, 1);
    // Answered per run (docs/api.md): one entry for the batch instead of one per record, as Redis' pipeline answers
    // only ids; the records written are the same.
    const path = `${recordsPath(stream, 0)}?results=runs`;
    const result = await closedLoop({
      clients,
      requests: Math.ceil(records / batch),
      op: async (r) => {
        const n = Math.min(batch, records - r * batch);
        const recs = new Array(n);
        for (let j = 0; j < n; j++) recs[j] = { value: valueOf(r * batch + j) };
        await http.request("POST", path, { body: JSON.stringify({ records: recs, acks: 1 }) });
        return n;
      },
    });
    const { highWatermark } = await http.fetchRecords(stream, 0, { offset: 0, maxRecords: 1 });
    if (highWatermark !== records) throw new Error(`edgelog ${stream}: produced ${records}, highWatermark ${highWatermark}`);
    return result;
  }

  async readBack({ stream, records, clients }) {
    const http = this.pool(clients);
    return closedLoop({
      clients,
      requests: Math.ceil(records / READ_BATCH),
      op: async (r) => {
        if (this.readFormat === "binary") {
          // Every record's value is read (built as a string), as JSON.parse builds every record's.
          const { records: got } = this.decodeRecordFrame(await http.fetchRecordsFrame(stream, 0, { offset: r * READ_BATCH, maxRecords: READ_BATCH }));
          const expected = Math.min(READ_BATCH, records - r * READ_BATCH);
          let short = 0;
          for (const record of got) if (record.value.length !== VALUE_BYTES) short++;
          if (got.length !== expected || got[0].offset !== r * READ_BATCH || short > 0) throw new Error(`edgelog ${stream}: binary fetch at ${r * READ_BATCH} returned ${got.length} records, ${short} short`);
          return got.length;
        }
        const text = await http.fetchRecordsText(stream, 0, { offset: r * READ_BATCH, maxRecords: READ_BATCH });
        const data = JSON.parse(text);
        const expected = Math.min(READ_BATCH, records - r * READ_BATCH);
        if (data.records.length !== expected || data.records[0].offset !== r * READ_BATCH || data.records[0].value.length !== VALUE_BYTES) {
          throw new Error(`edgelog ${stream}: fetch at ${r * READ_BATCH} returned ${data.records.length} records`);
        }
        return data.records.length;
      },
    });
  }

  /** Resolves once the topic and settled group exist; `run()` then produces and consumes; see e2e.mjs. */
  async group({ name, records, partitions, consumers, sendSize = 1000, onSettled }) {
    const client = new this.Edgelog({ url: this.url.origin });
    const admin = client.admin();
    await admin.createTopic({ name, partitions });
    const seen = deliveries(records);
    const group = Array.from({ length: consumers }, () => {
      const consumer = client.consumer({ groupId: name, autoOffsetReset: "earliest" });
      consumer.subscribe({ topics: [name] });
      return consumer;
    });
    const running = group.map((consumer) =>
      consumer.run({
        eachBatch: (batch) => {
          const now = performance.now();
          for (const record of batch.records) seen.add(record.value, now);
        },
      }),
    );
    const share = Math.floor(partitions / consumers);
    while (!group.every((c) => c.assignment().length >= share)) await sleep(20);
    await onSettled?.();

    const producer = client.producer();
    const startMs = performance.now();
    const sends = [];
    for (let i = 0; i < records; i += sendSize) {
      const now = performance.now();
      const batch = [];
      for (let j = i; j < Math.min(records, i + sendSize); j++) batch.push({ value: valueOf(j, now) });
      sends.push(producer.send(name, batch));
      await producer.ready(); // backpressure: at most the producer's buffer in flight
    }
    await Promise.all(sends);
    await producer.close();
    while (seen.consumed < records || (await admin.lag(name)).totalLag > 0) await sleep(5);
    const endMs = performance.now();
    await Promise.all(group.map((c) => c.stop()));
    await Promise.all(running);
    return seen.result(startMs, endMs);
  }

  async close() {
    await Promise.allSettled([...this.pools.values()].map((p) => p.close()));
  }
}

// ---------------------------------------------------------------------------------------------------------------

export class RedisSystem {
  name = "redis";

  constructor({ host, port }) {
    this.options = { host, port, lazyConnect: false, maxRetriesPerRequest: 1, enableAutoPipelining: false };
    this.connections = [];
    this.firstIds = new Map(); // stream -> id of the first entry of each produce batch (for read back by batch)
  }

  async connection() {
    const redis = new Redis(this.options);
    this.connections.push(redis);
    await redis.ping();
    return redis;
  }

  async connections_(n) {
    return Promise.all(Array.from({ length: n }, () => this.connection()));
  }

  async produce({ stream, records, batch, clients }) {
    const conns = await this.connections_(clients);
    const firstIds = [];
    const result = await closedLoop({
      clients,
      requests: Math.ceil(records / batch),
      op: async (r, c) => {
        const n = Math.min(batch, records - r * batch);
        const pipeline = conns[c].pipeline();
        for (let j = 0; j < n; j++) pipeline.xadd(stream, "*", "v", valueOf(r * batch + j));
        const replies = await pipeline.exec();
        for (const [err] of replies) if (err) throw err;
        firstIds[r] = replies[0][1];
        return n;
      },
    });
    this.firstIds.set(stream, { batch, clients, firstIds });
    const length = await conns[0].xlen(stream);
    if (length !== records) throw new Error(`redis ${stream}: produced ${records}, XLEN ${length}`);
    await this.closeAll(conns);
    return result;
  }

  async readBack({ stream, records, clients }) {
    const source = this.firstIds.get(stream);
    if (!source || source.batch !== READ_BATCH || source.clients !== 1) throw new Error(`redis: read back needs ${stream} produced at batch ${READ_BATCH} by 1 client`);
    const conns = await this.connections_(clients);
    const result = await closedLoop({
      clients,
      requests: Math.ceil(records / READ_BATCH),
      op: async (r, c) => {
        const entries = await conns[c].xrange(stream, source.firstIds[r], "+", "COUNT", READ_BATCH);
        const expected = Math.min(READ_BATCH, records - r * READ_BATCH);
        if (entries.length !== expected || entries[0][1][1].length !== VALUE_BYTES || parseValue(entries[0][1][1]).i !== r * READ_BATCH) {
          throw new Error(`redis ${stream}: XRANGE at batch ${r} returned ${entries.length} entries`);
        }
        return entries.length;
      },
    });
    await this.closeAll(conns);
    return result;
  }

  async group({ name, records, partitions, consumers, sendSize = 1000 }) {
    const keys = Array.from({ length: partitions }, (_, p) => `${name}:${p}`);
    const [producer, admin, ...members] = await this.connections_(2 + consumers);
    for (const key of keys) await admin.xgroup("CREATE", key, name, "0", "MKSTREAM");
    const seen = deliveries(records);
    let stop = false;
    const consume = async (redis, c) => {
      const ids = keys.map(() => ">");
      while (!stop && seen.consumed < records) {
        const reply = await redis.xreadgroup("GROUP", name, `c${c}`, "COUNT", READ_BATCH, "BLOCK", 100, "STREAMS", ...keys, ...ids);
        if (!reply) continue;
        const now = performance.now();
        const acks = redis.pipeline();
        for (const [key, entries] of reply) {
          for (const [, fields] of entries) seen.add(fields[1], now);
          if (entries.length) acks.xack(key, name, ...entries.map((e) => e[0]));
        }
        for (const [err] of await acks.exec()) if (err) throw err;
      }
    };
    const startMs = performance.now();
    const consuming = members.map(consume);
    // The producer: batches of sendSize, one XADD each to its partition's stream (round robin), one pipeline per batch.
    for (let i = 0; i < records; i += sendSize) {
      const now = performance.now();
      const pipeline = producer.pipeline();
      for (let j = i; j < Math.min(records, i + sendSize); j++) pipeline.xadd(keys[j % partitions], "*", "v", valueOf(j, now));
      for (const [err] of await pipeline.exec()) if (err) throw err;
    }
    await Promise.race([seen.done, Promise.all(consuming)]);
    // Every delivered entry's XACK has been answered once its consumer's loop turned; wait for none pending.
    for (;;) {
      const pending = await Promise.all(keys.map((k) => admin.xpending(k, name)));
      if (pending.every((p) => Number(p[0]) === 0)) break;
      await sleep(2);
    }
    const endMs = performance.now();
    stop = true;
    await Promise.all(consuming);
    await this.closeAll([producer, admin, ...members]);
    return seen.result(startMs, endMs);
  }

  async closeAll(conns) {
    await Promise.allSettled(conns.map((c) => c.quit()));
    this.connections = this.connections.filter((c) => !conns.includes(c));
  }

  async close() {
    await this.closeAll(this.connections);
  }
}

// ---------------------------------------------------------------------------------------------------------------

export class NatsSystem {
  name = "nats";

  constructor({ host, port }) {
    this.servers = `${host}:${port}`;
    this.connections = [];
  }

  async connection() {
    const nc = await natsConnect({ servers: this.servers });
    this.connections.push(nc);
    return nc;
  }

  async addStream(name, subjects) {
    const nc = await this.connection();
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name, subjects, storage: StorageType.File });
    return { nc, jsm };
  }

  async produce({ stream, records, batch, clients }) {
    const { nc, jsm } = await this.addStream(stream, [stream]);
    const ncs = await Promise.all(Array.from({ length: clients }, () => this.connection()));
    const jss = ncs.map((c) => c.jetstream());
    const result = await closedLoop({
      clients,
      requests: Math.ceil(records / batch),
      op: async (r, c) => {
        const n = Math.min(batch, records - r * batch);
        const acks = new Array(n);
        for (let j = 0; j < n; j++) acks[j] = jss[c].publish(stream, encoder.encode(valueOf(r * batch + j)));
        await Promise.all(acks);
        return n;
      },
    });
    const info = await jsm.streams.info(stream);
    if (info.state.messages !== records) throw new Error(`nats ${stream}: produced ${records}, stream holds ${info.state.messages}`);
    await this.closeAll([nc, ...ncs]);
    return result;
  }

  async readBack({ stream, records, clients }) {
    const ncs = await Promise.all(Array.from({ length: clients }, () => this.connection()));
    const batches = Math.ceil(records / READ_BATCH);
    // Client c reads a contiguous run of batches through its own ordered consumer, one fetch of READ_BATCH at a time.
    const consumers = await Promise.all(
      ncs.map((nc, c) => {
        const first = Math.floor((c * batches) / clients);
        return nc.jetstream().consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: first * READ_BATCH + 1 });
      }),
    );
    const result = await closedLoop({
      clients,
      requests: batches,
      op: async (r, c) => {
        const expected = Math.min(READ_BATCH, records - r * READ_BATCH);
        let n = 0;
        // A fetch may end early (the server's pull batches); keep pulling until this batch is complete.
        while (n < expected) {
          const messages = await consumers[c].fetch({ max_messages: expected - n, expires: 5000 });
          for await (const m of messages) {
            const value = decoder.decode(m.data);
            if (value.length !== VALUE_BYTES || (n === 0 && parseValue(value).i !== r * READ_BATCH)) throw new Error(`nats ${stream}: read ${value.slice(0, 20)} at ${r * READ_BATCH + n}`);
            n++;
          }
        }
        return n;
      },
    });
    await this.closeAll(ncs);
    return result;
  }

  async group({ name, records, partitions, consumers, sendSize = 1000 }) {
    const { nc, jsm } = await this.addStream(name, [`${name}.*`]);
    // max_ack_pending well above what three consumers pull, so the default (1,000) does not throttle them.
    await jsm.consumers.add(name, { durable_name: name, ack_policy: AckPolicy.Explicit, max_ack_pending: 100_000 });
    const producer = (await this.connection()).jetstream();
    const members = await Promise.all(Array.from({ length: consumers }, () => this.connection()));
    const seen = deliveries(records);
    const subscriptions = [];
    const consume = async (member) => {
      const consumer = await member.jetstream().consumers.get(name, name);
      const messages = await consumer.consume({ max_messages: READ_BATCH });
      subscriptions.push(messages);
      for await (const m of messages) {
        seen.add(decoder.decode(m.data), performance.now());
        m.ack();
      }
    };
    const consuming = members.map(consume);
    const startMs = performance.now();
    for (let i = 0; i < records; i += sendSize) {
      const now = performance.now();
      const acks = [];
      for (let j = i; j < Math.min(records, i + sendSize); j++) acks.push(producer.publish(`${name}.${j % partitions}`, encoder.encode(valueOf(j, now))));
      await Promise.all(acks);
    }
    await seen.done;
    await Promise.all(members.map((m) => m.flush()));
    for (;;) {
      const info = await jsm.consumers.info(name, name);
      if (info.num_ack_pending === 0 && info.num_pending === 0) break;
      await sleep(2);
    }
    const endMs = performance.now();
    for (const s of subscriptions) s.stop();
    await Promise.allSettled(consuming);
    await this.closeAll([nc, ...members]);
    return seen.result(startMs, endMs);
  }

  async closeAll(ncs) {
    await Promise.allSettled(ncs.map((c) => c.close()));
    this.connections = this.connections.filter((c) => !ncs.includes(c));
  }

  async close() {
    await this.closeAll(this.connections);
  }
}
