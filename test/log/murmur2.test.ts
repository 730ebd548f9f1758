// Every vector of kafka-semantics §1.4: murmur2 as Kafka's Utils.murmur2 and partitions as its Java client.
import { describe, expect, it } from "vitest";
import { murmur2, toPositive } from "../../src/log/murmur2";
import { partitionForKey, partitionForStringKey } from "../../src/log/partitioner";

const text = (s: string) => new TextEncoder().encode(s);

// [key bytes, murmur2 int32, toPositive, p(3), p(12), p(1000)]
const VECTORS: [Uint8Array, number, number, number, number, number][] = [
  [text("21"), -973932308, 1173551340, 0, 0, 340],
  [text("foobar"), -790332482, 1357151166, 0, 6, 166],
  [text("a-little-bit-long-string"), -985981536, 1161502112, 2, 8, 112],
  [text("a-little-bit-longer-string"), -1486304829, 661178819, 2, 11, 819],
  [text("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"), -58897971, 2088585677, 2, 5, 677],
  [text("abc"), 479470107, 479470107, 0, 3, 107],
  [text(""), 275646681, 275646681, 0, 9, 681],
  [text("a"), -1563381124, 584102524, 1, 4, 524],
  [text("ab"), 316155434, 316155434, 2, 2, 434],
  [text("123456789"), -1822237082, 325246566, 0, 6, 566],
  [new Uint8Array([0x00, 0x20]), 1121897742, 1121897742, 0, 6, 742],
  [text("kafka"), -798503068, 1348980580, 1, 4, 580],
  [text("giberish123456789"), -1890243828, 257239820, 2, 8, 820],
  [text("1234"), -1614185708, 533297940, 0, 0, 940],
  [text("4"), 1514888353, 1514888353, 1, 1, 353],
  [text("0"), 971027396, 971027396, 2, 8, 396],
  [text("1"), -1993445489, 154038159, 0, 3, 159],
  [text("100:48069"), 1009543857, 1009543857, 0, 9, 857],
];

describe("murmur2 (Kafka Utils.murmur2)", () => {
  it.each(VECTORS.map((v) => [new TextDecoder().decode(v[0]) || `bytes ${[...v[0]]}`, ...v] as const))("%s", (_name, bytes, hash, positive, p3, p12, p1000) => {
    expect(murmur2(bytes)).toBe(hash);
    expect(toPositive(murmur2(bytes))).toBe(positive);
    expect(partitionForKey(bytes, 3)).toBe(p3);
    expect(partitionForKey(bytes, 12)).toBe(p12);
    expect(partitionForKey(bytes, 1000)).toBe(p1000);
  });

  it("matches librdkafka's hex vectors", () => {
    expect(murmur2(text("234")) >>> 0).toBe(0xe7c009ca);
    expect(murmur2(text("34")) >>> 0).toBe(0x873930da);
    expect(murmur2(text("PreAmbleWillBeRemoved,ThePrePartThatIs")) >>> 0).toBe(0x78424f1c);
    expect(murmur2(text("kafka")) >>> 0).toBe(0xd067cf64);
  });

  it("masks high bytes like Java's & 0xff", () => {
    expect(murmur2(text("é"))).toBe(186971271);
    expect(murmur2(new Uint8Array([0xff, 0xfe, 0x80]))).toBe(-160726397);
  });

  it("puts Kafka Streams' pre-computed String keys on the same partitions (N=3)", () => {
    const expected: Record<string, number> = { "0": 2, "1": 0, "2": 2, "3": 2, "4": 1, "5": 0, "6": 1, "7": 0, "8": 0, "9": 2 };
    for (const [key, partition] of Object.entries(expected)) expect(partitionForStringKey(key, 3)).toBe(partition);
  });

  it("toPositive masks the sign bit (not Math.abs)", () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(0x7fffffff);
  });
});
