/**
 * An ext2/ext3/ext4 file system read at random over any `RandomSource`:
 * the superblock, group descriptors, inodes, extent trees and indirect block
 * maps, directories (linear; an htree directory read linearly), inline data,
 * symlinks and extended attributes. Only the metadata on the way to a file
 * and the file's own blocks are read. All fields are little-endian.
 *
 * With `metadata_csum` the crc32c of every superblock, group descriptor,
 * block and inode bitmap, inode, extent block, directory block (leaf, and
 * htree index: root and interior nodes) and xattr block read is checked; the
 * results and every inconsistency found on the way are given to `report`.
 */
import type { RandomSource } from '../../io/source';
import { FormatError } from '../../io/errors';
import { crc32cUpdate } from '../../io/crc32c';
import { isoSeconds } from '../../io/time';
import { MEMORY_COST } from '../../io/limits';
import type { Ext4Info } from '../../report/info';

export const SB_OFFSET = 1024;
export const EXT4_MAGIC = 0xef53;

/** Caps on what one reader believes (real file systems are far below them). */
export const EXT4_LIMITS = {
  /** Extents (or block-map runs) of one file. */
  maxRuns: 1 << 20,
  /** Extent-tree or indirect blocks read for one file. */
  maxMapBlocks: 1 << 18,
  /** Bytes of one directory read. */
  maxDirBytes: 64 << 20,
  /** Entries of one directory. */
  maxDirEntries: 1 << 20,
  /** Block groups. */
  maxGroups: 1 << 20,
  /** Components of a path looked up. */
  maxPathDepth: 256,
  /** Problems reported one by one (the rest are counted). */
  maxProblems: 50,
  /** Block groups whose block and inode bitmaps are read for their checksums (two blocks each). */
  maxBitmapGroups: 8192,
};

const COMPAT = ['dir_prealloc', 'imagic_inodes', 'has_journal', 'ext_attr', 'resize_inode', 'dir_index', 'lazy_bg', 'exclude_inode', 'exclude_bitmap', 'sparse_super2', 'fast_commit', 'stable_inodes', 'orphan_file'];
const INCOMPAT = [
  'compression',
  'filetype',
  'needs_recovery',
  'journal_dev',
  'meta_bg',
  '',
  'extent',
  '64bit',
  'mmp',
  'flex_bg',
  'ea_inode',
  '',
  'dirdata',
  'metadata_csum_seed',
  'large_dir',
  'inline_data',
  'encrypt',
  'casefold',
];
const RO_COMPAT = [
  'sparse_super',
  'large_file',
  'btree_dir',
  'huge_file',
  'uninit_bg',
  'dir_nlink',
  'extra_isize',
  'has_snapshot',
  'quota',
  'bigalloc',
  'metadata_csum',
  'replica',
  'read-only',
  'project',
  'shared_blocks',
  'verity',
  'orphan_present',
];
const CREATOR_OS = ['Linux', 'Hurd', 'Masix', 'FreeBSD', 'Lites'];

const INCOMPAT_FILETYPE = 0x2;
const INCOMPAT_META_BG = 0x10;
const INCOMPAT_64BIT = 0x80;
const INCOMPAT_CSUM_SEED = 0x2000;
const RO_COMPAT_SPARSE_SUPER = 0x1;
const RO_COMPAT_METADATA_CSUM = 0x400;

const FL_INDEX = 0x1000;
const RO_COMPAT_BIGALLOC = 0x200;
const ZERO4 = Buffer.alloc(4);
const FL_EXTENTS = 0x80000;
const FL_INLINE_DATA = 0x10000000;
const FL_ENCRYPT = 0x800;

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;

const EXTENT_MAGIC = 0xf30a;
const XATTR_MAGIC = 0xea020000;
const ROOT_INO = 2;

function featureNames(bits: number, names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < 32; i++) if (bits & (1 << i)) out.push(names[i] || `bit${i}`);
  return out;
}

function cstr(b: Buffer): string {
  const nul = b.indexOf(0);
  return (nul < 0 ? b : b.subarray(0, nul)).toString('utf8');
}

