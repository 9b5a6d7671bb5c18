/**
 * Checksum lists shipped with a package or next to it: `md5sum`/`sha256sum`
 * output (`<hex>  <name>` or `<hex> *<name>`), BSD tags (`SHA256 (name) = hex`),
 * a bare digest in `<file>.sha256`, and the lists of Xiaomi fastboot ROMs:
 * `md5sum.xml` (`<digest hash="md5" name="boot.img">hex</digest>`, written by
 * the ROM's flash_gen_md5_list.py) and `images/crclist.txt` (`CRC-LIST`, then
 * `<partition> 0x<crc32 of the image file>`, written by flash_gen_crc_list.py).
 * Recognised by name, confirmed by content.
 */
import { LIMITS } from '../../io/limits';
import { HEX_LENGTH_ALGO, isHashAlgo, type HashAlgo } from '../../io/hash';
import type { DocumentHandler } from '../types';
import { parseSimpleXml } from '../qcom-rawprogram/xml';

export interface ChecksumEntry {
  algo: HashAlgo;
  hex: string;
  /** File name as written; null for a bare digest (it names the file the checksum file is named after). */
  name: string | null;
  line: number;
}

/** The suffix that names what a `<file>.md5`-style checksum file is about. */
export const CHECKSUM_SUFFIX = /\.(md5|sha1|sha256|md5sum|sha1sum|sha256sum)$/i;
const NAME_HINT = /(\.(md5|sha1|sha256|md5sum|sha1sum|sha256sum)|^(md5|sha1|sha256)sums?(\.txt)?|^checksums?(\.txt)?|^(sparse)?crclist\.txt|^md5sum\.xml)$/i;

function baseOf(name: string): string {
  return (name.split(/[\\/]/).pop() ?? name).toLowerCase();
}

/**
 * Xiaomi's crclist.txt names partitions, not files. The ROM's
 * flash_gen_crc_list.py maps them; these are the mappings of its table that
 * are not simply `<partition>.img` (a `bak` copy and an `_ab` name use the
 * file of the base partition). A partition missing here is looked up as
 * `<partition>.img`.
 */
const XIAOMI_CRC_FILES: Record<string, string> = {
  xbl: 'xbl.elf',
  xbl_config: 'xbl_config.elf',
  abl: 'abl.elf',
  tz: 'tz.mbn',
  hyp: 'hyp.mbn',
  devcfg: 'devcfg.mbn',
  storsec: 'storsec.mbn',
  bluetooth: 'BTFM.bin',
  cmnlib: 'cmnlib.mbn',
  cmnlib64: 'cmnlib64.mbn',
  modem: 'NON-HLOS.bin',
  dsp: 'dspso.bin',
  keymaster: 'km4.mbn',
  aop: 'aop.mbn',
  qupfw: 'qupv3fw.elf',
  imagefv: 'imagefv.elf',
  uefisecapp: 'uefi_sec.mbn',
  multiimgoem: 'multi_image.mbn',
};

/** The image file a crclist.txt partition name stands for. */
export function crcListFile(partition: string): string {
  let p = partition.replace(/_ab$/i, '');
  if (!(p in XIAOMI_CRC_FILES) && /bak$/i.test(p) && p.slice(0, -3) in XIAOMI_CRC_FILES) p = p.slice(0, -3);
  return XIAOMI_CRC_FILES[p] ?? `${p}.img`;
}

export function looksLikeChecksumFileName(name: string): boolean {
  const base = name.split(/[\\/]/).pop() ?? name;
  return NAME_HINT.test(base) && !/\.tar\.md5$/i.test(base);
}

function algoFromName(name: string): HashAlgo | null {
  const m = /(md5|sha1|sha256)/i.exec(name.split(/[\\/]/).pop() ?? '');
  return m && isHashAlgo(m[1].toLowerCase()) ? (m[1].toLowerCase() as HashAlgo) : null;
}

export interface ChecksumFileParse {
  /** Lines romscope checks; null when the text is not a checksum list of its kind. */
  entries: ChecksumEntry[] | null;
  /** Lines read but not checkable (a Xiaomi sparsecrclist.txt). */
  unchecked?: number;
  /** Why the text is not read, when there is more to say than "no checksum lines". */
  problem?: string;
}

/** Parses a checksum file; returns null when the text is not one. */
export function parseChecksumFile(text: string, fileName: string): ChecksumEntry[] | null {
  return parseChecksumFileDetailed(text, fileName).entries;
}

function parseChecksumFileDetailed(text: string, fileName: string): ChecksumFileParse {
  const base = baseOf(fileName);
  if (base === 'md5sum.xml') return parseDigestXml(text);
  if (base === 'sparsecrclist.txt') return parseSparseCrcList(text);
  return { entries: parseLines(text, fileName, base === 'crclist.txt') };
}

