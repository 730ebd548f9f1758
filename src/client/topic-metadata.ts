// The producer's view of each topic: partition count (for the partitioner), max.message.bytes and whether it is
// compacted (to refuse a bad record before it joins a batch). Cached for maxAgeMs, like Kafka's
// metadata.max.age.ms; concurrent lookups of one topic share one request.
import { MAX_RECORD_BYTES } from "../limits";
import type { Transport } from "./transport";

export interface TopicInfo {
  partitionCount: number;
  maxMessageBytes: number;
  compacted: boolean;
}

interface Entry {
  info: Promise<TopicInfo>;
  fetchedMs: number;
  value?: TopicInfo;
}

export class TopicMetadata {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly transport: Transport,
    private readonly maxAgeMs: number,
  ) {}

  /** The cached info when it is fresh, without waiting. */
  peek(topic: string): TopicInfo | undefined {
    const entry = this.entries.get(topic);
    return entry && Date.now() - entry.fetchedMs < this.maxAgeMs ? entry.value : undefined;
  }

  get(topic: string, refresh = false): Promise<TopicInfo> {
    const entry = this.entries.get(topic);
    if (entry && !refresh && Date.now() - entry.fetchedMs < this.maxAgeMs) return entry.info;
    const fresh: Entry = { fetchedMs: Date.now(), info: this.load(topic) };
    fresh.info.then(
      (value) => (fresh.value = value),
      () => this.entries.get(topic) === fresh && this.entries.delete(topic),
    );
    this.entries.set(topic, fresh);
    return fresh.info;
  }

  private async load(topic: string): Promise<TopicInfo> {
    const described = await this.transport.describeTopic(topic);
    const maxMessageBytes = Number(described.config["max.message.bytes"] ?? MAX_RECORD_BYTES);
    return {
      partitionCount: described.partitionCount,
      maxMessageBytes: Number.isFinite(maxMessageBytes) ? maxMessageBytes : MAX_RECORD_BYTES,
      compacted: (described.config["cleanup.policy"] ?? "").includes("compact"),
    };
  }
}
