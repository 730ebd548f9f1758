// chooseLeader (src/controller/choose-leader.ts), table-driven: who leads after an election, and the new ISR, from the
// current leadership and what each replica answered to a probe.
import { describe, expect, it } from "vitest";
import { chooseLeader, type ElectionType } from "../../src/controller/choose-leader";
import type { ErrorType } from "../../src/errors";

/** A replica that answers, with its log end; "down": it did not answer. */
type Probe = number | "down";

interface Row {
  name: string;
  type: ElectionType;
  leader: number;
  isr: number[];
  probes: Probe[];
  uncleanAllowed?: boolean;
  /** The new leader and ISR, or the refusal. */
  expected: { leader: number; isr: number[] } | ErrorType;
}

const ROWS: Row[] = [
  // "unavailable": the router could not reach the leader.
  { name: "the leader answers after all", type: "unavailable", leader: 0, isr: [0, 1, 2], probes: [5, 5, 5], expected: "ELECTION_NOT_NEEDED" },
  { name: "the next ISR member leads; the old leader leaves the ISR", type: "unavailable", leader: 0, isr: [0, 1, 2], probes: ["down", 5, 5], expected: { leader: 1, isr: [1, 2] } },
  { name: "ISR members found down on the way leave it; those after the new leader stay (its own ISR checks handle them)", type: "unavailable", leader: 0, isr: [0, 1, 2, 3], probes: ["down", "down", 5, "down"], expected: { leader: 2, isr: [2, 3] } },
  { name: "a replica out of the ISR is never chosen cleanly, however long its log", type: "unavailable", leader: 1, isr: [1, 2], probes: [9, "down", 5], expected: { leader: 2, isr: [2] } },
  { name: "the leader after a previous failover may be any replica", type: "unavailable", leader: 2, isr: [0, 2], probes: [4, 4, "down"], expected: { leader: 0, isr: [0] } },
  { name: "no ISR member answers: offline", type: "unavailable", leader: 0, isr: [0, 1], probes: ["down", "down", 7], expected: "ELIGIBLE_LEADERS_NOT_AVAILABLE" },
  { name: "a sole-ISR leader down: offline", type: "unavailable", leader: 0, isr: [0], probes: ["down", 7, 7], expected: "ELIGIBLE_LEADERS_NOT_AVAILABLE" },
  { name: "no ISR member answers, the topic allows unclean election: the longest log leads alone", type: "unavailable", uncleanAllowed: true, leader: 0, isr: [0, 1], probes: ["down", "down", 7, 9], expected: { leader: 3, isr: [3] } },
  { name: "unclean: equal logs, the lowest replica leads", type: "unavailable", uncleanAllowed: true, leader: 0, isr: [0], probes: ["down", 7, 7], expected: { leader: 1, isr: [1] } },
  { name: "unclean allowed but an ISR member answers: a clean choice", type: "unavailable", uncleanAllowed: true, leader: 0, isr: [0, 1], probes: ["down", 3, 9], expected: { leader: 1, isr: [1] } },
  { name: "unclean allowed, nobody answers: offline", type: "unavailable", uncleanAllowed: true, leader: 0, isr: [0, 1], probes: ["down", "down", "down"], expected: "ELIGIBLE_LEADERS_NOT_AVAILABLE" },
  // "unclean": an admin allows it for this election.
  { name: "unclean request: the leader answers", type: "unclean", leader: 0, isr: [0], probes: [1, 9], expected: "ELECTION_NOT_NEEDED" },
  { name: "unclean request: an ISR member still leads first", type: "unclean", leader: 0, isr: [0, 1], probes: ["down", 2, 9], expected: { leader: 1, isr: [1] } },
  { name: "unclean request: out-of-sync replica with the longest log", type: "unclean", leader: 0, isr: [0], probes: ["down", 2, 9], expected: { leader: 2, isr: [2] } },
  { name: "unclean request: an empty replica may lead", type: "unclean", leader: 1, isr: [1], probes: [0, "down"], expected: { leader: 0, isr: [0] } },
  { name: "unclean request, nobody answers", type: "unclean", leader: 0, isr: [0], probes: ["down", "down"], expected: "LEADER_NOT_AVAILABLE" },
  // "preferred": back to replica 0.
  { name: "preferred: replica 0 already leads", type: "preferred", leader: 0, isr: [0, 1], probes: [5, 5], expected: "ELECTION_NOT_NEEDED" },
  { name: "preferred: replica 0 in sync and answering leads; the ISR is kept", type: "preferred", leader: 1, isr: [0, 1, 2], probes: [5, 5, "down"], expected: { leader: 0, isr: [0, 1, 2] } },
  { name: "preferred: replica 0 out of the ISR", type: "preferred", leader: 1, isr: [1, 2], probes: [5, 5, 5], expected: "PREFERRED_LEADER_NOT_AVAILABLE" },
  { name: "preferred: replica 0 in the ISR but down", type: "preferred", leader: 1, isr: [0, 1], probes: ["down", 5], expected: "PREFERRED_LEADER_NOT_AVAILABLE" },
];

describe("chooseLeader", () => {
  it.each(ROWS)("$type: $name", (row) => {
    const result = chooseLeader({
      type: row.type,
      label: "t/0",
      lead: { leader: row.leader, leaderEpoch: 3, isr: row.isr },
      replicationFactor: row.probes.length,
      uncleanAllowed: row.uncleanAllowed ?? false,
      statuses: row.probes.map((p) => (p === "down" ? undefined : { logEndOffset: p, leaderEpoch: 3 })),
    });
    if (typeof row.expected === "string") {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error.type).toBe(row.expected);
        expect(result.error.message).toContain("t/0");
      }
    } else expect(result).toEqual({ ok: true, value: row.expected });
  });

  it("refusals carry what a caller needs: the leader and epoch when none is needed, the ISR otherwise", () => {
    const lead = { leader: 1, leaderEpoch: 3, isr: [1, 2] };
    const base = { label: "t/0", lead, replicationFactor: 3, uncleanAllowed: false };
    expect(chooseLeader({ ...base, type: "unavailable", statuses: [undefined, { logEndOffset: 1, leaderEpoch: 3 }, undefined] })).toMatchObject({
      ok: false,
      error: { details: { leader: 1, leaderEpoch: 3 } },
    });
    expect(chooseLeader({ ...base, type: "unavailable", statuses: [undefined, undefined, undefined] })).toMatchObject({ ok: false, error: { details: { isr: [1, 2] } } });
    expect(chooseLeader({ ...base, type: "preferred", statuses: [undefined, undefined, undefined] })).toMatchObject({ ok: false, error: { details: { isr: [1, 2] } } });
  });
});
