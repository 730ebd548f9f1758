// Server-side assignors, as in KIP-848 (group.consumer.assignors = [uniform, range]). Pure functions of the
// members' subscriptions, the topics' partition counts and (for "uniform") the current target assignment.
//   range:   per topic, members subscribed to it sorted by id; each gets floor(P/C) contiguous partitions and the
//            first P % C get one more (co-partitions topics with equal counts).
//   uniform: balanced (counts differ by at most one wherever subscriptions allow) and sticky (a partition stays
//            with its owner unless balance needs it elsewhere). Unowned partitions go, in topic-partition order, to
//            the eligible member with the fewest; then partitions move from the fullest to the emptiest eligible
//            member until no move improves balance.
import { compareTp, tpKey } from "./assignment";

export const ASSIGNORS = ["uniform", "range"] as const;
export type AssignorName = (typeof ASSIGNORS)[number];

export interface AssignorMember {
  memberId: string;
  subscribedTopics: readonly string[];
  /** Partitions the member holds in the current target assignment (tp keys): the stickiness input. */
  current: readonly string[];
}

/** Topic name -> partition count, for topics that exist. */
export type TopicCounts = ReadonlyMap<string, number>;

/** memberId -> assigned tp keys, sorted. Every member appears, possibly with nothing. */
export type Assignment = Map<string, string[]>;

export function assign(assignor: AssignorName, members: readonly AssignorMember[], topics: TopicCounts): Assignment {
  return assignor === "range" ? rangeAssign(members, topics) : uniformAssign(members, topics);
}

function byId(a: AssignorMember, b: AssignorMember): number {
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

export function rangeAssign(members: readonly AssignorMember[], topics: TopicCounts): Assignment {
  const result: Assignment = new Map(members.map((m) => [m.memberId, []]));
  const sorted = [...members].sort(byId);
  for (const topic of [...topics.keys()].sort()) {
    const count = topics.get(topic)!;
    const subscribers = sorted.filter((m) => m.subscribedTopics.includes(topic));
    if (subscribers.length === 0) continue;
    const base = Math.floor(count / subscribers.length);
    const extra = count % subscribers.length;
    let next = 0;
    subscribers.forEach((m, i) => {
      const n = base + (i < extra ? 1 : 0);
      for (let k = 0; k < n; k++) result.get(m.memberId)!.push(tpKey(topic, next++));
    });
  }
  for (const list of result.values()) list.sort(compareTp);
  return result;
}

export function uniformAssign(members: readonly AssignorMember[], topics: TopicCounts): Assignment {
  const sorted = [...members].sort(byId);
  const owned = new Map<string, Set<string>>(sorted.map((m) => [m.memberId, new Set<string>()]));
  const subscribers = new Map<string, AssignorMember[]>();
  for (const topic of topics.keys()) subscribers.set(topic, sorted.filter((m) => m.subscribedTopics.includes(topic)));
  const eligible = (m: AssignorMember, tp: string) => {
    const topic = tp.slice(0, tp.indexOf("\u0000"));
    return m.subscribedTopics.includes(topic);
  };

  // 1. Sticky: keep what each member held, if it still exists and the member still subscribes to it.
  const taken = new Set<string>();
  for (const m of sorted) {
    for (const tp of m.current) {
      const topic = tp.slice(0, tp.indexOf("\u0000"));
      const partition = Number(tp.slice(tp.indexOf("\u0000") + 1));
      const count = topics.get(topic);
      if (count === undefined || partition >= count || !eligible(m, tp) || taken.has(tp)) continue;
      owned.get(m.memberId)!.add(tp);
      taken.add(tp);
    }
  }

  // 2. Every unowned partition, in order, to the eligible member holding the fewest (ties: lowest member id).
  for (const topic of [...topics.keys()].sort()) {
    const candidates = subscribers.get(topic)!;
    if (candidates.length === 0) continue;
    for (let p = 0; p < topics.get(topic)!; p++) {
      const tp = tpKey(topic, p);
      if (taken.has(tp)) continue;
      let best = candidates[0]!;
      for (const c of candidates) if (owned.get(c.memberId)!.size < owned.get(best.memberId)!.size) best = c;
      owned.get(best.memberId)!.add(tp);
      taken.add(tp);
    }
  }

  // 3. Balance: move a partition from a member with the most to an eligible member with at least two fewer.
  //    Each move lowers the sum of squared counts, so this ends; the bound is a guard, not the stop condition.
  for (let guard = 0; guard < 100_000; guard++) {
    let moved = false;
    const bySize = [...sorted].sort((a, b) => owned.get(b.memberId)!.size - owned.get(a.memberId)!.size || byId(a, b));
    outer: for (const giver of bySize) {
      const gives = owned.get(giver.memberId)!;
      for (const taker of [...bySize].reverse()) {
        const takes = owned.get(taker.memberId)!;
        if (gives.size - takes.size < 2) break;
        // Move the highest-ordered partition the taker may have (keeps low partitions where they are).
        const movable = [...gives].filter((tp) => eligible(taker, tp)).sort(compareTp);
        const tp = movable[movable.length - 1];
        if (tp === undefined) continue;
        gives.delete(tp);
        takes.add(tp);
        moved = true;
        break outer;
      }
    }
    if (!moved) break;
  }

  return new Map(sorted.map((m) => [m.memberId, [...owned.get(m.memberId)!].sort(compareTp)]));
}
