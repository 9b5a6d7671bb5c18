import { ruleTester } from '../harness';
import { missingTools } from '../../codec-tools';
import { CORPUS } from '../../helpers';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_BUILD, ext4Partition, fingerprintOf, partitionProps } from '../../../fixtures/builders/partitions';
import { addHashtreeFooter, buildVbmeta } from '../../../fixtures/builders/avb';
import { zipOf } from '../../../fixtures/builders/rom';
import { pseudoRandom } from '../../../fixtures/builders/data';

const FP = fingerprintOf(DEMO_BUILD);
const OTHER = FP.replace('11223344', '55667788');
const props = (p: string, fp: string, patch = '2024-01-05', os = '14') => [
  { type: 'property' as const, key: `com.android.build.${p}.fingerprint`, value: fp },
  { type: 'property' as const, key: `com.android.build.${p}.security_patch`, value: patch },
  { type: 'property' as const, key: `com.android.build.${p}.os_version`, value: os },
];
const pkg = (descriptors: ReturnType<typeof props>) => () =>
  zipOf({ 'vbmeta.img': buildVbmeta({ descriptors }), 'system/build.prop': partitionProps('system', DEMO_BUILD), 'vendor/build.prop': partitionProps('vendor', DEMO_BUILD) });
const vendorWithFooter = (fp: string) => () =>
  addHashtreeFooter(ext4Partition('vendor', partitionProps('vendor', DEMO_BUILD)), { partitionName: 'vendor', partitionSize: 1536 * 1024, salt: pseudoRandom(32, 9), vbmeta: { extraDescriptors: props('vendor', fp) } })
    .image;

const cfig = 'avb-footer-images/cfig_issue133_system_dlkm.img';

ruleTester('compat/avb-property-mismatch', {
  valid: [
    { name: 'vbmeta.img properties of system and vendor agree with their build.prop', file: 'rom.zip', build: pkg([...props('system', FP), ...props('vendor', FP)]) },
    { name: 'a property of a partition the package has no build.prop for', file: 'rom.zip', build: pkg(props('odm', OTHER)) },
    { name: 'an ext4 vendor image whose footer properties agree', file: 'vendor.img', build: vendorWithFooter(FP), skip: missingTools('mke2fs') },
  ],
  invalid: [
    {
      name: 'vbmeta.img names another fingerprint for vendor',
      file: 'rom.zip',
      build: pkg([...props('system', FP), ...props('vendor', OTHER)]),
      errors: [{ path: 'vbmeta.img', message: `vbmeta property com.android.build.vendor.fingerprint is "${OTHER}", but vendor/build.prop (ro.vendor.build.fingerprint "${FP}")` }],
    },
    {
      name: 'security patch and OS version of system disagree',
      file: 'rom.zip',
      build: pkg(props('system', FP, '2023-12-05', '13')),
      errors: [
        { path: 'vbmeta.img', message: 'com.android.build.system.security_patch is "2023-12-05", but system/build.prop (ro.build.version.security_patch "2024-01-05")' },
        { path: 'vbmeta.img', message: 'com.android.build.system.os_version is "13", but system/build.prop (ro.build.version.release "14")' },
      ],
    },
    {
      name: "an ext4 vendor image whose footer's fingerprint is another build",
      file: 'vendor.img',
      build: vendorWithFooter(OTHER),
      skip: missingTools('mke2fs'),
      errors: [{ path: 'vbmeta', message: `but build.prop (ro.vendor.build.fingerprint "${FP}")` }],
    },
    {
      name: 'corpus: a repacked system_dlkm.img whose footer carries an older fingerprint',
      file: 'system_dlkm.img',
      build: () => readFileSync(join(CORPUS, cfig)),
      skip: () => (existsSync(join(CORPUS, cfig)) ? false : `shared corpus not present (${cfig})`),
      errors: [{ path: 'vbmeta', message: '/yu12271516:userdebug/test-keys", but etc/build.prop (ro.system_dlkm.build.fingerprint "Android/aosp_panther/panther:14/UQ1A.231205.015.A1/yu12261557:userdebug/test-keys")' }],
    },
  ],
});
