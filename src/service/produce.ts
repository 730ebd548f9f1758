// Produce: validates a batch of records, picks each record's partition the way Kafka's Java client does
// (explicit partition, else murmur2 of the key, else one sticky partition per request), appends each partition's
// share in parallel, and answers per record in request order. Nothing is appended unless the whole request is valid;
// a request none of whose partitions took its records answers with an error, so HTTP clients see a failed status.
import type { Env } from "../env";
import { clientError, errorBody, KafkaError, ok, type ErrorBody, type Result } from "../errors";
import { packTails } from "../log/batch";
import { partitionForKey, stickyPartition } from "../log/partitioner";
import { isProblem, RecordParser, type Encoding, type ParsedRecord } from "../log/record";
import { isCompacted } from "../log/topic-config";
import { MAX_PRODUCER_EPOCH, MAX_RECORDS_PER_REQUEST } from "../limits";
import { MAX_SEQUENCE, type ProducerIdentity } from "../log/producer-state";
import { ScannedProduceBody, type ScannedRecord } from "../log/scan-produce-body";
import { replicaClient } from "../names";
import type { AppendRequest, AppendResult, TopicMetadata } from "../protocol";
import { failover, isStaleMetadata, metadataAfter, metadataWithPartition, newerMetadata, partitionRef, topicMetadata } from "./metadata";
import { integerField, onlyFields, requireObject } from "./validate";
import { parseTransactionField } from "./transactions";
import { parseEncoding } from "./request-params";
import { validateRecords } from "./schema-validation";

export type Acks = 0 | 1 | -1;

export type ProduceResult = { partition: number; offset: number; timestamp: number } | { partition: number; error: ErrorBody };

export interface ProduceOutcome {
  /** 200 when acknowledged (acks=1/all), 202 when accepted and written in the background (acks=0). */
  status: 200 | 202;
  results: ProduceResult[];
}

/** Runs work after the response (acks=0). In a Worker this is ctx.waitUntil. */
export type Background = (work: Promise<unknown>) => void;

export function parseAcks(value: unknown): Acks {
  if (value === undefined || value === null) return 1;
  if (value === 0 || value === "0") return 0;
  if (value === 1 || value === "1") return 1;
  if (value === -1 || value === "-1" || value === "all") return -1;
  throw new KafkaError("INVALID_REQUIRED_ACKS", `acks must be 0, 1, -1 or "all", got ${JSON.stringify(value)}`);
}


/** What a produce answers, per record (the default) or per run of records (`?results=runs`, docs/api.md). */
export type ProduceAnswer = "records" | "runs";

/**
 * Consecutive records of the request (in request order) that went to one partition with one timestamp: record
 * `start + k` of the run has offset `baseOffset + k`. A failed partition's run carries its error instead.
 */
export type ProduceRun = { partition: number; baseOffset: number; count: number; timestamp: number } | { partition: number; count: number; error: ErrorBody };

export interface ProduceRunsOutcome {
  status: 200 | 202;
  runs: ProduceRun[];
}

/**
 * Produces `input` ({records, acks?, encoding?}) to `topic`; `pathPartition` is set for the partition-level path.
 * Throws KafkaError for anything wrong with the request as a whole (then nothing was written). Answers an error
 * result when every partition of the request failed (no record acknowledged; see failedOutcome), else the outcome.
 */
export async function produce(env: Env, topic: string, input: unknown, background: Background, pathPartition?: number): Promise<Result<ProduceOutcome>> {
  const appended = await appendRequest(env, topic, input, background, pathPartition);
  if (appended.status === 202) return ok({ status: 202, results: acceptedResults(appended.partitionOf) });
  const results = recordResults(appended);
  return failedOutcome(results, pathPartition !== undefined) ?? ok({ status: 200, results });
}

/**
 * As produce, answered per run (ProduceRun) rather than per record: the same writes, and the same error when no
 * partition took the records, without an object per record on the way out.
 */
export async function produceRuns(env: Env, topic: string, input: unknown, background: Background, pathPartition?: number): Promise<Result<ProduceRunsOutcome>> {
  const appended = await appendRequest(env, topic, input, background, pathPartition);
  if (appended.status === 202) return ok({ status: 202, runs: acceptedRuns(appended.partitionOf) });
  if (appended.outcomes.every(({ result }) => !result.ok)) {
    const failed = failedOutcome(recordResults(appended), pathPartition !== undefined);
    if (failed !== undefined) return failed;
  }
  return ok({ status: 200, runs: resultRuns(appended) });
}

