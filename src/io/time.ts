/**
 * Seconds since the epoch, as found in headers (a u32 or u64 field of
 * untrusted input), to an ISO 8601 string. A value JavaScript's Date cannot
 * hold (past ±8.64e15 ms, or not a finite number) gives `undefined` instead of
 * a RangeError, so a hostile timestamp is reported as absent, not as an
 * internal error.
 */
export function isoSeconds(seconds: number | bigint): string | undefined {
  const n = typeof seconds === 'bigint' ? Number(seconds) : seconds;
  const ms = n * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return undefined;
  return new Date(ms).toISOString();
}
