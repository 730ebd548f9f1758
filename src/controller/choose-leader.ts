// Who leads a partition after an election (kafka-semantics §5), decided from what the controller knows (the current
// leader, its epoch and ISR) and what each replica answered to a probe. Pure: the controller probes, this decides.
// "unavailable": only when the current leader does not answer; the first ISR member that answers, in ISR order, leads,
// and the ISR keeps the new leader and every member not found unreachable on the way; none answering leaves the
// partition offline unless unclean election is allowed (the topic's unclean.leader.election.enable, or an "unclean"
// request), when the answering replica with the longest log leads alone and committed records may be lost.
// "preferred": replica 0 leads again if it is in sync and answers.
import { fail, ok, type Result } from "../errors";
import type { PartitionLeadership, ReplicaStatus } from "../protocol";

/** How a leader is chosen: "unavailable" (the router could not reach it), "preferred" (back to replica 0, Kafka's
 *  preferred leader), "unclean" (an admin allows a replica outside the ISR, accepting lost records). */
export type ElectionType = "unavailable" | "preferred" | "unclean";

export interface ElectionInput {
  type: ElectionType;
  /** "<topic>/<partition>", for messages. */
  label: string;
  lead: PartitionLeadership;
  replicationFactor: number;
  /** The topic's unclean.leader.election.enable. */
  uncleanAllowed: boolean;
  /** Each replica's answer to a probe; undefined: it did not answer. */
  statuses: readonly (ReplicaStatus | undefined)[];
}

export interface ElectionChoice {
  leader: number;
  isr: number[];
}

export function chooseLeader(input: ElectionInput): Result<ElectionChoice> {
  const { type, label, lead, statuses } = input;
  const answers = (replica: number) => statuses[replica] !== undefined;
  if (type === "preferred") {
    if (lead.leader === 0) return fail("ELECTION_NOT_NEEDED", `replica 0 already leads ${label}`, { leader: 0, leaderEpoch: lead.leaderEpoch });
    if (!lead.isr.includes(0) || !answers(0)) {
      return fail("PREFERRED_LEADER_NOT_AVAILABLE", `replica 0 of ${label} is not in sync or not reachable (ISR ${lead.isr.join(", ")})`, { isr: lead.isr });
    }
    return ok({ leader: 0, isr: withLeader(0, lead.isr, new Set()) });
  }
  if (answers(lead.leader)) {
    return fail("ELECTION_NOT_NEEDED", `replica ${lead.leader} leads ${label} and answers`, { leader: lead.leader, leaderEpoch: lead.leaderEpoch });
  }
  // The ISR in order up to the first member that answers: the ones passed on the way are known unreachable.
  const unreachable = new Set([lead.leader]);
  for (const candidate of lead.isr) {
    if (candidate === lead.leader) continue;
    if (answers(candidate)) return ok({ leader: candidate, isr: withLeader(candidate, lead.isr, unreachable) });
    unreachable.add(candidate);
  }
  if (type === "unclean" || input.uncleanAllowed) {
    let leader: number | undefined;
    let best = -1;
    for (let replica = 0; replica < input.replicationFactor; replica++) {
      const status = statuses[replica];
      if (unreachable.has(replica) || status === undefined || status.logEndOffset <= best) continue;
      best = status.logEndOffset;
      leader = replica;
    }
    if (leader !== undefined) return ok({ leader, isr: [leader] });
  }
  return fail(
    type === "unclean" ? "LEADER_NOT_AVAILABLE" : "ELIGIBLE_LEADERS_NOT_AVAILABLE",
    `no in-sync replica of ${label} answers (ISR ${lead.isr.join(", ")}); it stays offline until one does${type === "unclean" ? "" : " (or an unclean election)"}`,
    { isr: lead.isr },
  );
}

/** The new ISR: the leader and the old members not found unreachable, in replica order. */
function withLeader(leader: number, isr: readonly number[], unreachable: ReadonlySet<number>): number[] {
  return [...new Set([leader, ...isr.filter((id) => !unreachable.has(id))])].sort((a, b) => a - b);
}
