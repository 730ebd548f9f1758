// Stream-Seq (P§5.2): an opaque per-stream writer sequence; an append whose value is not byte-wise greater than the
// last one is refused (409). Byte-wise: "09" < "10" but "2" > "10", and case matters. A leaf.

export function seqAfter(candidate: string, last: string): boolean {
  const a = new TextEncoder().encode(candidate);
  const b = new TextEncoder().encode(last);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return a.length > b.length;
}
