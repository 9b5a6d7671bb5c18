import { gzipSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { buildBootImage, buildVendorBootImage, mtkHeader } from '../../../fixtures/builders/bootimg';
import { buildCpio } from '../../../fixtures/builders/cpio';
import { buildLz4Frame, buildLz4Legacy } from '../../../fixtures/builders/lz4';
import { buildZip } from '../../../fixtures/builders/zip';
import { pseudoRandom } from '../../../fixtures/builders/data';

const kernel = pseudoRandom(20_001, 41);
const dtb = pseudoRandom(1000, 42);
const cpio = buildCpio([
  { name: 'init', data: pseudoRandom(6000, 43) },
  { name: 'init.rc', data: Buffer.from('on early-init\n    start ueventd\n'.repeat(50)) },
]);
const gz = gzipSync(cpio);
const random = pseudoRandom(9000, 44);

/** Only the first bytes matter for these (romscope recognises them by magic and does not decode them). */
const opaque = {
  xz: Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), pseudoRandom(500, 45)]),
  zstd: Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), pseudoRandom(500, 46)]),
  bzip2: Buffer.concat([Buffer.from('BZh9', 'latin1'), pseudoRandom(500, 47)]),
  // Properties byte 0x5D, a 8 MiB dictionary, then an unknown size (what `lzma` writes).
  lzma: Buffer.concat([Buffer.from([0x5d, 0x00, 0x00, 0x80, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), pseudoRandom(500, 48)]),
  lzop: Buffer.concat([Buffer.from([0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]), pseudoRandom(500, 49)]),
};

ruleTester('format/ramdisk-unknown-compression', {
  valid: [
    { name: 'gzip cpio ramdisk', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: gz }) },
    { name: 'lz4 legacy cpio ramdisk (what AOSP builds with BOARD_RAMDISK_USE_LZ4)', file: 'boot.img', build: () => buildBootImage({ headerVersion: 4, kernel, ramdisk: buildLz4Legacy(cpio) }) },
    { name: 'plain cpio ramdisk', file: 'boot.img', build: () => buildBootImage({ headerVersion: 2, kernel, ramdisk: cpio, dtb }) },
    { name: 'no ramdisk at all', file: 'boot.img', build: () => buildBootImage({ kernel }) },
    { name: 'xz ramdisk (recognised, not decoded)', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: opaque.xz }) },
    { name: 'zstd ramdisk (recognised, not decoded)', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: opaque.zstd }) },
    { name: 'bzip2 ramdisk (recognised, not decoded)', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: opaque.bzip2 }) },
    { name: 'legacy lzma ramdisk (recognised, not decoded)', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: opaque.lzma }) },
    { name: 'lzop ramdisk (recognised, not decoded)', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: opaque.lzop }) },
    { name: 'MediaTek 512-byte header in front of a gzip ramdisk', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: Buffer.concat([mtkHeader(gz.length, 'ROOTFS'), gz]) }) },
    { name: 'init_boot v4 with a gzip ramdisk', file: 'init_boot.img', build: () => buildBootImage({ headerVersion: 4, ramdisk: gz }) },
    { name: 'vendor_boot v3 with a gzip ramdisk', file: 'vendor_boot.img', build: () => buildVendorBootImage({ headerVersion: 3, ramdisk: gz, dtb }) },
    {
      name: 'vendor_boot v4 with gzip, lz4 legacy and plain cpio fragments',
      file: 'vendor_boot.img',
      build: () =>
        buildVendorBootImage({
          ramdisks: [
            { data: gz, name: 'a' },
            { data: buildLz4Legacy(cpio), name: 'b', type: 'dlkm' },
            { data: cpio, name: 'c', type: 'recovery' },
          ],
          dtb,
        }),
    },
    { name: 'random bytes that are not a ramdisk (dtb, second) are not judged', file: 'boot.img', build: () => buildBootImage({ headerVersion: 2, kernel, ramdisk: gz, second: random, dtb: random }) },
  ],
  invalid: [
    { name: 'random bytes as the ramdisk', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: random }), errors: [{ path: 'ramdisk', message: 'ramdisk is in no known format' }] },
    { name: 'random bytes as a v4 ramdisk', file: 'boot.img', build: () => buildBootImage({ headerVersion: 4, kernel, ramdisk: random }), errors: [{ path: 'ramdisk', message: 'the kernel unpacks gzip' }] },
    {
      name: 'a zip as the ramdisk',
      file: 'boot.img',
      build: () => buildBootImage({ kernel, ramdisk: buildZip([{ name: 'init', data: random }]) }),
      errors: [{ path: 'ramdisk', message: 'ramdisk is zip;' }],
    },
    {
      // The kernel's initramfs unpacker knows only the legacy lz4 format (magic 02 21), not the lz4 frame format.
      name: 'lz4 frame format ramdisk (the kernel reads only legacy lz4)',
      file: 'boot.img',
      build: () => buildLz4Frame(cpio).then((lz4) => buildBootImage({ kernel, ramdisk: lz4 })),
      errors: [{ path: 'ramdisk', message: 'lz4' }],
    },
    {
      name: 'random bytes as the vendor_boot v3 ramdisk',
      file: 'vendor_boot.img',
      build: () => buildVendorBootImage({ headerVersion: 3, ramdisk: random, dtb }),
      errors: [{ path: 'vendor_ramdisk', message: 'in no known format' }],
    },
    {
      name: 'random bytes as the second of three vendor_boot v4 fragments',
      file: 'vendor_boot.img',
      build: () =>
        buildVendorBootImage({
          ramdisks: [
            { data: gz, name: 'a' },
            { data: random, name: 'b' },
            { data: cpio, name: 'c' },
          ],
          dtb,
        }),
      errors: [{ path: 'vendor_ramdisk01', message: 'in no known format' }],
    },
    {
      name: 'a boot image in a zip with a random ramdisk',
      file: 'rom.zip',
      build: () => buildZip([{ name: 'boot.img', data: buildBootImage({ kernel, ramdisk: random }), method: 'deflate' }]),
      errors: [{ path: 'boot.img/ramdisk', message: 'in no known format' }],
    },
  ],
});