function uuidString(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function le32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

export interface Superblock {
  inodesCount: number;
  blocksCount: number;
  freeBlocks: number;
  freeInodes: number;
  firstDataBlock: number;
  blockSize: number;
  blocksPerGroup: number;
  inodesPerGroup: number;
  inodeSize: number;
  revision: number;
  compat: number;
  incompat: number;
  roCompat: number;
  descSize: number;
  firstMetaBg: number;
  uuid: string;
  label: string;
  lastMounted: string;
  mountTime: number;
  writeTime: number;
  mkfsTime: number;
  creatorOs: string;
  state: number;
  checksumType: number;
}

export interface Inode {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  flags: number;
  mtime: number;
  generation: number;
  fileAcl: number;
  /** The whole on-disk inode (s_inode_size bytes). */
  raw: Buffer;
}

export interface Run {
  logical: number;
  physical: number;
  length: number;
  /** An uninitialized extent: reads as zeros. */
  zero: boolean;
}

export interface DirEntry {
  name: string;
  ino: number;
  /** dirent file type (1 file, 2 dir, 7 symlink...), 0 when the file system does not store it. */
  type: number;
}

export interface Xattr {
  name: string;
  value: Buffer;
}

export interface Problem {
  kind: 'fs-checksum' | 'fs-invalid';
  message: string;
  offset?: number;
}

const XATTR_PREFIX: Record<number, string> = { 1: 'user.', 2: 'system.posix_acl_access', 3: 'system.posix_acl_default', 4: 'trusted.', 6: 'security.', 7: 'system.', 8: 'system.richacl' };

export function isExt4(peek: Buffer): boolean {
  return peek.length >= SB_OFFSET + 0x60 && peek.readUInt16LE(SB_OFFSET + 0x38) === EXT4_MAGIC && peek.readUInt32LE(SB_OFFSET + 0x18) <= 6 && peek.readUInt32LE(SB_OFFSET + 0x20) > 0;
}

export function fsType(sb: Pick<Superblock, 'compat' | 'incompat' | 'roCompat'>): 'ext2' | 'ext3' | 'ext4' {
  // As blkid tells them: any ext4-only feature makes ext4; a journal alone, ext3.
  const ext4Incompat = 0x40 | 0x80 | 0x200 | 0x10 | 0x400 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000;
  const ext4Ro = 0x8 | 0x10 | 0x20 | 0x40 | 0x200 | 0x400 | 0x2000 | 0x8000;
  if (sb.incompat & ext4Incompat || sb.roCompat & ext4Ro) return 'ext4';
  return sb.compat & 0x4 ? 'ext3' : 'ext2';
}

export class Ext4Fs {
  readonly checksums: boolean;
  /** crc32c checks made (each structure once) and failed. */
  checked = 0;
  failed = 0;
  problems = 0;
  private seed = 0;
  private readonly gdt: Buffer;
  private readonly groups: number;
  private readonly verified = new Set<string>();
  private readonly dirCache = new Map<number, DirEntry[]>();
  private readonly itCache = new Map<number, Buffer>();

  private constructor(
    readonly src: RandomSource,
    readonly sb: Superblock,
    readonly sbRaw: Buffer,
    private readonly report: (p: Problem) => void,
    gdt: Buffer,
    groups: number,
    /** Groups whose descriptors were read (those past the end of the image are not). */
    private readonly groupsRead: number,
    /** Charges the memory budget for directory listings kept (Budget.chargeMemory); throws to stop. */
    private readonly charge: (bytes: number, what: string) => void,
  ) {
    this.checksums = (sb.roCompat & RO_COMPAT_METADATA_CSUM) !== 0;
    this.gdt = gdt;
    this.groups = groups;
  }

  problem(p: Problem): void {
    this.problems++;
    if (p.kind === 'fs-checksum') this.failed++;
    this.report(p);
  }

  /** Counts a checksum once per structure; returns whether it matched. */
  private check(key: string, ok: boolean, message: string, offset?: number): boolean {
    if (this.verified.has(key)) return ok;
    this.verified.add(key);
    this.checked++;
    if (!ok) this.problem({ kind: 'fs-checksum', message, offset });
    return ok;
  }

  static parseSuperblock(b: Buffer): Superblock {
    const incompat = b.readUInt32LE(0x60);
    const is64 = (incompat & INCOMPAT_64BIT) !== 0;
    const rev = b.readUInt32LE(0x4c);
    const os = b.readUInt32LE(0x48);
    return {
      inodesCount: b.readUInt32LE(0x0),
      blocksCount: b.readUInt32LE(0x4) + (is64 ? b.readUInt32LE(0x150) * 2 ** 32 : 0),
      freeBlocks: b.readUInt32LE(0xc) + (is64 ? b.readUInt32LE(0x158) * 2 ** 32 : 0),
      freeInodes: b.readUInt32LE(0x10),
      firstDataBlock: b.readUInt32LE(0x14),
      blockSize: 1024 * 2 ** Math.min(b.readUInt32LE(0x18), 30),
      blocksPerGroup: b.readUInt32LE(0x20),
      inodesPerGroup: b.readUInt32LE(0x28),
      inodeSize: rev === 0 ? 128 : b.readUInt16LE(0x58),
      revision: rev,
      compat: b.readUInt32LE(0x5c),
      incompat,
      roCompat: b.readUInt32LE(0x64),
      descSize: is64 ? b.readUInt16LE(0xfe) : 32,
      firstMetaBg: b.readUInt32LE(0x104),
      uuid: uuidString(b.subarray(0x68, 0x78)),
      label: cstr(b.subarray(0x78, 0x88)),
      lastMounted: cstr(b.subarray(0x88, 0xc8)),
      mountTime: b.readUInt32LE(0x2c),
      writeTime: b.readUInt32LE(0x30),
      mkfsTime: b.readUInt32LE(0x108),
      creatorOs: CREATOR_OS[os] ?? `os ${os}`,
      state: b.readUInt16LE(0x3a),
      checksumType: b.readUInt8(0x175),
    };
  }

  /** Identity and sizes, for `info`. */
  describe(): Ext4Info {
    const sb = this.sb;
    const time = (t: number) => (t ? (isoSeconds(t) ?? null) : null);
    return {
      type: fsType(sb),
      label: sb.label,
      uuid: sb.uuid,
      blockSize: sb.blockSize,
      blocksCount: sb.blocksCount,
      freeBlocks: sb.freeBlocks,
      usedBytes: Math.max(0, sb.blocksCount - sb.freeBlocks) * sb.blockSize,
      fsBytes: sb.blocksCount * sb.blockSize,
      inodesCount: sb.inodesCount,
      freeInodes: sb.freeInodes,
      inodeSize: sb.inodeSize,
      groups: this.groups,
      features: [...featureNames(sb.compat, COMPAT), ...featureNames(sb.incompat, INCOMPAT), ...featureNames(sb.roCompat, RO_COMPAT)],
      lastMountTime: time(sb.mountTime),
      lastMountedOn: sb.lastMounted || null,
      lastWriteTime: time(sb.writeTime),
      created: time(sb.mkfsTime),
      createdBy: sb.creatorOs,
      revision: sb.revision,
      state: sb.state & 1 ? 'clean' : 'not clean',
      metadataChecksums: this.checksums,
    };
  }

  static async open(src: RandomSource, report: (p: Problem) => void, charge: (bytes: number, what: string) => void = () => {}): Promise<Ext4Fs> {
    const raw = await src.read(SB_OFFSET, 1024);
    if (raw.length < 1024) throw new FormatError(`the ext4 superblock needs 1024 bytes at offset ${SB_OFFSET}, the image has ${Math.max(0, src.size - SB_OFFSET)}`, SB_OFFSET);
    if (raw.readUInt16LE(0x38) !== EXT4_MAGIC) throw new FormatError('no ext2/3/4 superblock magic at offset 1080', SB_OFFSET + 0x38);
    const logBs = raw.readUInt32LE(0x18);
    const sb = Ext4Fs.parseSuperblock(raw);
    const bad = (what: string, at: number) => new FormatError(`the superblock is unusable: ${what}`, SB_OFFSET + at, 'fs-invalid');
    if (logBs > 6) throw bad(`s_log_block_size ${logBs} (blocks of 1 KiB to 64 KiB only)`, 0x18);
    const bs = sb.blockSize;
    if (sb.inodeSize < 128 || sb.inodeSize > bs || (sb.inodeSize & (sb.inodeSize - 1)) !== 0) throw bad(`inode size ${sb.inodeSize}`, 0x58);
    // mke2fs makes at least 256 blocks per group (more than 8 x block size only with bigalloc clusters).
    if (sb.blocksPerGroup < 256 || sb.blocksPerGroup % 8 !== 0 || sb.blocksPerGroup > 2 ** 31) throw bad(`${sb.blocksPerGroup} blocks per group`, 0x20);
    if (sb.inodesPerGroup === 0 || sb.inodesPerGroup > 8 * bs) throw bad(`${sb.inodesPerGroup} inodes per group`, 0x28);
    if (sb.blocksCount <= sb.firstDataBlock) throw bad(`${sb.blocksCount} blocks, first data block ${sb.firstDataBlock}`, 0x4);
    if (sb.incompat & INCOMPAT_64BIT && (sb.descSize < 32 || sb.descSize > 1024 || (sb.descSize & (sb.descSize - 1)) !== 0)) throw bad(`group descriptor size ${sb.descSize}`, 0xfe);
    const problems: Problem[] = [];
    const early = (p: Problem) => void problems.push(p);
    const fsBytes = sb.blocksCount * bs;
    // A file system larger than its image: only the groups in the image are believed.
    const blocksInImage = Math.min(sb.blocksCount, Math.floor(src.size / bs));
    if (fsBytes > src.size)
      early({ kind: 'fs-invalid', message: `the file system has ${sb.blocksCount} blocks of ${bs} bytes (${fsBytes} bytes), the image ${src.size}: blocks past its end read as missing`, offset: SB_OFFSET + 4 });
    const groups = Math.ceil((sb.blocksCount - sb.firstDataBlock) / sb.blocksPerGroup);
    if (groups > EXT4_LIMITS.maxGroups) throw bad(`${groups} block groups (romscope believes at most ${EXT4_LIMITS.maxGroups})`, 0x4);
    if (sb.inodesCount !== groups * sb.inodesPerGroup) early({ kind: 'fs-invalid', message: `s_inodes_count ${sb.inodesCount} is not ${groups} groups x ${sb.inodesPerGroup} inodes`, offset: SB_OFFSET });
    if (sb.freeBlocks > sb.blocksCount || sb.freeInodes > sb.inodesCount)
      early({ kind: 'fs-invalid', message: `free counts (${sb.freeBlocks} blocks, ${sb.freeInodes} inodes) exceed the totals (${sb.blocksCount}, ${sb.inodesCount})`, offset: SB_OFFSET + 0xc });
    // Group descriptors: contiguous after the superblock's block, or one block per meta group (meta_bg).
    // Only the descriptors of groups that start inside the image are kept: the rest have nothing to read.
    const perBlock = Math.floor(bs / sb.descSize);
    const groupsInImage = Math.max(1, Math.ceil((blocksInImage - sb.firstDataBlock) / sb.blocksPerGroup));
    const gdtBlocks = Math.ceil(Math.min(groups, groupsInImage) / perBlock);
    const gdt = Buffer.alloc(gdtBlocks * bs);
    let read = 0;
    const hasSuper = (g: number) => {
      if (!(sb.roCompat & RO_COMPAT_SPARSE_SUPER) || g <= 1) return true;
      for (const p of [3, 5, 7]) {
        let n = p;
        while (n < g) n *= p;
        if (n === g) return true;
      }
      return false;
    };
    for (let m = 0; m < gdtBlocks; m++) {
      let blk: number;
      if (sb.incompat & INCOMPAT_META_BG && m >= sb.firstMetaBg) {
        const g = m * perBlock;
        blk = sb.firstDataBlock + g * sb.blocksPerGroup + (hasSuper(g) ? 1 : 0);
      } else blk = sb.firstDataBlock + 1 + m;
      if (blk >= sb.blocksCount) throw bad(`group descriptor block ${blk} lies past the ${sb.blocksCount}-block file system`, 0x4);
      if (blk >= blocksInImage) break;
      (await src.read(blk * bs, bs)).copy(gdt, m * bs);
      read = Math.min(groups, (m + 1) * perBlock);
    }
    const fs = new Ext4Fs(src, sb, raw, report, gdt, groups, read, charge);
    for (const p of problems) fs.problem(p);
    if (fs.checksums) {
      if (sb.checksumType !== 1) fs.problem({ kind: 'fs-invalid', message: `s_checksum_type ${sb.checksumType} is not crc32c (1)`, offset: SB_OFFSET + 0x175 });
      const sum = crc32cUpdate(0xffffffff, raw.subarray(0, 0x3fc));
      fs.check('sb', sum === raw.readUInt32LE(0x3fc), `superblock crc32c is ${hex(raw.readUInt32LE(0x3fc))}, computed ${hex(sum)}`, SB_OFFSET + 0x3fc);
      fs.seed = sb.incompat & INCOMPAT_CSUM_SEED ? raw.readUInt32LE(0x270) : crc32cUpdate(0xffffffff, raw.subarray(0x68, 0x78));
      for (let g = 0; g < read; g++) fs.checkGroup(g);
      await fs.checkBitmaps(Math.min(read, EXT4_LIMITS.maxBitmapGroups), blocksInImage);
    }
    return fs;
  }

  private gdOffset(g: number): number {
    const perBlock = Math.floor(this.sb.blockSize / this.sb.descSize);
    return Math.floor(g / perBlock) * this.sb.blockSize + (g % perBlock) * this.sb.descSize;
  }

  private checkGroup(g: number): void {
    const d = this.gdt.subarray(this.gdOffset(g), this.gdOffset(g) + this.sb.descSize);
    let c = crc32cUpdate(this.seed, le32(g));
    c = crc32cUpdate(c, d.subarray(0, 0x1e));
    c = crc32cUpdate(c, Buffer.alloc(2));
    if (d.length > 0x20) c = crc32cUpdate(c, d.subarray(0x20));
    const want = d.readUInt16LE(0x1e);
    this.check(`gd${g}`, (c & 0xffff) === want, `group descriptor ${g} crc32c is ${hex(want)}, computed ${hex(c & 0xffff)}`);
  }

  /**
   * The block and inode bitmaps of the first `groups` groups against the
   * crc32c their descriptors hold (bg_block_bitmap_csum, bg_inode_bitmap_csum:
   * the low 16 bits, and the high 16 when descriptors are 64 bytes). The sum
   * covers the bits of one group (clusters or inodes per group / 8 bytes),
   * seeded with the file system's seed alone. A bitmap its group marks
   * uninitialised (BLOCK_UNINIT, INODE_UNINIT) is not on disk and not read.
   */
  private async checkBitmaps(groups: number, blocksInImage: number): Promise<void> {
    const sb = this.sb;
    const bigalloc = (sb.roCompat & RO_COMPAT_BIGALLOC) !== 0;
    const clustersPerGroup = bigalloc ? this.sbRaw.readUInt32LE(0x24) : sb.blocksPerGroup;
    const wide = sb.descSize >= 0x3c;
    const kinds = [
      { name: 'block', uninit: 0x2, bytes: Math.floor(clustersPerGroup / 8), at: 0x0, atHi: 0x20, lo: 0x18, hi: 0x38 },
      { name: 'inode', uninit: 0x1, bytes: Math.floor(sb.inodesPerGroup / 8), at: 0x4, atHi: 0x24, lo: 0x1a, hi: 0x3a },
    ];
    for (let g = 0; g < groups; g++) {
      const d = this.gdt.subarray(this.gdOffset(g), this.gdOffset(g) + sb.descSize);
      const flags = d.readUInt16LE(0x12);
      for (const k of kinds) {
        if (flags & k.uninit || k.bytes === 0 || k.bytes > sb.blockSize) continue;
        const blk = d.readUInt32LE(k.at) + (sb.descSize >= 64 ? d.readUInt32LE(k.atHi) * 2 ** 32 : 0);
        if (blk >= blocksInImage) continue; // past the image: said once when the image was opened
        const b = await this.src.read(blk * sb.blockSize, k.bytes);
        if (b.length < k.bytes) continue;
        const c = crc32cUpdate(this.seed, b);
        const want = d.readUInt16LE(k.lo) + (wide ? d.readUInt16LE(k.hi) * 0x10000 : 0);
        const got = wide ? c : c & 0xffff;
        this.check(`${k.name[0]}b${g}`, got === want, `group ${g}: ${k.name} bitmap (block ${blk}) crc32c is ${hex(want)}, computed ${hex(got)}`, blk * sb.blockSize);
      }
    }
  }

  /** Block number of the inode table of group g. */
  private inodeTable(g: number): number {
    const d = this.gdt.subarray(this.gdOffset(g));
    const hi = this.sb.descSize >= 64 ? d.readUInt32LE(0x28) : 0;
    return d.readUInt32LE(0x8) + hi * 2 ** 32;
  }

  /**
   * Tells a source that decodes on demand (a payload partition) what the
   * walk reads next, so it can decode it on spare threads while the walk
   * reads one block at a time: the inode-table blocks of a directory's
   * entries, and the blocks of the next directories in the queue whose
   * extents sit in their inodes. Only a hint: nothing is read or reported.
   */
  private prefetchWalk(list: DirEntry[], queue: { raw?: Buffer }[]): void {
    const hint = this.src.prefetch?.bind(this.src);
    if (!hint) return;
    const sb = this.sb;
    const bs = sb.blockSize;
    const blocks = new Set<number>();
    for (const e of list) {
      if (e.ino < 1 || e.ino > sb.inodesCount) continue;
      const g = Math.floor((e.ino - 1) / sb.inodesPerGroup);
      if (g >= this.groupsRead) continue;
      const table = this.inodeTable(g);
      if (table === 0 || table >= sb.blocksCount) continue;
      blocks.add(Math.floor((table * bs + ((e.ino - 1) % sb.inodesPerGroup) * sb.inodeSize) / bs));
    }
    for (const q of queue.slice(0, PREFETCH_DIRS)) {
      // An extent root of depth 0 in i_block: its extents are the directory's blocks.
      const raw = q.raw;
      if (!raw || raw.length < 0x28 + 60 || raw.readUInt16LE(0x28) !== EXTENT_MAGIC || raw.readUInt16LE(0x28 + 6) !== 0) continue;
      const entries = Math.min(4, raw.readUInt16LE(0x28 + 2));
      for (let i = 0; i < entries; i++) {
        const e = leafExtent(raw.subarray(0x28 + 12 + 12 * i, 0x28 + 24 + 12 * i));
        if (e.length > 0 && !e.zero && e.physical < sb.blocksCount) blocks.add(e.physical);
      }
    }
    for (const b of blocks) hint(b * bs, bs);
  }

  /** An inode by number, or null (a problem is reported) when it cannot be read. */
  async inode(ino: number): Promise<Inode | null> {
    const sb = this.sb;
    if (ino < 1 || ino > sb.inodesCount) {
      this.problem({ kind: 'fs-invalid', message: `inode ${ino} is outside 1..${sb.inodesCount}` });
      return null;
    }
    const g = Math.floor((ino - 1) / sb.inodesPerGroup);
    if (g >= this.groupsRead) {
      this.problem({ kind: 'fs-invalid', message: `inode ${ino} is in group ${g}, past the ${this.groupsRead} groups whose descriptors the image holds` });
      return null;
    }
    const table = this.inodeTable(g);
    const tableBlocks = Math.ceil((sb.inodesPerGroup * sb.inodeSize) / sb.blockSize);
    if (table === 0 || table + tableBlocks > sb.blocksCount) {
      this.problem({ kind: 'fs-invalid', message: `group ${g}'s inode table (block ${table}) lies past the end of the file system` });
      return null;
    }
    const off = table * sb.blockSize + ((ino - 1) % sb.inodesPerGroup) * sb.inodeSize;
    const b = await this.inodeBytes(off);
    if (b.length < sb.inodeSize) {
      this.problem({ kind: 'fs-invalid', message: `inode ${ino} at offset ${off} lies past the end of the image`, offset: off });
      return null;
    }
    const extra = sb.inodeSize > 128 ? b.readUInt16LE(0x80) : 0;
    if (sb.inodeSize > 128 && 128 + extra > sb.inodeSize) this.problem({ kind: 'fs-invalid', message: `inode ${ino}: i_extra_isize ${extra} runs past the ${sb.inodeSize}-byte inode`, offset: off + 0x80 });
    if (this.checksums) {
      const hasHi = sb.inodeSize > 128 && extra >= 4;
      const copy = Buffer.from(b);
      copy.writeUInt16LE(0, 0x7c);
      if (hasHi) copy.writeUInt16LE(0, 0x82);
      let c = crc32cUpdate(this.seed, le32(ino));
      c = crc32cUpdate(c, b.subarray(0x64, 0x68));
      c = crc32cUpdate(c, copy);
      const want = b.readUInt16LE(0x7c) + (hasHi ? b.readUInt16LE(0x82) * 0x10000 : 0);
      const got = hasHi ? c : c & 0xffff;
      this.check(`i${ino}`, got === want, `inode ${ino} crc32c is ${hex(want)}, computed ${hex(got)}`, off + 0x7c);
    }
    const mode = b.readUInt16LE(0);
    return {
      ino,
      mode,
      uid: b.readUInt16LE(2) | (b.readUInt16LE(0x78) << 16),
      gid: b.readUInt16LE(0x18) | (b.readUInt16LE(0x7a) << 16),
      size: b.readUInt32LE(4) + ((mode & S_IFMT) === S_IFDIR && !(sb.incompat & 0x4000) ? 0 : b.readUInt32LE(0x6c) * 2 ** 32),
      links: b.readUInt16LE(0x1a),
      flags: b.readUInt32LE(0x20),
      mtime: b.readUInt32LE(0x10),
      generation: b.readUInt32LE(0x64),
      fileAcl: b.readUInt32LE(0x68) + b.readUInt16LE(0x76) * 2 ** 32,
      raw: b,
    };
  }

  /** The inode at `off`, through a small cache of inode-table blocks (a walk reads neighbours). */
  private async inodeBytes(off: number): Promise<Buffer> {
    const bs = this.sb.blockSize;
    const blk = Math.floor(off / bs);
    let b = this.itCache.get(blk);
    if (!b) {
      b = await this.src.read(blk * bs, bs);
      if (this.itCache.size >= 256) this.itCache.delete(this.itCache.keys().next().value!);
      this.itCache.set(blk, b);
    }
    return b.subarray(off - blk * bs, off - blk * bs + this.sb.inodeSize);
  }

  private inodeSeed(ino: Inode): number {
    return crc32cUpdate(crc32cUpdate(this.seed, le32(ino.ino)), le32(ino.generation));
  }

  private blockOk(blk: number, what: string): boolean {
    if (blk >= this.sb.blocksCount || blk < this.sb.firstDataBlock) {
      this.problem({ kind: 'fs-invalid', message: `${what} points at block ${blk}, outside the ${this.sb.blocksCount}-block file system` });
      return false;
    }
    return true;
  }

  /** The block runs of a file (extents or an indirect block map), sorted by logical block; null when it has none to read (inline data, a fast symlink). */
  async runs(ino: Inode): Promise<Run[] | null> {
    if (ino.flags & FL_INLINE_DATA) return null;
    const runs = ino.flags & FL_EXTENTS ? await this.extentRuns(ino) : await this.mapRuns(ino);
    runs.sort((a, b) => a.logical - b.logical);
    for (let i = 1; i < runs.length; i++) {
      if (runs[i].logical < runs[i - 1].logical + runs[i - 1].length) {
        this.problem({ kind: 'fs-invalid', message: `inode ${ino.ino}: extents overlap at logical block ${runs[i].logical}` });
        return runs.slice(0, i);
      }
    }
    return runs;
  }

  private async extentRuns(ino: Inode): Promise<Run[]> {
    const runs: Run[] = [];
    const seen = new Set<number>();
    const bs = this.sb.blockSize;
    let nodes = 0;
    const walk = async (node: Buffer, depth: number | null, blk: number | null): Promise<void> => {
      const where = blk === null ? `inode ${ino.ino}'s extent root` : `inode ${ino.ino}'s extent block ${blk}`;
      if (node.length < 12 || node.readUInt16LE(0) !== EXTENT_MAGIC) {
        this.problem({ kind: 'fs-invalid', message: `${where} has no extent header magic`, offset: blk === null ? undefined : blk * bs });
        return;
      }
      const entries = node.readUInt16LE(2);
      const max = node.readUInt16LE(4);
      const d = node.readUInt16LE(6);
      if (entries > max || 12 + 12 * max > node.length || (depth !== null && d !== depth) || d > 5) {
        this.problem({ kind: 'fs-invalid', message: `${where}: ${entries} of ${max} entries at depth ${d} do not fit the node${depth !== null && d !== depth ? ` (depth ${depth} expected)` : ''}` });
        return;
      }
      if (blk !== null && this.checksums) {
        const at = 12 + 12 * max;
        if (at + 4 <= node.length) {
          const c = crc32cUpdate(this.inodeSeed(ino), node.subarray(0, at));
          const want = node.readUInt32LE(at);
          this.check(`x${blk}`, c === want, `${where} crc32c is ${hex(want)}, computed ${hex(c)}`, blk * bs + at);
        }
      }
      for (let i = 0; i < entries; i++) {
        const e = node.subarray(12 + 12 * i, 24 + 12 * i);
        if (d === 0) {
          const ext = leafExtent(e);
          const { length: len, physical: start } = ext;
          if (len === 0) continue;
          if (start + len > this.sb.blocksCount || start < this.sb.firstDataBlock) {
            this.problem({ kind: 'fs-invalid', message: `inode ${ino.ino}: extent of ${len} blocks at block ${start} runs past the end of the ${this.sb.blocksCount}-block file system` });
            continue;
          }
          if (runs.length >= EXT4_LIMITS.maxRuns) throw new FormatError(`inode ${ino.ino} has more than ${EXT4_LIMITS.maxRuns} extents`, undefined, 'fs-invalid');
          runs.push(ext);
        } else {
          const child = e.readUInt16LE(8) * 2 ** 32 + e.readUInt32LE(4);
          if (!this.blockOk(child, `inode ${ino.ino}'s extent index`)) continue;
          if (seen.has(child)) {
            this.problem({ kind: 'fs-invalid', message: `inode ${ino.ino}: the extent tree reaches block ${child} twice (a loop)` });
            continue;
          }
          seen.add(child);
          if (++nodes > EXT4_LIMITS.maxMapBlocks) throw new FormatError(`inode ${ino.ino}'s extent tree has more than ${EXT4_LIMITS.maxMapBlocks} blocks`, undefined, 'fs-invalid');
          await walk(await this.src.read(child * bs, bs), d - 1, child);
        }
      }
    };
    await walk(ino.raw.subarray(0x28, 0x28 + 60), null, null);
    return runs;
  }

  private async mapRuns(ino: Inode): Promise<Run[]> {
    const bs = this.sb.blockSize;
    const per = bs / 4;
    const fileBlocks = Math.ceil(ino.size / bs);
    const runs: Run[] = [];
    let reads = 0;
    const add = (logical: number, physical: number) => {
      if (physical === 0 || logical >= fileBlocks) return;
      if (!this.blockOk(physical, `inode ${ino.ino}'s block map`)) return;
      const last = runs[runs.length - 1];
      if (last && last.logical + last.length === logical && last.physical + last.length === physical) last.length++;
      else {
        if (runs.length >= EXT4_LIMITS.maxRuns) throw new FormatError(`inode ${ino.ino} has more than ${EXT4_LIMITS.maxRuns} block runs`, undefined, 'fs-invalid');
        runs.push({ logical, physical, length: 1, zero: false });
      }
    };
    const indirect = async (blk: number, level: number, first: number): Promise<void> => {
      if (blk === 0 || first >= fileBlocks) return;
      if (!this.blockOk(blk, `inode ${ino.ino}'s indirect block`)) return;
      if (++reads > EXT4_LIMITS.maxMapBlocks) throw new FormatError(`inode ${ino.ino}'s block map has more than ${EXT4_LIMITS.maxMapBlocks} indirect blocks`, undefined, 'fs-invalid');
      const b = await this.src.read(blk * bs, bs);
      const span = per ** level;
      for (let i = 0; i < per && i * 4 + 4 <= b.length; i++) {
        const p = b.readUInt32LE(i * 4);
        if (level === 0) add(first + i, p);
        else await indirect(p, level - 1, first + i * span);
      }
    };
    const ib = ino.raw.subarray(0x28, 0x28 + 60);
    for (let i = 0; i < 12; i++) add(i, ib.readUInt32LE(4 * i));
    await indirect(ib.readUInt32LE(48), 0, 12);
    await indirect(ib.readUInt32LE(52), 1, 12 + per);
    await indirect(ib.readUInt32LE(56), 2, 12 + per + per * per);
    return runs;
  }

  /** The extended attributes: in the inode's extra space, then in its xattr block. */
  async xattrs(ino: Inode): Promise<Xattr[]> {
    const out: Xattr[] = [];
    const sb = this.sb;
    if (sb.inodeSize > 128) {
      const start = 128 + ino.raw.readUInt16LE(0x80);
      if (start + 4 <= ino.raw.length && ino.raw.readUInt32LE(start) === XATTR_MAGIC) {
        const area = ino.raw.subarray(start + 4);
        this.parseXattrs(area, 0, area, out, `inode ${ino.ino}`);
      }
    }
    if (ino.fileAcl !== 0 && this.blockOk(ino.fileAcl, `inode ${ino.ino}'s xattr block`)) {
      const blk = ino.fileAcl;
      const b = await this.src.read(blk * sb.blockSize, sb.blockSize);
      if (b.length < 32 || b.readUInt32LE(0) !== XATTR_MAGIC) {
        this.problem({ kind: 'fs-invalid', message: `inode ${ino.ino}'s xattr block ${blk} has no xattr magic`, offset: blk * sb.blockSize });
        return out;
      }
      if (this.checksums) {
        const copy = Buffer.from(b);
        copy.writeUInt32LE(0, 0x10);
        const n = Buffer.alloc(8);
        n.writeBigUInt64LE(BigInt(blk));
        const c = crc32cUpdate(crc32cUpdate(this.seed, n), copy);
        this.check(`a${blk}`, c === b.readUInt32LE(0x10), `xattr block ${blk} crc32c is ${hex(b.readUInt32LE(0x10))}, computed ${hex(c)}`, blk * sb.blockSize + 0x10);
      }
      this.parseXattrs(b, 32, b, out, `xattr block ${blk}`);
    }
    return out;
  }

  private parseXattrs(entries: Buffer, at: number, values: Buffer, out: Xattr[], where: string): void {
    let p = at;
    for (let n = 0; n < 4096 && p + 16 <= entries.length && entries.readUInt32LE(p) !== 0; n++) {
      const nameLen = entries[p];
      const index = entries[p + 1];
      const valueOffs = entries.readUInt16LE(p + 2);
      const valueInum = entries.readUInt32LE(p + 4);
      const valueSize = entries.readUInt32LE(p + 8);
      if (p + 16 + nameLen > entries.length) {
        this.problem({ kind: 'fs-invalid', message: `${where}: an xattr name runs past its area` });
        return;
      }
      const name = (XATTR_PREFIX[index] ?? `index${index}.`) + entries.toString('latin1', p + 16, p + 16 + nameLen);
      if (valueInum !== 0) out.push({ name, value: Buffer.alloc(0) });
      else if (valueOffs + valueSize > values.length) this.problem({ kind: 'fs-invalid', message: `${where}: the value of xattr ${name} (${valueSize} bytes at ${valueOffs}) runs past its area` });
      else out.push({ name, value: Buffer.from(values.subarray(valueOffs, valueOffs + valueSize)) });
      p += (16 + nameLen + 3) & ~3;
    }
  }

  /** A file's bytes: its blocks, its inline data or a fast symlink's target. */
  async content(ino: Inode, name: string): Promise<RandomSource | Buffer> {
    if (ino.flags & FL_INLINE_DATA) return this.inlineData(ino);
    // A fast symlink keeps its target in i_block (ext4 clears the extents flag on it).
    if ((ino.mode & S_IFMT) === S_IFLNK && ino.size < 60 && !(ino.flags & FL_EXTENTS)) return Buffer.from(ino.raw.subarray(0x28, 0x28 + ino.size));
    const runs = (await this.runs(ino)) ?? [];
    return new Ext4FileSource(this.src, this.sb.blockSize, runs, ino.size, name);
  }

  private async inlineData(ino: Inode): Promise<Buffer> {
    const first = ino.raw.subarray(0x28, 0x28 + 60);
    const more = (await this.xattrs(ino)).find((x) => x.name === 'system.data')?.value ?? Buffer.alloc(0);
    const all = Buffer.concat([first, more]);
    if (ino.size > all.length) this.problem({ kind: 'fs-invalid', message: `inode ${ino.ino}: ${ino.size} bytes of inline data, ${all.length} stored` });
    return all.subarray(0, Math.min(ino.size, all.length));
  }

  isEncrypted(ino: Inode): boolean {
    return (ino.flags & FL_ENCRYPT) !== 0;
  }

  /** The entries of a directory (without `.` and `..`). */
  async readDir(ino: Inode): Promise<DirEntry[]> {
    const cached = this.dirCache.get(ino.ino);
    if (cached) return cached;
    const out: DirEntry[] = [];
    const bs = this.sb.blockSize;
    if (ino.flags & FL_INLINE_DATA) {
      const data = await this.inlineData(ino);
      // The parent's inode number, then entries in the rest of i_block, then in system.data.
      this.parseDirBlock(data.subarray(4, Math.min(60, data.length)), out, ino, null);
      if (data.length > 60) this.parseDirBlock(data.subarray(60), out, ino, null);
    } else {
      if (ino.size > EXT4_LIMITS.maxDirBytes) throw new FormatError(`directory inode ${ino.ino} has ${ino.size} bytes (romscope reads at most ${EXT4_LIMITS.maxDirBytes})`, undefined, 'fs-invalid');
      const runs = (await this.runs(ino)) ?? [];
      const blocks = Math.ceil(ino.size / bs);
      for (const r of runs) {
        if (r.zero) continue;
        for (let i = 0; i < r.length && r.logical + i < blocks; i++) {
          const phys = r.physical + i;
          const b = await this.src.read(phys * bs, bs);
          if (b.length < bs) {
            this.problem({ kind: 'fs-invalid', message: `directory inode ${ino.ino}: block ${phys} lies past the end of the image` });
            continue;
          }
          this.parseDirBlock(b, out, ino, { logical: r.logical + i, physical: phys });
          if (out.length > EXT4_LIMITS.maxDirEntries) throw new FormatError(`directory inode ${ino.ino} has more than ${EXT4_LIMITS.maxDirEntries} entries`, undefined, 'fs-invalid');
        }
      }
    }
    // Every listing read counts (a walk keeps the first 4096 and the names it has seen), released with the decoder.
    let bytes = out.length * MEMORY_COST.record;
    for (const e of out) bytes += e.name.length * MEMORY_COST.nameChar;
    this.charge(bytes, `the ext4 directory listings (directory inode ${ino.ino}, ${out.length} entries)`);
    if (this.dirCache.size < 4096) this.dirCache.set(ino.ino, out);
    return out;
  }

  private parseDirBlock(b: Buffer, out: DirEntry[], dir: Inode, blk: { logical: number; physical: number } | null): void {
    const bs = this.sb.blockSize;
    const filetype = (this.sb.incompat & INCOMPAT_FILETYPE) !== 0;
    let limit = b.length;
    if (blk) {
      const tail = b.subarray(bs - 12);
      const isTail = tail.readUInt32LE(0) === 0 && tail.readUInt16LE(4) === 12 && tail[6] === 0 && tail[7] === 0xde;
      const dxNode = dir.flags & FL_INDEX && (blk.logical === 0 || (b.readUInt32LE(0) === 0 && this.recLen(b.readUInt16LE(4)) === bs));
      if (dxNode) {
        if (this.checksums) this.checkDxNode(b, dir, blk.physical);
      } else if (isTail) {
        limit = bs - 12;
        if (this.checksums) {
          const c = crc32cUpdate(this.inodeSeed(dir), b.subarray(0, bs - 12));
          const want = tail.readUInt32LE(8);
          this.check(`d${blk.physical}`, c === want, `directory inode ${dir.ino}, block ${blk.physical}: crc32c is ${hex(want)}, computed ${hex(c)}`, blk.physical * bs + bs - 4);
        }
      } else if (this.checksums) {
        this.check(`d${blk.physical}`, false, `directory inode ${dir.ino}, block ${blk.physical} has no checksum tail`, blk.physical * bs);
      }
      // Interior htree nodes hold no names (their first entry spans the block); the root's '..' spans the index.
    }
    let p = 0;
    while (p + 8 <= limit) {
      const ino = b.readUInt32LE(p);
      const rec = blk ? this.recLen(b.readUInt16LE(p + 4)) : b.readUInt16LE(p + 4);
      const nameLen = filetype ? b[p + 6] : b.readUInt16LE(p + 6);
      const type = filetype ? b[p + 7] : 0;
      if (rec < 8 || rec % 4 !== 0 || p + rec > limit || 8 + nameLen > rec) {
        const where = blk ? `block ${blk.physical}` : 'inline data';
        this.problem({ kind: 'fs-invalid', message: `directory inode ${dir.ino}, ${where}: entry at ${p} has rec_len ${rec} and name_len ${nameLen}, which do not fit`, offset: blk ? blk.physical * bs + p : undefined });
        return;
      }
      if (ino !== 0 && nameLen > 0) {
        const name = b.toString('utf8', p + 8, p + 8 + nameLen);
        if (name !== '.' && name !== '..') {
          if (ino > this.sb.inodesCount) this.problem({ kind: 'fs-invalid', message: `directory inode ${dir.ino}: "${name.slice(0, 64)}" names inode ${ino}, past the ${this.sb.inodesCount} inodes` });
          else out.push({ name, ino, type });
        }
      }
      p += rec;
    }
  }

  /**
   * An htree index block (the root, at logical block 0, or an interior
   * node, whose one empty entry spans the block): its dx_tail checksum, the
   * crc32c (seeded per inode) of the block up to the last used dx_entry, the
   * tail's reserved word and a zero checksum. The count/limit header sits
   * after the fake entry (8 bytes in), or in the root after `.`, `..` and
   * dx_root_info (32 bytes in); the tail right after `limit` entries.
   */
  private checkDxNode(b: Buffer, dir: Inode, physical: number): void {
    const bs = this.sb.blockSize;
    const key = `d${physical}`;
    const where = `directory inode ${dir.ino}, htree index block ${physical}`;
    let countOffset: number;
    const first = this.recLen(b.readUInt16LE(4));
    if (first === bs) countOffset = 8;
    else if (first === 12 && this.recLen(b.readUInt16LE(12 + 4)) === bs - 12 && b.readUInt32LE(24) === 0 && b[24 + 5] === 8) countOffset = 32;
    else {
      this.check(key, false, `${where} is not laid out as an htree root or node, so its checksum cannot be found`, physical * bs);
      return;
    }
    const limit = b.readUInt16LE(countOffset);
    const count = b.readUInt16LE(countOffset + 2);
    const tailAt = countOffset + limit * 8;
    if (tailAt + 8 > bs) {
      this.check(key, false, `${where}: its ${limit} index entries leave no room for the checksum tail`, physical * bs + countOffset);
      return;
    }
    if (count > limit) {
      this.check(key, false, `${where}: ${count} index entries in room for ${limit}, so its checksum cannot be computed`, physical * bs + countOffset + 2);
      return;
    }
    let c = crc32cUpdate(this.inodeSeed(dir), b.subarray(0, countOffset + count * 8));
    c = crc32cUpdate(c, b.subarray(tailAt, tailAt + 4));
    c = crc32cUpdate(c, ZERO4);
    const want = b.readUInt32LE(tailAt + 4);
    this.check(key, c === want, `${where}: crc32c is ${hex(want)}, computed ${hex(c)}`, physical * bs + tailAt + 4);
  }

  private recLen(v: number): number {
    const bs = this.sb.blockSize;
    if (bs < 65536) return v;
    return v === 65535 || v === 0 ? bs : (v & 65532) | ((v & 3) << 16);
  }

  /** Looks a path up from the root without following symlinks; null when a component is missing or not a directory. */
  async lookup(path: string): Promise<Inode | null> {
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length > EXT4_LIMITS.maxPathDepth || parts.some((p) => p === '.' || p === '..')) return null;
    let cur = await this.inode(ROOT_INO);
    for (const part of parts) {
      if (!cur || (cur.mode & S_IFMT) !== S_IFDIR) return null;
      const e = (await this.readDir(cur)).find((x) => x.name === part);
      if (!e) return null;
      cur = await this.inode(e.ino);
    }
    return cur;
  }

  /**
   * Every directory from the root, breadth first: directory blocks and the
   * inodes they name are read (no file data). A directory reached twice (a
   * cycle or a hard-linked directory), and a file whose link count is lower
   * than the names it has, are problems. Stops at `maxDirs` directories, or
   * when `visit` (given each entry's path and inode) returns false.
   */
  async walkDirs(maxDirs: number, visit?: (path: string, ino: Inode) => boolean): Promise<{ dirs: number; entries: number; files: number; symlinks: number; complete: boolean }> {
    const seen = new Set<number>([ROOT_INO]);
    const queue: { ino: number; path: string; raw?: Buffer }[] = [{ ino: ROOT_INO, path: '' }];
    const refs = new Map<number, { names: number; links: number }>();
    const r = { dirs: 0, entries: 0, files: 0, symlinks: 0, complete: false };
    while (queue.length) {
      if (r.dirs >= maxDirs || r.entries > EXT4_LIMITS.maxDirEntries) return r;
      const at = queue.shift()!;
      const ino = await this.inode(at.ino);
      if (!ino || (ino.mode & S_IFMT) !== S_IFDIR) continue;
      r.dirs++;
      let list: DirEntry[];
      try {
        list = await this.readDir(ino);
      } catch (e) {
        if (e instanceof FormatError) {
          this.problem({ kind: 'fs-invalid', message: e.message });
          continue;
        }
        throw e;
      }
      r.entries += list.length;
      this.prefetchWalk(list, queue);
      for (const e of list) {
        const child = await this.inode(e.ino);
        if (!child) continue;
        const path = at.path ? `${at.path}/${e.name}` : e.name;
        if (visit && !visit(path, child)) return r;
        const kind = child.mode & S_IFMT;
        if (kind !== S_IFDIR) {
          if (kind === S_IFLNK) r.symlinks++;
          else r.files++;
          // An extent tree deeper than the inode is metadata too: its index and leaf blocks are read (file data is not).
          if (child.flags & FL_EXTENTS && !(child.flags & FL_INLINE_DATA) && child.raw.readUInt16LE(0x28) === EXTENT_MAGIC && child.raw.readUInt16LE(0x28 + 6) > 0) await this.runs(child);
          const seenRef = refs.get(e.ino);
          if (seenRef) seenRef.names++;
          else refs.set(e.ino, { names: 1, links: child.links });
          continue;
        }
        if (seen.has(e.ino)) {
          this.problem({ kind: 'fs-invalid', message: `directory inode ${e.ino} ("${e.name.slice(0, 64)}" in directory inode ${ino.ino}) is reached twice: a directory cycle or a hard-linked directory` });
          continue;
        }
        seen.add(e.ino);
        queue.push({ ino: e.ino, path, raw: child.raw });
      }
    }
    for (const [n, v] of refs) {
      if (v.links < v.names) this.problem({ kind: 'fs-invalid', message: `inode ${n} has ${v.names} names but a link count of ${v.links}` });
    }
    r.complete = true;
    return r;
  }
}

