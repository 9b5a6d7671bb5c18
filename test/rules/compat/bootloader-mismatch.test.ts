import { ruleTester } from '../harness';
import { androidInfo, otaMetadata, updaterScript, zipOf } from '../../../fixtures/builders/rom';

const SCRIPT = 'META-INF/com/google/android/updater-script';
const info = (bl: string) => () => zipOf({ 'android-info.txt': androidInfo(['require board=blueline', `require version-bootloader=${bl}`, 'require version-baseband=g845-00023-180917-B-5014671']) });

ruleTester('compat/bootloader-mismatch', {
  valid: [
    { name: 'the required bootloader', file: 'image.zip', build: info('b1c1-0.1-5004167'), options: { target: { bootloader: 'b1c1-0.1-5004167' } } },
    { name: 'a wildcard requirement', file: 'image.zip', build: info('b1c1-0.1*'), options: { target: { bootloader: 'b1c1-0.1-5004167' } } },
    { name: 'no --bootloader given', file: 'image.zip', build: info('b1c1-0.1-5004167') },
    {
      name: 'pre-bootloader=* accepts any bootloader',
      file: 'ota.zip',
      build: () => zipOf({ 'META-INF/com/android/metadata': otaMetadata({ 'pre-bootloader': '*', 'pre-device': 'marvel' }) }),
      options: { target: { bootloader: '1.09.0000' } },
    },
  ],
  invalid: [
    {
      name: 'android-info.txt requires another bootloader',
      file: 'image.zip',
      build: info('b1c1-0.1-5004167'),
      options: { target: { bootloader: 'b1c1-0.2-6085603' } },
      errors: [{ path: 'android-info.txt', message: 'line 2: android-info.txt requires bootloader "b1c1-0.1-5004167"; the device bootloader is "b1c1-0.2-6085603"' }],
    },
    {
      name: 'a LineageOS AssertSomeBootloader',
      file: 'ota.zip',
      build: () => zipOf({ [SCRIPT]: updaterScript(['assert(getprop("ro.bootloader") == "G900FXXU1CRH1" || getprop("ro.bootloader") == "G900FXXS1CSA1" || abort("E3000: bootloader"););']) }),
      options: { target: { bootloader: 'G900FXXU1BOA1' } },
      errors: [{ path: SCRIPT, message: 'requires bootloader "G900FXXU1CRH1" or "G900FXXS1CSA1"' }],
    },
  ],
});
