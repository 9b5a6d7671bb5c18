/**
 * Long lists in messages: the first few items, then a count of the rest.
 * Decoders and rules cap what they list so that a broken file cannot flood a
 * report; these helpers say how many were left out, the same way everywhere.
 */

/** The first `max` items, then (only when some are left out) one item `rest` makes from how many were left out. */
export function firstN<T>(items: readonly T[], max: number, rest: (left: number) => T): T[] {
  return items.length <= max ? [...items] : [...items.slice(0, max), rest(items.length - max)];
}

/**
 * ` (and N more)` for the `total - shown` items a message does not show
 * (` (and N more <noun>s)` with a noun), or '' when it shows them all.
 */
export function andMore(total: number, shown: number, noun?: string): string {
  const left = total - shown;
  if (left <= 0) return '';
  return ` (and ${left} more${noun ? ` ${noun}${left > 1 ? 's' : ''}` : ''})`;
}
