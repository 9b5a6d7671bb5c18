import { ruleTester } from '../harness';
import { missingTools } from '../../codec-tools';
import { DEMO_BUILD, ext4Partition, fingerprintOf, partitionProps } from '../../../fixtures/builders/partitions';
import { buildPayload } from '../../../fixtures/builders/payload';
import { buildAbOtaZip } from '../../../fixtures/builders/ota-zip';
import { otaMetadata, zipOf } from '../../../fixtures/builders/rom';

const FP = fingerprintOf(DEMO_BUILD);
const OTHER = FP.replace('11223344', '55667788');
const meta = (over: Record<string, string> = {}) =>
  otaMetadata({ 'ota-type': 'BLOCK', 'pre-device': 'demo', 'post-build': FP, 'post-security-patch-level': '2024-01-05', 'post-timestamp': String(DEMO_BUILD.dateUtc), ...over });
/** A file-based OTA: metadata and the partitions' build.prop as members. */
const fileOta =
  (m: Buffer, systemFp = FP) =>
  () =>
    zipOf({ 'META-INF/com/android/metadata': m, 'system/build.prop': partitionProps('system', DEMO_BUILD, { fingerprint: systemFp }), 'vendor/build.prop': partitionProps('vendor', DEMO_BUILD) });

const abOta = (systemFp: string, lines: string[]) => () => {
  const p = buildPayload([{ name: 'system', data: ext4Partition('system', partitionProps('system', DEMO_BUILD, { fingerprint: systemFp })) }]);
  return buildAbOtaZip({ payload: p.payload, properties: p.properties, lines }).zip;
};
const AB_LINES = ['pre-device=demo', `post-build=${FP}`, `post-timestamp=${DEMO_BUILD.dateUtc}`, 'post-security-patch-level=2024-01-05'];

ruleTester('compat/ota-metadata-mismatch', {
  valid: [
    { name: 'metadata and system/build.prop agree', file: 'ota.zip', build: fileOta(meta()) },
    { name: 'post-build lists several fingerprints, one of them the image', file: 'ota.zip', build: fileOta(meta({ 'post-build': `${OTHER}|${FP}` })) },
    { name: 'pre-device lists several devices, one of them the image', file: 'ota.zip', build: fileOta(meta({ 'pre-device': 'other|demo' })) },
    { name: 'no property file in the package: nothing to compare', file: 'ota.zip', build: () => zipOf({ 'META-INF/com/android/metadata': meta({ 'post-build': OTHER }) }) },
    { name: 'an A/B OTA whose ext4 system partition agrees', file: 'ota.zip', build: abOta(FP, AB_LINES), skip: missingTools('mke2fs') },
  ],
  invalid: [
    {
      name: 'post-build is another build than system/build.prop',
      file: 'ota.zip',
      build: fileOta(meta(), OTHER),
      errors: [{ path: 'META-INF/com/android/metadata', message: `OTA metadata post-build "${FP}" is not what the image says: system/build.prop (ro.build.fingerprint "${OTHER}")` }],
    },
    {
      name: 'post-security-patch-level and post-timestamp disagree',
      file: 'ota.zip',
      build: fileOta(meta({ 'post-security-patch-level': '2024-03-05', 'post-timestamp': '1710000000' })),
      errors: [
        { path: 'META-INF/com/android/metadata', message: 'post-security-patch-level "2024-03-05" is not what the image says: system/build.prop (ro.build.version.security_patch "2024-01-05")' },
        { path: 'META-INF/com/android/metadata', message: `post-timestamp "1710000000" is not what the image says: system/build.prop (ro.build.date.utc "${DEMO_BUILD.dateUtc}")` },
      ],
    },
    {
      name: 'pre-device names another device than the vendor build.prop',
      file: 'ota.zip',
      build: fileOta(meta({ 'pre-device': 'walleye' })),
      errors: [{ path: 'META-INF/com/android/metadata', message: 'pre-device "walleye" does not include the device the images are built for: vendor/build.prop (ro.product.vendor.device "demo")' }],
    },
    {
      name: 'an A/B OTA whose ext4 system partition (in payload.bin) is another build',
      file: 'ota.zip',
      build: abOta(OTHER, AB_LINES),
      skip: missingTools('mke2fs'),
      errors: [{ path: 'META-INF/com/android/metadata', message: `is not what the image says: payload.bin/system.img/system/build.prop (ro.build.fingerprint "${OTHER}")` }],
    },
  ],
});
