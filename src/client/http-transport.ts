// The Transport over HTTP with fetch: builds each route of docs/api.md, sends the bearer token, bounds every call
// with a timeout, and turns every non-2xx answer into an EdgelogError from the server's error body. Runs wherever
// fetch does (Workers, Node >= 18, browsers); pass `fetch` to use another one (a service binding's fetch, a test's).
import { EdgelogError } from "./edgelog-error";
import { decodeRecordFrame, RECORDS_MEDIA_TYPE } from "../log/record-frame";
import type { CallOptions, Transport } from "./transport";
import type {
  CommitRequest,
  ConfigChanges,
  CreateTopicRequest,
  EndedTransaction,
  FetchParams,
  FetchResponse,
  GroupDescription,
  GroupOffsets,
  GroupSummary,
  HeartbeatRequest,
  HeartbeatResponse,
  IsolationLevel,
  ListedOffset,
  OffsetSpec,
  ProduceRequest,
  ProduceResult,
  ProducerIdAndEpoch,
  ResetOffsetsRequest,
  ResetOffsetsResult,
  TopicDescription,
  TopicSummary,
  TransactionDescription,
  TransactionOffsetsRequest,
  ShareAcknowledgement,
  ShareAcknowledgementResult,
  ShareGroupConfigRequest,
  ShareGroupDescription,
  ShareHeartbeatRequest,
  ShareHeartbeatResponse,
  SharePollRequest,
  SharePollResponse,
  ShareResetRequest,
} from "./wire";
import type {
  AlterSubscriptionRequest,
  CreatedSubscription,
  CreateSubscriptionRequest,
  SubscriptionDescription,
  SubscriptionSummary,
} from "./subscription-wire";

export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpTransportConfig {
  /** Base URL of edgelog, e.g. http://127.0.0.1:8787. */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  fetch?: FetchFunction;
  /** Bound on one request (a long-poll gets its maxWaitMs on top). Kafka's request.timeout.ms. */
  requestTimeoutMs?: number;
  /** How fetches ask for records: "json" (the default) for the plain JSON answer, one JSON.parse per fetch, which is
   *  faster for a reader that builds every value; "binary" (opt-in) asks for the record frame (docs/api.md), whose
   *  records build their strings when read, which pays off when a reader reads few fields of each record. */
  fetchFormat?: FetchFormat;
}

export type FetchFormat = "binary" | "json";

/** The Accept of a binary fetch: the record frame, or JSON from a server that does not know it. */
const FRAME_ACCEPT = `${RECORDS_MEDIA_TYPE}, application/json;q=0.5`;

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * edgelog's base URL without trailing slashes. Anything but an http(s) URL is refused here, at construction: fetch
 * would refuse it on every call, and "127.0.0.1:8787" would be reported as edgelog being unreachable.
 */
export function baseUrl(url: string): string {
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // not a URL at all: below
  }
  if (protocol !== "http:" && protocol !== "https:") throw new TypeError(`edgelog's url needs http:// or https:// (e.g. http://127.0.0.1:8787), got '${url}'`);
  return url.replace(/\/+$/, "");
}

export class HttpTransport implements Transport {
  private readonly base: string;
  private readonly headers: Record<string, string>;
  private readonly fetchFn: FetchFunction;
  private readonly timeoutMs: number;
  private readonly fetchFormat: FetchFormat;

  constructor(config: HttpTransportConfig) {
    this.base = baseUrl(config.url);
    this.headers = { accept: "application/json", ...(config.token ? { authorization: `Bearer ${config.token}` } : {}) };
    // Called through a closure: Workers reject a global fetch invoked with another `this`.
    this.fetchFn = config.fetch ?? ((input, init) => fetch(input, init));
    this.timeoutMs = config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // JSON by default: a reader that builds every value (most consumers) is faster with one JSON.parse of the answer
    // than with lazy fields (docs/performance.md, "The binary record frame"), and its records are plain objects.
    this.fetchFormat = config.fetchFormat ?? "json";
  }

  createTopic(request: CreateTopicRequest): Promise<TopicSummary> {
    return this.call("POST", "/v1/topics", request);
  }
  async listTopics(): Promise<TopicSummary[]> {
    return (await this.call<{ topics: TopicSummary[] }>("GET", "/v1/topics")).topics;
  }
  describeTopic(topic: string): Promise<TopicDescription> {
    return this.call("GET", `/v1/topics/${seg(topic)}`);
  }
  alterTopicConfig(topic: string, config: ConfigChanges): Promise<TopicSummary> {
    return this.call("PATCH", `/v1/topics/${seg(topic)}`, { config });
  }
  addPartitions(topic: string, count: number): Promise<TopicSummary> {
    return this.call("POST", `/v1/topics/${seg(topic)}/partitions`, { count });
  }
  deleteTopic(topic: string): Promise<TopicSummary> {
    return this.call("DELETE", `/v1/topics/${seg(topic)}`);
  }