/**
 * `md5sum.xml` of Xiaomi fastboot ROMs: `<root><digests><digest hash="md5"
 * name="boot.img">hex</digest>...`. Read with the strict XML reader (no DTD,
 * no entities); names are the image files' base names.
 */
function parseDigestXml(text: string): ChecksumFileParse {
  const xml = parseSimpleXml(text, { maxElements: LIMITS.maxChecksumLines });
  if (xml.problem) return { entries: null, problem: xml.problem.message };
  const entries: ChecksumEntry[] = [];
  let line = 1;
  let at = 0;
  for (const el of xml.elements) {
    if (el.name !== 'digest') continue;
    for (let i = text.indexOf('\n', at); i >= 0 && i < el.offset; i = text.indexOf('\n', i + 1)) line++;
    at = el.offset;
    const algo = (el.attrs.hash ?? '').toLowerCase();
    const hex = (el.text ?? '').trim();
    const name = el.attrs.name?.trim();
    if (!isHashAlgo(algo) || algo === 'crc32' || algo === 'xxh64' || HEX_LENGTH_ALGO[hex.length] !== algo || !/^[0-9a-f]+$/i.test(hex) || !name) {
      return { entries: null, problem: `line ${line}: a <digest> that is not hash="md5|sha1|sha256" name="..." with a digest of that length` };
    }
    entries.push({ algo, hex: hex.toLowerCase(), name, line });
  }
  return entries.length ? { entries } : { entries: null };
}

/**
 * `sparsecrclist.txt` of Xiaomi fastboot ROMs: `SPARSECRC-LIST`, then
 * `<partition> 0x<crc> <n>` (or `<partition> <n> 0x<crc>...`). Its CRCs cover
 * the data of the sparse image's chunks as fastboot sends them in pieces of
 * max-download-size, not the file, so they cannot be compared with the
 * file's digest: the lines are counted, not checked.
 */
function parseSparseCrcList(text: string): ChecksumFileParse {
  let n = 0;
  let junk = 0;
  const lines = text.split(/\r?\n/);
  if (lines.length > LIMITS.maxChecksumLines) return { entries: null };
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || /^[A-Z-]*-LIST$/.test(line)) continue;
    if (/^[A-Za-z0-9_.-]+(\s+(0x[0-9a-fA-F]{1,8}L?|\d+))+$/.test(line)) n++;
    else junk++;
  }
  return n > 0 && junk <= n ? { entries: [], unchecked: n } : { entries: null };
}

function parseLines(text: string, fileName: string, crcList: boolean): ChecksumEntry[] | null {
  const entries: ChecksumEntry[] = [];
  const lines = text.split(/\r?\n/);
  if (lines.length > LIMITS.maxChecksumLines) return null;
  const hinted = algoFromName(fileName);
  let junk = 0;
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (crcList) {
      if (line === 'CRC-LIST') return;
      // `<partition> 0x<crc32>`: Python's hex(), so not zero-padded (`logo 0x99fef4e`).
      const c = /^([A-Za-z0-9_.-]+)\s+0x([0-9a-fA-F]{1,8})L?$/.exec(line);
      if (c) {
        entries.push({ algo: 'crc32', hex: c[2].toLowerCase().padStart(8, '0'), name: crcListFile(c[1]), line: i + 1 });
        return;
      }
    }
    let m = /^([0-9a-fA-F]{8,64})(?:\s+\*?(.+))?$/.exec(line);
    if (m) {
      // The digest's length names the algorithm; a name hint (.md5) must agree.
      // Bare 8-hex values (CRC-32, SFV style) are not accepted as md5/sha lines,
      // except in a crclist.txt, which holds nothing but CRC-32s.
      const algo = HEX_LENGTH_ALGO[m[1].length] ?? null;
      if (algo && (algo !== 'crc32' || crcList) && (!hinted || hinted === algo)) {
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
  traits: { role: 'document', confidence: 'name' },
  description: 'checksum list (md5sum/sha1sum/sha256sum or BSD format, Xiaomi md5sum.xml and crclist.txt)',
  detect: ({ name, size }) => looksLikeChecksumFileName(name) && size !== null && size <= LIMITS.maxTextBytes,
  decode(bytes, ctx, name) {
    const { entries, unchecked, problem } = parseChecksumFileDetailed(bytes.toString('utf8'), name);
    if (!entries) {
      ctx.fact({ kind: 'unreadable', message: problem ? `named like a checksum file but not read: ${problem}` : 'named like a checksum file but holds no checksum lines' });
      return {};
    }
    if (unchecked) return { entries: unchecked, algorithms: ['crc32'], uncheckedEntries: unchecked };
    return { entries: entries.length, algorithms: [...new Set(entries.map((e) => e.algo))] };
  },
};
