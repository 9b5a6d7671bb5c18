import { phrases, counted } from '../summary';
/**
 * Checksum lists shipped with a package or next to it: `md5sum`/`sha256sum`
 * output (`<hex>  <name>` or `<hex> *<name>`), BSD tags (`SHA256 (name) = hex`),
 * a bare digest in `<file>.sha256`, and the lists of Xiaomi fastboot ROMs:
 * `md5sum.xml` (`<digest hash="md5" name="boot.img">hex</digest>`, written by
 * the ROM's flash_gen_md5_list.py) and `images/crclist.txt` (`CRC-LIST`, then
 * `<partition> 0x<crc32 of the image file>`, written by flash_gen_crc_list.py).
 * MediaTek's `Checksum.ini` (SP Flash Tool: `[CheckSum]` then
 * `<partition>=0x<16-bit sum of the image's bytes>`) is read here too; its
 * partitions become files through the scatter file beside it (siblings.ts).
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
  /** The partition a Checksum.ini line names: its file is found through the scatter file beside it (`name` is the guess without one). */
  partition?: string;
}

/** The suffix that names what a `<file>.md5`-style checksum file is about. */
export const CHECKSUM_SUFFIX = /\.(md5|sha1|sha256|md5sum|sha1sum|sha256sum)$/i;
const NAME_HINT = /(\.(md5|sha1|sha256|md5sum|sha1sum|sha256sum)|^(md5|sha1|sha256)sums?(\.txt)?|^checksums?(\.txt)?|^(sparse)?crclist\.txt|^md5sum\.xml|^checksum\.ini)$/i;

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
  /** Checksum.ini: its `[VERSION]` and whether its `CHECKSUM_SWITCH` is on. */
  checksumVersion?: string;
  checksumSwitch?: boolean;
}

/** Parses a checksum file; returns null when the text is not one. */
export function parseChecksumFile(text: string, fileName: string): ChecksumEntry[] | null {
  return parseChecksumFileDetailed(text, fileName).entries;
}

function parseChecksumFileDetailed(text: string, fileName: string): ChecksumFileParse {
  const base = baseOf(fileName);
  if (base === 'md5sum.xml') return parseDigestXml(text);
  if (base === 'sparsecrclist.txt') return parseSparseCrcList(text);
  if (base === 'checksum.ini') return parseMtkChecksumIni(text);
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

/**
 * MediaTek `Checksum.ini`, written by SP Flash Tool's checksum generator:
 * `[VERSION]` (`VERSION=V1`, `TOOL=`), `[IsEnableChecksum]`
 * (`CHECKSUM_SWITCH=1`) and `[CheckSum]`, one `<partition>=0x<hex>` per
 * image: the sum of every byte of the image file (a sparse image's own
 * bytes) modulo 65536, unpadded (`system_a=0x886`). Verified against the
 * stock images of two real packages (docs/formats.md, `checksum-file`).
 * With the switch off the tool checks nothing, and neither does romscope;
 * a version other than V1 is not known to use the same sum: counted, not checked.
 */
function parseMtkChecksumIni(text: string): ChecksumFileParse {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  if (lines.length > LIMITS.maxChecksumLines) return { entries: null, problem: `more than ${LIMITS.maxChecksumLines} lines` };
  let section = '';
  let version: string | null = null;
  let enabled = true;
  let sawSum = false;
  const entries: ChecksumEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const sec = /^\[([^\]]*)\]$/.exec(line);
    if (sec) {
      section = sec[1].trim().toLowerCase();
      if (section === 'checksum') sawSum = true;
      continue;
    }
    const kv = /^([^=]+)=(.*)$/.exec(line);
    if (!kv) return { entries: null, problem: `line ${i + 1} is neither a [section] nor key=value` };
    const key = kv[1].trim();
    const value = kv[2].trim();
    if (section === 'version' && /^version$/i.test(key)) version = value;
    else if (section === 'isenablechecksum' && /^checksum_switch$/i.test(key)) enabled = value !== '0';
    else if (section === 'checksum') {
      const hex = /^0x([0-9a-f]{1,4})$/i.exec(value);
      if (!hex || !/^[A-Za-z0-9_.-]+$/.test(key)) return { entries: null, problem: `line ${i + 1}: "${key.slice(0, 40)}" is not <partition>=0x<16-bit hex>` };
      entries.push({ algo: 'sum16', hex: hex[1].toLowerCase().padStart(4, '0'), name: `${key}.img`, partition: key, line: i + 1 });
    }
  }
  if (!sawSum) return { entries: null, problem: 'no [CheckSum] section' };
  if (!enabled || (version !== null && !/^V1$/i.test(version))) return { entries: [], unchecked: entries.length, checksumVersion: version ?? undefined, checksumSwitch: enabled };
  return { entries, checksumVersion: version ?? undefined, checksumSwitch: enabled };
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
  summary: (i) => phrases(counted(i.entries, 'entry', 'entries')),
  kind: 'document',
  traits: { role: 'document', confidence: 'name' },
  description: 'checksum list (md5sum/sha1sum/sha256sum or BSD format, Xiaomi md5sum.xml and crclist.txt, MediaTek Checksum.ini)',
  detect: ({ name, size }) => looksLikeChecksumFileName(name) && size !== null && size <= LIMITS.maxTextBytes,
  decode(bytes, ctx, name) {
    const { entries, unchecked, problem, checksumVersion, checksumSwitch } = parseChecksumFileDetailed(bytes.toString('utf8'), name);
    if (!entries) {
      ctx.fact({ kind: 'unreadable', message: problem ? `named like a checksum file but not read: ${problem}` : 'named like a checksum file but holds no checksum lines' });
      return {};
    }
    const ini = checksumSwitch === undefined ? {} : { version: checksumVersion, checksumSwitch: checksumSwitch ? 1 : 0 };
    if (unchecked) return { entries: unchecked, algorithms: [baseOf(name) === 'checksum.ini' ? 'sum16' : 'crc32'], uncheckedEntries: unchecked, ...ini };
    return { entries: entries.length, algorithms: [...new Set(entries.map((e) => e.algo))], ...ini };
  },
};
