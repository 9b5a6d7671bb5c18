import { ruleTester } from '../harness';
import { otaMetadata, updaterScript, zipOf } from '../../../fixtures/builders/rom';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeltaPayload } from '../../../fixtures/builders/delta-payload';
import { pseudoRandom } from '../../../fixtures/builders/data';

const META = 'META-INF/com/android/metadata';
const SCRIPT = 'META-INF/com/google/android/updater-script';
const A = 'google/crosshatch/crosshatch:10/QQ1A.200105.002/6031802:user/release-keys';
const B = 'google/crosshatch/crosshatch:10/QQ1A.200205.002/6084393:user/release-keys';
const incremental = (pre: Record<string, string>) => () => zipOf({ [META]: otaMetadata({ 'ota-type': 'AB', 'pre-device': 'crosshatch', 'post-build': B, ...pre }) });
const fingerprintAssert = (fps: string[]) =>
  `${fps.map((f) => `getprop("ro.build.fingerprint") == "${f}"`).join(' ||\n    ')} ||\n    abort("E3001: Package expects build fingerprint of ${fps.join(' or ')}; this device has " + getprop("ro.build.fingerprint") + ".");`;

// --base: a delta of SOURCE_COPY and REPLACE operations (no patch tool needed) and two bases, its own and one a byte off.
const OLD = pseudoRandom(8 * 4096, 11);
const NEW = Buffer.concat([OLD.subarray(0, 4 * 4096), pseudoRandom(4 * 4096, 12)]);
const delta = () =>
  buildDeltaPayload([
    {
      name: 'system',
      old: OLD,
      new: NEW,
      ops: [
        { type: 4, src: [{ start: 0, blocks: 4 }], dst: [{ start: 0, blocks: 4 }] },
        { type: 0, dst: [{ start: 4, blocks: 4 }], blob: NEW.subarray(4 * 4096) },
      ],
    },
  ]).payload;
const bases = mkdtempSync(join(tmpdir(), 'romscope-rule-base-'));
process.on('exit', () => rmSync(bases, { recursive: true, force: true }));
const good = join(bases, 'good');
const bad = join(bases, 'bad');
const empty = join(bases, 'empty');
mkdirSync(good);
mkdirSync(bad);
mkdirSync(empty);
writeFileSync(join(empty, 'vendor.img'), OLD);
writeFileSync(join(good, 'system.img'), OLD);
const off = Buffer.from(OLD);
off[4096 + 7] ^= 1;
writeFileSync(join(bad, 'system.img'), off);

ruleTester('compat/incremental-base', {
  valid: [
    { name: '--base: the delta applied to the build it was made from', file: 'payload.bin', build: delta, options: { base: good } },
    { name: 'no --base: the delta is not compared with any build', file: 'payload.bin', build: delta },
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
    {
      name: '--base: a base one byte off in the blocks operation 0 reads',
      file: 'payload.bin',
      build: delta,
      options: { base: bad },
      errors: [
        { path: '', message: /^partition system: the base's image \(system\.img\) is not the one this payload patches: the SHA-256 of its first 32768 bytes is [0-9a-f]{64}, old_partition_info says [0-9a-f]{64}$/ },
        {
          path: '',
          message: /^partition system operation 0 \(SOURCE_COPY\): the SHA-256 of its source blocks in the base \(system\.img\) is [0-9a-f]{64}, its src_sha256_hash says [0-9a-f]{64}; update_engine stops here/,
        },
      ],
    },
    { name: '--base: a base without the partition', file: 'payload.bin', build: delta, options: { base: empty }, errors: [{ path: '', message: `partition system: the base ${empty} has no system image` }] },
  ],
});
