// Subscriptions' gauges for GET /metrics, from what describe answers (GET /v1/subscriptions/{name}): per subscription
// partition its lag, when a delivery last succeeded, and whether it is failing (retrying or stopped), plus records
// delivered and dead-lettered. One subscription at a time (each describe fans out to its own partitions already).
import type { Env } from "../env";
import type { Family, Sample } from "../log/prometheus";
import { mapBounded } from "../concurrency";
import { describeSubscription } from "./subscriptions";

/** For these subscriptions (the scrape's group summaries say which groups are subscriptions). */
export async function subscriptionFamilies(env: Env, wanted: readonly string[]): Promise<Family[]> {
  const described = await mapBounded(wanted.length, 1, (i) => describeSubscription(env, wanted[i]!).catch(() => undefined));
  const lag: Sample[] = [];
  const last: Sample[] = [];
  const failing: Sample[] = [];
  const delivered: Sample[] = [];
  const dead: Sample[] = [];
  const paused: Sample[] = [];
  for (const d of described) {
    if (d === undefined) continue; // deleted between list and scrape
    paused.push({ labels: { subscription: d.name }, value: d.state === "paused" ? 1 : 0 });
    for (const p of d.partitions) {
      const labels = { subscription: d.name, topic: p.topic, partition: p.partition };
      if (p.lag !== null) lag.push({ labels, value: p.lag });
      if (p.lastDeliveryMs !== null) last.push({ labels, value: p.lastDeliveryMs / 1000 });
      failing.push({ labels, value: p.status === "retrying" || p.status === "stopped" ? 1 : 0 });
      delivered.push({ labels, value: p.deliveredRecords });
      dead.push({ labels, value: p.deadLetteredRecords });
    }
  }
  return [
    { name: "edgelog_subscription_lag", help: "Records between the subscription's committed offset and the high watermark.", type: "gauge", samples: lag },
    { name: "edgelog_subscription_last_delivery_timestamp_seconds", help: "When a delivery last had records acknowledged (since the partition object started).", type: "gauge", samples: last },
    { name: "edgelog_subscription_failing", help: "1 while the partition's delivery is retrying or stopped.", type: "gauge", samples: failing },
    { name: "edgelog_subscription_paused", help: "1 while the subscription is paused.", type: "gauge", samples: paused },
    { name: "edgelog_subscription_delivered_records_total", help: "Records delivered and acknowledged (since the partition object started).", type: "counter", samples: delivered },
    { name: "edgelog_subscription_dead_lettered_records_total", help: "Records sent to the dead-letter topic.", type: "counter", samples: dead },
  ];
}