/** A leaf extent entry (12 bytes): its blocks; a length over 32768 marks an uninitialized extent, which reads as zeros. */
function leafExtent(e: Buffer): { logical: number; physical: number; length: number; zero: boolean } {
  const raw = e.readUInt16LE(4);
  const zero = raw > 32768;
  return { logical: e.readUInt32LE(0), physical: e.readUInt16LE(6) * 2 ** 32 + e.readUInt32LE(8), length: zero ? raw - 32768 : raw, zero };
}

/** Directories next in the walk's queue whose blocks are hinted to the source. */
const PREFETCH_DIRS = 4;

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

/** A file's bytes through its block runs: holes and uninitialized extents read as zeros; never copied. */
export class Ext4FileSource implements RandomSource {
  readonly kind = 'random' as const;
  constructor(
    private readonly fs: RandomSource,
    private readonly bs: number,
    private readonly runs: Run[],
    readonly size: number,
    readonly name: string,
  ) {}

  /** Index of the last run starting at or before logical block `lb`, or -1. */
  private find(lb: number): number {
    let lo = 0;
    let hi = this.runs.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.runs[mid].logical <= lb) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const start = Math.max(0, Math.min(offset, this.size));
    const end = Math.max(start, Math.min(offset + length, this.size));
    const out = Buffer.alloc(end - start);
    let pos = start;
    while (pos < end) {
      const lb = Math.floor(pos / this.bs);
      const i = this.find(lb);
      const r = i >= 0 ? this.runs[i] : null;
      if (r && lb < r.logical + r.length) {
        const stop = Math.min(end, (r.logical + r.length) * this.bs);
        if (!r.zero) {
          const b = await this.fs.read((r.physical + (lb - r.logical)) * this.bs + (pos % this.bs), stop - pos);
          b.copy(out, pos - start);
        }
        pos = stop;
      } else {
        const next = i + 1 < this.runs.length ? this.runs[i + 1].logical * this.bs : end;
        pos = Math.min(end, Math.max(next, pos + 1));
      }
    }
    return out;
  }

  async *stream(start = 0, end = this.size): AsyncIterable<Buffer> {
    let pos = Math.max(0, Math.min(start, this.size));
    const stop = Math.max(pos, Math.min(end, this.size));
    while (pos < stop) {
      const n = Math.min(1 << 20, stop - pos);
      yield await this.read(pos, n);
      pos += n;
    }
  }
}
