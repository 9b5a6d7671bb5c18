import { ruleTester } from '../harness';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildTar, buildTarMd5 } from '../../../fixtures/builders/tar';
import { buildLz4Frame } from '../../../fixtures/builders/lz4';
import { buildSparse } from '../../../fixtures/builders/sparse';
import { buildPit } from '../../../fixtures/builders/pit';
import { compressible, pseudoRandom } from '../../../fixtures/builders/data';
import { buildSuperEmpty, buildSuperImage, type LpMetadataSpec } from '../../../fixtures/builders/super';

const KiB = 1024;

/** A super_empty.img: system and vendor in group `main` of at most `max` bytes (0 = unlimited). */
function superEmpty(max: number, names = ['system', 'vendor']): Buffer {
  const md: LpMetadataSpec = {
    version: '10.2',
    groups: [{ name: 'main', maximumSize: max }],
    partitions: names.map((name) => ({ name, group: 'main', attributes: ['readonly'] })),
  };
  return buildSuperEmpty(md);
}

const SYSTEM_100K = pseudoRandom(100 * KiB, 1);
/** 8 KiB of data then 120 KiB of holes: a small file that expands to 128 KiB. */
const sparseSystem = (holeBlocks: number) =>
  buildSparse([
    { type: 'raw', data: pseudoRandom(8 * KiB, 2) },
    { type: 'dontcare', blocks: holeBlocks },
  ]);

/** Samsung: a PIT giving BOOT `sectors` × 512 bytes, flashed from boot.img. */
const pit = (sectors: number) =>
  buildPit([
    { name: 'BOOTLOADER', flashFilename: 'sboot.bin', blockCount: 8192, deviceType: 2 },
    { name: 'BOOT', flashFilename: 'boot.img', blockCount: sectors, deviceType: 2 },
    { name: 'SYSTEM', flashFilename: 'system.img', blockCount: 0, deviceType: 2 },
  ]);
/** 256 KiB of compressible bytes: the .lz4 is far smaller than what it decodes to. */
const BOOT = compressible(256 * KiB, 3);

ruleTester('layout/image-too-large', {
  valid: [
    {
      name: 'images that fit their group in super_empty.img',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(1 << 20) },
          { name: 'system.img', data: SYSTEM_100K },
          { name: 'vendor.img', data: pseudoRandom(4 * KiB, 3) },
        ]),
    },
    {
      name: 'an image exactly as large as the group allows',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(100 * KiB) },
          { name: 'system.img', data: SYSTEM_100K },
        ]),
    },
    {
      name: 'a group with no maximum (0 = unlimited)',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(0) },
          { name: 'system.img', data: SYSTEM_100K },
        ]),
    },
    {
      name: 'a sparse system.img whose expanded size fits',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(128 * KiB) },
          { name: 'system.img', data: sparseSystem(30) },
        ]),
    },
    {
      name: 'A/B names: system_a and system_b take system.img, which fits',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(1 << 20, ['system_a', 'system_b']) },
          { name: 'images/system.img', data: SYSTEM_100K },
        ]),
    },
    {
      name: 'an image the layout does not name',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(4 * KiB) },
          { name: 'odm.img', data: SYSTEM_100K },
        ]),
    },
    { name: 'a lone super_empty.img', file: 'super_empty.img', build: () => superEmpty(4 * KiB) },
    {
      name: 'Samsung: boot.img.lz4 decodes to no more than the PIT gives BOOT',
      file: 'AP_DEMO.tar.md5',
      build: async () =>
        buildTarMd5(
          buildTar([
            { name: 'demo.pit', data: pit(512) },
            { name: 'boot.img.lz4', data: await buildLz4Frame(BOOT, { contentChecksum: true }) },
          ]),
          'AP_DEMO.tar',
        ),
    },
  ],
  invalid: [
    {
      name: 'system.img is larger than its group in super_empty.img',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(64 * KiB) },
          { name: 'system.img', data: SYSTEM_100K },
          { name: 'vendor.img', data: pseudoRandom(4 * KiB, 3) },
        ]),
      errors: [{ path: 'system.img', message: `${100 * KiB} bytes, but lp-metadata (super_empty.img) gives system ${64 * KiB} bytes (the most its group allows)` }],
    },
    {
      name: 'A/B: system_a and system_b both name system.img; one finding',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(64 * KiB, ['system_a', 'system_b']) },
          { name: 'images/system.img', data: SYSTEM_100K },
        ]),
      errors: [{ path: 'images/system.img', message: /gives system_a 65536 bytes/ }],
    },
    {
      name: 'a sparse system.img is compared by its expanded size, not its file size',
      file: 'fastboot.zip',
      build: () =>
        buildZip([
          { name: 'super_empty.img', data: superEmpty(64 * KiB) },
          { name: 'system.img', data: sparseSystem(30) },
        ]),
      errors: [{ path: 'system.img', message: `${128 * KiB} bytes once expanded, but lp-metadata (super_empty.img) gives system ${64 * KiB} bytes` }],
    },
    {
      name: 'Samsung: boot.img.lz4 is small, but decodes to more than the PIT gives BOOT',
      file: 'AP_DEMO.tar.md5',
      build: async () =>
        buildTarMd5(
          buildTar([
            { name: 'demo.pit', data: pit(256) },
            { name: 'boot.img.lz4', data: await buildLz4Frame(BOOT, { contentChecksum: true }) },
          ]),
          'AP_DEMO.tar',
        ),
      // Reported on the decoded image (the lz4 stream's child is called boot.img, the name the PIT gives).
      errors: [{ path: 'boot.img.lz4/boot.img', message: `${256 * KiB} bytes, but samsung-pit (demo.pit) gives BOOT ${128 * KiB} bytes (the partition)` }],
    },
    {
      name: 'a full super image: the image is larger than the logical partition it describes',
      file: 'factory.zip',
      build: () =>
        buildZip([
          { name: 'super.img', data: buildSuperImage({ version: '10.0', partitions: [{ name: 'system_a', data: pseudoRandom(64 * KiB, 4) }] }, { metadataMaxSize: 4096 }).image },
          { name: 'system.img', data: SYSTEM_100K },
        ]),
      errors: [{ path: 'system.img', message: `${100 * KiB} bytes, but lp-metadata (super.img) gives system_a ${64 * KiB} bytes (the partition)` }],
    },
  ],
});
