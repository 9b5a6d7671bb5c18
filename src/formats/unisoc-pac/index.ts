/**
 * Unisoc / Spreadtrum `.pac` firmware package: what ResearchDownload /
 * UpgradeDownload flash. All little-endian. A 2124-byte header: the version
 * (UTF-16LE, `BP_R1.0.0` or `BP_R2.0.1`), the package size, product name and
 * firmware name (256 UTF-16 units each), file count, file table offset,
 * mode, flash type, NAND strategy, NV backup flag, NAND page type, product
 * alias (100 units), OMA DM flags, preload flag, 800 reserved bytes, then
 * the magic 0xFFFAFFFA, CRC1 and CRC2 (u16 each). The file table: one
 * 2580-byte entry per file: its own size (2580), file id (`FDL`, `BOOT`,
 * `SYSTEM`...), file name, 252 reserved units, then the file size, flags
 * (file flag, check flag), data offset, omit flag, address count and five
 * addresses.
 *
 * Packages over 4 GiB (`BP_R2.0.1`) split each size and offset in two u32
 * words: the package size's high word takes the last four bytes of the
 * version field, an entry's high size and high offset the last eight of its
 * reserved units; older packages leave those bytes zero, so one layout reads
 * both (as pacextractor does).
 *
 * CRC1 is a CRC-16 (CRC-16/ARC: reflected polynomial 0xA001, initial value
 * 0, no final xor) of the header's first 2120 bytes; CRC2 is the same CRC,
 * continued over every byte after the header up to the package size (the
 * file table and all files). pacextractor and the packers write and check
 * them so; a package without the magic predates them and is not checked.
 * CRC1 is checked in decode; CRC2 in the package's single hashing pass.
 */
