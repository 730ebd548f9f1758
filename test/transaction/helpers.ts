// Transaction test helpers: the HTTP calls of Kafka's transactional producer flow, and reads under either isolation.
import { api, fetchFrom } from "../helpers";

export interface Identity {
  producerId: number;
  producerEpoch: number;
}

export const initTxn = (id: string, body: Record<string, unknown> = {}) => api("POST", `/v1/transactions/${id}/init`, body);
export const commitTxn = (id: string, who: Identity) => api("POST", `/v1/transactions/${id}/commit`, who);
export const abortTxn = (id: string, who: Identity) => api("POST", `/v1/transactions/${id}/abort`, who);
export const describeTxn = (id: string) => api("GET", `/v1/transactions/${id}`);

/** A transactional produce to one partition. */
export function sendTxn(id: string, who: Identity, topic: string, partition: number, values: string[], baseSequence: number) {
  return api("POST", `/v1/topics/${topic}/partitions/${partition}/records`, {
    records: values.map((value) => ({ value, key: value })),
    transaction: { transactionalId: id, producerId: who.producerId, producerEpoch: who.producerEpoch, baseSequence },
  });
}

export function sendOffsets(id: string, who: Identity, groupId: string, offsets: { topic: string; partition: number; offset: number }[], member: { memberId?: string; memberEpoch?: number } = {}) {
  return api("POST", `/v1/transactions/${id}/offsets`, { ...who, groupId, ...member, offsets });
}

/** Every record value of a partition under an isolation level (from the log start), and the last answer. */
export async function values(topic: string, partition: number, isolation: "read_committed" | "read_uncommitted" = "read_committed"): Promise<string[]> {
  const out: string[] = [];
  let offset = 0;
  for (let i = 0; i < 1000; i++) {
    const r = await fetchFrom(topic, partition, { offset, isolation, maxRecords: 10_000 });
    if (r.status !== 200) throw new Error(`fetch: ${r.status} ${JSON.stringify(r.body)}`);
    out.push(...r.body.records.map((x: { value: string }) => x.value));
    const end = isolation === "read_committed" ? r.body.lastStableOffset : r.body.highWatermark;
    if (r.body.nextOffset >= end) return out;
    offset = r.body.nextOffset;
  }
  throw new Error("values: no end");
}

export async function committedOffset(groupId: string, topic: string, partition: number): Promise<number | null> {
  const r = await api("GET", `/v1/groups/${groupId}/offsets`);
  if (r.status === 404) return null;
  const t = r.body.topics.find((x: { topic: string }) => x.topic === topic);
  return t?.partitions.find((p: { partition: number }) => p.partition === partition)?.committedOffset ?? null;
}