interface PartitionOutcome {
  partition: number;
  group: PartitionGroup;
  result: Result<AppendResult>;
}

/** A produce's writes: accepted (acks=0, written in the background) or each partition's outcome. */
type Appended = { status: 202; partitionOf: Int32Array } | { status: 200; partitionOf: Int32Array; outcomes: PartitionOutcome[] };

/** Checks, partitions and appends a produce request; throws KafkaError when the request as a whole is refused. */
async function appendRequest(env: Env, topic: string, input: unknown, background: Background, pathPartition: number | undefined): Promise<Appended> {
  const { acks, encoding, txn, producer, records, scanned } = parseProduceRequest(input);

  let meta = pathPartition === undefined ? await topicMetadata(env, topic) : await metadataWithPartition(env, topic, pathPartition);
  let prepared: Prepared;
  try {
    prepared = await prepare(env, topic, meta, records, scanned, encoding, pathPartition);
  } catch (error) {
    // Refused by the topic's config as this isolate has it: a config changed since is looked up (at most every
    // REFUSAL_RECHECK_MS per topic), since no partition was called to say the version moved.
    const newer = error instanceof KafkaError ? await newerMetadata(env, meta) : undefined;
    if (newer === undefined) throw error;
    meta = newer;
    prepared = await prepare(env, topic, meta, records, scanned, encoding, pathPartition);
  }
  if (prepared.maxExplicit >= meta.partitionCount) {
    const wider = await metadataWithPartition(env, topic, prepared.maxExplicit);
    // Newer metadata may check records differently (max.message.bytes, schemas): check them under the one sent.
    if (!sameChecks(wider, meta)) prepared = await prepare(env, topic, wider, records, scanned, encoding, pathPartition);
    meta = wider;
  }
  const { parser, parsed } = prepared;

  // Partition choice: kept for retries, like the records of a Kafka producer batch.
  const sticky = stickyPartition(meta.partitionCount);
  const partitionOf = new Int32Array(parsed.length);
  for (let i = 0; i < parsed.length; i++) {
    const r = parsed[i]!;
    partitionOf[i] = pathPartition ?? r.partition ?? (r.key === null ? sticky : partitionForKey(parser.keyBytes(r.key), meta.partitionCount));
  }
  const groups = groupByPartition(parsed, partitionOf);
  if (producer && groups.size > 1) {
    // Sequences are per partition (Kafka's rule), so one baseSequence cannot cover records bound for several.
    throw new KafkaError("INVALID_REQUEST", `an idempotent produce must go to one partition; these records map to partitions ${[...groups.keys()].sort((a, b) => a - b).join(", ")}: use the partition-level path`, {
      partitions: [...groups.keys()],
    });
  }

  const appends = [...groups].map(async ([partition, group]) => ({ partition, group, result: await appendWithRetry(env, meta, partition, acks, encoding, group, producer, txn?.transactionalId) }));
  if (acks === 0) {
    // Nobody hears the outcome of an acks=0 write, so failures go to the log at least.
    background(
      Promise.all(appends).then((outcomes) => {
        for (const { partition, result } of outcomes) if (!result.ok) console.error(`acks=0 append to ${topic}/${partition} failed: ${result.error.type} ${result.error.message}`);
      }),
    );
    return { status: 202, partitionOf };
  }
  return { status: 200, partitionOf, outcomes: await Promise.all(appends) };
}

/** acks=0: each record's partition, offset and timestamp -1 (not known when the answer goes). */
function acceptedResults(partitionOf: Int32Array): ProduceResult[] {
  return Array.from(partitionOf, (partition) => ({ partition, offset: -1, timestamp: -1 }));
}

function acceptedRuns(partitionOf: Int32Array): ProduceRun[] {
  const runs: { partition: number; baseOffset: number; count: number; timestamp: number }[] = [];
  for (const partition of partitionOf) {
    const last = runs[runs.length - 1];
    if (last !== undefined && last.partition === partition) last.count++;
    else runs.push({ partition, baseOffset: -1, count: 1, timestamp: -1 });
  }
  return runs;
}