  initProducer(producerId?: number): Promise<ProducerIdAndEpoch> {
    return this.call("POST", "/v1/producers", producerId === undefined ? {} : { producerId });
  }
  async produce(topic: string, partition: number, request: ProduceRequest, options?: CallOptions): Promise<ProduceResult[]> {
    const path = `/v1/topics/${seg(topic)}/partitions/${partition}/records`;
    return (await this.call<{ results: ProduceResult[] }>("POST", path, request, options)).results;
  }
  fetchRecords(topic: string, partition: number, params: FetchParams, options?: CallOptions): Promise<FetchResponse> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) if (value !== undefined) query.set(name, String(value));
    const qs = query.toString() ? `?${query}` : "";
    const accept = this.fetchFormat === "binary" ? FRAME_ACCEPT : undefined;
    return this.call("GET", `/v1/topics/${seg(topic)}/partitions/${partition}/records${qs}`, undefined, options, params.maxWaitMs ?? 0, accept);
  }
  listOffsets(topic: string, partition: number, at: OffsetSpec, isolation?: IsolationLevel): Promise<ListedOffset> {
    const level = isolation === undefined ? "" : `&isolation=${isolation}`;
    return this.call("GET", `/v1/topics/${seg(topic)}/partitions/${partition}/offsets?at=${encodeURIComponent(String(at))}${level}`);
  }

  initTransactions(transactionalId: string, request: { transactionTimeoutMs?: number } = {}): Promise<ProducerIdAndEpoch> {
    return this.call("POST", `/v1/transactions/${seg(transactionalId)}/init`, request);
  }
  sendOffsetsToTransaction(transactionalId: string, request: TransactionOffsetsRequest): Promise<{ committed: number }> {
    return this.call("POST", `/v1/transactions/${seg(transactionalId)}/offsets`, request);
  }
  endTransaction(transactionalId: string, outcome: "commit" | "abort", identity: ProducerIdAndEpoch): Promise<EndedTransaction> {
    return this.call("POST", `/v1/transactions/${seg(transactionalId)}/${outcome}`, { producerId: identity.producerId, producerEpoch: identity.producerEpoch });
  }
  describeTransaction(transactionalId: string): Promise<TransactionDescription> {
    return this.call("GET", `/v1/transactions/${seg(transactionalId)}`);
  }
  async listTransactions(): Promise<TransactionDescription[]> {
    return (await this.call<{ transactions: TransactionDescription[] }>("GET", "/v1/transactions")).transactions;
  }

  heartbeat(group: string, request: HeartbeatRequest): Promise<HeartbeatResponse> {
    return this.call("POST", `/v1/groups/${seg(group)}/heartbeat`, request);
  }
  commitOffsets(group: string, request: CommitRequest): Promise<{ committed: number }> {
    return this.call("POST", `/v1/groups/${seg(group)}/offsets`, request);
  }
  groupOffsets(group: string): Promise<GroupOffsets> {
    return this.call("GET", `/v1/groups/${seg(group)}/offsets`);
  }
  resetOffsets(group: string, request: ResetOffsetsRequest): Promise<ResetOffsetsResult> {
    return this.call("POST", `/v1/groups/${seg(group)}/offsets/reset`, request);
  }
  async listGroups(): Promise<GroupSummary[]> {
    return (await this.call<{ groups: GroupSummary[] }>("GET", "/v1/groups")).groups;
  }
  describeGroup(group: string): Promise<GroupDescription> {
    return this.call("GET", `/v1/groups/${seg(group)}`);
  }
  deleteGroup(group: string): Promise<{ groupId: string }> {
    return this.call("DELETE", `/v1/groups/${seg(group)}`);
  }

  createSubscription(request: CreateSubscriptionRequest): Promise<CreatedSubscription> {
    return this.call("POST", "/v1/subscriptions", request);
  }
  async listSubscriptions(): Promise<SubscriptionSummary[]> {
    return (await this.call<{ subscriptions: SubscriptionSummary[] }>("GET", "/v1/subscriptions")).subscriptions;
  }
  describeSubscription(name: string): Promise<SubscriptionDescription> {
    return this.call("GET", `/v1/subscriptions/${seg(name)}`);
  }
  alterSubscription(name: string, request: AlterSubscriptionRequest): Promise<SubscriptionDescription> {
    return this.call("PATCH", `/v1/subscriptions/${seg(name)}`, request);
  }
  pauseSubscription(name: string): Promise<SubscriptionDescription> {
    return this.call("POST", `/v1/subscriptions/${seg(name)}/pause`);
  }
  resumeSubscription(name: string): Promise<SubscriptionDescription> {
    return this.call("POST", `/v1/subscriptions/${seg(name)}/resume`);
  }
  resetSubscriptionOffsets(name: string, request: ResetOffsetsRequest): Promise<ResetOffsetsResult> {
    return this.call("POST", `/v1/subscriptions/${seg(name)}/offsets/reset`, request);
  }
  deleteSubscription(name: string): Promise<{ name: string }> {
    return this.call("DELETE", `/v1/subscriptions/${seg(name)}`);
  }

  async putShareGroup(group: string, config: ShareGroupConfigRequest): Promise<ShareGroupDescription & { created: boolean }> {
    const { status, value } = await this.request<ShareGroupDescription>("PUT", `/v1/share-groups/${seg(group)}`, config);
    return { ...value, created: status === 201 };
  }
  async listShareGroups(): Promise<string[]> {
    return (await this.call<{ shareGroups: string[] }>("GET", "/v1/share-groups")).shareGroups;
  }
  describeShareGroup(group: string): Promise<ShareGroupDescription> {
    return this.call("GET", `/v1/share-groups/${seg(group)}`);
  }
  alterShareGroup(group: string, config: ShareGroupConfigRequest): Promise<ShareGroupDescription> {
    return this.call("PATCH", `/v1/share-groups/${seg(group)}`, config);
  }
  deleteShareGroup(group: string): Promise<{ groupId: string }> {
    return this.call("DELETE", `/v1/share-groups/${seg(group)}`);
  }
  shareGroupHeartbeat(group: string, request: ShareHeartbeatRequest): Promise<ShareHeartbeatResponse> {
    return this.call("POST", `/v1/share-groups/${seg(group)}/heartbeat`, request);
  }
  pollShareGroup(group: string, request: SharePollRequest, options?: CallOptions): Promise<SharePollResponse> {
    return this.call("POST", `/v1/share-groups/${seg(group)}/poll`, request, options, request.maxWaitMs ?? 0);
  }
  async acknowledgeShareGroup(group: string, acknowledgements: ShareAcknowledgement[]): Promise<ShareAcknowledgementResult[]> {
    return (await this.call<{ acknowledgements: ShareAcknowledgementResult[] }>("POST", `/v1/share-groups/${seg(group)}/acknowledgements`, { acknowledgements })).acknowledgements;
  }
  resetShareGroupOffsets(group: string, request: ShareResetRequest): Promise<ResetOffsetsResult> {
    return this.call("POST", `/v1/share-groups/${seg(group)}/offsets/reset`, request);
  }

  private async call<T>(method: string, path: string, body?: unknown, options: CallOptions = {}, extraTimeMs = 0, accept?: string): Promise<T> {
    return (await this.request<T>(method, path, body, options, extraTimeMs, accept)).value;
  }

  /** `accept` other than JSON: a record frame answer is decoded (log/record-frame.ts), anything else read as JSON. */
  private async request<T>(method: string, path: string, body?: unknown, options: CallOptions = {}, extraTimeMs = 0, accept?: string): Promise<{ status: number; value: T }> {
    const timeout = AbortSignal.timeout(this.timeoutMs + extraTimeMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    const init: RequestInit = { method, headers: accept === undefined ? this.headers : { ...this.headers, accept }, signal };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { ...this.headers, "content-type": "application/json" };
    }
    let response: Response;
    let text: string;
    try {
      response = await this.fetchFn(this.base + path, init);
      if (accept !== undefined && response.ok && (response.headers.get("content-type") ?? "").startsWith(RECORDS_MEDIA_TYPE)) {
        const bytes = new Uint8Array(await response.arrayBuffer());
        try {
          const { encoding: _encoding, ...page } = decodeRecordFrame(bytes);
          return { status: response.status, value: page as T };
        } catch (error) {
          throw EdgelogError.network(`${method} ${path}: ${response.status} answer is not a valid record frame: ${describe(error)}`, error);
        }
      }
      text = await response.text();
    } catch (error) {
      if (error instanceof EdgelogError) throw error;
      if (options.signal?.aborted) throw options.signal.reason;
      if (timeout.aborted) {
        throw new EdgelogError("REQUEST_TIMED_OUT", `${method} ${path}: no answer from ${this.base} within ${this.timeoutMs + extraTimeMs} ms`, { cause: error });
      }
      throw EdgelogError.network(`${method} ${path}: cannot reach ${this.base}: ${describe(error)}`, error);
    }
    if (response.ok) {
      try {
        return { status: response.status, value: JSON.parse(text) as T };
      } catch (error) {
        throw EdgelogError.network(`${method} ${path}: ${response.status} answer is not JSON (is ${this.base} an edgelog?)`, error);
      }
    }
    throw errorFrom(method, path, response, text);
  }
}

function errorFrom(method: string, path: string, response: Response, text: string): EdgelogError {
  const retryAfter = Number(response.headers.get("retry-after"));
  const retryAfterMs = Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { type?: unknown } };
    if (parsed.error && typeof parsed.error.type === "string") return EdgelogError.fromBody(parsed.error as never, response.status, retryAfterMs);
  } catch {
    // not an edgelog error body: below
  }
  // A gateway's 502/503/504 page means no edgelog answered: retriable like a dropped connection.
  const snippet = text.slice(0, 200).replace(/\s+/g, " ");
  if (response.status >= 502 && response.status <= 504) return EdgelogError.network(`${method} ${path}: ${response.status} from something that is not edgelog: ${snippet}`);
  return new EdgelogError("UNKNOWN_SERVER_ERROR", `${method} ${path}: ${response.status} ${snippet}`, { status: response.status });
}

function seg(name: string): string {
  return encodeURIComponent(name);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}
