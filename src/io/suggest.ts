/**
 * "Did you mean": the known names nearest to one that was mistyped, by edit
 * distance (Levenshtein: insertions, deletions and substitutions each cost 1;
 * two neighbouring letters swapped, `jsno` for `json`, cost 1 too).
 * Used for commands and options (src/cli/main.ts) and for a missing artifact
 * path (src/pipeline/locate.ts). Bounded: at most SUGGEST_MAX_CANDIDATES names
 * are compared, each cut to SUGGEST_MAX_LENGTH characters (docs/limits.md).
 */

/** Most candidate names compared for one suggestion (a container may list 100 000 members). */
export const SUGGEST_MAX_CANDIDATES = 20000;
/** Characters of each name compared (a longer name is compared by its start). */
export const SUGGEST_MAX_LENGTH = 128;

/** The edit distance between `a` and `b` (each cut to SUGGEST_MAX_LENGTH). */
export function editDistance(a: string, b: string): number {
  a = a.slice(0, SUGGEST_MAX_LENGTH);
  b = b.slice(0, SUGGEST_MAX_LENGTH);
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) cur[j] = Math.min(cur[j], before[j - 2] + 1);
    }
    before = prev;
    prev = cur;
  }
  return prev[b.length];
}

export interface SuggestOptions {
  /** How many names to return at most (default 1). */
  max?: number;
  /** Only names at most this far away (default: any distance). */
  maxDistance?: number;
}

/** The names nearest to `typed`, nearest first (ties in the candidates' order). */
export function nearest(typed: string, candidates: Iterable<string>, opts: SuggestOptions = {}): string[] {
  const scored: { name: string; d: number; i: number }[] = [];
  let i = 0;
  for (const name of candidates) {
    if (i >= SUGGEST_MAX_CANDIDATES) break;
    const d = editDistance(typed, name);
    if (opts.maxDistance === undefined || d <= opts.maxDistance) scored.push({ name, d, i });
    i++;
  }
  scored.sort((x, y) => x.d - y.d || x.i - y.i);
  return [...new Set(scored.map((s) => s.name))].slice(0, opts.max ?? 1);
}

/** The usual threshold for a typo: a third of the typed length, at least 1, at most 3. */
export function typoDistance(typed: string): number {
  return Math.max(1, Math.min(3, Math.floor(typed.length / 3)));
}
