import { gzipSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { buildBootImage, buildVendorBootImage, avbFooter, buildBootImageWithLayout } from '../../../fixtures/builders/bootimg';
import { buildCpio } from '../../../fixtures/builders/cpio';
import { buildZip } from '../../../fixtures/builders/zip';
import { pseudoRandom } from '../../../fixtures/builders/data';

const kernel = pseudoRandom(70_001, 1);
const ramdisk = gzipSync(
  buildCpio([
    { name: 'init', data: pseudoRandom(5000, 2) },
    { name: 'init.rc', data: Buffer.from('on boot\n') },
  ]),
);
const dtb = pseudoRandom(3000, 3);
const dtbo = pseudoRandom(1234, 4);

/** Where the recovery DTBO of a v1 image with these sections really is. */
const dtboAt = buildBootImageWithLayout({ headerVersion: 1, kernel, ramdisk, recoveryDtbo: dtbo }).sections.find((x) => x.name === 'recovery_dtbo')!.offset;

/** A v0 image followed by an AVB footer whose original size is the image. */
function withFooter(): Buffer {
  const img = buildBootImage({ kernel, ramdisk, osVersion: '11.0.0', patchLevel: '2021-03' });
  return Buffer.concat([img, Buffer.alloc(8192), avbFooter(img.length)]);
}

ruleTester('format/boot-invalid', {
  valid: [
    { name: 'v0, 2048-byte pages, board and long cmdline', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk, board: 'fifteen-chars-x', cmdline: 'a=b '.repeat(300) }) },
    { name: 'v0 with a second stage, 16 KiB pages', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk, second: pseudoRandom(100, 5), pageSize: 16384 }) },
    { name: 'v0 LineageOS with a QCOM dt blob (header_version holds its size)', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk, dt: pseudoRandom(6000, 6), id: 'lineage' }) },
    { name: 'v1 with a recovery DTBO', file: 'recovery.img', build: () => buildBootImage({ headerVersion: 1, kernel, ramdisk, recoveryDtbo: dtbo, pageSize: 4096 }) },
    { name: 'v1 without a recovery DTBO', file: 'boot.img', build: () => buildBootImage({ headerVersion: 1, kernel, ramdisk }) },
    { name: 'v2 with a DTB and a recovery DTBO', file: 'boot.img', build: () => buildBootImage({ headerVersion: 2, kernel, ramdisk, recoveryDtbo: dtbo, dtb }) },
    { name: 'v3', file: 'boot.img', build: () => buildBootImage({ headerVersion: 3, kernel, ramdisk, cmdline: 'x'.repeat(1535) }) },
    { name: 'v4 with a boot signature section', file: 'boot.img', build: () => buildBootImage({ headerVersion: 4, kernel, ramdisk, bootSignature: pseudoRandom(4096, 7) }) },
    { name: 'v4 init_boot (no kernel)', file: 'init_boot.img', build: () => buildBootImage({ headerVersion: 4, ramdisk, osVersion: '14.0.0', patchLevel: '2024-04' }) },
    { name: 'v0 with an AVB footer after padding', file: 'boot.img', build: withFooter },
    { name: 'vendor_boot v3', file: 'vendor_boot.img', build: () => buildVendorBootImage({ headerVersion: 3, ramdisk, dtb, pageSize: 2048 }) },
    {
      name: 'vendor_boot v4: three named fragments with types and board ids, bootconfig',
      file: 'vendor_boot.img',
      build: () =>
        buildVendorBootImage({
          ramdisk,
          ramdisks: [
            { data: ramdisk, name: 'dlkm', type: 'dlkm', boardId: [1, 2, 3] },
            { data: ramdisk, name: 'recovery', type: 'recovery' },
          ],
          dtb,
          bootconfig: 'androidboot.hardware=test\nandroidboot.serialno=1234\n',
        }),
    },
    // A file shorter than its own header is a cut download (integrity/truncated); the fields it lacks
    // must not be read as zeros and reported as a bad header_size, a missing DTB or sections past the end.
    { name: 'v2 header cut at 1640 of its 1660 bytes (integrity/truncated instead)', file: 'boot.img', build: () => buildBootImage({ headerVersion: 2, kernel, ramdisk, dtb }).subarray(0, 1640) },
    { name: 'v0 header cut at 1600 of its 1632 bytes (integrity/truncated instead)', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk }).subarray(0, 1600) },
    { name: 'vendor_boot v4 header cut at 2120 of its 2128 bytes (integrity/truncated instead)', file: 'vendor_boot.img', build: () => buildVendorBootImage({ ramdisk, dtb }).subarray(0, 2120) },
    { name: 'a boot image inside a zip', file: 'rom.zip', build: () => buildZip([{ name: 'boot.img', data: buildBootImage({ headerVersion: 2, kernel, ramdisk, dtb }), method: 'deflate' }]) },
  ],
  invalid: [
    { name: 'page size 0', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk, pageSize: 0 }), errors: [{ path: '', message: 'page size 0 is not a power of two' }] },
    { name: 'page size 3000', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk, pageSize: 3000 }), errors: [{ path: '', message: 'page size 3000 is not a power of two' }] },
    {
      name: "page size 32768 (a power of two, above mkbootimg's 16384)",
      file: 'boot.img',
      build: () => buildBootImage({ kernel, ramdisk, pageSize: 32768 }),
      errors: [{ path: '', message: "page size 32768 is outside mkbootimg's 2048-16384" }],
    },
    {
      name: 'v1 header with a v2 header_size',
      file: 'boot.img',
      build: () => buildBootImage({ headerVersion: 1, kernel, ramdisk, headerSize: 1660 }),
      errors: [{ path: '', message: 'header_size is 1660, a v1 header is 1648 bytes' }],
    },
    {
      name: 'v4 header with the v3 header_size',
      file: 'boot.img',
      build: () => buildBootImage({ headerVersion: 4, kernel, ramdisk, headerSize: 1580 }),
      errors: [{ path: '', message: 'header_size is 1580, a v4 header is 1584 bytes' }],
    },
    {
      name: "v3 header_size 1596 (what Debian's mkbootimg 29 writes)",
      file: 'boot.img',
      build: () => buildBootImage({ headerVersion: 3, kernel, ramdisk, headerSize: 1596 }),
      errors: [{ path: '', message: 'header_size is 1596, a v3 header is 1580 bytes' }],
    },
    {
      name: 'kernel size past the end of the file',
      file: 'boot.img',
      build: () => buildBootImage({ kernel, sizeFields: { kernel: 10_000_000 } }),
      errors: [{ path: '', message: /^kernel \(10000000 bytes at offset 2048\) runs past the end of the file \(73728 bytes\)$/ }],
    },
    {
      name: 'file cut inside the ramdisk',
      file: 'boot.img',
      build: () => {
        const b = buildBootImageWithLayout({ kernel, ramdisk });
        return b.image.subarray(0, b.sections[1].offset + 100);
      },
      errors: [{ path: '', message: /^ramdisk \(\d+ bytes at offset 73728\) runs past the end of the file \(73828 bytes\)$/ }],
    },
    {
      name: 'v4 boot signature past the end of the file',
      file: 'boot.img',
      build: () => buildBootImage({ headerVersion: 4, kernel, ramdisk, sizeFields: { bootSignature: 4096 } }),
      errors: [{ path: '', message: /^boot_signature \(4096 bytes at offset \d+\) runs past the end/ }],
    },
    {
      name: 'v2 with dtb_size 0',
      file: 'boot.img',
      build: () => buildBootImage({ headerVersion: 2, kernel, ramdisk }),
      errors: [{ path: '', message: 'a v2 boot image needs a DTB (dtb_size is 0)' }],
    },
    {
      name: 'v1 recovery_dtbo_offset that is not where the layout puts it',
      file: 'recovery.img',
      build: () => buildBootImage({ headerVersion: 1, kernel, ramdisk, recoveryDtbo: dtbo, recoveryDtboOffset: 2048 }),
      errors: [{ path: '', message: `recovery_dtbo_offset is 2048, the layout puts it at ${dtboAt}` }],
    },
    {
      name: 'vendor_boot with dtb_size 0',
      file: 'vendor_boot.img',
      build: () => buildVendorBootImage({ headerVersion: 3, ramdisk }),
      errors: [{ path: '', message: 'vendor_boot needs a DTB (dtb_size is 0)' }],
    },
    {
      name: 'vendor_boot v4 ramdisk table entry past the vendor ramdisk section',
      file: 'vendor_boot.img',
      build: () => buildVendorBootImage({ ramdisk, ramdisks: [{ data: ramdisk, name: 'two', sizeField: ramdisk.length + 1 }], dtb }),
      errors: [{ path: '', message: `vendor ramdisk 1 ("two") runs past the ramdisk section (${ramdisk.length}+${ramdisk.length + 1} > ${2 * ramdisk.length})` }],
    },
    {
      name: 'vendor_boot v4 with two ramdisks of the same name',
      file: 'vendor_boot.img',
      build: () =>
        buildVendorBootImage({
          ramdisks: [
            { data: ramdisk, name: 'same' },
            { data: ramdisk, name: 'same', type: 'dlkm' },
          ],
          dtb,
        }),
      errors: [{ path: '', message: 'vendor ramdisk name "same" is used twice' }],
    },
    {
      name: 'vendor_boot v4 with a 100-byte table entry size',
      file: 'vendor_boot.img',
      build: () => buildVendorBootImage({ ramdisk, dtb, tableEntrySizeField: 100 }),
      errors: [
        { path: '', message: 'vendor ramdisk table entries are 100 bytes, not 108' },
        { path: '', message: 'vendor ramdisk table is 108 bytes for 1 entries of 100' },
      ],
    },
    {
      name: 'vendor_boot header version 5',
      file: 'vendor_boot.img',
      build: () => buildVendorBootImage({ ramdisk, dtb, headerVersionField: 5 }),
      errors: [{ path: '', message: 'vendor_boot header version 5 (only 3 and 4 exist)' }],
    },
    {
      name: 'a broken boot image inside a zip is reported on the member',
      file: 'rom.zip',
      build: () => buildZip([{ name: 'images/boot.img', data: buildBootImage({ headerVersion: 2, kernel, ramdisk }) }]),
      errors: [{ path: 'images/boot.img', message: 'needs a DTB' }],
    },
  ],
});
