import { ruleTester } from '../harness';
import { missingTools } from '../../codec-tools';
import { DEMO_BUILD, erofsPartition, ext4Partition, fingerprintOf, img2simg, partitionProps } from '../../../fixtures/builders/partitions';
import { zipOf } from '../../../fixtures/builders/rom';

const FP = fingerprintOf(DEMO_BUILD);
const OLD = 'romscope/demo_phone/demo:13/TQ3A.230901.001/10750268:user/release-keys';
const members = (fps: Partial<Record<'system' | 'vendor' | 'product' | 'odm', string>>) => () =>
  zipOf(
    Object.fromEntries(
      Object.entries(fps).map(([p, fp]) => [p === 'system' ? 'system/build.prop' : p === 'vendor' ? 'vendor/build.prop' : `${p}/etc/build.prop`, partitionProps(p as 'system', DEMO_BUILD, { fingerprint: fp })]),
    ),
  );

ruleTester('compat/partition-fingerprints-differ', {
  valid: [
    { name: 'system, vendor, product and odm of one build', file: 'ota.zip', build: members({ system: FP, vendor: FP, product: FP, odm: FP }) },
    { name: 'a single partition', file: 'ota.zip', build: members({ vendor: OLD }) },
    {
      name: 'sparse ext4 system.img and EROFS vendor.img of one build',
      file: 'images.zip',
      build: () => zipOf({ 'system.img': img2simg(ext4Partition('system', partitionProps('system', DEMO_BUILD))), 'vendor.img': erofsPartition('vendor', partitionProps('vendor', DEMO_BUILD)) }),
      skip: missingTools('mke2fs', 'img2simg', 'mkfs.erofs'),
    },
  ],
  invalid: [
    {
      name: 'vendor from an older build',
      file: 'ota.zip',
      build: members({ system: FP, vendor: OLD, product: FP }),
      errors: [{ path: 'vendor/build.prop', message: `vendor fingerprint "${OLD}" (ro.vendor.build.fingerprint) differs from system's: system/build.prop (ro.build.fingerprint "${FP}")` }],
    },
    {
      name: 'no system: vendor is the reference, odm differs',
      file: 'ota.zip',
      build: members({ vendor: FP, odm: OLD }),
      errors: [{ path: 'odm/etc/build.prop', message: 'odm fingerprint' }],
    },
    {
      name: 'a GSI system.img (sparse ext4) over a vendor.img (EROFS) of another build',
      file: 'images.zip',
      build: () => zipOf({ 'system.img': img2simg(ext4Partition('system', partitionProps('system', DEMO_BUILD, { fingerprint: OLD }))), 'vendor.img': erofsPartition('vendor', partitionProps('vendor', DEMO_BUILD)) }),
      skip: missingTools('mke2fs', 'img2simg', 'mkfs.erofs'),
      errors: [{ path: 'vendor.img/build.prop', message: `differs from system's: system.img/raw/system/build.prop (ro.build.fingerprint "${OLD}")` }],
    },
  ],
});
