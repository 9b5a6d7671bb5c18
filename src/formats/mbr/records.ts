/**
 * The classic MBR sector (FORMATS.md §3.1): 446 bytes of boot code and disk
 * signature, four 16-byte partition records at 446, `55 AA` at 510. Shared
 * by the `mbr` handler and by `gpt`, which describes a disk's protective MBR.
 */

export const SECTOR = 512;
const RECORDS_AT = 446;
/** Partition types that hold a chain of extended boot records. */
export const EXTENDED_TYPES = new Set([0x05, 0x0f, 0x85]);
export const GPT_PROTECTIVE = 0xee;

export interface MbrRecord {
  /** 0–3: the record's slot in the sector. */
  slot: number;
  bootFlag: number;
  type: number;
  startLba: number;
  sectors: number;
}

/** Names as util-linux `sfdisk -T` spells them, for the types seen on phones, SD cards and PCs. */
const TYPE_NAMES: Record<number, string> = {
  0x01: 'FAT12',
  0x04: 'FAT16 <32M',
  0x05: 'Extended',
  0x06: 'FAT16',
  0x07: 'HPFS/NTFS/exFAT',
  0x0b: 'W95 FAT32',
  0x0c: 'W95 FAT32 (LBA)',
  0x0e: 'W95 FAT16 (LBA)',
  0x0f: "W95 Ext'd (LBA)",
  0x11: 'Hidden FAT12',
  0x14: 'Hidden FAT16 <32M',
  0x16: 'Hidden FAT16',
  0x1b: 'Hidden W95 FAT32',
  0x1c: 'Hidden W95 FAT32 (LBA)',
  0x1e: 'Hidden W95 FAT16 (LBA)',
  0x4d: 'QNX4.x',
  0x82: 'Linux swap / Solaris',
  0x83: 'Linux',
  0x85: 'Linux extended',
  0x8e: 'Linux LVM',
  0xa5: 'FreeBSD',
  0xa6: 'OpenBSD',
  0xa9: 'NetBSD',
  0xaf: 'HFS / HFS+',
  0xda: 'Non-FS data',
  0xea: 'Linux extended boot',
  0xee: 'GPT',
  0xef: 'EFI (FAT-12/16/32)',
  0xfd: 'Linux raid autodetect',
};

export function mbrTypeName(type: number): string | undefined {
  return TYPE_NAMES[type];
}

export function hexByte(n: number): string {
  return `0x${n.toString(16).padStart(2, '0')}`;
}

export function hasBootSignature(b: Buffer, at = 0): boolean {
  return b.length >= at + 512 && b[at + 510] === 0x55 && b[at + 511] === 0xaa;
}

/** The four records of the sector at `at` (empty ones included, with type 0). */
export function readRecords(b: Buffer, at = 0): MbrRecord[] {
  const out: MbrRecord[] = [];
  for (let slot = 0; slot < 4; slot++) {
    const p = at + RECORDS_AT + slot * 16;
    out.push({ slot, bootFlag: b[p], type: b[p + 4], startLba: b.readUInt32LE(p + 8), sectors: b.readUInt32LE(p + 12) });
  }
  return out;
}

function isZero(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

/** A protective MBR (EDK2): the signature and a 0xEE record starting at LBA 1. */
export function isProtectiveMbr(b: Buffer): boolean {
  return hasBootSignature(b) && readRecords(b).some((r) => r.type === GPT_PROTECTIVE && r.startLba === 1);
}

/** Only 0xEE records (no hybrid entries): a GPT disk, whatever state its headers are in. */
export function isPureProtectiveMbr(b: Buffer): boolean {
  return isProtectiveMbr(b) && readRecords(b).every((r) => r.type === 0 || r.type === GPT_PROTECTIVE);
}

/** A filesystem boot sector (FAT, NTFS, exFAT) also ends in 55 AA; its BPB gives it away. */
function isVolumeBootRecord(b: Buffer): boolean {
  const at = (off: number, s: string) => b.toString('latin1', off, off + s.length) === s;
  return at(3, 'NTFS    ') || at(3, 'EXFAT   ') || at(54, 'FAT12   ') || at(54, 'FAT16   ') || at(54, 'FAT     ') || at(82, 'FAT32   ');
}

/**
 * Why the sector at 0 is not a believable partition table, or null when it
 * is: the signature, boot flags 0x00/0x80, empty records all zero, used
 * records starting after LBA 0 with a non-zero length that fits 32 bits,
 * no two used records overlapping, at most one extended record, at least
 * one used record, and not a filesystem's boot sector.
 */
export function mbrImplausible(b: Buffer): string | null {
  if (!hasBootSignature(b)) return 'no 55 AA signature at offset 510';
  if (isVolumeBootRecord(b)) return 'a filesystem boot sector';
  const recs = readRecords(b);
  const used: MbrRecord[] = [];
  for (const r of recs) {
    const p = RECORDS_AT + r.slot * 16;
    if (r.type === 0) {
      if (!isZero(b, p, p + 16)) return `record ${r.slot + 1} is empty but not zeroed`;
      continue;
    }
    if (r.bootFlag !== 0 && r.bootFlag !== 0x80) return `record ${r.slot + 1} has boot flag ${hexByte(r.bootFlag)}`;
    if (r.startLba === 0 || r.sectors === 0) return `record ${r.slot + 1} starts at LBA ${r.startLba} with ${r.sectors} sectors`;
    if (r.startLba + r.sectors > 2 ** 32) return `record ${r.slot + 1} ends past 2^32 sectors`;
    used.push(r);
  }
  if (used.length === 0) return 'no partition records';
  if (used.filter((r) => EXTENDED_TYPES.has(r.type)).length > 1) return 'more than one extended partition';
  const sorted = [...used].sort((a, c) => a.startLba - c.startLba);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    if (sorted[i].startLba < prev.startLba + prev.sectors) return `records ${prev.slot + 1} and ${sorted[i].slot + 1} overlap`;
  }
  return null;
}
