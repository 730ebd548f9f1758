// One Durable Object per Durable Stream (name "ds/<stream>", src/names.ts): the stream's log, its metadata and its
// producers, written together in one synchronous step per request so a check and its write are atomic (the input gate)
// and an answer leaves only once durable (the output gate). Expiry is checked on every call (exact, as the protocol's
// TTL tests need) and an alarm reclaims the storage of a stream nobody touches again. Long-polls and SSE reads wait
// here on an in-memory waiter list that appends and closes wake.
import { DurableObject } from "cloudflare:workers";
import { Clock } from "../clock";
import type { Env } from "../env";
import { DS_MAX_PRODUCERS_PER_STREAM, DS_MAX_READ_BYTES } from "../limits";
import { planAppend } from "./append-rules";
import { flattenJson, jsonRowFrom } from "./json-mode";
import { isJsonType, sameMediaType } from "./media-type";
import {
  refuse,
  type AppendOutcome,
  type AppendStreamRequest,
  type CreateOutcome,
  type CreateStreamRequest,
  type DeleteOutcome,
  type HeadOutcome,
  type ReadOutcome,
  type ReadStreamRequest,
  type StreamInfo,
} from "./protocol";
import { StreamStore, type StreamMeta } from "./stream-store";

const NOT_FOUND = "no such stream";

function infoOf(meta: StreamMeta): StreamInfo {
  return {
    generation: meta.generation,
    contentType: meta.contentType,
    ...(meta.ttlSeconds === undefined ? {} : { ttlSeconds: meta.ttlSeconds }),
    ...(meta.expiresAt === undefined ? {} : { expiresAt: meta.expiresAt }),
    closed: meta.closed,
    tail: meta.tail,
  };
}

export class DurableStream extends DurableObject<Env> {
  private readonly store: StreamStore;
  /** Tests move it forward instead of sleeping (TTL expiry). */
  readonly clock = new Clock();
  private waiters: (() => void)[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new StreamStore(ctx.storage.sql);
  }