import type { ChildSpec, ContainerHandler } from '../types';
import type { RangeTap } from '../../io/digest-set';
import { SliceSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { crc16Arc } from '../../io/crc16';
import { crcTap } from '../image-checksum';

export { crc16Arc };
import { ItemRanges, safeItemPath, uniqueName } from '../item-ranges';

export const PAC_HEADER = 2124;
export const PAC_ENTRY = 2580;
const MAGIC = 0xfffafffa;
const KNOWN_VERSIONS = ['BP_R1.0.0', 'BP_R2.0.1'];
/** Files listed; a real package has a few dozen. */
export const MAX_PAC_FILES = 4096;
const TWO32 = 0x1_0000_0000;

const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** A fixed UTF-16LE field up to its first NUL, non-printable characters as `?`. */
function wide(b: Buffer, start: number, bytes: number): string {
  const s = b.toString('utf16le', start, Math.min(b.length, start + bytes));
  const end = s.indexOf('\0');
  return (end < 0 ? s : s.slice(0, end)).replace(/[\x00-\x1f\x7f]/g, '?').trim();
}

/** hi × 2^32 + lo, or null when it is past 2^53 (no real package is). */
function join64(hi: number, lo: number): number | null {
  return hi < 0x20_0000 ? hi * TWO32 + lo : null;
}

function startsBpR(peek: Buffer): boolean {
  return peek.length >= 8 && peek.toString('utf16le', 0, 8) === 'BP_R';
}

export const unisocPacHandler: ContainerHandler = {
  id: 'unisoc-pac',
  kind: 'container',
  description: 'Unisoc / Spreadtrum .pac firmware package: file table, every file a child, CRC-16 of header and data',
  traits: { role: 'archive', confidence: 'magic' },
  detect: ({ peek }) => {
    if (!startsBpR(peek) || peek.length < PAC_HEADER) return false;
    const version = wide(peek, 0, 44);
    return /^BP_R\d+\.\d+\.\d+$/.test(version) && peek.readUInt32LE(1080) >= PAC_HEADER;
  },
  summary: (info) => {
    const out: string[] = [];
    if (typeof info.productName === 'string' && info.productName) out.push(`product ${info.productName}`);
    if (typeof info.firmwareName === 'string' && info.firmwareName) out.push(info.firmwareName);
    if (Array.isArray(info.files)) out.push(`${info.files.length} files`);
    return out;
  },
  async decode(src, ctx) {
    if (src.size < PAC_HEADER) throw new FormatError(`a .pac header is ${PAC_HEADER} bytes, the file has ${src.size}`);
    const h = await src.read(0, PAC_HEADER);
    const version = wide(h, 0, 44);
    const sizeHi = h.readUInt32LE(44);
    const declared = join64(sizeHi, h.readUInt32LE(48));
    const fileCount = h.readUInt32LE(1076);
    const tableAt = h.readUInt32LE(1080);
    const magic = h.readUInt32LE(2116);
    const crc1 = h.readUInt16LE(2120);
    const crc2 = h.readUInt16LE(2122);
    const info: Record<string, unknown> = {
      version,
      size: declared,
      productName: wide(h, 52, 512),
      firmwareName: wide(h, 564, 512),
      fileCount,
      fileTableOffset: tableAt,
      mode: h.readUInt32LE(1084),
      flashType: h.readUInt32LE(1088),
      nandStrategy: h.readUInt32LE(1092),
      nvBackup: h.readUInt32LE(1096),
      nandPageType: h.readUInt32LE(1100),
      productAlias: wide(h, 1104, 200),
      omaDmProductFlag: h.readUInt32LE(1304),
      omaDm: h.readUInt32LE(1308),
      preload: h.readUInt32LE(1312),
      magic: hex8(magic),
      crc1: hex4(crc1),
      crc2: hex4(crc2),
    };
    if (!KNOWN_VERSIONS.includes(version)) ctx.fact({ kind: 'unsupported', message: `version "${version}" is neither BP_R1.0.0 nor BP_R2.0.1; read with their layout, which may not be its own`, offset: 0 });

    // The package's own size bounds the CRC2 range and is compared with the file's.
    let end = src.size;
    if (declared === null) ctx.fact({ kind: 'unreadable', message: `the header's package size (high word ${hex8(sizeHi)}) is past 2^53 bytes; the file's own size is used`, offset: 44 });
    else if (declared > src.size) {
      ctx.fact({ kind: 'truncated', message: `the header gives a ${declared}-byte package, the file has ${src.size} bytes`, offset: 44 });
    } else {
      end = declared;
      if (declared < src.size) {
        info.trailingBytes = src.size - declared;
        ctx.fact({ kind: 'unreadable', message: `${src.size - declared} bytes after the ${declared}-byte package the header declares are not part of it`, offset: declared });
      }
    }

    const rangeTaps: RangeTap[] = [];
    if (magic === MAGIC) {
      const got = crc16Arc(h.subarray(0, 2120));
      if (got === crc1) ctx.fact({ kind: 'image-checksum-ok', message: `the header's CRC1 (CRC-16/ARC ${hex4(crc1)}) matches bytes 0-2119`, offset: 2120 });
      else ctx.fact({ kind: 'image-checksum', message: `the header's CRC1 is ${hex4(crc1)}, but bytes 0-2119 give ${hex4(got)} (CRC-16/ARC)`, offset: 2120 });
      if (declared !== null && declared <= src.size) rangeTaps.push(crcTap(ctx, 'crc16-arc', PAC_HEADER, end, crc2, "the header's CRC2", 2122, 'the file table and every file'));
    } else info.note = `no 0xFFFAFFFA magic before the CRC fields (${hex8(magic)}): a package of this kind carries no CRCs, nothing is checked`;

    const children: ChildSpec[] = [];
    const files: Record<string, unknown>[] = [];
    info.files = files;
    if (fileCount === 0) return { info, children, rangeTaps };
    if (tableAt < PAC_HEADER || tableAt >= src.size) {
      ctx.fact({ kind: 'unreadable', message: `the file table offset ${tableAt} is not between the ${PAC_HEADER}-byte header and the end of the ${src.size}-byte file`, offset: 1080 });
      return { info, children, rangeTaps };
    }
    let count = fileCount;
    if (count > MAX_PAC_FILES) {
      ctx.fact({ kind: 'budget', message: `the header lists ${fileCount} files, more than ${MAX_PAC_FILES}; only the first ${MAX_PAC_FILES} are read`, offset: 1076 });
      count = MAX_PAC_FILES;
    }
    const fit = Math.floor((src.size - tableAt) / PAC_ENTRY);
    if (count > fit) {
      ctx.fact({ kind: 'truncated', message: `the header lists ${fileCount} files of ${PAC_ENTRY} bytes at offset ${tableAt}; the file holds ${fit} of them`, offset: 1076 });
      count = fit;
    }
    const tableEnd = tableAt + count * PAC_ENTRY;
    const ranges = new ItemRanges();
    const taken = new Set<string>();
    for (let i = 0; i < count; i++) {
      const at = tableAt + i * PAC_ENTRY;
      const e = await src.read(at, PAC_ENTRY);
      const entrySize = e.readUInt32LE(0);
      if (entrySize !== PAC_ENTRY) {
        ctx.fact({ kind: 'unreadable', message: `file entry ${i} at byte ${at} gives its size as ${entrySize}, not ${PAC_ENTRY}; it and the entries after it are not read`, offset: at });
        break;
      }
      const fileId = wide(e, 4, 512);
      const fileName = wide(e, 516, 512);
      const sizeHiWord = e.readUInt32LE(1532);
      const offsetHiWord = e.readUInt32LE(1536);
      const size = join64(sizeHiWord, e.readUInt32LE(1540));
      const offset = join64(offsetHiWord, e.readUInt32LE(1552));
      const addrCount = e.readUInt32LE(1560);
      const addresses: string[] = [];
      for (let k = 0; k < Math.min(addrCount, 5); k++) addresses.push(hex8(e.readUInt32LE(1564 + k * 4)));
      const file = {
        id: fileId,
        fileName,
        size,
        offset,
        fileFlag: e.readUInt32LE(1544),
        checkFlag: e.readUInt32LE(1548),
        omitFlag: e.readUInt32LE(1556),
        addresses,
      };
      files.push(file);
      const label = fileId || fileName || `file ${i}`;
      if (size === null || offset === null) {
        ctx.fact({ kind: 'unreadable', message: `file entry ${i} (${label}): its ${size === null ? 'size' : 'offset'} is past 2^53 bytes; not read`, offset: at + 1532 });
        continue;
      }
      if (size === 0) continue; // an operation (FLASH, EraseUdisk, PhaseCheck...) or a file not packed
      if (offset < PAC_HEADER || (offset < tableEnd && offset + size > tableAt)) {
        ctx.fact({ kind: 'unreadable', message: `file entry ${i} (${label}): its ${size} bytes at offset ${offset} lie over the header or the file table; not read`, offset: at + 1552 });
        continue;
      }
      const verdict = ranges.claim({ start: offset, end: offset + size, name: label });
      if (verdict.kind === 'same') continue; // listed above, the same bytes as an earlier file
      if (verdict.kind === 'overlaps') {
        ctx.fact({ kind: 'unreadable', message: `file entry ${i} (${label}): its bytes ${offset}-${offset + size - 1} overlap those of ${verdict.with.name}; not read`, offset: at + 1552 });
        continue;
      }
      // The table stores a bare file name; a path in it is cut to its last part.
      const base = safeItemPath(fileName.split(/[\\/]/).pop() ?? '') ?? safeItemPath(fileId.replace(/[\\/]/g, '_')) ?? `file${i}`;
      const name = uniqueName(taken, base);
      const spec: ChildSpec = { name, source: new SliceSource(src, Math.min(offset, src.size), size, name), info: { id: fileId, index: i, offset, size } };
      if (offset + size > src.size) spec.facts = [{ kind: 'truncated', message: `${label} (${size} bytes at offset ${offset}) runs past the end of the ${src.size}-byte file` }];
      children.push(spec);
    }
    return { info, children, rangeTaps };
  },
};
