/**
 * The GPT header and partition entries (FORMATS.md §3.2, §3.3) and the EDK2
 * rules that decide whether a header can be trusted. Parsing never throws;
 * every broken rule is a problem the decoder turns into a fact.
 */
import { crc32 } from 'node:zlib';
import { formatGuid, isZeroGuid } from './guid';
import { gptTypeName } from './type-names';

const GPT_SIGNATURE = 'EFI PART';
const GPT_REVISION = 0x00010000;
export const HEADER_MIN = 92;
const ENTRY_MIN = 128;
/** The UEFI minimum for the entry array; EDK2's first/last usable rules are written against it. */
export const MIN_ARRAY_BYTES = 16384;
/** Largest entry array romscope reads: 8192 entries of 128 bytes. A larger claim is a finding, never a read. */
export const MAX_ARRAY_BYTES = 1 << 20;

export interface GptHeader {
  /** Byte offset of the header in the file. */
  offset: number;
  revision: number;
  headerSize: number;
  headerCrc: number;
  reserved: number;
  myLba: number;
  alternateLba: number;
  firstUsableLba: number;
  lastUsableLba: number;
  diskGuid: string;
  entriesLba: number;
  numEntries: number;
  entrySize: number;
  entriesCrc: number;
}

export function hasGptSignature(b: Buffer, at: number): boolean {
  return b.length >= at + 8 && b.toString('latin1', at, at + 8) === GPT_SIGNATURE;
}

/** u64 as a number: exact below 2^53, and any larger value fails every range rule anyway. */
function u64(b: Buffer, at: number): number {
  return Number(b.readBigUInt64LE(at));
}

/** `sector` holds the header at its start (at least 92 bytes). */
export function parseHeader(sector: Buffer, offset: number): GptHeader {
  return {
    offset,
    revision: sector.readUInt32LE(8),
    headerSize: sector.readUInt32LE(12),
    headerCrc: sector.readUInt32LE(16),
    reserved: sector.readUInt32LE(20),
    myLba: u64(sector, 24),
    alternateLba: u64(sector, 32),
    firstUsableLba: u64(sector, 40),
    lastUsableLba: u64(sector, 48),
    diskGuid: formatGuid(sector, 56),
    entriesLba: u64(sector, 72),
    numEntries: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
    entriesCrc: sector.readUInt32LE(88),
  };
}

/** CRC-32 of the first `headerSize` bytes with the CRC field zeroed, or null when the size is out of range. */
function computeHeaderCrc(sector: Buffer, headerSize: number): number | null {
  if (headerSize < HEADER_MIN || headerSize > sector.length) return null;
  const copy = Buffer.from(sector.subarray(0, headerSize));
  copy.writeUInt32LE(0, 16);
  return crc32(copy) >>> 0;
}

export type ProblemKind = 'layout-invalid' | 'gpt-crc';

export interface Problem {
  kind: ProblemKind;
  message: string;
  offset: number;
}

export interface HeaderRules {
  role: 'primary' | 'backup';
  sectorSize: number;
  /** Last LBA of the disk for a whole-disk image; null for a dump, whose location fields are patched on the device (§3.6). */
  lastLba: number | null;
}

/** The array's size in bytes, or why it cannot be read (entry size not a multiple of 128, more than MAX_ARRAY_BYTES). */
export function arrayGeometry(h: GptHeader): { bytes: number } | { problem: string; field: number } {
  if (h.entrySize === 0 || h.entrySize % ENTRY_MIN !== 0) return { problem: `partition entry size ${h.entrySize} is not a non-zero multiple of 128`, field: 84 };
  const bytes = h.numEntries * h.entrySize;
  if (bytes > MAX_ARRAY_BYTES) {
    return { problem: `${h.numEntries} entries of ${h.entrySize} bytes make a ${bytes}-byte entry array; romscope reads at most ${MAX_ARRAY_BYTES} (not a believable table)`, field: 80 };
  }
  return { bytes };
}

/**
 * Every EDK2 rule of §3.2 except the two CRCs' verdicts on the entry array
 * (checked once the array is read). Returns the problems and whether the
 * header CRC matched (null when it could not be computed).
 */
