// Leader elections the controller ran since this instance started, per partition and election type, for GET /metrics
// (edgelog_controller_leader_elections_total; Kafka's LeaderElectionRateAndTimeMs and UncleanLeaderElectionsPerSec).
// In memory: a restarted controller starts again at zero (a Prometheus counter reset). Pure.
import type { ElectionType } from "./choose-leader";

export interface ElectionCount {
  topic: string;
  partition: number;
  type: ElectionType;
  count: number;
}

export class ElectionCounts {
  private readonly counts = new Map<string, ElectionCount>();

  constructor(readonly sinceMs: number) {}

  elected(topic: string, partition: number, type: ElectionType): void {
    const key = JSON.stringify([topic, partition, type]);
    const entry = this.counts.get(key);
    if (entry) entry.count++;
    else this.counts.set(key, { topic, partition, type, count: 1 });
  }

  /** Counts for these topics (all when none are named). */
  list(topics: readonly string[] = []): ElectionCount[] {
    const wanted = new Set(topics);
    return [...this.counts.values()].filter((c) => wanted.size === 0 || wanted.has(c.topic)).map((c) => ({ ...c }));
  }
}
