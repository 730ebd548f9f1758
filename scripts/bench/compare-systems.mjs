// The three systems of `npm run bench:compare` behind one interface, so every workload runs the same way on each:
//   produce({ stream, records, batch, clients })  records of VALUE_BYTES in batches, closed loop per client
//   readBack({ stream, records, clients })        what produce wrote, back in batches of READ_BATCH; every record's
//                                                  position and value read and checked by readRecord, on every path
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

/**
 * The read back's work per record, the same on every path (edgelog JSON and binary, Redis, NATS): the record's position
 * (offset, stream sequence or entry id) and its value are both read, the position must be in order (`positionOk`, the
 * caller's comparison) and the value must be record `i`'s. Without it a path whose client builds fields lazily (the
 * binary frame's records, a NATS message's sequence) would skip work the others do. Returns what it adds to the
 * batch's checksum (the value's length), which checkBatch checks, so no read is left unused.
 */
function readRecord(system, stream, i, position, positionOk, value) {
  if (!positionOk || value.length !== VALUE_BYTES || Number(value.slice(0, value.indexOf(" "))) !== i) {
    throw new Error(`${system} ${stream}: record ${i} at position ${position}${positionOk ? "" : " (out of order)"} holds '${String(value).slice(0, 20)}'`);
  }
  return value.length;
}

/** Checks a batch read back: `count` records whose values summed to `checksum` bytes (each readRecord's return). */
function checkBatch(system, stream, at, count, expected, checksum) {
  if (count !== expected || checksum !== expected * VALUE_BYTES) throw new Error(`${system} ${stream}: read at ${at} returned ${count} records of ${expected}, ${checksum} value bytes`);
  return count;
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
        const first = r * READ_BATCH;
        const expected = Math.min(READ_BATCH, records - first);
        const query = { offset: first, maxRecords: READ_BATCH };
        // Binary: each record's offset and value are built when read (FrameRecord), here; JSON: by JSON.parse, and read here.
        const got =
          this.readFormat === "binary"
            ? this.decodeRecordFrame(await http.fetchRecordsFrame(stream, 0, query)).records
            : JSON.parse(await http.fetchRecordsText(stream, 0, query)).records;
        let checksum = 0;
        for (let k = 0; k < got.length; k++) {
          const offset = got[k].offset;
          checksum += readRecord(this.name, stream, first + k, offset, offset === first + k, got[k].value);
        }
        return checkBatch(this.name, stream, first, got.length, expected, checksum);
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
        const first = r * READ_BATCH;
        const entries = await conns[c].xrange(stream, source.firstIds[r], "+", "COUNT", READ_BATCH);
        const expected = Math.min(READ_BATCH, records - first);
        // An entry's position is its id ("<ms>-<seq>", a string): each must differ from the one before (the first is
        // the id asked for), as each offset must follow the one before on the other paths.
        let checksum = 0;
        let previousId = "";
        for (let k = 0; k < entries.length; k++) {
          const [id, fields] = entries[k];
          checksum += readRecord("redis", stream, first + k, id, id !== previousId && (k > 0 || id === source.firstIds[r]), fields[1]);
          previousId = id;
        }
        return checkBatch("redis", stream, first, entries.length, expected, checksum);
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
        const first = r * READ_BATCH;
        const expected = Math.min(READ_BATCH, records - first);
        let n = 0;
        let checksum = 0;
        // A fetch may end early (the server's pull batches); keep pulling until this batch is complete.
        while (n < expected) {
          const messages = await consumers[c].fetch({ max_messages: expected - n, expires: 5000 });
          for await (const m of messages) {
            // A message's position is its stream sequence (from 1), as a record's is its offset (from 0).
            const seq = m.seq;
            checksum += readRecord("nats", stream, first + n, seq, seq === first + n + 1, decoder.decode(m.data));
            n++;
          }
        }
        return checkBatch("nats", stream, first, n, expected, checksum);
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
