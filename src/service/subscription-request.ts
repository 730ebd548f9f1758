// Reading subscription requests: the create body (every field checked, defaults filled in, the target's binding, URL
// or bucket checked against what this deployment has) and the alter body (the fields that may change). Each bad value
// answers INVALID_REQUEST (or its own error type) naming the field.
import type { Env } from "../env";
import { KafkaError } from "../errors";
import { isPlainObject } from "../log/plain-object";
import { topicNameError } from "../log/topic-name";
import {
  DEFAULT_ARCHIVE_MAX_OBJECT_AGE_MS,
  DEFAULT_ARCHIVE_MAX_OBJECT_BYTES,
  DEFAULT_SUBSCRIPTION_BATCH_BYTES,
  DEFAULT_SUBSCRIPTION_BATCH_SIZE,
  DEFAULT_SUBSCRIPTION_BATCH_WAIT_MS,
  DEFAULT_SUBSCRIPTION_MAX_RETRIES,
  DEFAULT_SUBSCRIPTION_RETRY_DELAY_MS,
  DEFAULT_SERVICE_TIMEOUT_MS,
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  MAX_ARCHIVE_MAX_OBJECT_AGE_MS,
  MAX_ARCHIVE_MAX_OBJECT_BYTES,
  MAX_SUBSCRIPTION_BATCH_BYTES,
  MAX_SUBSCRIPTION_BATCH_SIZE,
  MAX_SUBSCRIPTION_BATCH_WAIT_MS,
  DEFAULT_SUBSCRIPTION_MAX_CONCURRENCY,
  MAX_SUBSCRIPTION_IN_FLIGHT,
  MAX_SUBSCRIPTION_MAX_CONCURRENCY,
  MAX_SUBSCRIPTION_MAX_RETRIES,
  MAX_SUBSCRIPTION_RETRY_DELAY_MS,
  MAX_SUBSCRIPTION_TOPICS,
  MAX_SERVICE_TIMEOUT_MS,
  MAX_WEBHOOK_TIMEOUT_MS,
  MAX_TIMESTAMP_MS,
} from "../limits";
import type { StartAt, SubscriptionConfig, SubscriptionTarget } from "../subscription-protocol";
import { archiveBuckets, checkArchiveBinding, checkArchivePrefix, DEFAULT_ARCHIVE_BINDING } from "../subscription/targets/archive-target";
import { checkServiceBinding, checkServiceMethod, DEFAULT_SERVICE_METHOD, serviceBindings } from "../subscription/targets/service-target";
import { checkWebhookUrl } from "../subscription/targets/webhook-target";
import { checkWebhookSecret, generateWebhookSecret } from "../subscription/targets/webhook-signature";
import { parseEncoding, parseIsolation } from "./request-params";
import { checkGroupId } from "./groups";
import { integerField, requireObject } from "./validate";

const CREATE_FIELDS = ["name", "topics", "target", "startAt", "maxBatchSize", "maxBatchBytes", "maxBatchWaitMs", "maxRetries", "retryDelayMs", "deadLetterTopic", "maxInFlightPerPartition", "encoding", "isolation", "mode", "shareGroup", "maxConcurrency"];
const ALTER_FIELDS = ["target", "maxBatchSize", "maxBatchBytes", "maxBatchWaitMs", "maxRetries", "retryDelayMs", "deadLetterTopic", "maxInFlightPerPartition", "maxConcurrency"];
/** Settings of ordered delivery that a shared subscription's share group decides instead (where it starts, its
 *  isolation, its delivery count limit and dead-letter topic), or that leases make meaningless (batches per partition,
 *  a partial batch's wait: a lease is handed out as it is acquired). */
const ORDERED_ONLY = ["maxInFlightPerPartition", "maxRetries", "deadLetterTopic", "startAt", "isolation", "maxBatchWaitMs", "maxBatchBytes"];