export function checkHeader(h: GptHeader, sector: Buffer, r: HeaderRules): { problems: Problem[]; crcOk: boolean | null } {
  const problems: Problem[] = [];
  const bad = (message: string, field: number, kind: ProblemKind = 'layout-invalid') => problems.push({ kind, message, offset: h.offset + field });
  const ss = r.sectorSize;
  const arraySectors = Math.ceil(MIN_ARRAY_BYTES / ss);
  if (h.revision !== GPT_REVISION) bad(`revision 0x${h.revision.toString(16).padStart(8, '0')} (expected 0x00010000)`, 8);
  let crcOk: boolean | null = null;
  if (h.headerSize < HEADER_MIN || h.headerSize > ss) {
    bad(`header size ${h.headerSize} is outside 92..${ss}; the header CRC cannot be checked`, 12);
  } else {
    const crc = computeHeaderCrc(sector, h.headerSize)!;
    crcOk = crc === h.headerCrc;
    if (!crcOk) bad(`header CRC32 is ${hex32(crc)}, the header says ${hex32(h.headerCrc)}`, 16, 'gpt-crc');
  }
  if (h.reserved !== 0) bad(`reserved field is ${hex32(h.reserved)}, not 0`, 20);
  const own = r.role === 'primary' ? 1 : r.lastLba;
  const other = r.role === 'primary' ? r.lastLba : 1;
  // A dump's primary still sits at LBA 1; everything tied to the disk size is patched later.
  if (own !== null && h.myLba !== own) bad(`my_lba is ${h.myLba}, expected ${own}`, 24);
  if (other !== null && h.alternateLba !== other) bad(`alternate_lba is ${h.alternateLba}, expected ${other}${r.role === 'primary' ? ' (the last LBA of the image)' : ''}`, 32);
  if (h.firstUsableLba < 2 + arraySectors) bad(`first usable LBA ${h.firstUsableLba} is below ${2 + arraySectors} (room for the protective MBR, the header and a 16 KiB entry array)`, 40);
  if (r.lastLba !== null) {
    const maxLast = r.lastLba - 1 - arraySectors;
    if (h.lastUsableLba > maxLast) bad(`last usable LBA ${h.lastUsableLba} is above ${maxLast} (leaves no room for the backup entry array and header)`, 48);
    if (h.firstUsableLba > h.lastUsableLba) bad(`first usable LBA ${h.firstUsableLba} is after last usable LBA ${h.lastUsableLba}`, 40);
    if (h.entriesLba < 2 || h.entriesLba > r.lastLba - 1) bad(`partition entry LBA ${h.entriesLba} is outside 2..${r.lastLba - 1}`, 72);
    else if (h.entriesLba >= h.firstUsableLba && h.entriesLba <= h.lastUsableLba) bad(`partition entry LBA ${h.entriesLba} lies inside the usable range ${h.firstUsableLba}..${h.lastUsableLba}`, 72);
  } else if (r.role === 'primary' && (h.entriesLba < 2 || h.entriesLba >= h.firstUsableLba)) {
    bad(`partition entry LBA ${h.entriesLba} is not between 2 and the first usable LBA ${h.firstUsableLba}`, 72);
  }
  const g = arrayGeometry(h);
  if ('problem' in g) bad(g.problem, g.field);
  else {
    const end = h.entriesLba * ss + g.bytes;
    if (r.role === 'primary' && end > h.firstUsableLba * ss) bad(`the entry array (LBA ${h.entriesLba}, ${g.bytes} bytes) runs into the first usable LBA ${h.firstUsableLba}`, 72);
    if (r.role === 'backup' && r.lastLba !== null && end > r.lastLba * ss) bad(`the entry array (LBA ${h.entriesLba}, ${g.bytes} bytes) runs into the backup header at LBA ${r.lastLba}`, 72);
  }
  return { problems, crcOk };
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

export interface GptPartition {
  /** 1-based entry number (what gdisk calls the partition number). */
  index: number;
  name: string;
  type: string;
  typeName?: string;
  guid: string;
  firstLba: number;
  lastLba: number;
  sizeBytes: number;
  /** The 64 attribute bits as 16 hex digits (as `sgdisk -i` prints them). */
  attributes: string;
  /** Meanings of the set bits that FORMATS.md §3.3 documents. */
  attributeFlags?: string[];
}

/** Names for the attribute bits of §3.3: UEFI's bits 0–2, Qualcomm's A/B bits 48–55 and bit 60. */
export function attributeFlags(attr: bigint): string[] {
  const bit = (n: number) => ((attr >> BigInt(n)) & 1n) === 1n;
  const out: string[] = [];
  if (bit(0)) out.push('required');
  if (bit(1)) out.push('no-block-io');
  if (bit(2)) out.push('legacy-bios-bootable');
  const ab = Number((attr >> 48n) & 0xffn);
  if (ab) {
    if (ab & 0x03) out.push(`priority=${ab & 0x03}`);
    if (ab & 0x04) out.push('active');
    if (ab & 0x38) out.push(`retry=${(ab >> 3) & 0x07}`);
    if (ab & 0x40) out.push('successful');
    if (ab & 0x80) out.push('unbootable');
  }
  if (bit(60)) out.push('read-only');
  return out;
}

/** The used entries of an array (type GUID not all zero). */
export function parseEntries(arr: Buffer, entrySize: number, sectorSize: number): GptPartition[] {
  const out: GptPartition[] = [];
  const n = Math.floor(arr.length / entrySize);
  for (let i = 0; i < n; i++) {
    const at = i * entrySize;
    if (isZeroGuid(arr, at)) continue;
    const firstLba = u64(arr, at + 32);
    const lastLba = u64(arr, at + 40);
    const attr = arr.readBigUInt64LE(at + 48);
    const raw = arr.subarray(at + 56, at + 128);
    let end = 0;
    while (end + 1 < raw.length && (raw[end] !== 0 || raw[end + 1] !== 0)) end += 2;
    const type = formatGuid(arr, at);
    const flags = attributeFlags(attr);
    out.push({
      index: i + 1,
      name: raw.subarray(0, end).toString('utf16le'),
      type,
      typeName: gptTypeName(type),
      guid: formatGuid(arr, at + 16),
      firstLba,
      lastLba,
      sizeBytes: lastLba >= firstLba ? (lastLba - firstLba + 1) * sectorSize : 0,
      attributes: attr.toString(16).padStart(16, '0').toUpperCase(),
      attributeFlags: flags.length ? flags : undefined,
    });
  }
  return out;
}