/** The stored timestamp of the `j`th record of a partition's share. */
function timestampOf(appended: AppendResult, group: PartitionGroup, j: number): number {
  return appended.logAppendTimeMs >= 0 ? appended.logAppendTimeMs : (appended.timestamps?.[j] ?? group.timestamps[j]!);
}

function recordResults(appended: { partitionOf: Int32Array; outcomes: PartitionOutcome[] }): ProduceResult[] {
  const results: ProduceResult[] = new Array(appended.partitionOf.length);
  for (const { partition, group, result } of appended.outcomes) {
    group.indices.forEach((index, j) => {
      results[index] = result.ok ? { partition, offset: result.value.baseOffset + j, timestamp: timestampOf(result.value, group, j) } : { partition, error: result.error };
    });
  }
  return results;
}

/**
 * Runs in request order: a record joins the run before it when it went to the same partition, with the next offset
 * and the same timestamp (or both failed with that partition's error), so each record's answer can be read back
 * from its run exactly.
 */
function resultRuns(appended: { partitionOf: Int32Array; outcomes: PartitionOutcome[] }): ProduceRun[] {
  const { partitionOf, outcomes } = appended;
  const byPartition = new Map<number, PartitionOutcome>();
  for (const outcome of outcomes) byPartition.set(outcome.partition, outcome);
  // Each partition's records are its group's in request order: the jth one seen is the group's jth.
  const seen = new Map<number, number>();
  const runs: ProduceRun[] = [];
  let last: ProduceRun | undefined;
  for (let i = 0; i < partitionOf.length; i++) {
    const partition = partitionOf[i]!;
    const { group, result } = byPartition.get(partition)!;
    const j = seen.get(partition) ?? 0;
    seen.set(partition, j + 1);
    if (!result.ok) {
      if (last !== undefined && last.partition === partition && "error" in last) last.count++;
      else runs.push((last = { partition, count: 1, error: result.error }));
      continue;
    }
    const offset = result.value.baseOffset + j;
    const timestamp = timestampOf(result.value, group, j);
    if (last !== undefined && last.partition === partition && !("error" in last) && last.baseOffset + last.count === offset && last.timestamp === timestamp) last.count++;
    else runs.push((last = { partition, baseOffset: offset, count: 1, timestamp }));
  }
  return runs;
}

/** A produce request's fields, checked; records still unread (their checks need the topic's config). */
export interface ProduceRequestFields {
  acks: Acks;
  encoding: Encoding;
  txn: ReturnType<typeof parseTransactionField> | undefined;
  producer: ProducerIdentity | undefined;
  /** ScannedRecord[] when `scanned` is set, else the records as JSON values. */
  records: unknown[];
  scanned: ScannedProduceBody | undefined;
}

/**
 * Checks a produce request ({records, acks?, encoding?, producer?, transaction?}, or a body read by scanProduceBody)
 * as a whole; throws KafkaError for the first problem.
 */
export function parseProduceRequest(input: unknown): ProduceRequestFields {
  const scanned = input instanceof ScannedProduceBody ? input : undefined;
  const body = scanned !== undefined ? scanned.fields : requireObject(input, "produce request");
  onlyFields(body, ["records", "acks", "encoding", "producer", "transaction"], "produce request");
  const acks = parseAcks(body.acks);
  const encoding = parseEncoding(body.encoding);
  const txn = body.transaction === undefined || body.transaction === null ? undefined : parseTransactionField(body.transaction);
  if (txn !== undefined && body.producer !== undefined && body.producer !== null) {
    throw new KafkaError("INVALID_REQUEST", "a produce request has either producer (idempotent) or transaction (transactional) fields, not both", { field: "transaction" });
  }
  if (txn !== undefined && acks === 0) throw new KafkaError("INVALID_REQUEST", "a transactional produce needs acks 1 or all: its outcome decides the transaction", { field: "acks" });
  const producer = txn !== undefined ? { producerId: txn.producerId, producerEpoch: txn.producerEpoch, baseSequence: txn.baseSequence } : body.producer === undefined || body.producer === null ? undefined : parseProducer(body.producer);
  const records = body.records;
  if (!Array.isArray(records)) throw new KafkaError("INVALID_REQUEST", "produce request needs a records array");
  if (records.length === 0) throw new KafkaError("INVALID_REQUEST", "records must not be empty");
  if (records.length > MAX_RECORDS_PER_REQUEST) {
    throw new KafkaError("RECORD_LIST_TOO_LARGE", `${records.length} records in one request, the maximum is ${MAX_RECORDS_PER_REQUEST}`, {
      records: records.length,
      maxRecords: MAX_RECORDS_PER_REQUEST,
    });
  }
  return { acks, encoding, txn, producer, records, scanned };
}