/** A create body as a full config; `secret` is the webhook secret to show once (given or generated). */
export function parseSubscription(env: Env, input: unknown): { config: SubscriptionConfig; secret?: string } {
  const body = requireObject(input, "subscription", CREATE_FIELDS);
  const name = checkGroupId(body.name);
  if (!Array.isArray(body.topics) || body.topics.length === 0) throw invalid("topics must be a non-empty array of topic names", "topics");
  if (body.topics.length > MAX_SUBSCRIPTION_TOPICS) throw invalid(`topics has ${body.topics.length} topics, the most is ${MAX_SUBSCRIPTION_TOPICS}`, "topics", { max: MAX_SUBSCRIPTION_TOPICS });
  for (const t of body.topics) {
    const error = topicNameError(t);
    if (error !== undefined) throw new KafkaError("INVALID_TOPIC_EXCEPTION", `topics: ${error}`, { field: "topics" });
  }
  const topics = [...new Set(body.topics as string[])];
  const { target, secret } = parseTarget(env, body.target);
  const shared = parseMode(body) === "shared";
  if (shared && target.type === "r2") throw invalid('an R2 archive names its objects by offset range, in order: mode "shared" delivers to a service or a webhook', "target");
  const archive = target.type === "r2";
  const config = settle(
    {
      name,
      topics,
      target,
      startAt: parseStartAt(body.startAt),
      // An archive's objects are its batches: as large and as old as its object bounds allow.
      maxBatchSize: integerField(body.maxBatchSize, "maxBatchSize", 1, MAX_SUBSCRIPTION_BATCH_SIZE, archive ? MAX_SUBSCRIPTION_BATCH_SIZE : DEFAULT_SUBSCRIPTION_BATCH_SIZE),
      maxBatchBytes: integerField(body.maxBatchBytes, "maxBatchBytes", 1, MAX_SUBSCRIPTION_BATCH_BYTES, DEFAULT_SUBSCRIPTION_BATCH_BYTES),
      maxBatchWaitMs: integerField(body.maxBatchWaitMs, "maxBatchWaitMs", 0, MAX_SUBSCRIPTION_BATCH_WAIT_MS, DEFAULT_SUBSCRIPTION_BATCH_WAIT_MS),
      maxRetries: integerField(body.maxRetries, "maxRetries", 0, MAX_SUBSCRIPTION_MAX_RETRIES, DEFAULT_SUBSCRIPTION_MAX_RETRIES),
      retryDelayMs: integerField(body.retryDelayMs, "retryDelayMs", 0, MAX_SUBSCRIPTION_RETRY_DELAY_MS, DEFAULT_SUBSCRIPTION_RETRY_DELAY_MS),
      deadLetterTopic: parseDeadLetterTopic(body.deadLetterTopic, topics),
      maxInFlightPerPartition: integerField(body.maxInFlightPerPartition, "maxInFlightPerPartition", 1, MAX_SUBSCRIPTION_IN_FLIGHT, 1),
      encoding: parseEncoding(body.encoding),
      isolation: parseIsolation(body.isolation),
      ...(shared
        ? {
            mode: "shared" as const,
            shareGroup: parseShareGroupName(body.shareGroup, name),
            maxConcurrency: integerField(body.maxConcurrency, "maxConcurrency", 1, MAX_SUBSCRIPTION_MAX_CONCURRENCY, DEFAULT_SUBSCRIPTION_MAX_CONCURRENCY),
          }
        : {}),
    },
    body,
  );
  return secret === undefined ? { config } : { config, secret };
}

/**
 * An alter body applied to the current config. A webhook target keeps its secret unless the body gives one (a secret
 * is shown only when a subscription is created), and a target that becomes a webhook must give one.
 */
