/**
 * Text laid out for a terminal of a given width: words wrapped whole, a
 * table only when it fits, a list of blocks otherwise (docs/cli.md, output
 * width). Widths are terminal columns: colour codes count for nothing, wide
 * characters for two.
 */

// cli-table3's own width measure (ANSI colours stripped, wide characters counted twice), so widths agree with its layout.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { strlen: tableStrlen } = require('cli-table3/src/utils') as { strlen(s: string): number };

/** Columns `s` takes on a terminal. Printable ASCII, the common case, is one column a character. */
export function textWidth(s: string): number {
  return /^[\x20-\x7e]*$/.test(s) ? s.length : tableStrlen(s);
}

/** The narrowest terminal romscope lays out for; a smaller width is taken as this one. */
export const MIN_WIDTH = 40;

/**
 * Splits a word wider than `width` into pieces that fit: the only case where
 * a word is broken (a 64-digit digest on a 60-column terminal).
 */
function splitLong(word: string, width: number): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of word) {
    if (cur && textWidth(cur + ch) > width) {
      out.push(cur);
      cur = '';
    }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/**
 * `text` wrapped to lines of at most `width` columns, at spaces only; a line
 * break in the text is kept. A word is split only when it alone is wider than
 * `width`.
 */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(1, width);
  const lines: string[] = [];
  for (const para of text.split('\n')) {
    let cur = '';
    let curWidth = 0;
    for (const word of para.split(' ')) {
      if (word === '') continue;
      const ww = textWidth(word);
      if (cur && curWidth + 1 + ww <= w) {
        cur += ` ${word}`;
        curWidth += 1 + ww;
        continue;
      }
      if (cur) lines.push(cur);
      if (ww <= w) {
        cur = word;
        curWidth = ww;
      } else {
        const pieces = splitLong(word, w);
        lines.push(...pieces.slice(0, -1));
        cur = pieces[pieces.length - 1];
        curWidth = textWidth(cur);
      }
    }
    lines.push(cur);
  }
  return lines;
}

/**
 * `text` wrapped to `width`, after a prefix: the first line starts with
 * `prefix`, the others with as many spaces as it is wide, so the text forms
 * one column beside it (a severity and rule beside a message).
 */
export function besides(prefix: string, text: string, width: number): string[] {
  const pw = textWidth(prefix);
  return wrapText(text, width - pw).map((l, i) => (i === 0 ? prefix : ' '.repeat(pw)) + l);
}

/** Widest line of a cell. */
export function cellWidth(s: string): number {
  let w = 0;
  for (const l of s.split('\n')) w = Math.max(w, textWidth(l));
  return w;
}

/** Widest word of a cell: the narrowest column that holds it without breaking a word. */
export function longestWord(s: string): number {
  let w = 0;
  for (const word of s.split(/[ \n]+/)) w = Math.max(w, textWidth(word));
  return w;
}

/** Columns a bordered table of these column widths takes: one space of padding each side, one border between and around. */
export function tableWidth(widths: number[]): number {
  return widths.reduce((n, w) => n + w + 3, 1);
}

/**
 * Cells with the `flex` column wrapped so the table is at most `width`
 * columns wide, or null when it cannot be (the other columns alone are too
 * wide, or the flexible column would have to break a word or be narrower
 * than `minFlex`). Without `width` the rows are kept as they are.
 */
export function fitRows(head: string[], rows: string[][], width: number, flex: number, minFlex = 30): string[][] | null {
  const natural = head.map((h, i) => rows.reduce((w, r) => Math.max(w, cellWidth(r[i] ?? '')), cellWidth(h)));
  if (tableWidth(natural) <= width) return rows;
  const others = tableWidth(natural.map((w, i) => (i === flex ? 0 : w)));
  const room = width - others;
  const needed = rows.reduce((w, r) => Math.max(w, longestWord(r[flex] ?? '')), longestWord(head[flex]));
  if (room < Math.max(minFlex, needed)) return null;
  return rows.map((r) => r.map((c, i) => (i === flex ? wrapText(c, room).join('\n') : c)));
}