/**
 * The request's error when no partition took its records: the first failure (in request order), with its own status,
 * so an HTTP client sees a failed request rather than a 200 to look inside. On the topic path `details.results` keeps
 * the per-record results; on the partition path there is one partition, and its error is the whole story. A request
 * where some partition succeeded answers its per-record results: those records are written, and a retry of the
 * whole request would write them twice.
 */
function failedOutcome(results: readonly ProduceResult[], partitionPath: boolean): Result<never> | undefined {
  // On the hot path: a success usually comes first, so this stops at once.
  for (const r of results) if (!("error" in r)) return undefined;
  const first = (results[0] as { error: ErrorBody }).error;
  if (partitionPath) return { ok: false, error: first };
  return { ok: false, error: { ...first, details: { ...first.details, results } } };
}

/** {producerId, producerEpoch, baseSequence}: from POST /v1/producers, and the batch's first sequence number. */
export function parseProducer(input: unknown): ProducerIdentity {
  const body = requireObject(input, "producer");
  onlyFields(body, ["producerId", "producerEpoch", "baseSequence"], "producer");
  return {
    producerId: integerField(body.producerId, "producer.producerId", 0, Number.MAX_SAFE_INTEGER),
    producerEpoch: integerField(body.producerEpoch, "producer.producerEpoch", 0, MAX_PRODUCER_EPOCH),
    baseSequence: integerField(body.baseSequence, "producer.baseSequence", 0, MAX_SEQUENCE),
  };
}

interface PartitionGroup {
  indices: number[];
  timestamps: number[];
  tails: string[];
  hasNullKey: boolean;
}

function groupByPartition(parsed: ParsedRecord[], partitionOf: Int32Array): Map<number, PartitionGroup> {
  const groups = new Map<number, PartitionGroup>();
  for (let i = 0; i < parsed.length; i++) {
    const p = partitionOf[i]!;
    let group = groups.get(p);
    if (!group) groups.set(p, (group = { indices: [], timestamps: [], tails: [], hasNullKey: false }));
    const r = parsed[i]!;
    group.indices.push(i);
    group.timestamps.push(r.timestamp);
    group.tails.push(r.tail);
    if (r.key === null) group.hasNullKey = true;
  }
  return groups;
}

/**
 * Appends one partition's records to its leader; on stale metadata (or a leader that changed before appending)
 * refreshes it and retries once, to the same partition. A leader that does not answer is reported to the controller,
 * which elects another: the answer is then a retriable error (the records may or may not have been written), and the
 * producer's retry reaches the new leader.
 */
async function appendWithRetry(
  env: Env,
  meta: TopicMetadata,
  partition: number,
  acks: Acks,
  encoding: Encoding,
  group: PartitionGroup,
  producer?: ProducerIdentity,
  transactionalId?: string,
): Promise<Result<AppendResult>> {
  const request: AppendRequest = {
    acks,
    encoding,
    timestamps: Float64Array.from(group.timestamps),
    tails: packTails(group.tails),
    hasNullKey: group.hasNullKey,
    ...(producer ? { producer } : {}),
    ...(transactionalId !== undefined ? { transactionalId } : {}),
  };
  try {
    const ref = partitionRef(meta, partition);
    let result = await replicaClient(env, ref).append(ref, request);
    if (!result.ok && isStaleMetadata(result.error)) {
      // A recreated topic has a new id: like Kafka's producer, send to the topic by name, same partition.
      const fresh = await metadataAfter(env, result.error, meta);
      // The records were checked against the old config (max.message.bytes, schema validation): if those changed they
      // must be checked again, so the producer retries the request (retriable, and the cache is fresh now).
      // (The partition's own answer may be a topic id it no longer knows, a recreated topic: not retriable as such.)
      if (partition >= fresh.partitionCount) return { ok: false, error: clientError(result.error) };
      if (!sameChecks(fresh, meta)) {
        return { ok: false, error: errorBody("STALE_METADATA", `topic '${meta.name}' changed what its records are checked against: retry, and they are checked again`, { topic: meta.name, partition }) };
      }
      const freshRef = partitionRef(fresh, partition);
      result = await replicaClient(env, freshRef).append(freshRef, request);
    }
    return result.ok ? result : { ok: false, error: clientError(result.error) };
  } catch (error) {
    if (error instanceof KafkaError) return { ok: false, error: error.body };
    // The object may or may not have written before failing: retriable, and possibly a duplicate on retry.
    console.error(`append to ${meta.name}/${partition} failed: ${String(error)}`);
    const next = await failover(env, meta, partition);
    const elected = next !== undefined && partitionRef(next, partition).replica !== partitionRef(meta, partition).replica;
    return {
      ok: false,
      error: errorBody(
        "KAFKA_STORAGE_ERROR",
        `partition ${partition}'s leader did not answer${elected ? `; replica ${partitionRef(next, partition).replica} leads now` : ""}: retry (the records may or may not have been written)`,
        { partition, ambiguous: true },
      ),
    };
  }
}