export function parseSubscriptionChange(env: Env, current: SubscriptionConfig, input: unknown): SubscriptionConfig {
  const body = requireObject(input, "subscription change", ALTER_FIELDS);
  let next: SubscriptionConfig = { ...current };
  if (body.target !== undefined) {
    const given = isPlainObject(body.target) && body.target.secret !== undefined;
    const currentSecret = current.target.type === "webhook" ? current.target.secret : undefined;
    if (isPlainObject(body.target) && body.target.type === "webhook" && !given && currentSecret === undefined) {
      throw invalid("a target that becomes a webhook needs target.secret (whsec_...): secrets are shown only when a subscription is created", "target.secret");
    }
    const parsed = parseTarget(env, body.target);
    if ((parsed.target.type === "r2") !== (current.target.type === "r2")) {
      throw invalid("target cannot change between an R2 archive and a delivery target: create another subscription", "target");
    }
    next.target = parsed.target.type === "webhook" && !given && currentSecret !== undefined ? { ...parsed.target, secret: currentSecret } : parsed.target;
  }
  if (body.maxBatchSize !== undefined) next.maxBatchSize = integerField(body.maxBatchSize, "maxBatchSize", 1, MAX_SUBSCRIPTION_BATCH_SIZE);
  if (body.maxBatchBytes !== undefined) next.maxBatchBytes = integerField(body.maxBatchBytes, "maxBatchBytes", 1, MAX_SUBSCRIPTION_BATCH_BYTES);
  if (body.maxBatchWaitMs !== undefined) next.maxBatchWaitMs = integerField(body.maxBatchWaitMs, "maxBatchWaitMs", 0, MAX_SUBSCRIPTION_BATCH_WAIT_MS);
  if (body.maxRetries !== undefined) next.maxRetries = integerField(body.maxRetries, "maxRetries", 0, MAX_SUBSCRIPTION_MAX_RETRIES);
  if (body.retryDelayMs !== undefined) next.retryDelayMs = integerField(body.retryDelayMs, "retryDelayMs", 0, MAX_SUBSCRIPTION_RETRY_DELAY_MS);
  if (body.deadLetterTopic !== undefined) next.deadLetterTopic = parseDeadLetterTopic(body.deadLetterTopic, current.topics);
  if (body.maxInFlightPerPartition !== undefined) next.maxInFlightPerPartition = integerField(body.maxInFlightPerPartition, "maxInFlightPerPartition", 1, MAX_SUBSCRIPTION_IN_FLIGHT);
  if (body.maxConcurrency !== undefined) next.maxConcurrency = integerField(body.maxConcurrency, "maxConcurrency", 1, MAX_SUBSCRIPTION_MAX_CONCURRENCY);
  return settle(next, body);
}

/** Rules between fields: an archive writes one object per batch, so its batches are its objects (sized and aged by
 *  the object bounds) and one at a time (the same offset range must give the same object name on a retry). */
function settle(config: SubscriptionConfig, body: Record<string, unknown>): SubscriptionConfig {
  if (config.mode === "shared") {
    const given = ORDERED_ONLY.find((f) => body[f] !== undefined);
    if (given !== undefined) throw invalid(`${given} is a setting of mode "ordered": a shared subscription's share group '${config.shareGroup}' decides where it starts, retries and dead-letters (${ORDERED_ONLY.join(", ")} do not apply)`, given);
    if (config.target.type === "r2") throw invalid('an R2 archive names its objects by offset range, in order: mode "shared" delivers to a service or a webhook', "target");
    return config;
  }
  if (body.maxConcurrency !== undefined || body.shareGroup !== undefined) {
    const field = body.shareGroup !== undefined ? "shareGroup" : "maxConcurrency";
    throw invalid(`${field} is a setting of mode "shared" (set "mode": "shared"); an ordered subscription delivers maxInFlightPerPartition batches per partition`, field);
  }
  if (config.target.type !== "r2") return config;
  if (body.maxInFlightPerPartition !== undefined && config.maxInFlightPerPartition !== 1) {
    throw invalid("an R2 archive delivers one object at a time per partition: maxInFlightPerPartition must be 1", "maxInFlightPerPartition");
  }
  return { ...config, maxInFlightPerPartition: 1, maxBatchBytes: config.target.maxObjectBytes, maxBatchWaitMs: config.target.maxObjectAgeMs };
}

