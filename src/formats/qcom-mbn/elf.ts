/**
 * The ELF pieces a Qualcomm signed image needs: the ELF32/ELF64 header and
 * program headers (little-endian only: every Qualcomm image is), and the
 * Qualcomm bits of `p_flags`. Bits 20-27 of `p_flags` are OS-specific in the
 * ELF format; Qualcomm's loaders read them as (boot_images' `MI_PBT_*`
 * definitions, and the kernel's qcom GENI firmware loader):
 *
 * - bit 20: page mode (0 non-paged: one hash for the segment; 1 paged: one per 4 KiB page);
 * - bits 21-23: access type (0 RW, 1 RO, 2 ZI, 3 NOTUSED, 4 SHARED);
 * - bits 24-26: segment type (0 L4, 1 AMSS, 2 HASH, 3 BOOT, 4 L4BSP, 5 SWAPPED, 6 SWAP_POOL, 7 PHDR);
 * - bit 27: pool index.
 *
 * The segment of type HASH (a PT_NULL entry) holds the hash table segment
 * (./hash-segment); the one of type PHDR (PT_NULL, offset 0) covers the ELF
 * header and program headers, so that every hash covers one program header.
 */

/** Program headers read at most (sectools caps images at 40 segments; the kernel's loaders at 100 or so). */
export const MAX_PHDRS = 1024;

export const SEGMENT_TYPE_HASH = 2;
export const SEGMENT_TYPE_PHDR = 7;
export const ACCESS_NOTUSED = 3;
export const ACCESS_SHARED = 4;

export interface ElfHeader {
  class: 32 | 64;
  type: number;
  machine: number;
  entry: bigint;
  phoff: number;
  phentsize: number;
  phnum: number;
  flags: number;
}

export interface ProgramHeader {
  index: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  paddr: bigint;
  filesz: number;
  memsz: bigint;
  align: bigint;
}

export const segmentType = (flags: number): number => (flags >>> 24) & 7;
export const accessType = (flags: number): number => (flags >>> 21) & 7;
export const isPaged = (flags: number): boolean => ((flags >>> 20) & 1) === 1;

/** A little-endian ELF header, or a reason it is not one. */
export function parseElfHeader(b: Buffer): ElfHeader | string {
  if (b.length < 52 || b.readUInt32BE(0) !== 0x7f454c46) return 'no ELF header';
  const cls = b[4];
  if (cls !== 1 && cls !== 2) return `ELF class ${cls} is neither 32- nor 64-bit`;
  if (b[5] !== 1) return 'a big-endian ELF';
  if (cls === 1) {
    return {
      class: 32,
      type: b.readUInt16LE(16),
      machine: b.readUInt16LE(18),
      entry: BigInt(b.readUInt32LE(24)),
      phoff: b.readUInt32LE(28),
      flags: b.readUInt32LE(36),
      phentsize: b.readUInt16LE(42),
      phnum: b.readUInt16LE(44),
    };
  }
  if (b.length < 64) return 'the ELF64 header is cut short';
  const phoff = b.readBigUInt64LE(32);
  if (phoff > BigInt(Number.MAX_SAFE_INTEGER)) return `program headers at offset ${phoff} lie past any file`;
  return { class: 64, type: b.readUInt16LE(16), machine: b.readUInt16LE(18), entry: b.readBigUInt64LE(24), phoff: Number(phoff), flags: b.readUInt32LE(48), phentsize: b.readUInt16LE(54), phnum: b.readUInt16LE(56) };
}

/** Bytes of the program header table. */
export function phdrTableSize(h: ElfHeader): number {
  return h.phentsize * h.phnum;
}

/** Checks the table's shape; null when it can be read from `table`. */
export function phdrProblem(h: ElfHeader): string | null {
  const want = h.class === 32 ? 32 : 56;
  if (h.phnum === 0) return 'no program headers';
  if (h.phentsize !== want) return `program header size ${h.phentsize}, not ${want}`;
  if (h.phnum > MAX_PHDRS) return `${h.phnum} program headers, more than romscope reads (${MAX_PHDRS})`;
  return null;
}

/** The program headers from the bytes of their table (phentsize already checked). */
export function parseProgramHeaders(h: ElfHeader, table: Buffer): ProgramHeader[] | string {
  const out: ProgramHeader[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const o = i * h.phentsize;
    if (h.class === 32) {
      out.push({
        index: i,
        type: table.readUInt32LE(o),
        offset: table.readUInt32LE(o + 4),
        vaddr: BigInt(table.readUInt32LE(o + 8)),
        paddr: BigInt(table.readUInt32LE(o + 12)),
        filesz: table.readUInt32LE(o + 16),
        memsz: BigInt(table.readUInt32LE(o + 20)),
        flags: table.readUInt32LE(o + 24),
        align: BigInt(table.readUInt32LE(o + 28)),
      });
    } else {
      const offset = table.readBigUInt64LE(o + 8);
      const filesz = table.readBigUInt64LE(o + 32);
      if (offset + filesz > BigInt(Number.MAX_SAFE_INTEGER)) return `program header ${i} covers bytes past any file (offset ${offset}, ${filesz} bytes)`;
      out.push({
        index: i,
        type: table.readUInt32LE(o),
        flags: table.readUInt32LE(o + 4),
        offset: Number(offset),
        vaddr: table.readBigUInt64LE(o + 16),
        paddr: table.readBigUInt64LE(o + 24),
        filesz: Number(filesz),
        memsz: table.readBigUInt64LE(o + 40),
        align: table.readBigUInt64LE(o + 48),
      });
    }
  }
  return out;
}

/**
 * Peek-only test: a little-endian ELF whose program headers lie in the peek
 * and one of which is a PT_NULL entry of Qualcomm's HASH segment type.
 */
export function looksLikeQcomSignedElf(peek: Buffer): boolean {
  const h = parseElfHeader(peek);
  if (typeof h === 'string' || phdrProblem(h)) return false;
  const end = h.phoff + phdrTableSize(h);
  if (end > peek.length) return false;
  const ph = parseProgramHeaders(h, peek.subarray(h.phoff, end));
  if (typeof ph === 'string') return false;
  return ph.some((p) => p.type === 0 && segmentType(p.flags) === SEGMENT_TYPE_HASH && p.filesz >= 40);
}
