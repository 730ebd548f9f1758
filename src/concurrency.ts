// Bounded fan-out: many Durable Object calls without opening hundreds at once. A leaf: imports nothing of ours.

/** Maps task over 0..count-1 with at most `limit` in flight; results keep index order. */
export async function mapBounded<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
}
