// One Durable Object per Durable Stream (name "ds/<stream>", src/names.ts): the stream's log, its metadata and its
// producers, written together in one synchronous step per request so a check and its write are atomic (the input gate)
// and an answer leaves only once durable (the output gate). Expiry is checked on every call (exact, as the protocol's
// TTL tests need) and an alarm reclaims the storage of a stream nobody touches again. Long-polls and SSE reads wait
// here on an in-memory waiter list that appends and closes wake. A fork reads the records below its fork offset from
// its source object (fork-rules.ts); a source counts its forks and, deleted or expired while it has some, stays
// soft-deleted (410) until the last one lets go. The stream is registered as a one-partition topic
// (src/log/stream-topic.ts): this object also answers that partition's read surface (topic-reads.ts, topic-watch.ts),
// and lets go of the topic when the stream goes for good.
import { DurableObject } from "cloudflare:workers";
import { Clock } from "../clock";
import type { Env } from "../env";
import { errorBody, ok, type Result } from "../errors";
import { DS_MAX_PRODUCERS_PER_STREAM, DS_MAX_READ_BYTES } from "../limits";
import { controllerStub, durableStreamStub } from "../names";
import type { ListedOffset, OffsetSpec, PartitionDescription, PartitionRef, ReadRequest, ReadResult } from "../protocol";
import { Watchers } from "../watchers";
import { planAppend } from "./append-rules";
import { forkMeta, sameConfig } from "./fork-rules";
import { join, recordsOf } from "./json-mode";
import { isJsonType, sameMediaType } from "./media-type";
import type { ParsedOffset } from "./offsets";
import {
  refuse,
  type AppendOutcome,
  type AppendStreamRequest,
  type CreateOutcome,
  type CreateStreamRequest,
  type DeleteOutcome,
  type ForkGrant,
  type ForkOutcome,
  type HeadOutcome,
  type RawRow,
  type ReadOutcome,
  type ReadStreamRequest,
  type StreamInfo,
  type StreamRefusal,
} from "./protocol";
import { StreamStore, type StreamMeta } from "./stream-store";
import { checkRef, describeAsTopic, listAsTopic, readAsTopic, refuseTopicWrite, type StreamTopicHost } from "./topic-reads";
import { StreamWatches } from "./stream-watches";
import { streamRows } from "./stream-rows";
import { newStreamTails, serveTopicSocket } from "./topic-watch";
import type { Tails } from "../tails";
import { TAIL_TAG } from "../tail";

