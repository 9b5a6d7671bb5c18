import type { Rule } from '../types';

/** What the kernel's initramfs unpacker understands (FORMATS.md §12.1), plus a plain cpio. */
const KERNEL_RAMDISK_FORMATS = ['gzip', 'lz4', 'xz', 'zstd', 'bzip2', 'lzma', 'lzop', 'cpio'];

/**
 * A boot image ramdisk whose bytes are none of the formats the kernel can
 * unpack. A warning: the kernel then tries it as a legacy initrd image, and
 * test images (u-boot's) carry placeholder ramdisks on purpose.
 */
const rule: Rule = {
  id: 'format/ramdisk-unknown-compression',
  description: 'A boot image ramdisk is not a cpio archive in a compression the kernel understands',
  defaultSeverity: 'warning',
  check(ctx) {
    for (const a of ctx.artifacts()) {
      if (a.format !== 'android-boot') continue;
      for (const c of a.children) {
        if (!/^(ramdisk|vendor_ramdisk\d*)$/.test(c.name) || !c.size) continue;
        // The kernel's lz4 support is the legacy format only (lib/decompress.c, magic 02 21).
        const lz4Frame = c.format === 'lz4' && c.info.variant !== 'legacy';
        if (!KERNEL_RAMDISK_FORMATS.includes(c.format) || lz4Frame) {
          const what = c.format === 'data' ? 'in no known format' : lz4Frame ? 'an LZ4 frame (not legacy LZ4)' : c.format;
          ctx.report({ path: c.path, message: `ramdisk is ${what}; the kernel unpacks gzip, lz4 (legacy), xz, zstd, bzip2, lzma, lzo or plain cpio` });
        }
      }
    }
  },
};
export default rule;
