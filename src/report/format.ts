export function humanSize(n: number | null): string {
  if (n === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export interface Colors {
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const wrap = (a: number, b: number) => (s: string) => `\x1b[${a}m${s}\x1b[${b}m`;
export const ANSI: Colors = { red: wrap(31, 39), yellow: wrap(33, 39), green: wrap(32, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
const id = (s: string) => s;
export const PLAIN: Colors = { red: id, yellow: id, green: id, dim: id, bold: id };

/**
 * Text from the input made safe to print on a terminal: C0 and C1 control
 * characters and DEL (ESC starts the sequences that recolour the terminal,
 * move its cursor or retitle its window) and the bidirectional overrides
 * and isolates (which reorder what is shown) become visible escapes: `\x1b`,
 * `\n`, `\t`, `\u202e`. Printable Unicode is kept. Text renderers (table,
 * progress line, messages on stderr) pass every string from the input
 * through it; JSON and SARIF keep the exact string.
 */
export function terminalSafe(s: string): string {
  return UNSAFE.test(s) ? s.replace(UNSAFE_ALL, escapeChar) : s;
}

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const UNSAFE_ALL = new RegExp(UNSAFE.source, 'g');
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  return NAMED[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
}
