/**
 * What bytes in no known format look like, so a report can say it
 * (`format/not-firmware`): an empty file, zeros, a Git LFS pointer, an HTML
 * error page, another text file, a picture, a program, or unrecognised binary
 * data. Looks only at the peek, the size and whether every byte was zero
 * (the walk learns that while it hashes the bytes). Everything quoted from the
 * bytes (an HTML title, an XML root) is cleaned and shortened: it is hostile
 * input that ends up in a message.
 */
import { looksLikeText, peekText } from './text';

export type ContentKind = 'empty' | 'zeros' | 'lfs-pointer' | 'html' | 'xml' | 'json' | 'pem' | 'text' | 'picture' | 'executable' | 'binary';

export interface ContentGuess {
  kind: ContentKind;
  /** For people, as a noun phrase: "an HTML document (403 Forbidden)", "0 bytes", "unrecognised binary data". */
  description: string;
}

/** Longest piece of the input quoted in a description. */
const MAX_QUOTE = 80;

/**
 * Text from the bytes made fit for a one-line message: entities of the few
 * kinds error pages use decoded, control characters, bidirectional overrides
 * and other invisible characters dropped, whitespace collapsed, cut to
 * MAX_QUOTE characters.
 */
export function cleanQuote(s: string): string {
  const decoded = s
    .replace(/&#(\d{1,7});/g, (_m, d: string) => safeChar(Number(d)))
    .replace(/&#x([0-9a-f]{1,6});/gi, (_m, h: string) => safeChar(parseInt(h, 16)))
    .replace(/&(amp|lt|gt|quot|apos|nbsp);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' })[e] ?? '');
  const plain = decoded
    .replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...plain];
  return chars.length > MAX_QUOTE ? `${chars.slice(0, MAX_QUOTE - 1).join('')}…` : plain;
}

function safeChar(code: number): string {
  return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
}

/** A Git LFS pointer file (git-lfs spec v1): what a clone without `git lfs pull` holds instead of the file. */
function lfsPointer(text: string): string | null {
  if (!/^version https:\/\/(git-lfs\.github\.com\/spec\/v1|hawser\.github\.com\/spec\/v1)\s*\n/.test(text)) return null;
  const oid = /^oid ([a-z0-9]+):([0-9a-f]{64})\s*$/m.exec(text);
  const size = /^size (\d{1,20})\s*$/m.exec(text);
  const parts = [oid ? `oid ${oid[1]}:${oid[2].slice(0, 12)}…` : null, size ? `${size[1]} bytes` : null].filter(Boolean);
  return `a Git LFS pointer${parts.length ? ` (${parts.join(', ')})` : ''}, not the file it stands for`;
}

function html(text: string): string | null {
  const head = text.slice(0, 4096);
  if (!/^\s*(<!--[\s\S]*?-->\s*)*(<\?xml[^>]*>\s*)?<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|title[\s>])/i.test(head) && !/<html[\s>][\s\S]*<(head|body|title)[\s>]/i.test(head)) return null;
  const m = /<title[^>]*>([\s\S]{0,1000}?)<\/title/i.exec(text.slice(0, 32 * 1024));
  const title = m ? cleanQuote(m[1].replace(/<[^>]*>/g, ' ')) : '';
  return `an HTML document${title ? ` (${title})` : ''}`;
}

function xml(text: string): string | null {
  const m = /^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<([A-Za-z_][A-Za-z0-9_.:-]{0,63})[\s/>]/.exec(text.slice(0, 4096));
  if (!m) return null;
  // A cloud storage error (S3, GCS): <Error><Code>AccessDenied</Code>...
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text.slice(0, 4096));
  const root = cleanQuote(m[3]);
  return `an XML document (root <${root}>${code ? `, code ${cleanQuote(code[1])}` : ''})`;
}

function pem(text: string): string | null {
  const m = /^\s*-----BEGIN ([A-Z0-9 ]{1,40})-----/.exec(text);
  return m ? `a PEM file (${m[1]})` : null;
}

function picture(b: Buffer): string | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'a JPEG picture';
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a) return 'a PNG picture';
  if (b.length >= 6 && /^GIF8[79]a$/.test(b.toString('latin1', 0, 6))) return 'a GIF picture';
  if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d && b.readUInt32LE(14) >= 12 && b.readUInt32LE(14) <= 124) return 'a BMP picture';
  return null;
}

/**
 * Text with a few stray control characters (an error page may quote an
 * escape sequence in its title): no NUL, at most 4 or 2 % control bytes.
 */
function textish(b: Buffer): boolean {
  const n = Math.min(b.length, 4096);
  let odd = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0) return false;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d && c !== 0x0c) odd++;
  }
  return odd <= Math.max(4, n / 50);
}

/** Shannon entropy of the bytes, in bits per byte. */
function entropy(b: Buffer): number {
  const counts = new Uint32Array(256);
  for (const x of b) counts[x]++;
  let h = 0;
  for (const c of counts) if (c) h -= (c / b.length) * Math.log2(c / b.length);
  return h;
}

/**
 * What the bytes look like. `allZero`: every byte of the artifact was zero
 * (only meaningful when size > 0).
 */
export function sniffContent(peek: Buffer, size: number, allZero: boolean): ContentGuess {
  if (size === 0) return { kind: 'empty', description: '0 bytes (an empty file)' };
  if (allZero) return { kind: 'zeros', description: `${size} bytes, all zero (a blank image)` };
  const pic = picture(peek);
  if (pic) return { kind: 'picture', description: pic };
  if (peek.length >= 4 && peek.readUInt32BE(0) === 0x7f454c46) return { kind: 'executable', description: 'an ELF file (a program, library or firmware image romscope does not decode)' };
  if (looksLikeText(peek) || textish(peek)) {
    const text = peekText(peek);
    const lfs = lfsPointer(text);
    if (lfs) return { kind: 'lfs-pointer', description: lfs };
    const h = html(text);
    if (h) return { kind: 'html', description: h };
    const x = xml(text);
    if (x) return { kind: 'xml', description: x };
    const p = pem(text);
    if (p) return { kind: 'pem', description: p };
    if (/^\s*[{[]/.test(text) && /[}\]]\s*$/.test(size <= peek.length ? text : '}')) return { kind: 'json', description: 'a JSON document' };
    return { kind: 'text', description: 'a text file' };
  }
  const h = entropy(peek);
  return { kind: 'binary', description: h > 7.9 && peek.length >= 4096 ? 'unrecognised binary data (random-looking: compressed, encrypted or noise)' : 'unrecognised binary data' };
}
