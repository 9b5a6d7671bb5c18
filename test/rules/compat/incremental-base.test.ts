import { ruleTester } from '../harness';
import { otaMetadata, updaterScript, zipOf } from '../../../fixtures/builders/rom';

const META = 'META-INF/com/android/metadata';
const SCRIPT = 'META-INF/com/google/android/updater-script';
const A = 'google/crosshatch/crosshatch:10/QQ1A.200105.002/6031802:user/release-keys';
const B = 'google/crosshatch/crosshatch:10/QQ1A.200205.002/6084393:user/release-keys';
const incremental = (pre: Record<string, string>) => () => zipOf({ [META]: otaMetadata({ 'ota-type': 'AB', 'pre-device': 'crosshatch', 'post-build': B, ...pre }) });
const fingerprintAssert = (fps: string[]) =>
  `${fps.map((f) => `getprop("ro.build.fingerprint") == "${f}"`).join(' ||\n    ')} ||\n    abort("E3001: Package expects build fingerprint of ${fps.join(' or ')}; this device has " + getprop("ro.build.fingerprint") + ".");`;

ruleTester('compat/incremental-base', {
  valid: [
    { name: 'pre-build is the current build', file: 'inc.zip', build: incremental({ 'pre-build': A }), options: { target: { currentBuild: A } } },
    { name: 'no --current-build: nothing to compare', file: 'inc.zip', build: incremental({ 'pre-build': A }) },
    { name: 'a full OTA has no pre-build', file: 'full.zip', build: incremental({}), options: { target: { currentBuild: A } } },
    { name: 'one of several pre-builds', file: 'inc.zip', build: incremental({ 'pre-build': `${A}|${B}` }), options: { target: { currentBuild: B } } },
    { name: 'an updater-script AssertSomeFingerprint that matches', file: 'inc.zip', build: () => zipOf({ [SCRIPT]: updaterScript([fingerprintAssert([A])]) }), options: { target: { currentBuild: A } } },
    {
      name: 'AssertFingerprintOrThumbprint: the thumbprint alternative matches the current fingerprint without BRAND/PRODUCT/DEVICE',
      file: 'inc.zip',
      build: () =>
        zipOf({
          [SCRIPT]: updaterScript([
            'getprop("ro.build.thumbprint") == "10/QQ1A.200105.002/6031802:user/release-keys" || abort("E3002: Package expects build thumbprint of 10/QQ1A.200105.002/6031802:user/release-keys");',
          ]),
        }),
      options: { target: { currentBuild: A } },
    },
    { name: 'pre-build-incremental matches the incremental of the current fingerprint', file: 'inc.zip', build: incremental({ 'pre-build-incremental': '6031802' }), options: { target: { currentBuild: A } } },
  ],
  invalid: [
    {
      name: 'pre-build A, device runs B',
      file: 'inc.zip',
      build: incremental({ 'pre-build': A }),
      options: { target: { currentBuild: B } },
      errors: [{ path: META, message: `line 3: incremental OTA: OTA metadata requires the device to run build "${A}"; the current build is "${B}"` }],
    },
    {
      name: 'an updater-script fingerprint assert for other builds (line of its first comparison)',
      file: 'inc.zip',
      build: () => zipOf({ [SCRIPT]: updaterScript([fingerprintAssert([A, 'x/y/z:1/2/3:user/release-keys'])]) }),
      options: { target: { currentBuild: B } },
      errors: [{ path: SCRIPT, message: /^line 2: incremental OTA: updater-script requires the device to run build "google/ }],
    },
    {
      name: 'AssertSomeThumbprint for another build',
      file: 'inc.zip',
      build: () => zipOf({ [SCRIPT]: updaterScript(['getprop("ro.build.thumbprint") == "10/QQ1A.200105.002/6031802:user/release-keys" || abort("E3002");']) }),
      options: { target: { currentBuild: B } },
      errors: [{ path: SCRIPT, message: 'thumbprint "10/QQ1A.200105.002/6031802:user/release-keys"' }],
    },
    {
      name: 'pre-build-incremental differs from the current build',
      file: 'inc.zip',
      build: incremental({ 'pre-build-incremental': '6031802' }),
      options: { target: { currentBuild: B } },
      errors: [{ path: META, message: 'incremental "6031802"' }],
    },
  ],
});
