/**
 * Text of the small script and property formats (updater-script, android-info.txt,
 * flash_all.sh, build.prop, OTA metadata). Real files are ASCII or UTF-8 with
 * LF or CRLF line ends; some Windows tools save scripts as UTF-16. Decoding
 * never throws: bytes that are not valid UTF-8 become U+FFFD.
 */

export type TextEncoding = 'utf-8' | 'utf-16le' | 'utf-16be';

export interface DecodedText {
  text: string;
  encoding: TextEncoding;
  /** A byte order mark was present (and is not part of `text`). */
  bom: boolean;
}

/** UTF-16 without a BOM: most odd bytes (LE) or even bytes (BE) of the first KiB are NUL. */
function guessUtf16(b: Buffer): TextEncoding | null {
  const n = Math.min(b.length, 1024) & ~1;
  if (n < 4) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) evenNul++;
    if (b[i + 1] === 0) oddNul++;
  }
  const pairs = n / 2;
  if (oddNul > pairs * 0.9 && evenNul < pairs * 0.1) return 'utf-16le';
  if (evenNul > pairs * 0.9 && oddNul < pairs * 0.1) return 'utf-16be';
  return null;
}

export function decodeText(b: Buffer): DecodedText {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { text: b.toString('utf8', 3), encoding: 'utf-8', bom: true };
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { text: b.subarray(2, 2 + ((b.length - 2) & ~1)).toString('utf16le'), encoding: 'utf-16le', bom: true };
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { text: swap16(b.subarray(2)).toString('utf16le'), encoding: 'utf-16be', bom: true };
  const guess = guessUtf16(b);
  if (guess === 'utf-16le') return { text: b.subarray(0, b.length & ~1).toString('utf16le'), encoding: guess, bom: false };
  if (guess === 'utf-16be') return { text: swap16(b).toString('utf16le'), encoding: guess, bom: false };
  return { text: b.toString('utf8'), encoding: 'utf-8', bom: false };
}

function swap16(b: Buffer): Buffer {
  const out = Buffer.alloc(b.length & ~1);
  for (let i = 0; i + 1 < b.length; i += 2) {
    out[i] = b[i + 1];
    out[i + 1] = b[i];
  }
  return out;
}

/** Looks like text: in the peek, no NUL bytes (unless UTF-16) and few control characters. */
export function looksLikeText(peek: Buffer): boolean {
  if (peek.length === 0) return false;
  if ((peek[0] === 0xff && peek[1] === 0xfe) || (peek[0] === 0xfe && peek[1] === 0xff) || guessUtf16(peek)) return true;
  const n = Math.min(peek.length, 4096);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = peek[i];
    if (c === 0) return false;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) odd++;
  }
  return odd <= n / 100;
}

/** Decodes the peek of a document for detection (it may be cut in the middle of a character: harmless here). */
export function peekText(peek: Buffer): string {
  return decodeText(peek.subarray(0, Math.min(peek.length, 16 * 1024))).text;
}

/** Lines without their ends (LF, CRLF or a lone CR); line n is `lines[n - 1]`. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\n|\r/);
}

/** The base name of an artifact name that may contain directories (zip member names do). */
export function baseName(name: string): string {
  const i = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
  return i < 0 ? name : name.slice(i + 1);
}
