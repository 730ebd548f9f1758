// Assignors as table tests; fixtures are the javadoc examples of kafka-semantics §2.3 and §2.2.
import { describe, expect, it } from "vitest";
import { assign, type AssignorMember } from "../../src/group/assignors";
import { fromTopicPartitions, toTopicPartitions } from "../../src/group/assignment";

const member = (memberId: string, subscribedTopics: string[], current: string[] = []): AssignorMember => ({ memberId, subscribedTopics, current });
const show = (a: Map<string, string[]>) => Object.fromEntries([...a].map(([id, tps]) => [id, toTopicPartitions(tps).flatMap((t) => t.partitions.map((p) => `${t.topic}p${p}`))]));
const tps = (...names: string[]) => fromTopicPartitions(names.map((n) => ({ topic: n.split("p")[0]!, partitions: [Number(n.split("p")[1])] })));

describe("range", () => {
  it("RangeAssignor javadoc: C0,C1 on t0,t1 with 3 partitions each", () => {
    const a = assign("range", [member("C0", ["t0", "t1"]), member("C1", ["t0", "t1"])], new Map([["t0", 3], ["t1", 3]]));
    expect(show(a)).toEqual({ C0: ["t0p0", "t0p1", "t1p0", "t1p1"], C1: ["t0p2", "t1p2"] });
  });
  it("server-side RangeAssignor: M0/M1 with T1 and T2 at 3 partitions each co-partitions", () => {
    const a = assign("range", [member("M1", ["T1", "T2"]), member("M0", ["T1", "T2"])], new Map([["T1", 3], ["T2", 3]]));
    expect(show(a)).toEqual({ M0: ["T1p0", "T1p1", "T2p0", "T2p1"], M1: ["T1p2", "T2p2"] });
  });
  it("more members than partitions leaves members idle", () => {
    const a = assign("range", ["a", "b", "c", "d"].map((id) => member(id, ["t"])), new Map([["t", 2]]));
    expect(show(a)).toEqual({ a: ["tp0"], b: ["tp1"], c: [], d: [] });
  });
});

describe("uniform", () => {
  it("StickyAssignor javadoc 1: C0,C1,C2 over t0..t3 with 2 partitions each", () => {
    const topics = new Map([["t0", 2], ["t1", 2], ["t2", 2], ["t3", 2]]);
    const all = ["t0", "t1", "t2", "t3"];
    const first = assign("uniform", [member("C0", all), member("C1", all), member("C2", all)], topics);
    expect(show(first)).toEqual({ C0: ["t0p0", "t1p1", "t3p0"], C1: ["t0p1", "t2p0", "t3p1"], C2: ["t1p0", "t2p1"] });
    // C1 leaves: C0 and C2 keep everything they had and split C1's partitions.
    const second = assign("uniform", [member("C0", all, first.get("C0")), member("C2", all, first.get("C2"))], topics);
    expect(show(second)).toEqual({ C0: ["t0p0", "t1p1", "t2p0", "t3p0"], C2: ["t0p1", "t1p0", "t2p1", "t3p1"] });
  });

  it("StickyAssignor javadoc 2: heterogeneous subscriptions are balanced where subscriptions allow", () => {
    const topics = new Map([["t0", 1], ["t1", 2], ["t2", 3]]);
    const first = assign("uniform", [member("C0", ["t0"]), member("C1", ["t0", "t1"]), member("C2", ["t0", "t1", "t2"])], topics);
    expect(show(first)).toEqual({ C0: ["t0p0"], C1: ["t1p0", "t1p1"], C2: ["t2p0", "t2p1", "t2p2"] });
    const second = assign("uniform", [member("C1", ["t0", "t1"], first.get("C1")), member("C2", ["t0", "t1", "t2"], first.get("C2"))], topics);
    expect(show(second)).toEqual({ C1: ["t0p0", "t1p0", "t1p1"], C2: ["t2p0", "t2p1", "t2p2"] });
  });

  it("seeds: 6 partitions and 3 members get 2 each; 4 partitions and 8 members leave 4 idle", () => {
    const six = assign("uniform", ["m1", "m2", "m3"].map((id) => member(id, ["orders"])), new Map([["orders", 6]]));
    expect([...six.values()].map((x) => x.length)).toEqual([2, 2, 2]);
    const four = assign("uniform", Array.from({ length: 8 }, (_, i) => member(`m${i}`, ["orders"])), new Map([["orders", 4]]));
    const sizes = [...four.values()].map((x) => x.length);
    expect(sizes.filter((n) => n === 1)).toHaveLength(4);
    expect(sizes.filter((n) => n === 0)).toHaveLength(4);
  });

  it("is sticky: a new member takes only what balance requires", () => {
    const topics = new Map([["t", 6]]);
    const two = assign("uniform", [member("a", ["t"]), member("b", ["t"])], topics);
    const three = assign("uniform", [member("a", ["t"], two.get("a")), member("b", ["t"], two.get("b")), member("c", ["t"])], topics);
    const moved = [...three.get("c")!];
    expect(moved).toHaveLength(2);
    for (const id of ["a", "b"]) expect(three.get(id)!.every((tp) => two.get(id)!.includes(tp))).toBe(true);
  });

  it("drops partitions of deleted topics and of unsubscribed topics", () => {
    const a = assign("uniform", [member("a", ["x"], tps("xp0", "yp0", "xp5"))], new Map([["x", 2], ["y", 1]]));
    expect(show(a)).toEqual({ a: ["xp0", "xp1"] });
  });
});
