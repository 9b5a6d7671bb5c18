/**
 * Samsung PIT (Partition Information Table; FORMATS.md §9.2): the table
 * Odin and Heimdall flash by, shipped as `*.pit` in CSC packages. A 28-byte
 * little-endian header (magic 0x12349876, entry count, eight fields Heimdall
 * calls unknown1-8) and `count` entries of 132 bytes. Every field is read the
 * way Heimdall's libpit reads it (`heimdall print-pit` is the reference).
 */
import type { DocumentHandler } from '../types';
import type { Fact } from '../../report/model';
import { firstN } from '../../report/lists';
import { layoutFact, type LayoutEntry } from '../layout';
import { declaration } from '../../compat/declarations';
import type { SamsungPitInfo } from '../../report/info';

const PIT_MAGIC = 0x12349876;
const PIT_HEADER_SIZE = 28;
const PIT_ENTRY_SIZE = 132;
const NAME_SIZE = 32;
/** Heimdall pads a PIT to a multiple of 4096; real ones hold well under 100 entries. */
const MAX_PIT_BYTES = 1 << 20;
/**
 * PIT block counts are in 512-byte sectors (§9.2 gives the field as a count
 * of blocks). The corpus PITs (I9100) show it: EFS has 40960 blocks and is
 * 20 MiB on the device, the next entry (SBL1) starts at 8192 + 40960, and the
 * "1.5GB-System" PIT gives FACTORYFS 3145728 blocks (3145728 × 512 = 1.5 GiB)
 * where the stock one gives 1048576 (512 MiB).
 */
const PIT_BLOCK = 512;

export interface PitHeader {
  entryCount: number;
  unknown1: number;
  unknown2: number;
  unknown3: number;
  unknown4: number;
  unknown5: number;
  unknown6: number;
  unknown7: number;
  unknown8: number;
}

export interface PitEntry {
  binaryType: number;
  deviceType: number;
  identifier: number;
  attributes: number;
  updateAttributes: number;
  /** Block size in old bootloaders, the start block in newer ones (§9.2: the meaning is UNVERIFIED). */
  blockSizeOrOffset: number;
  blockCount: number;
  fileOffset: number;
  fileSize: number;
  name: string;
  flashFilename: string;
  fotaFilename: string;
}

export interface ParsedPit {
  header: PitHeader;
  entries: PitEntry[];
  problems: Fact[];
}

const DEVICE_TYPES: Record<number, string> = { 0: 'onenand', 1: 'file', 2: 'mmc', 3: 'all', 8: 'ufs' };

function looksLikePit(b: Buffer): boolean {
  return b.length >= PIT_HEADER_SIZE && b.readUInt32LE(0) === PIT_MAGIC;
}

/** A NUL-terminated name in a 32-byte field; `terminated` is false when all 32 bytes are used. */
function fixedName(b: Buffer, off: number): { text: string; terminated: boolean } {
  const f = b.subarray(off, off + NAME_SIZE);
  const nul = f.indexOf(0);
  return { text: (nul < 0 ? f : f.subarray(0, nul)).toString('latin1'), terminated: nul >= 0 };
}

