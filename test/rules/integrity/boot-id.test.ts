import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ruleTester } from '../harness';
import { inspect } from '../../../src/pipeline/inspect';
import { tempDir } from '../../helpers';
import { buildBootImage, buildBootImageWithLayout, bootImageId, mtkHeader } from '../../../fixtures/builders/bootimg';
import { buildCpio } from '../../../fixtures/builders/cpio';
import { buildZip } from '../../../fixtures/builders/zip';
import { pseudoRandom } from '../../../fixtures/builders/data';

const kernel = pseudoRandom(50_001, 21);
const ramdisk = gzipSync(buildCpio([{ name: 'init', data: pseudoRandom(4000, 22) }]));
const second = pseudoRandom(999, 23);
const dtb = pseudoRandom(2500, 24);
const dtbo = pseudoRandom(1500, 25);
const dt = pseudoRandom(8000, 26);

/** A v2 image whose stored id no longer matches: one kernel byte changed after the id was computed. */
function damaged(): Buffer {
  const b = buildBootImageWithLayout({ headerVersion: 2, kernel, ramdisk, dtb });
  b.image[b.sections[0].offset + 1000] ^= 0x40;
  return b.image;
}

const expected = (parts: Parameters<typeof bootImageId>[0], v: number) =>
  `the sections hash to ${bootImageId(parts, v, 'aosp').toString('hex')} (AOSP mkbootimg) or ${bootImageId(parts, v, 'lineage').toString('hex')} (LineageOS mkbootimg)`;

ruleTester('integrity/boot-id', {
  valid: [
    { name: 'v0, AOSP id', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk }) },
    { name: 'v0 with a second stage, AOSP id', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk, second, pageSize: 4096 }) },
    { name: 'v0 with only a kernel (absent components hash as a zero length)', file: 'boot.img', build: () => buildBootImage({ kernel }) },
    { name: 'v1 with a recovery DTBO, AOSP id', file: 'recovery.img', build: () => buildBootImage({ headerVersion: 1, kernel, ramdisk, recoveryDtbo: dtbo }) },
    { name: 'v2, AOSP id', file: 'boot.img', build: () => buildBootImage({ headerVersion: 2, kernel, ramdisk, second, recoveryDtbo: dtbo, dtb }) },
    { name: 'v2, LineageOS id (a zero dt slot after second)', file: 'boot.img', build: () => buildBootImage({ headerVersion: 2, kernel, ramdisk, dtb, id: 'lineage' }) },
    { name: 'v1, LineageOS id', file: 'boot.img', build: () => buildBootImage({ headerVersion: 1, kernel, ramdisk, recoveryDtbo: dtbo, id: 'lineage' }) },
    { name: 'v0 LineageOS --dt image (QCOM dt blob), LineageOS id', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk, second, dt, id: 'lineage' }) },
    { name: 'all-zero id: not judged', file: 'boot.img', build: () => buildBootImage({ headerVersion: 2, kernel, ramdisk, dtb, id: 'zero' }) },
    { name: 'v0 with a MediaTek ramdisk header (the id covers the whole section)', file: 'boot.img', build: () => buildBootImage({ kernel, ramdisk: Buffer.concat([mtkHeader(ramdisk.length, 'ROOTFS'), ramdisk]) }) },
    { name: 'v3 and v4 have no id', file: 'boot.img', build: () => buildBootImage({ headerVersion: 4, kernel, ramdisk }) },
    { name: 'v2 in a zip, AOSP id', file: 'rom.zip', build: () => buildZip([{ name: 'boot.img', data: buildBootImage({ headerVersion: 2, kernel, ramdisk, dtb }), method: 'deflate' }]) },
  ],
  invalid: [
    {
      name: 'v0 with a wrong id',
      file: 'boot.img',
      build: () => buildBootImage({ kernel, ramdisk, id: pseudoRandom(20, 27) }),
      errors: [{ path: '', message: `the header id is ${pseudoRandom(20, 27).toString('hex')}; ${expected({ kernel, ramdisk }, 0)}` }],
    },
    {
      name: 'v2 whose kernel changed after the id was computed',
      file: 'boot.img',
      build: damaged,
      errors: [{ path: '', message: `the header id is ${bootImageId({ kernel, ramdisk, dtb }, 2).toString('hex')}; the sections hash to ` }],
    },
    {
      name: 'v1 with the id of a v0 image (recovery DTBO slot missing from the hash)',
      file: 'boot.img',
      build: () => buildBootImage({ headerVersion: 1, kernel, ramdisk, id: bootImageId({ kernel, ramdisk }, 0) }),
      errors: [{ path: '', message: expected({ kernel, ramdisk }, 1) }],
    },
    {
      name: 'v0 --dt image whose id leaves the dt out and is not the AOSP one either (second stage missing)',
      file: 'boot.img',
      build: () => buildBootImage({ kernel, ramdisk, second, dt, id: bootImageId({ kernel, ramdisk }, 0) }),
      errors: [{ path: '', message: expected({ kernel, ramdisk, second, dt }, 0) }],
    },
    {
      name: 'wrong id on a boot image in a zip is reported on the member',
      file: 'rom.zip',
      build: () => buildZip([{ name: 'IMAGES/boot.img', data: buildBootImage({ headerVersion: 2, kernel, ramdisk, dtb, id: Buffer.alloc(20, 0xee) }) }]),
      errors: [{ path: 'IMAGES/boot.img', message: 'the header id is eeeeeeee' }],
    },
  ],
});

test('integrity/boot-id is a warning: the image is still usable, nothing else is reported, and the id is in info', async (t) => {
  const file = join(tempDir(t), 'boot.img');
  writeFileSync(file, buildBootImage({ kernel, ramdisk, id: Buffer.alloc(20, 0x11) }));
  const r = await inspect(file);
  assert.deepEqual(
    r.findings.map((f) => [f.ruleId, f.severity]),
    [['integrity/boot-id', 'warning']],
  );
  assert.equal(r.root.info.id, '11'.repeat(20));
});

test('an all-zero id is reported as id null and checked by neither variant', async (t) => {
  const file = join(tempDir(t), 'boot.img');
  writeFileSync(file, buildBootImage({ kernel, ramdisk, id: 'zero' }));
  const r = await inspect(file);
  assert.equal(r.root.info.id, null);
  assert.deepEqual(
    r.root.facts.filter((f) => f.kind.startsWith('boot-id')),
    [],
  );
});