  create(request: CreateStreamRequest): CreateOutcome {
    const existing = this.live();
    if (existing !== undefined) {
      const same =
        sameMediaType(existing.contentType, request.contentType) &&
        existing.ttlSeconds === request.ttlSeconds &&
        existing.expiresAtMs === request.expiresAt?.ms &&
        existing.closed === request.closed;
      return same ? { refused: false, created: false, info: infoOf(existing) } : refuse(409, "the stream exists with a different configuration");
    }
    let count = request.body.byteLength > 0 ? 1 : 0;
    let data = request.body;
    if (count > 0 && isJsonType(request.contentType)) {
      const flat = flattenJson(request.body);
      if (!flat.ok) return refuse(400, flat.message);
      count = flat.messages.length;
      data = new TextEncoder().encode(flat.messages.join(","));
    }
    const now = this.clock.now();
    const meta: StreamMeta = {
      generation: crypto.randomUUID(),
      contentType: request.contentType,
      ...(request.ttlSeconds === undefined ? {} : { ttlSeconds: request.ttlSeconds }),
      ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt.text, expiresAtMs: request.expiresAt.ms }),
      closed: request.closed,
      tail: 0,
      lastAccessMs: now,
    };
    this.ctx.storage.transactionSync(() => {
      this.store.create(meta);
      this.store.append(count, data);
    });
    this.armExpiry();
    return { refused: false, created: true, info: infoOf(this.store.meta()!) };
  }

  append(request: AppendStreamRequest): AppendOutcome {
    const meta = this.live();
    if (meta === undefined) return refuse(404, NOT_FOUND);
    const producerState = request.producer === undefined ? undefined : this.store.producer(request.producer.id);
    const plan = planAppend(meta, producerState, request);
    if (plan.refused) return plan;
    if (!plan.write) {
      return { refused: false, info: infoOf(meta), status: 204, ...(plan.producer === undefined ? {} : { producer: plan.producer }) };
    }
    const now = this.clock.now();
    this.ctx.storage.transactionSync(() => {
      this.store.append(plan.count, plan.data);
      if (plan.close) this.store.close(plan.producer);
      if (plan.producer !== undefined) this.store.setProducer(plan.producer, now, DS_MAX_PRODUCERS_PER_STREAM);
      if (plan.streamSeq !== undefined) this.store.setStreamSeq(plan.streamSeq);
      this.store.touch(now);
    });
    this.wake();
    const after = this.store.meta()!;
    return {
      refused: false,
      info: infoOf(after),
      status: plan.status,
      ...(plan.producer === undefined ? {} : { producer: { epoch: plan.producer.epoch, seq: plan.producer.seq } }),
    };
  }

  async read(request: ReadStreamRequest): Promise<ReadOutcome> {
    let meta = this.live();
    if (meta === undefined || (request.generation !== undefined && meta.generation !== request.generation)) return refuse(404, NOT_FOUND);
    this.touch(meta);
    const from = request.from;
    const start = from.kind === "start" ? 0 : from.kind === "now" ? meta.tail : Math.min(from.offset, meta.tail);
    const deadline = Date.now() + request.waitMs;
    let timedOut = false;
    while (start >= meta.tail && !meta.closed && request.waitMs > 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        timedOut = true;
        break;
      }
      await this.waitForChange(left);
      meta = this.live();
      if (meta === undefined || (request.generation !== undefined && meta.generation !== request.generation)) return refuse(404, NOT_FOUND);
    }
    const batches = start < meta.tail ? this.store.batchesFrom(start, DS_MAX_READ_BYTES) : [];
    const json = isJsonType(meta.contentType);
    const parts: Uint8Array[] = [];
    let next = start;
    for (const batch of batches) {
      const skip = start - batch.base;
      if (json) {
        const text = new TextDecoder().decode(batch.data);
        parts.push(new TextEncoder().encode(skip > 0 ? jsonRowFrom(text, skip) : text));
      } else {
        parts.push(batch.data);
      }
      next = batch.base + batch.count;
    }
    return { refused: false, info: infoOf(meta), start, next, data: join(parts, json), upToDate: next >= meta.tail, timedOut };
  }

  /** HEAD: never moves a sliding TTL (the suite watches expiry with it). */
  head(): HeadOutcome {
    const meta = this.live();
    return meta === undefined ? refuse(404, NOT_FOUND) : { refused: false, info: infoOf(meta) };
  }

  remove(): DeleteOutcome {
    if (this.live() === undefined) return refuse(404, NOT_FOUND);
    this.purge();
    return { refused: false };
  }

  override async alarm(): Promise<void> {
    const meta = this.store.meta();
    if (meta === undefined) return;
    const expiry = StreamStore.expiryMs(meta);
    if (expiry === undefined) return;
    if (expiry <= this.clock.now()) this.purge();
    else await this.ctx.storage.setAlarm(this.clock.toReal(expiry));
  }

  /** The stream's metadata, or undefined when there is none or it has expired (then it is forgotten at once). */
  private live(): StreamMeta | undefined {
    const meta = this.store.meta();
    if (meta === undefined) return undefined;
    const expiry = StreamStore.expiryMs(meta);
    if (expiry !== undefined && expiry <= this.clock.now()) {
      this.purge();
      return undefined;
    }
    return meta;
  }

  /** Reads slide a TTL (P§5.1); an absolute Expires-At never moves. */
  private touch(meta: StreamMeta): void {
    if (meta.ttlSeconds !== undefined) this.store.touch(this.clock.now());
  }

  private purge(): void {
    this.store.purge();
    void this.ctx.storage.deleteAlarm();
    this.wake();
  }

  /** The alarm reclaims an expired stream's storage; a sliding TTL re-arms it from alarm() as long as it keeps moving. */
  private armExpiry(): void {
    const meta = this.store.meta();
    const expiry = meta === undefined ? undefined : StreamStore.expiryMs(meta);
    if (expiry !== undefined) void this.ctx.storage.setAlarm(this.clock.toReal(expiry));
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}

function join(parts: Uint8Array[], json: boolean): Uint8Array {
  const comma = json ? 1 : 0;
  const total = parts.reduce((n, p) => n + p.byteLength, 0) + Math.max(0, parts.length - 1) * comma;
  const out = new Uint8Array(total);
  let at = 0;
  parts.forEach((part, i) => {
    if (json && i > 0) out[at++] = 0x2c;
    out.set(part, at);
    at += part.byteLength;
  });
  return out;
}