/** Reads a PIT; never throws on bad content. Work is bounded by the file's length, not the header's count. */
function parsePit(b: Buffer): ParsedPit {
  const problems: Fact[] = [];
  const header: PitHeader = {
    entryCount: b.readUInt32LE(4),
    unknown1: b.readUInt32LE(8),
    unknown2: b.readUInt32LE(12),
    unknown3: b.readUInt16LE(16),
    unknown4: b.readUInt16LE(18),
    unknown5: b.readUInt16LE(20),
    unknown6: b.readUInt16LE(22),
    unknown7: b.readUInt16LE(24),
    unknown8: b.readUInt16LE(26),
  };
  const fits = Math.floor((b.length - PIT_HEADER_SIZE) / PIT_ENTRY_SIZE);
  let count = header.entryCount;
  if (count > fits) {
    problems.push({
      kind: 'layout-invalid',
      message: `header says ${count} entries (${PIT_HEADER_SIZE + count * PIT_ENTRY_SIZE} bytes), but the file is ${b.length} bytes and holds ${fits}`,
      offset: 4,
    });
    count = fits;
  }
  const entries: PitEntry[] = [];
  const seen = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const o = PIT_HEADER_SIZE + i * PIT_ENTRY_SIZE;
    const names = [fixedName(b, o + 36), fixedName(b, o + 68), fixedName(b, o + 100)];
    const e: PitEntry = {
      binaryType: b.readUInt32LE(o),
      deviceType: b.readUInt32LE(o + 4),
      identifier: b.readUInt32LE(o + 8),
      attributes: b.readUInt32LE(o + 12),
      updateAttributes: b.readUInt32LE(o + 16),
      blockSizeOrOffset: b.readUInt32LE(o + 20),
      blockCount: b.readUInt32LE(o + 24),
      fileOffset: b.readUInt32LE(o + 28),
      fileSize: b.readUInt32LE(o + 32),
      name: names[0].text,
      flashFilename: names[1].text,
      fotaFilename: names[2].text,
    };
    ['partition name', 'flash file name', 'FOTA file name'].forEach((what, k) => {
      if (!names[k].terminated) {
        problems.push({ kind: 'layout-invalid', message: `entry ${i}: the ${what} fills all 32 bytes with no NUL terminator (tools disagree on where it ends)`, offset: o + 36 + 32 * k });
      }
    });
    if (e.name !== '') {
      const prev = seen.get(e.name);
      if (prev !== undefined) problems.push({ kind: 'layout-invalid', message: `entry ${i}: partition name "${e.name}" is already used by entry ${prev}`, offset: o + 36 });
      else seen.set(e.name, i);
    }
    entries.push(e);
  }
  return { header, entries, problems };
}

/** The shared layout view: named entries only (an entry without a name is not flashable, §9.2). */
function pitLayout(entries: PitEntry[]): LayoutEntry[] {
  return entries
    .filter((e) => e.name !== '')
    .map((e) => ({
      partition: e.name,
      file: e.flashFilename === '' ? null : e.flashFilename,
      // Block count × 512 (see PIT_BLOCK). A count of 0 (GANG, the eMMC BOOT area) gives no size.
      sizeBytes: e.blockCount > 0 ? e.blockCount * PIT_BLOCK : null,
      // blockSizeOrOffset is the start block in the corpus PITs but a block
      // size in older bootloaders (§9.2, UNVERIFIED), so no start is claimed.
      startBytes: null,
      device: DEVICE_TYPES[e.deviceType] ?? `device${e.deviceType}`,
      // Odin flashes whatever the AP/BL/CP/CSC tars carry; the PIT's file
      // names are where a file would go, not a manifest (every PIT names
      // GANG -> emmc.img, which no package ships). So nothing is "missing".
      flashed: false,
    }));
}

const PRINTABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{1,31}$/;

/**
 * Header bytes 16-23 hold an ASCII project/platform name in many PITs
 * (FORMATS.md §9.2, a community reading): declared, not enforced, and only
 * when printable.
 */
export function pitHeaderDeclarations(bytes: Buffer): Fact[] {
  if (bytes.length < 24) return [];
  const b = bytes.subarray(16, 24);
  const nul = b.indexOf(0);
  const s = (nul < 0 ? b : b.subarray(0, nul)).toString('latin1');
  return PRINTABLE_NAME.test(s) ? [declaration('samsung-pit', [{ key: 'board', property: 'PIT header project', value: s }], { enforced: false })] : [];
}

export const samsungPitHandler: DocumentHandler = {
  id: 'samsung-pit',
  kind: 'document',
  traits: { role: 'layout', confidence: 'magic' },
  description: 'Samsung partition information table (.pit)',
  maxBytes: MAX_PIT_BYTES,
  detect: ({ peek }) => looksLikePit(peek),
  decode(bytes, ctx): SamsungPitInfo {
    if (!looksLikePit(bytes)) {
      ctx.fact({ kind: 'layout-invalid', message: `${bytes.length} bytes is shorter than the ${PIT_HEADER_SIZE}-byte PIT header` });
      return {};
    }
    const pit = parsePit(bytes);
    for (const p of firstN<Fact>(pit.problems, 50, (n) => ({ kind: 'layout-invalid', message: `${n} more problems in the entries` }))) ctx.fact(p);
    ctx.fact(layoutFact('samsung-pit', pitLayout(pit.entries)));
    for (const f of pitHeaderDeclarations(bytes)) ctx.fact(f);
    const { entryCount, ...unknown } = pit.header;
    return {
      entryCount,
      partitionCount: pit.entries.length,
      header: unknown,
      partitions: pit.entries,
    };
  },
};