/** Whether two metadata agree on everything the router checks records against before they reach the partition: the
 *  config's checks, and for a validating topic the registry generation its schemas must be read at. */
function sameChecks(a: TopicMetadata, b: TopicMetadata): boolean {
  const checked = (k: string) => k === "max.message.bytes" || /^(key|value)\.(schema\.|subject\.)/.test(k);
  const keys = new Set([...Object.keys(a.config), ...Object.keys(b.config)].filter(checked));
  for (const k of keys) if (a.config[k] !== b.config[k]) return false;
  const validates = (k: string) => (a.config[k] ?? "none") !== "none";
  return (!validates("key.schema.validation") && !validates("value.schema.validation")) || (a.schemaGeneration ?? 0) === (b.schemaGeneration ?? 0);
}

interface Prepared {
  parser: RecordParser;
  parsed: ParsedRecord[];
  maxExplicit: number;
}

/** Parses and validates the records against the topic's config (size, compaction, schemas): throws the refusal. */
async function prepare(env: Env, topic: string, meta: TopicMetadata, records: unknown[], scanned: ScannedProduceBody | undefined, encoding: Encoding, pathPartition: number | undefined): Promise<Prepared> {
  const parser = new RecordParser(encoding, Number(meta.config["max.message.bytes"]), Date.now());
  const { parsed, maxExplicit } = parseRecords(parser, records, scanned, isCompacted(meta.config), pathPartition);
  // Schema validation (docs/schemas.md): before any partition is called, so a failing record writes nothing.
  if ((meta.config["value.schema.validation"] ?? "none") !== "none" || (meta.config["key.schema.validation"] ?? "none") !== "none") {
    await validateRecords(env, topic, meta.config, meta.schemaGeneration ?? 0, scanned !== undefined ? scanned.plainRecords() : records, encoding);
  }
  return { parser, parsed, maxExplicit };
}

/** Each record read and checked (RecordParser, compaction's key rule, the path's partition); throws the first refusal. */
export function parseRecords(parser: RecordParser, records: unknown[], scanned: ScannedProduceBody | undefined, compacted: boolean, pathPartition: number | undefined): { parsed: ParsedRecord[]; maxExplicit: number } {
  const parsed: ParsedRecord[] = new Array(records.length);
  let maxExplicit = -1;
  for (let i = 0; i < records.length; i++) {
    const record = scanned !== undefined ? parser.parseScanned(records[i] as ScannedRecord, scanned.text, i) : parser.parse(records[i], i);
    if (isProblem(record)) throw new KafkaError(record.type, record.message, record.details);
    if (record.key === null && compacted) {
      throw new KafkaError("INVALID_RECORD", `Compacted topic cannot accept message without key (records[${i}])`, { index: i });
    }
    if (pathPartition !== undefined && record.partition !== undefined && record.partition !== pathPartition) {
      throw new KafkaError("INVALID_REQUEST", `records[${i}].partition is ${record.partition} but the path names partition ${pathPartition}`, { index: i });
    }
    if (record.partition !== undefined && record.partition > maxExplicit) maxExplicit = record.partition;
    parsed[i] = record;
  }
  return { parsed, maxExplicit };
}
