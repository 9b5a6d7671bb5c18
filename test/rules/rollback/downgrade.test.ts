import { ruleTester } from '../harness';
import { bootWithProps, buildProp, otaMetadata, updaterScript, zipOf } from '../../../fixtures/builders/rom';
import { buildBootImage } from '../../../fixtures/builders/bootimg';
import { pseudoRandom } from '../../../fixtures/builders/data';

const META = 'META-INF/com/android/metadata';
const SCRIPT = 'META-INF/com/google/android/updater-script';
const ota = (fields: Record<string, string>) => () =>
  zipOf({ [META]: otaMetadata({ 'ota-type': 'AB', 'pre-device': 'crosshatch', 'post-timestamp': '1600000000', 'post-security-patch-level': '2020-09-05', ...fields }) });

ruleTester('rollback/downgrade', {
  valid: [
    { name: 'a newer build than the device', file: 'ota.zip', build: ota({}), options: { target: { currentTimestamp: 1500000000, currentPatch: '2020-08-05' } } },
    { name: 'the same build (equal timestamp and patch)', file: 'ota.zip', build: ota({}), options: { target: { currentTimestamp: 1600000000, currentPatch: '2020-09-05' } } },
    {
      name: 'older, but declared a downgrade (ota-downgrade, spl-downgrade)',
      file: 'ota.zip',
      build: ota({ 'ota-downgrade': 'yes', 'spl-downgrade': 'yes' }),
      options: { target: { currentTimestamp: 1700000000, currentPatch: '2023-01-05' } },
    },
    { name: 'no current state given', file: 'ota.zip', build: ota({}), options: { target: { device: 'crosshatch' } } },
    {
      name: 'a boot image patch level (month only) of the same month',
      file: 'boot.img',
      build: () => buildBootImage({ headerVersion: 2, kernel: pseudoRandom(3000, 1), dtb: pseudoRandom(100, 2), osVersion: '11.0.0', patchLevel: '2020-09' }),
      options: { target: { currentPatch: '2020-09-30' } },
    },
  ],
  invalid: [
    {
      name: 'post-timestamp before the device build',
      file: 'ota.zip',
      build: ota({}),
      options: { target: { currentTimestamp: 1700000000 } },
      errors: [
        {
          path: META,
          message: 'line 3: OTA metadata post-timestamp 1600000000 (2020-09-13) is older than the build on the device (--current-timestamp 1700000000, 2023-11-14) and the package does not declare a downgrade',
        },
      ],
    },
    {
      name: 'post-security-patch-level before the device patch level',
      file: 'ota.zip',
      build: ota({}),
      options: { target: { currentPatch: '2023-01-05' } },
      errors: [{ path: META, message: "line 2: OTA metadata post-security-patch-level 2020-09-05 is older than the device's security patch level 2023-01-05" }],
    },
    {
      name: 'ota-downgrade does not cover the patch level',
      file: 'ota.zip',
      build: ota({ 'ota-downgrade': 'yes' }),
      options: { target: { currentTimestamp: 1700000000, currentPatch: '2023-01-05' } },
      errors: [{ path: META, message: 'spl-downgrade=yes does' }],
    },
    {
      name: 'an updater-script AssertOlderBuild aborts on a newer device',
      file: 'ota.zip',
      build: () => zipOf({ [SCRIPT]: updaterScript(['assert(!less_than_int(1324365991, getprop("ro.build.date.utc")));']) }),
      options: { target: { currentTimestamp: 1400000000 } },
      errors: [
        {
          path: SCRIPT,
          message: 'line 2: updater-script AssertOlderBuild 1324365991 (2011-12-20) is older than the build on the device (--current-timestamp 1400000000, 2014-05-13): the updater-script aborts on such a device',
        },
      ],
    },
    {
      name: 'a system build.prop security patch',
      file: 'rom.zip',
      build: () => zipOf({ 'system/build.prop': buildProp({ 'ro.build.version.security_patch': '2019-01-01', 'ro.build.date.utc': '1546300800' }) }),
      options: { target: { currentPatch: '2019-02-01' } },
      errors: [{ path: 'system/build.prop', message: 'line 2: build properties ro.build.version.security_patch 2019-01-01' }],
    },
    {
      name: 'a boot image header patch level, by month',
      file: 'boot.zip',
      build: () => zipOf({ 'boot.img': bootWithProps({}, { patchLevel: '2023-05' }) }),
      options: { target: { currentPatch: '2023-06-01' } },
      errors: [{ path: 'boot.img', message: 'boot image header os_patch_level 2023-05 is older' }],
    },
  ],
});
