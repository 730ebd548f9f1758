// Share groups' gauges for GET /metrics, from what describe answers (GET /v1/share-groups/{group}): per
// share-partition its lag, its start offset (SPSO), its in-flight records by state, and the records acknowledged,
// archived and dead-lettered so far. One share group at a time (each fans out to its own share-partitions already,
// PARTITION_FANOUT_CONCURRENCY at a time); a scrape asks only share-partitions that have been polled (the
// coordinator lists them), and the cache in metrics.ts bounds how often.
import type { Env } from "../env";
import type { Family, Sample } from "../log/prometheus";
import { mapBounded } from "../concurrency";
import { sharePartitionStatuses } from "./share-groups";

/** For these share groups (the scrape's group summaries say which groups are share groups). */
export async function shareGroupFamilies(env: Env, wanted: readonly string[]): Promise<Family[]> {
  const described = await mapBounded(wanted.length, 1, (i) =>
    sharePartitionStatuses(env, wanted[i]!).then(
      (d) => ({ group: wanted[i]!, partitions: d.partitions }),
      () => undefined, // deleted between list and scrape
    ),
  );
  const families = {
    lag: [] as Sample[],
    start: [] as Sample[],
    acquired: [] as Sample[],
    available: [] as Sample[],
    pending: [] as Sample[],
    acknowledged: [] as Sample[],
    archived: [] as Sample[],
    deadLettered: [] as Sample[],
  };
  for (const d of described) {
    if (d === undefined) continue;
    for (const p of d.partitions) {
      const labels = { group: d.group, topic: p.topic, partition: p.partition };
      families.lag.push({ labels, value: p.lag });
      families.start.push({ labels, value: p.startOffset });
      families.acquired.push({ labels, value: p.inFlight.acquired });
      families.available.push({ labels, value: p.inFlight.available });
      families.pending.push({ labels, value: p.deadLettersPending });
      families.acknowledged.push({ labels, value: p.acknowledged });
      families.archived.push({ labels, value: p.archived });
      families.deadLettered.push({ labels, value: p.deadLettered });
    }
  }
  return [
    { name: "edgelog_share_group_lag", help: "Records from the share-partition start offset to the high watermark (the LSO under read_committed) not yet acknowledged or archived.", type: "gauge", samples: families.lag },
    { name: "edgelog_share_group_start_offset", help: "The share-partition start offset (SPSO): every offset below it is done.", type: "gauge", samples: families.start },
    { name: "edgelog_share_group_acquired_records", help: "Records leased to a consumer now (in flight, ACQUIRED).", type: "gauge", samples: families.acquired },
    { name: "edgelog_share_group_available_records", help: "Records of the in-flight window available to the next poll (released, or whose lease ended).", type: "gauge", samples: families.available },
    { name: "edgelog_share_group_dead_letters_pending", help: "Records being written to the dead-letter topic (ARCHIVING): the SPSO waits for them.", type: "gauge", samples: families.pending },
    { name: "edgelog_share_group_acknowledged_records_total", help: "Records accepted.", type: "counter", samples: families.acknowledged },
    { name: "edgelog_share_group_archived_records_total", help: "Records archived: rejected, over the delivery limit, dead-lettered, or removed by retention before delivery.", type: "counter", samples: families.archived },
    { name: "edgelog_share_group_dead_lettered_records_total", help: "Records written to the dead-letter topic.", type: "counter", samples: families.deadLettered },
  ];
}
