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

/** Runs task over 0..count-1 like mapBounded; logs each failure (as "<what> <i>") and answers how many failed. */
export async function countFailures(count: number, limit: number, what: string, task: (i: number) => Promise<unknown>): Promise<number> {
  const outcomes = await mapBounded(count, limit, (i) =>
    task(i).then(
      () => true,
      (error: unknown) => {
        console.error(`${what} ${i}: ${String(error)}`);
        return false;
      },
    ),
  );
  return outcomes.filter((succeeded) => !succeeded).length;
}
