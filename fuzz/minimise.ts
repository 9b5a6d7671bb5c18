/**
 * Shrinks a failing input while it still fails the same way: the shortest
 * failing prefix first (a binary search over cuts), then chunks removed from
 * the middle, halving the chunk size, then chunks zeroed (the bytes that do
 * not matter become 0, so what is left to read is what matters). Bounded by a
 * number of attempts and a deadline: a minimised input is a convenience.
 */
export interface MinimiseOptions {
  maxAttempts: number;
  deadline: number;
  /** Called before each attempt (the worker's heartbeat for the watchdog). */
  onAttempt?: () => void;
}

export async function minimise(input: Buffer, fails: (b: Buffer) => Promise<boolean>, o: MinimiseOptions): Promise<{ bytes: Buffer; attempts: number }> {
  let best = input;
  let attempts = 0;
  const budgetLeft = () => attempts < o.maxAttempts && Date.now() < o.deadline;
  const tryIt = async (b: Buffer): Promise<boolean> => {
    attempts++;
    o.onAttempt?.();
    return fails(b);
  };

  // 1. The shortest failing prefix (the failure need not be monotonic in the cut: this finds a short one, not the shortest).
  let lo = 0;
  let hi = best.length;
  while (lo < hi && budgetLeft()) {
    const mid = Math.floor((lo + hi) / 2);
    if (await tryIt(best.subarray(0, mid))) hi = mid;
    else lo = mid + 1;
  }
  if (hi < best.length) best = best.subarray(0, hi);

  // 2. Chunks removed, from half the input down to single bytes (16 for inputs over 64 KiB).
  const floor = best.length > 65536 ? 16 : 1;
  for (let size = Math.floor(best.length / 2); size >= floor && budgetLeft(); size = Math.floor(size / 2)) {
    for (let at = 0; at + size <= best.length && budgetLeft();) {
      const cand = Buffer.concat([best.subarray(0, at), best.subarray(at + size)]);
      if (await tryIt(cand)) best = cand;
      else at += size;
    }
  }

  // 3. Chunks zeroed.
  for (let size = Math.max(1, Math.floor(best.length / 8)); size >= Math.max(1, floor) && budgetLeft(); size = Math.floor(size / 2)) {
    for (let at = 0; at < best.length && budgetLeft(); at += size) {
      const end = Math.min(best.length, at + size);
      if (best.subarray(at, end).every((x) => x === 0)) continue;
      const cand = Buffer.from(best);
      cand.fill(0, at, end);
      if (await tryIt(cand)) best = cand;
    }
  }
  return { bytes: Buffer.from(best), attempts };
}
