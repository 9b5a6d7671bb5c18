/**
 * Helpers for a handler's `summary(info)` (src/formats/types.ts): the short
 * phrases the human output shows for an artifact. Info may be incomplete
 * (a damaged file), so every helper takes `unknown` and gives nothing for a
 * value it does not understand.
 */
import { humanSize } from '../report/format';

/** The phrases that are non-empty strings. */
export function phrases(...p: unknown[]): string[] {
  return p.filter((x): x is string => typeof x === 'string' && x !== '');
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** `label value` when the value is a non-empty string or a number. */
export function labelled(label: string, v: unknown): string | undefined {
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : str(v);
  return s === undefined ? undefined : `${label} ${s}`;
}

/** `n noun(s)` for a count or an array's length (`plural` when adding an s is wrong). */
export function counted(v: unknown, noun: string, plural = `${noun}s`): string | undefined {
  const n = Array.isArray(v) ? v.length : num(v);
  return n === undefined ? undefined : `${n} ${n === 1 ? noun : plural}`;
}

/** `label 1.5 MiB` for a byte count. */
export function sized(label: string, v: unknown): string | undefined {
  const n = num(v);
  return n === undefined ? undefined : `${label} ${humanSize(n)}`;
}

/** A long text (a kernel command line) cut to `max` characters. */
export function cut(v: unknown, max = 60): string | undefined {
  const s = str(v);
  return s === undefined ? undefined : s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** What a compression stream decodes to. */
export function decodedTo(info: Record<string, unknown>): string[] {
  return phrases(sized('decodes to', info.decodedSize ?? info.contentSize));
}
