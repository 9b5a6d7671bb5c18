import { gzipSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { buildBootImage, buildVendorBootImage } from '../../../fixtures/builders/bootimg';
import { buildCpio } from '../../../fixtures/builders/cpio';
import { buildZip } from '../../../fixtures/builders/zip';
import { buildTar } from '../../../fixtures/builders/tar';
import { pseudoRandom } from '../../../fixtures/builders/data';
import { missingTools } from '../../codec-tools';
import { DEMO_BUILD, ext4Partition, img2simg, partitionProps } from '../../../fixtures/builders/partitions';

/** A fastboot package: boot (and init_boot) with the given header patch level beside system and vendor build.prop of DEMO_BUILD (2024-01-05, vendor 2023-12-01). */
const withProps =
  (patch: string, o: { images?: boolean } = {}) =>
  () => {
    const vendor = partitionProps('vendor', { ...DEMO_BUILD, vendorSecurityPatch: '2023-12-01' });
    const system = partitionProps('system', DEMO_BUILD);
    const members: Record<string, Buffer> = o.images
      ? { 'boot.img': boot(patch), 'system.img': img2simg(ext4Partition('system', system)), 'vendor.img': ext4Partition('vendor', vendor) }
      : { 'boot.img': boot(patch), 'init_boot.img': initBoot(patch), 'system/build.prop': Buffer.from(system) };
    return buildZip(Object.entries(members).map(([name, data]) => ({ name, data, method: 'deflate' as const })));
  };

const kernel = pseudoRandom(30_001, 31);
const ramdisk = gzipSync(buildCpio([{ name: 'init', data: pseudoRandom(3000, 32) }]));
const dtb = pseudoRandom(1000, 33);

const boot = (patchLevel: string | null, osVersion: string | null = '13.0.0', headerVersion = 4) => buildBootImage({ headerVersion, kernel, ramdisk, osVersion, patchLevel });
const initBoot = (patchLevel: string | null, osVersion: string | null = '13.0.0') => buildBootImage({ headerVersion: 4, ramdisk, osVersion, patchLevel });
const vendorBoot = () => buildVendorBootImage({ ramdisk, dtb, bootconfig: 'androidboot.hardware=x\n' });

const zip = (members: Record<string, Buffer>) => () => buildZip(Object.entries(members).map(([name, data]) => ({ name, data, method: 'deflate' as const })));

ruleTester('compat/patch-level-mismatch', {
  valid: [
    { name: 'boot and init_boot with the same patch level and OS version', file: 'rom.zip', build: zip({ 'boot.img': boot('2023-05'), 'init_boot.img': initBoot('2023-05') }) },
    { name: 'one boot image alone', file: 'boot.img', build: () => boot('2023-05') },
    { name: 'boot, init_boot and vendor_boot (vendor_boot has no patch level)', file: 'rom.zip', build: zip({ 'boot.img': boot('2024-01'), 'init_boot.img': initBoot('2024-01'), 'vendor_boot.img': vendorBoot() }) },
    { name: 'a boot image without a patch level is not compared', file: 'rom.zip', build: zip({ 'boot.img': boot(null, null), 'init_boot.img': initBoot('2023-06') }) },
    { name: 'recovery is not one of the compared images', file: 'rom.zip', build: zip({ 'boot.img': boot('2023-05', '13.0.0', 2), 'recovery.img': boot('2022-01', '12.0.0', 2) }) },
    {
      name: 'a Samsung AP tar with the same levels',
      file: 'AP.tar',
      build: () =>
        buildTar([
          { name: 'boot.img', data: boot('2025-11') },
          { name: 'init_boot.img', data: initBoot('2025-11') },
        ]),
    },
    { name: 'boot and init_boot headers match system build.prop by year and month', file: 'rom.zip', build: withProps('2024-01') },
  ],
  invalid: [
    {
      name: 'boot and init_boot headers are older than system build.prop',
      file: 'rom.zip',
      build: withProps('2023-05'),
      errors: [
        { path: 'boot.img', message: 'boot header security patch level 2023-05 is not the system security patch 2024-01: system/build.prop (ro.build.version.security_patch "2024-01-05")' },
        { path: 'init_boot.img', message: 'init_boot header security patch level 2023-05 is not the system security patch 2024-01' },
      ],
    },
    {
      name: 'boot header vs a sparse ext4 system.img and an ext4 vendor.img whose vendor patch is older',
      file: 'rom.zip',
      build: withProps('2024-01', { images: true }),
      skip: missingTools('mke2fs', 'img2simg'),
      errors: [{ path: 'boot.img', message: 'boot header security patch level 2024-01 is not the vendor security patch 2023-12: vendor.img/build.prop (ro.vendor.build.security_patch "2023-12-01")' }],
    },
    {
      name: 'boot 2023-05, init_boot 2023-06',
      file: 'rom.zip',
      build: zip({ 'boot.img': boot('2023-05'), 'init_boot.img': initBoot('2023-06') }),
      errors: [{ path: 'init_boot.img', message: 'security patch level 2023-06 differs from boot.img (boot: 2023-05)' }],
    },
    {
      name: 'same patch level, different OS version',
      file: 'rom.zip',
      build: zip({ 'boot.img': boot('2023-05', '13.0.0'), 'init_boot.img': initBoot('2023-05', '14.0.0') }),
      errors: [{ path: 'init_boot.img', message: 'OS version 14.0.0 differs from boot.img (boot: 13.0.0)' }],
    },
    {
      name: 'v2 boot image and v4 init_boot disagree, vendor_boot present',
      file: 'rom.zip',
      build: zip({ 'vendor_boot.img': vendorBoot(), 'boot.img': boot('2021-12', '12.0.0', 2), 'init_boot.img': initBoot('2022-01', '12.0.0') }),
      errors: [{ path: 'init_boot.img', message: 'security patch level 2022-01 differs from boot.img (boot: 2021-12)' }],
    },
    {
      name: 'images in a subdirectory of the zip',
      file: 'rom.zip',
      build: zip({ 'images/boot.img': boot('2023-05'), 'images/init_boot.img': initBoot('2023-08') }),
      errors: [{ path: 'images/init_boot.img', message: 'differs from images/boot.img' }],
    },
    {
      name: 'Samsung AP tar: boot and init_boot from different builds',
      file: 'AP.tar',
      build: () =>
        buildTar([
          { name: 'boot.img', data: boot('2025-10') },
          { name: 'init_boot.img', data: initBoot('2025-11') },
        ]),
      errors: [{ path: 'init_boot.img', message: 'security patch level 2025-11' }],
    },
  ],
});
