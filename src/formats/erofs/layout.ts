/**
 * EROFS on-disk layout (little-endian throughout), as far as romscope reads it.
 *
 * Superblock: 128 bytes at byte 1024: magic e0f5e1e2, checksum (crc32c of
 * the superblock's block from byte 1024, field zeroed, seed ~0, no final
 * inversion), feature_compat, blkszbits, sb_extslots, root_nid (u16), inos
 * (u64), build_time (u64) + nsec, blocks, meta_blkaddr, xattr_blkaddr,
 * uuid[16], volume_name[16], feature_incompat, available_compr_algs (u16),
 * extra_devices, devt_slotoff, dirblkbits, xattr_prefix_count,
 * xattr_prefix_start, packed_nid (u64).
 *
 * Inodes live at meta_blkaddr * block size + nid * 32: a compact (32-byte)
 * or extended (64-byte) inode (bit 0 of i_format), then its xattrs, then,
 * by data layout (bits 1-3): the inline tail (FLAT_INLINE), the chunk table
 * (CHUNK_BASED) or the compression map (COMPRESSED_FULL / _COMPACT).
 */
export const EROFS_MAGIC = 0xe0f5e1e2;
export const SB_OFFSET = 1024;
export const SB_SIZE = 128;
export const NULL_ADDR = 0xffffffff;

export const COMPAT_SB_CHKSUM = 0x1;
const COMPAT_NAMES: [number, string][] = [
  [0x1, 'sb_csum'],
  [0x2, 'mtime'],
  [0x4, 'xattr_filter'],
  [0x8, 'shared_ea_in_metabox'],
  [0x10, 'plain_xattr_pfx'],
];
export const INCOMPAT = {
  ZERO_PADDING: 0x1,
  COMPR_CFGS: 0x2,
  BIG_PCLUSTER: 0x2,
  CHUNKED_FILE: 0x4,
  DEVICE_TABLE: 0x8,
  ZTAILPACKING: 0x10,
  FRAGMENTS: 0x20,
  XATTR_PREFIXES: 0x40,
  BIT48: 0x80,
  METABOX: 0x100,
} as const;
const INCOMPAT_NAMES: [number, string][] = [
  [0x1, '0padding'],
  [0x2, 'compr_cfgs/big_pcluster'],
  [0x4, 'chunked_file'],
  [0x8, 'device_table/compr_head2'],
  [0x10, 'ztailpacking'],
  [0x20, 'fragments/dedupe'],
  [0x40, 'xattr_prefixes'],
  [0x80, '48bit'],
  [0x100, 'metabox'],
];
/** The incompatible features romscope reads (48bit and metabox change where things are; a device table moves data to other devices). */
export const INCOMPAT_READ = 0x1 | 0x2 | 0x4 | 0x10 | 0x20 | 0x40;

export const LAYOUT = { FLAT_PLAIN: 0, COMPRESSED_FULL: 1, FLAT_INLINE: 2, COMPRESSED_COMPACT: 3, CHUNK_BASED: 4 } as const;
export const LAYOUT_NAMES = ['flat-plain', 'compressed-full', 'flat-inline', 'compressed-compact', 'chunk-based'];
export const ALGORITHMS = ['lz4', 'lzma', 'deflate', 'zstd'];

export interface Superblock {
  checksum: number;
  featureCompat: number;
  blkszbits: number;
  blockSize: number;
  extSlots: number;
  rootNid: number;
  inodes: number;
  buildTime: number;
  buildTimeNsec: number;
  blocks: number;
  metaBlkaddr: number;
  xattrBlkaddr: number;
  uuid: string;
  volumeName: string;
  featureIncompat: number;
  comprAlgs: number;
  extraDevices: number;
  dirblkbits: number;
  xattrPrefixCount: number;
  xattrPrefixStart: number;
  packedNid: number;
}

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

export function formatUuid(b: Buffer): string {
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** The 128 bytes at offset 1024, magic already checked. */
export function parseSuperblock(b: Buffer): Superblock {
  const blkszbits = b[12];
  const nameEnd = b.subarray(64, 80).indexOf(0);
  return {
    checksum: b.readUInt32LE(4),
    featureCompat: b.readUInt32LE(8),
    blkszbits,
    blockSize: blkszbits < 31 ? 2 ** blkszbits : 0,
    extSlots: b[13],
    rootNid: b.readUInt16LE(14),
    inodes: u64(b, 16),
    buildTime: u64(b, 24),
    buildTimeNsec: b.readUInt32LE(32),
    blocks: b.readUInt32LE(36),
    metaBlkaddr: b.readUInt32LE(40),
    xattrBlkaddr: b.readUInt32LE(44),
    uuid: formatUuid(b.subarray(48, 64)),
    volumeName: b.subarray(64, nameEnd < 0 ? 80 : 64 + nameEnd).toString('latin1'),
    featureIncompat: b.readUInt32LE(80),
    comprAlgs: b.readUInt16LE(84),
    extraDevices: b.readUInt16LE(86),
    dirblkbits: b[90],
    xattrPrefixCount: b[91],
    xattrPrefixStart: b.readUInt32LE(92),
    packedNid: u64(b, 96),
  };
}

function names(bits: number, table: [number, string][]): string[] {
  const out: string[] = [];
  let rest = bits >>> 0;
  for (const [bit, name] of table) {
    if (rest & bit) out.push(name);
    rest &= ~bit;
  }
  for (let i = 0; i < 32; i++) if (rest & (1 << i)) out.push(`unknown 0x${((1 << i) >>> 0).toString(16)}`);
  return out;
}

export const compatNames = (bits: number): string[] => names(bits, COMPAT_NAMES);
export const incompatNames = (bits: number): string[] => names(bits, INCOMPAT_NAMES);

/** xattr name prefixes by e_name_index (1-6); 0x80 and above index the long-prefix table. */
export const XATTR_PREFIXES: Record<number, string> = {
  1: 'user.',
  2: 'system.posix_acl_access',
  3: 'system.posix_acl_default',
  4: 'trusted.',
  5: 'lustre.',
  6: 'security.',
};
