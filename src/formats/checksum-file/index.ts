/**
 * Checksum lists shipped with a package or next to it: `md5sum`/`sha256sum`
 * output (`<hex>  <name>` or `<hex> *<name>`), BSD tags (`SHA256 (name) = hex`),
 * a bare digest in `<file>.sha256`. Recognised by name, confirmed by content.
 */
import { LIMITS } from '../../io/limits';
import { HEX_LENGTH_ALGO, isHashAlgo, type HashAlgo } from '../../io/hash';
import type { DocumentHandler } from '../types';

export interface ChecksumEntry {
  algo: HashAlgo;
  hex: string;
  /** File name as written; null for a bare digest (it names the file the checksum file is named after). */
  name: string | null;
  line: number;
}

const NAME_HINT = /(\.(md5|sha1|sha256|md5sum|sha1sum|sha256sum)|^(md5|sha1|sha256)sums?(\.txt)?|^checksums?(\.txt)?)$/i;

export function looksLikeChecksumFileName(name: string): boolean {
  const base = name.split(/[\\/]/).pop() ?? name;
  return NAME_HINT.test(base) && !/\.tar\.md5$/i.test(base);
}

function algoFromName(name: string): HashAlgo | null {
  const m = /(md5|sha1|sha256)/i.exec(name.split(/[\\/]/).pop() ?? '');
  return m && isHashAlgo(m[1].toLowerCase()) ? (m[1].toLowerCase() as HashAlgo) : null;
}

/** Parses a checksum file; returns null when the text is not one. */
export function parseChecksumFile(text: string, fileName: string): ChecksumEntry[] | null {
  const entries: ChecksumEntry[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.length > LIMITS.maxChecksumLines) return null;
  const hinted = algoFromName(fileName);
  let junk = 0;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    let m = /^([0-9a-fA-F]{8,64})(?:\s+\*?(.+))?$/.exec(line);
    if (m) {
      // The digest's length names the algorithm; a name hint (.md5) must agree.
      // Bare 8-hex values (CRC-32, SFV style) are not accepted as md5/sha lines.
      const algo = HEX_LENGTH_ALGO[m[1].length] ?? null;
      if (algo && algo !== 'crc32' && (!hinted || hinted === algo)) {
        entries.push({ algo, hex: m[1].toLowerCase(), name: m[2]?.trim() ?? null, line: i + 1 });
        return;
      }
    }
    m = /^(MD5|SHA1|SHA256)\s*\((.+)\)\s*=\s*([0-9a-fA-F]+)$/i.exec(line);
    if (m && HEX_LENGTH_ALGO[m[3].length] === m[1].toLowerCase()) {
      entries.push({ algo: m[1].toLowerCase() as HashAlgo, hex: m[3].toLowerCase(), name: m[2], line: i + 1 });
      return;
    }
    junk++;
  });
  if (entries.length === 0 || junk > entries.length) return null;
  return entries;
}

export const checksumFileHandler: DocumentHandler = {
  id: 'checksum-file',
  kind: 'document',
  description: 'checksum list (md5sum/sha1sum/sha256sum or BSD format)',
  detect: ({ name, size }) => looksLikeChecksumFileName(name) && size !== null && size <= LIMITS.maxTextBytes,
  decode(bytes, ctx, name) {
    const entries = parseChecksumFile(bytes.toString('utf8'), name);
    if (!entries) {
      ctx.fact({ kind: 'unreadable', message: 'named like a checksum file but holds no checksum lines' });
      return {};
    }
    return { entries: entries.length, algorithms: [...new Set(entries.map((e) => e.algo))] };
  },
};