function parseTarget(env: Env, input: unknown): { target: SubscriptionTarget; secret?: string } {
  if (!isPlainObject(input)) throw invalid('target must be {"type": "service" | "webhook" | "r2", ...}', "target");
  if (input.type === "service") {
    const body = requireObject(input, "target", ["type", "binding", "method", "timeoutMs"]);
    const bindingError = checkServiceBinding(body.binding, env);
    if (bindingError !== undefined) throw invalid(`target.binding: ${bindingError}`, "target.binding", { bound: serviceBindings(env) });
    const method = body.method ?? DEFAULT_SERVICE_METHOD;
    const methodError = checkServiceMethod(method);
    if (methodError !== undefined) throw invalid(`target.method: ${methodError}`, "target.method");
    return {
      target: { type: "service", binding: body.binding as string, method: method as string, timeoutMs: integerField(body.timeoutMs, "target.timeoutMs", 1, MAX_SERVICE_TIMEOUT_MS, DEFAULT_SERVICE_TIMEOUT_MS) },
    };
  }
  if (input.type === "webhook") {
    const body = requireObject(input, "target", ["type", "url", "secret", "timeoutMs"]);
    if (typeof body.url !== "string") throw invalid("target.url must be a URL", "target.url");
    const urlError = checkWebhookUrl(body.url, env.EDGELOG_ENV);
    if (urlError !== undefined) throw invalid(`target.url: ${urlError}`, "target.url");
    const secretError = body.secret === undefined ? undefined : checkWebhookSecret(body.secret);
    if (secretError !== undefined) throw invalid(`target.secret: ${secretError}`, "target.secret");
    const secret = (body.secret as string | undefined) ?? generateWebhookSecret();
    return { target: { type: "webhook", url: body.url, secret, timeoutMs: integerField(body.timeoutMs, "target.timeoutMs", 1, MAX_WEBHOOK_TIMEOUT_MS, DEFAULT_WEBHOOK_TIMEOUT_MS) }, secret };
  }
  if (input.type === "r2") {
    const body = requireObject(input, "target", ["type", "binding", "prefix", "format", "maxObjectBytes", "maxObjectAgeMs"]);
    const binding = body.binding ?? DEFAULT_ARCHIVE_BINDING;
    const bindingError = checkArchiveBinding(binding, env);
    if (bindingError !== undefined) throw invalid(`target.binding: ${bindingError}`, "target.binding", { buckets: archiveBuckets(env) });
    if (typeof body.prefix !== "string") throw invalid("target.prefix must be a string (\"\" for none)", "target.prefix");
    const prefixError = checkArchivePrefix(body.prefix);
    if (prefixError !== undefined) throw invalid(`target.prefix: ${prefixError}`, "target.prefix");
    if (body.format !== undefined && body.format !== "ndjson") throw invalid('target.format must be "ndjson"', "target.format");
    return {
      target: {
        type: "r2",
        binding: binding as string,
        prefix: body.prefix,
        format: "ndjson",
        maxObjectBytes: integerField(body.maxObjectBytes, "target.maxObjectBytes", 1, MAX_ARCHIVE_MAX_OBJECT_BYTES, DEFAULT_ARCHIVE_MAX_OBJECT_BYTES),
        maxObjectAgeMs: integerField(body.maxObjectAgeMs, "target.maxObjectAgeMs", 0, MAX_ARCHIVE_MAX_OBJECT_AGE_MS, DEFAULT_ARCHIVE_MAX_OBJECT_AGE_MS),
      },
    };
  }
  throw invalid(`target.type must be "service", "webhook" or "r2", got ${JSON.stringify(input.type)}`, "target.type");
}

function parseMode(body: Record<string, unknown>): "ordered" | "shared" {
  const mode = body.mode;
  if (mode === undefined || mode === null || mode === "ordered") return "ordered";
  if (mode !== "shared") throw invalid(`mode must be "ordered" or "shared", got ${JSON.stringify(mode)}`, "mode");
  if (body.shareGroup === undefined) throw invalid('mode "shared" needs shareGroup: the share group to lease records from (PUT /v1/share-groups/{group} first)', "shareGroup");
  return "shared";
}

function parseShareGroupName(value: unknown, subscription: string): string {
  const group = checkGroupId(value);
  if (group === subscription) throw invalid("shareGroup must name a share group of its own: a subscription is a group, and one name is one group", "shareGroup");
  return group;
}

function parseStartAt(value: unknown): StartAt {
  if (value === undefined || value === null || value === "latest") return "latest";
  if (value === "earliest") return "earliest";
  if (isPlainObject(value) && Object.keys(value).length === 1 && "timestamp" in value) return { timestamp: integerField(value.timestamp, "startAt.timestamp", 0, MAX_TIMESTAMP_MS) };
  throw invalid('startAt must be "earliest", "latest" or {"timestamp": ms}', "startAt");
}

function parseDeadLetterTopic(value: unknown, topics: readonly string[]): string | null {
  if (value === undefined || value === null) return null;
  const error = topicNameError(value);
  if (error !== undefined) throw new KafkaError("INVALID_TOPIC_EXCEPTION", `deadLetterTopic: ${error}`, { field: "deadLetterTopic" });
  if (topics.includes(value as string)) throw invalid("deadLetterTopic must not be a topic the subscription delivers (a dead letter would be delivered again)", "deadLetterTopic");
  return value as string;
}

function invalid(message: string, field: string, details: Record<string, unknown> = {}): KafkaError {
  return new KafkaError("INVALID_REQUEST", message, { field, ...details });
}
