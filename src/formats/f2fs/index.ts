import { phrases, str, sized, labelled } from '../summary';
/**
 * f2fs, the flash file system of many `userdata` and some `system`,
 * `vendor` or `product` images: recognised by its superblock (magic
 * f2f52010 at byte 1024, little-endian) and described from it: version,
 * label (UTF-16LE), UUID, block and sector sizes, segment, section and zone
 * counts, the metadata areas' block addresses, features and the kernel
 * version that made it. Its files are not read yet (the info says so).
 */
import type { ContainerHandler } from '../types';
import { FormatError } from '../../io/errors';
import { formatUuid } from '../erofs/layout';
import type { F2fsInfo } from '../../report/info';

export const F2FS_MAGIC = 0xf2f52010;
const SB_OFFSET = 1024;
/** Bytes of the superblock romscope reads (through its feature word). */
const SB_READ = 2184;

const FEATURES: [number, string][] = [
  [0x1, 'encrypt'],
  [0x2, 'blkzoned'],
  [0x4, 'atomic_write'],
  [0x8, 'extra_attr'],
  [0x10, 'project_quota'],
  [0x20, 'inode_checksum'],
  [0x40, 'flexible_inline_xattr'],
  [0x80, 'quota_ino'],
  [0x100, 'inode_crtime'],
  [0x200, 'lost_found'],
  [0x400, 'verity'],
  [0x800, 'sb_checksum'],
  [0x1000, 'casefold'],
  [0x2000, 'compression'],
  [0x4000, 'readonly'],
];

function cString(b: Buffer): string {
  const z = b.indexOf(0);
  return b.subarray(0, z < 0 ? b.length : z).toString('latin1');
}

export const f2fsHandler: ContainerHandler = {
  id: 'f2fs',
  summary: (i) => phrases('f2fs', str(i.label) && `label ${JSON.stringify(i.label)}`, sized('size', i.size), labelled('version', i.version)),
  kind: 'container',
  description: 'f2fs file system image (userdata, some system/vendor/product images): superblock identity; files not read',
  traits: { role: 'partition-image', confidence: 'magic', avbFooter: true },
  detect: ({ peek }) => peek.length >= SB_OFFSET + 24 && peek.readUInt32LE(SB_OFFSET) === F2FS_MAGIC && peek.readUInt32LE(SB_OFFSET + 16) >= 9 && peek.readUInt32LE(SB_OFFSET + 16) <= 16,
  async decode(src, ctx) {
    const b = await src.read(SB_OFFSET, SB_READ);
    if (b.length < SB_READ) throw new FormatError(`the f2fs superblock needs ${SB_READ} bytes at offset ${SB_OFFSET}, the file has ${src.size}`, SB_OFFSET, 'truncated');
    const logBlock = b.readUInt32LE(16);
    const blockSize = 2 ** Math.min(logBlock, 31);
    const blockCount = Number(b.readBigUInt64LE(36));
    const labelRaw = b.subarray(124, 124 + 1024);
    let labelEnd = 0;
    while (labelEnd < labelRaw.length && labelRaw.readUInt16LE(labelEnd) !== 0) labelEnd += 2;
    const features = b.readUInt32LE(2180);
    const info: F2fsInfo = {
      fileSystem: 'f2fs',
      version: `${b.readUInt16LE(4)}.${b.readUInt16LE(6)}`,
      label: labelRaw.subarray(0, labelEnd).toString('utf16le'),
      uuid: formatUuid(b.subarray(108, 124)),
      blockSize,
      sectorSize: 2 ** Math.min(b.readUInt32LE(8), 31),
      blocks: blockCount,
      size: blockCount * blockSize,
      blocksPerSegment: 2 ** Math.min(b.readUInt32LE(20), 31),
      segmentsPerSection: b.readUInt32LE(24),
      sectionsPerZone: b.readUInt32LE(28),
      sections: b.readUInt32LE(44),
      segments: b.readUInt32LE(48),
      mainSegments: b.readUInt32LE(68),
      rootInode: b.readUInt32LE(96),
      features: FEATURES.filter(([bit]) => features & bit).map(([, n]) => n),
      madeBy: cString(b.subarray(1668, 1924)),
      createdBy: cString(b.subarray(1924, 2180)),
      filesRead: 'none: romscope recognises f2fs and reads its superblock, not its files yet',
    };
    if (logBlock !== 12) ctx.fact({ kind: 'fs-invalid', message: `the f2fs superblock's block size 2^${logBlock} is not the 4096 bytes f2fs uses`, offset: SB_OFFSET + 16 });
    if (blockCount * blockSize > src.size) {
      ctx.fact({ kind: 'truncated', message: `the f2fs superblock counts ${blockCount} blocks of ${blockSize} bytes, the image has ${src.size}`, offset: SB_OFFSET + 36 });
    }
    return { info, children: [] };
  },
};
