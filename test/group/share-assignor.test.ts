// The share groups' simple assignor (KIP-932) as table tests: coverage, sharing when members outnumber partitions,
// balance, determinism.
import { describe, expect, it } from "vitest";
import { assignShare, topicPartitionsOf, type ShareSubscriber } from "../../src/group/share-assignor";

const m = (memberId: string, ...topics: string[]): ShareSubscriber => ({ memberId, subscribedTopicNames: topics });
const show = (members: ShareSubscriber[], counts: Record<string, number>) =>
  Object.fromEntries([...assignShare(members, counts)].map(([id, a]) => [id, topicPartitionsOf(a).flatMap((t) => t.partitions.map((p) => `${t.topic}p${p}`))]));

describe("share assignor", () => {
  const cases: { name: string; members: ShareSubscriber[]; counts: Record<string, number>; want: Record<string, string[]> }[] = [
    { name: "one member takes every partition", members: [m("a", "t")], counts: { t: 3 }, want: { a: ["tp0", "tp1", "tp2"] } },
    { name: "fewer members than partitions: dealt round-robin", members: [m("a", "t"), m("b", "t")], counts: { t: 3 }, want: { a: ["tp0", "tp2"], b: ["tp1"] } },
    { name: "as many members as partitions: one each", members: [m("a", "t"), m("b", "t"), m("c", "t")], counts: { t: 3 }, want: { a: ["tp0"], b: ["tp1"], c: ["tp2"] } },
    {
      name: "more members than partitions: partitions shared",
      members: ["a", "b", "c", "d", "e"].map((id) => m(id, "t")),
      counts: { t: 2 },
      want: { a: ["tp0"], b: ["tp1"], c: ["tp0"], d: ["tp1"], e: ["tp0"] },
    },
    { name: "a topic that does not exist assigns nothing", members: [m("a", "gone")], counts: {}, want: { a: [] } },
    { name: "only subscribers of a topic get it", members: [m("a", "t"), m("b", "u")], counts: { t: 2, u: 1 }, want: { a: ["tp0", "tp1"], b: ["up0"] } },
    // The rotation carries over topics: "a" gets the extra partition of t, "b" that of u.
    { name: "balanced across topics", members: [m("a", "t", "u"), m("b", "t", "u")], counts: { t: 3, u: 3 }, want: { a: ["tp0", "tp2", "up1"], b: ["tp1", "up0", "up2"] } },
  ];
  for (const c of cases) it(c.name, () => expect(show(c.members, c.counts)).toEqual(c.want));

  it("every partition is assigned, counts differ by at most one, and the order of members does not matter", () => {
    for (let members = 1; members <= 12; members++) {
      for (let partitions = 1; partitions <= 8; partitions++) {
        const list = Array.from({ length: members }, (_, i) => m(`m${String(i).padStart(2, "0")}`, "t"));
        const a = assignShare(list, { t: partitions });
        const sizes = [...a.values()].map((x) => x.get("t")?.length ?? 0);
        const covered = new Set([...a.values()].flatMap((x) => x.get("t") ?? []));
        expect(covered.size, `${members} members, ${partitions} partitions`).toBe(partitions);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        // Sharing is balanced too: each partition has floor(members / partitions) or one more holders.
        const holders = new Map<number, number>();
        for (const x of a.values()) for (const p of x.get("t") ?? []) holders.set(p, (holders.get(p) ?? 0) + 1);
        expect(Math.max(...holders.values()) - Math.min(...holders.values())).toBeLessThanOrEqual(1);
        expect(show([...list].reverse(), { t: partitions })).toEqual(show(list, { t: partitions }));
      }
    }
  });
});