const NOT_FOUND = "no such stream";
const GONE = "the stream was deleted; its forks still read it";

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
  /** Fetches of the stream's topic parked until the next append (src/watch.ts), hibernated. */
  private readonly watchers: Watchers;
  /** Subscriptions waiting for the next append (stream-watches.ts). */
  private readonly watches: StreamWatches;
  /** Clients' WebSocket tails of the stream's topic (src/tails.ts), hibernated between appends. */
  private readonly tails: Tails;
  private readonly topicHost: StreamTopicHost = { meta: () => this.store.meta(), rows: (meta, from, until, maxBytes) => this.rows(meta, from, until, maxBytes) };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new StreamStore(ctx.storage.sql);
    this.watchers = new Watchers(ctx);
    this.watches = new StreamWatches(ctx.storage.sql, env);
    this.tails = newStreamTails(ctx, this.topicHost, () => this.clock.now());
  }

  /** Whether the stream is registered under this topic id (a refused create lets its new topic go only if not). */
  holdsTopic(topicId: string): boolean {
    return this.current()?.topicId === topicId;
  }

  async create(request: CreateStreamRequest): Promise<CreateOutcome> {
    const existing = this.current();
    if (existing?.softDeleted) return refuse(409, GONE);
    if (existing !== undefined) {
      if (!sameConfig(existing, request)) return refuse(409, "the stream exists with a different configuration");
      if (request.topicId !== undefined && existing.topicId !== request.topicId) this.store.setTopicId(request.topicId);
      return { refused: false, created: false, info: infoOf(existing) };
    }
    // The body is checked before a fork takes a reference on its source, so a refused create leaks none; a fork that
    // names no content type takes its source's, known only from the grant, and checks its body then.
    const ownType = request.fork === undefined || request.contentTypeGiven;
    let records = ownType ? recordsOf(isJsonType(request.contentType), request.body) : undefined;
    if (records !== undefined && !records.ok) return refuse(400, records.message);
    let fields: Partial<StreamMeta> = {
      contentType: request.contentType,
      inheritEnd: 0,
      forkSubOffset: 0,
      ...(request.ttlSeconds === undefined ? {} : { ttlSeconds: request.ttlSeconds }),
      ...(request.expiresAt === undefined ? {} : { expiresAt: request.expiresAt.text, expiresAtMs: request.expiresAt.ms }),
    };
    let prefix: Uint8Array | undefined;
    if (request.fork !== undefined) {
      if (request.fork.source === request.self) return refuse(404, "a stream cannot fork itself");
      const source = durableStreamStub(this.env, request.fork.source);
      const granted = await source.forkAcquire({
        ...(request.fork.offset === undefined ? {} : { offset: request.fork.offset }),
        subOffset: request.fork.subOffset,
        ...(request.contentTypeGiven ? { contentType: request.contentType } : {}),
      });
      if (granted.refused) return granted;
      // The input gate opened during the call: a concurrent create may have won; let go and answer as a re-create.
      if (this.store.meta() !== undefined) {
        await source.forkRelease();
        return this.create(request);
      }
      records ??= recordsOf(isJsonType(granted.grant.contentType), request.body);
      if (!records.ok) {
        await source.forkRelease();
        return refuse(400, records.message);
      }
      fields = forkMeta(request, granted.grant);
      prefix = granted.grant.prefix;
    }
    const { count, data } = records!;
    const meta = {
      ...fields,
      generation: crypto.randomUUID(),
      closed: request.closed,
      tail: fields.inheritEnd ?? 0,
      lastAccessMs: this.clock.now(),
      refCount: 0,
      softDeleted: false,
      ...(request.topicId === undefined ? {} : { topicId: request.topicId }),
    } as StreamMeta;
    const now = this.clock.now();
    this.ctx.storage.transactionSync(() => {
      this.store.create(meta);
      if (prefix !== undefined) this.store.append(1, prefix, now);
      this.store.append(count, data, now);
    });
    this.armExpiry();
    return { refused: false, created: true, info: infoOf(this.store.meta()!) };
  }

  appendStream(request: AppendStreamRequest): AppendOutcome {
    const meta = this.current();
    if (meta === undefined) return refuse(404, NOT_FOUND);
    if (meta.softDeleted) return refuse(410, GONE);
    const producerState = request.producer === undefined ? undefined : this.store.producer(request.producer.id);
    const plan = planAppend(meta, producerState, request);
    if (plan.refused) return plan;
    if (!plan.write) {
      return { refused: false, info: infoOf(meta), status: 204, ...(plan.producer === undefined ? {} : { producer: plan.producer }) };
    }
    const now = this.clock.now();
    this.ctx.storage.transactionSync(() => {
      this.store.append(plan.count, plan.data, now);
      if (plan.close) this.store.close(plan.producer);
      if (plan.producer !== undefined) this.store.setProducer(plan.producer, now, DS_MAX_PRODUCERS_PER_STREAM, producerState === undefined);
      if (plan.streamSeq !== undefined) this.store.setStreamSeq(plan.streamSeq);
      this.store.touch(now);
    });
    this.wake();
    return {
      refused: false,
      info: infoOf(this.store.meta()!),
      status: plan.status,
      ...(plan.producer === undefined ? {} : { producer: { epoch: plan.producer.epoch, seq: plan.producer.seq } }),
    };
  }

  async readStream(request: ReadStreamRequest): Promise<ReadOutcome> {
    let meta = this.current();
    const refused = this.unreadable(meta, request.generation);
    if (refused !== undefined) return refused;
    this.touch(meta!);
    const from = request.from;
    const start = from.kind === "start" ? 0 : from.kind === "now" ? meta!.tail : Math.min(from.offset, meta!.tail);
    const deadline = Date.now() + request.waitMs;
    let timedOut = false;
    // Waits only on this stream's own appends: a fork's inherited records are all there from the start.
    while (start >= meta!.tail && !meta!.closed && request.waitMs > 0) {
      const left = deadline - Date.now();
      if (left <= 0) {
        timedOut = true;
        break;
      }
      await this.waitForChange(left);
      meta = this.current();
      const gone = this.unreadable(meta, request.generation);
      if (gone !== undefined) return gone;
    }
    const m = meta!;
    const rows = start < m.tail ? await this.rows(m, start, m.tail, DS_MAX_READ_BYTES) : [];
    const json = isJsonType(m.contentType);
    const next = rows.length === 0 ? start : rows[rows.length - 1]!.base + rows[rows.length - 1]!.count;
    return { refused: false, info: infoOf(m), start, next, data: join(rows.map((r) => r.data), json), upToDate: next >= m.tail, timedOut };
  }

  /** HEAD: never moves a sliding TTL (the suite watches expiry with it). */
  head(): HeadOutcome {
    const meta = this.current();
    if (meta === undefined) return refuse(404, NOT_FOUND);
    return meta.softDeleted ? refuse(410, GONE) : { refused: false, info: infoOf(meta) };
  }

  async remove(): Promise<DeleteOutcome> {
    const meta = this.current();
    if (meta === undefined) return refuse(404, NOT_FOUND);
    if (meta.softDeleted) return refuse(410, GONE);
    if (meta.refCount > 0) {
      this.store.softDelete();
      this.wake();
      return { refused: false };
    }
    await this.purge(meta);
    return { refused: false };
  }

  /** A fork being created takes a reference on this stream, its source (checked in one step, so a refused fork
   *  counts nothing). */
  async forkAcquire(request: { offset?: ParsedOffset; subOffset: number; contentType?: string }): Promise<ForkOutcome> {
    let meta = this.current();
    if (meta === undefined) return refuse(404, "the fork's source does not exist");
    if (meta.softDeleted) return refuse(409, "the fork's source was deleted");
    if (request.contentType !== undefined && !sameMediaType(request.contentType, meta.contentType)) {
      return refuse(409, `the fork's source has content type ${meta.contentType}`);
    }
    const offset = request.offset;
    const at = offset === undefined || offset.kind === "now" ? meta.tail : offset.kind === "start" ? 0 : offset.offset;
    if (at > meta.tail) return refuse(400, "Stream-Fork-Offset is past the source's tail");
    const grant: ForkGrant = {
      contentType: meta.contentType,
      ...(meta.ttlSeconds === undefined ? {} : { ttlSeconds: meta.ttlSeconds }),
      ...(meta.expiresAt === undefined ? {} : { expiresAt: { text: meta.expiresAt, ms: meta.expiresAtMs! } }),
      inheritEnd: at,
    };
    if (request.subOffset > 0) {
      // The sub-offset counts into the append that starts at the fork offset: bytes, or messages in JSON mode.
      const next = at < meta.tail ? (await this.rows(meta, at, meta.tail, 1))[0] : undefined;
      meta = this.current();
      if (meta === undefined) return refuse(404, "the fork's source does not exist");
      if (next === undefined) return refuse(400, "Stream-Fork-Sub-Offset is past the source's next append");
      if (isJsonType(meta.contentType)) {
        if (request.subOffset > next.count) return refuse(400, "Stream-Fork-Sub-Offset is past the source's next append");
        grant.inheritEnd = at + request.subOffset;
      } else {
        if (request.subOffset > next.data.byteLength) return refuse(400, "Stream-Fork-Sub-Offset is past the source's next append");
        grant.prefix = next.data.slice(0, request.subOffset);
      }
    }
    this.store.addRef(1);
    return { refused: false, grant };
  }

  /** A fork was deleted or expired: one reference fewer; a soft-deleted source with none left goes for good. */
  async forkRelease(): Promise<void> {
    const meta = this.store.meta();
    if (meta === undefined) return;
    if (this.store.addRef(-1) === 0 && meta.softDeleted) await this.purge(meta);
  }

  /** The records [from, until) as a fork reads them: no expiry check, no TTL touch (a fork's reads keep no source
   *  alive), whatever this stream's own state. */
  async rawRows(from: number, until: number, maxBytes: number): Promise<RawRow[]> {
    const meta = this.store.meta();
    return meta === undefined ? [] : this.rows(meta, from, until, maxBytes);
  }

  // The partition read surface of the stream's topic (topic-reads.ts); src/names.ts routes a stream topic's calls here.

  read(ref: PartitionRef, request: ReadRequest): Promise<Result<ReadResult>> {
    return readAsTopic(this.topicHost, ref, request);
  }

  listOffsets(ref: PartitionRef, spec: OffsetSpec): Promise<Result<ListedOffset>> {
    return listAsTopic(this.topicHost, ref, spec);
  }

  describe(ref: PartitionRef): Result<PartitionDescription> {
    const checked = checkRef(this.store.meta(), ref);
    return checked.ok ? ok(describeAsTopic(checked.value, this.ctx.storage.sql.databaseSize, this.watchers.size)) : checked;
  }

  /** A subscription that caught up asks to be woken past `after`. */
  watchFor(ref: PartitionRef, watcher: string, after: number): Result<{ ready: boolean; replicated: boolean }> {
    const checked = checkRef(this.store.meta(), ref);
    if (!checked.ok) return checked;
    if (checked.value.tail > after) return ok({ ready: true, replicated: false });
    this.watches.add(watcher, after);
    return ok({ ready: false, replicated: false });
  }

  // Writes through the topic API are refused: DS's own rules (closed, producers, Stream-Seq) guard every append.
  append(ref: PartitionRef): Result<never> { return refuseTopicWrite(ref); }
  deleteRecords(ref: PartitionRef): Result<never> { return refuseTopicWrite(ref); }
  writeTxnMarker(ref: PartitionRef): Result<never> { return refuseTopicWrite(ref); }

  /** A fetch of the stream's topic that will wait for the next append (src/watch.ts), or a client's WebSocket tail. */
  override async fetch(request: Request): Promise<Response> {
    return serveTopicSocket(this.topicHost, this.watchers, this.tails, request);
  }

  /** A tail's ack (watch sockets never speak). */
  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (this.ctx.getTags(ws).includes(TAIL_TAG)) this.tails.message(ws, message);
  }

  override async alarm(): Promise<void> {
    await this.watches.retry(this.store.meta()?.tail);
    const meta = this.store.meta();
    if (meta === undefined || meta.softDeleted) return;
    const expiry = StreamStore.expiryMs(meta);
    if (expiry === undefined) return;
    if (expiry > this.clock.now()) await this.ctx.storage.setAlarm(this.clock.toReal(expiry));
    else this.current();
  }

  private rows(meta: StreamMeta, from: number, until: number, maxBytes: number): Promise<RawRow[]> {
    return streamRows(this.env, this.store, meta, from, until, maxBytes);
  }

  private unreadable(meta: StreamMeta | undefined, generation: string | undefined): StreamRefusal | undefined {
    if (meta === undefined || (generation !== undefined && meta.generation !== generation)) return refuse(404, NOT_FOUND);
    return meta.softDeleted ? refuse(410, GONE) : undefined;
  }

  /**
   * The stream's metadata, or undefined when there is none. One that has expired is gone at once: forgotten, or, while
   * forks read it, soft-deleted.
   */
  private current(): StreamMeta | undefined {
    const meta = this.store.meta();
    if (meta === undefined || meta.softDeleted) return meta;
    const expiry = StreamStore.expiryMs(meta);
    if (expiry === undefined || expiry > this.clock.now()) return meta;
    if (meta.refCount > 0) {
      this.store.softDelete();
      this.wake();
      return this.store.meta();
    }
    void this.purge(meta).catch(() => {});
    return undefined;
  }

  /** Reads slide a TTL (P§5.1); an absolute Expires-At never moves. */
  private touch(meta: StreamMeta): void {
    if (meta.ttlSeconds !== undefined) this.store.touch(this.clock.now());
  }

  /** Forgets the stream (synchronously: a create right after sees nothing), then lets go of its source and of its
   *  topic (only the topic it was registered as: one made again meanwhile for a new stream stays). */
  private async purge(meta: StreamMeta): Promise<void> {
    this.store.purge();
    this.wake();
    this.watches.clear();
    this.watchers.closeAll("stream deleted");
    this.tails.closeAll(errorBody("UNKNOWN_TOPIC_OR_PARTITION", "the stream was deleted"));
    await this.ctx.storage.deleteAlarm();
    if (meta.forkedFrom !== undefined) await durableStreamStub(this.env, meta.forkedFrom).forkRelease();
    if (meta.topicId !== undefined) await controllerStub(this.env).deleteTopicById(meta.topicId);
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
    const tail = this.store.meta()?.tail;
    if (tail !== undefined) {
      this.watchers.wake(tail);
      this.tails.wake();
      this.watches.wake(tail, (work) => this.ctx.waitUntil(work), this.ctx.storage);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
