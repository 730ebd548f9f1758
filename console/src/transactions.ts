// Transactions: the transactional ids the token may describe, with their state, and one id's producer, timeout,
// times, participants (partitions and groups) and markers still to be written.
import { api, asShown, enc } from "./api";
import { empty, errorBox, h, loading, replace, timeCell } from "./dom";
import { formatInt } from "./format";
import { sortableTable } from "./table";
import type { ViewContext } from "./view";

const REFRESH_MS = 3000;

export interface TransactionSummary {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  state: string;
  timeoutMs: number;
  /** -1 before the first transaction. */
  startedMs: number;
  lastUpdateMs: number;
  partitions: { topic: string; partition: number }[];
  groups: string[];
  pendingMarkers: number;
}

const started = (ms: number) => (ms < 0 ? "never" : timeCell(ms));

export async function transactionsView({ root, signal, every }: ViewContext): Promise<void> {
  const list = h("div", null, loading());
  replace(root, h("h1", null, "Transactions"), list);
  every(REFRESH_MS * 2, async () => {
    try {
      const { transactions } = await api<{ transactions: TransactionSummary[] }>("GET", "/v1/transactions", undefined, signal);
      if (transactions.length === 0) return replace(list, empty("No transactional ids yet: one appears on its producer's first init."));
      replace(
        list,
        sortableTable(
          [
            { label: "Transactional id", cell: (t) => h("a", { href: `#/transactions/${enc(t.transactionalId)}` }, t.transactionalId), sort: (t) => t.transactionalId },
            { label: "State", cell: (t) => t.state, sort: (t) => t.state },
            { label: "Producer id", cell: (t) => formatInt(t.producerId), sort: (t) => t.producerId, numeric: true },
            { label: "Epoch", cell: (t) => formatInt(t.producerEpoch), numeric: true },
            { label: "Partitions", cell: (t) => formatInt(t.partitions.length), sort: (t) => t.partitions.length, numeric: true },
            { label: "Groups", cell: (t) => t.groups.join(", ") || "—" },
            { label: "Started", cell: (t) => started(t.startedMs), sort: (t) => t.startedMs },
            { label: "Last update", cell: (t) => timeCell(t.lastUpdateMs), sort: (t) => t.lastUpdateMs },
          ],
          transactions,
          "Transactions",
          (t) => ({ "data-transaction": t.transactionalId, "data-state": t.state }),
        ),
      );
    } catch (e) {
      if (!signal.aborted) replace(list, errorBox(asShown(e)));
    }
  });
}

export async function transactionView({ root, params, signal, every }: ViewContext): Promise<void> {
  const id = params[0]!;
  const summary = h("div", null, loading());
  const partitions = h("div");
  const errors = h("div");
  replace(root, h("h1", null, "Transaction ", h("code", null, id)), errors, summary, h("h2", null, "Partitions in the transaction"), partitions);
  every(REFRESH_MS, async () => {
    try {
      const t = await api<TransactionSummary>("GET", `/v1/transactions/${enc(id)}`, undefined, signal);
      const item = (label: string, value: Node | string, attrs: Record<string, string> = {}) => [h("dt", null, label), h("dd", attrs, value)];
      replace(
        summary,
        h(
          "dl",
          { class: "facts", "data-state": t.state },
          item("State", t.state, { "data-fact": "state" }),
          item("Producer id", formatInt(t.producerId), { "data-fact": "producerId" }),
          item("Producer epoch", formatInt(t.producerEpoch), { "data-fact": "producerEpoch" }),
          item("Timeout", `${formatInt(t.timeoutMs)} ms`),
          item("Started", started(t.startedMs)),
          item("Last update", timeCell(t.lastUpdateMs)),
          item("Groups (offsets in the transaction)", t.groups.length === 0 ? "none" : t.groups.join(", ")),
          item("Markers still to write", formatInt(t.pendingMarkers), { "data-fact": "pendingMarkers" }),
        ),
      );
      replace(
        partitions,
        t.partitions.length === 0
          ? empty("No partitions: no open transaction, or it has not written yet.")
          : sortableTable(
              [
                { label: "Topic", cell: (p) => h("a", { href: `#/topics/${enc(p.topic)}` }, p.topic), sort: (p) => p.topic },
                { label: "Partition", cell: (p) => p.partition, sort: (p) => p.partition, numeric: true },
              ],
              t.partitions,
              "Partitions in the transaction",
              (p) => ({ "data-txn-partition": `${p.topic}:${p.partition}` }),
            ),
      );
      replace(errors);
    } catch (e) {
      if (!signal.aborted) replace(errors, errorBox(asShown(e)));
      if (summary.querySelector("[role=status]")) replace(summary);
    }
  });
}
