// The consumer Worker of scripts/bench/subscriptions.mjs, bound to edgelog as CONSUMER (entrypoint Consumer): it
// acknowledges every delivery at once (returns nothing) and counts in isolate memory, per subscription: records,
// deliveries, and what would break the contract (a record delivered twice, a partition's offsets out of order). Memory,
// not a Durable Object: counting must not add billed requests or latency to what is measured (workerd runs this Worker
// in one isolate, so every delivery sees the same counters). Deliveries of the subscriptions named in REPORT_SUBSCRIPTIONS
// (comma-separated prefixes) are also reported to REPORT_URL (the bench's Node HTTP server), so their arrival is timed
// on the same clock as the produce. The bench reads the counters with GET /counts?subscription=S.
import { WorkerEntrypoint } from "cloudflare:workers";

/** subscription -> { records, deliveries, duplicates, outOfOrder, next: Map<"topic/partition", next offset>, lastAtMs } */
const counts = new Map();

function countsOf(subscription) {
  let c = counts.get(subscription);
  if (c === undefined) {
    c = { records: 0, deliveries: 0, duplicates: 0, outOfOrder: 0, next: new Map(), seen: new Set(), firstAtMs: 0, lastAtMs: 0 };
    counts.set(subscription, c);
  }
  return c;
}

export class Consumer extends WorkerEntrypoint {
  deliver(batch) {
    const c = countsOf(batch.subscription);
    const key = `${batch.topic}/${batch.partition}`;
    let next = c.next.get(key) ?? batch.records[0]?.offset ?? 0;
    // A shared subscription's records carry their delivery count and come in no order: only duplicates count.
    const shared = batch.records[0]?.deliveryCount !== undefined;
    for (const record of batch.records) {
      if (shared) {
        const id = `${key}/${record.offset}`;
        if (c.seen.has(id)) c.duplicates++;
        c.seen.add(id);
        continue;
      }
      if (record.offset < next) c.duplicates++; // at least once: a redelivery after a crash, not expected here
      else if (record.offset > next) c.outOfOrder++; // a skipped record: never allowed
      next = Math.max(next, record.offset + 1);
    }
    c.next.set(key, next);
    c.records += batch.records.length;
    c.deliveries++;
    c.lastAtMs = Date.now();
    c.firstAtMs ||= c.lastAtMs;
    const report = this.env.REPORT_URL;
    if (report && (this.env.REPORT_SUBSCRIPTIONS ?? "").split(",").some((p) => p !== "" && batch.subscription.startsWith(p))) {
      const body = JSON.stringify({ subscription: batch.subscription, partition: batch.partition, values: batch.records.map((r) => r.value), atMs: Date.now() });
      // Not awaited: the acknowledgement does not wait for the report.
      this.ctx.waitUntil(fetch(report, { method: "POST", body }).then((r) => r.arrayBuffer()).catch(() => {}));
    }
    return undefined; // nothing answered: every record acknowledged
  }
}

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/counts") {
      const c = countsOf(url.searchParams.get("subscription") ?? "");
      const { next, ...rest } = c;
      return Response.json({ ...rest, partitions: next.size });
    }
    return new Response("not found", { status: 404 });
  },
};
